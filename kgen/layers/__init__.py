"""Reusable layers, grouped by the family that introduced them."""

from kgen.layers.adversarial import *
from kgen.layers.autoregressive import *
from kgen.layers.latent import *
