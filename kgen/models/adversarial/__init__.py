"""adversarial models."""

from kgen.models.adversarial.gan import GAN, WGAN, WGANGP, ConditionalGAN
from kgen.models.adversarial.networks import dcgan, dcgan_networks, mlp_networks

__all__ = [
    "GAN",
    "WGAN",
    "WGANGP",
    "ConditionalGAN",
    "dcgan",
    "dcgan_networks",
    "mlp_networks",
]
from kgen.models.adversarial import recipes as _recipes  # noqa: E402  (registers the family's recipes)
