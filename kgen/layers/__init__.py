"""Reusable layers, grouped by the family that introduced them."""

from kgen.layers.adversarial import *
from kgen.layers.autoregressive import *
from kgen.layers.diffusion import *
from kgen.layers.latent import *
from kgen.layers.normalization import *
from kgen.layers.pixel_rnn import *
from kgen.layers.pixelcnn_plus_plus import *
from kgen.layers.self_attention import *
from kgen.layers.style import *
from kgen.layers.transformer import *
from kgen.layers.translation import *
from kgen.layers.vector_quantizer import *
