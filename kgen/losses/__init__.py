"""Training objectives: GAN losses and penalties, likelihood helpers."""

from kgen.losses.adversarial import *
from kgen.losses.likelihood import mean_bits_per_dim, nats_to_bits_per_dim
