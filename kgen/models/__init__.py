"""Generative models: every one a ``keras.Model`` trained with ``fit``."""

from kgen.models.adversarial import *
from kgen.models.autoregressive import *
from kgen.models.base import GenerativeModel
from kgen.models.diffusion import *
from kgen.models.discrete import *
from kgen.models.latent import *
