"""Latent-variable models: autoencoders and variational autoencoders."""

from kgen.models.latent.autoencoder import Autoencoder, mlp_autoencoder
from kgen.models.latent.categorical_vae import (
    CategoricalVAE,
    TemperatureAnnealing,
    mlp_categorical_vae,
)
from kgen.models.latent.conditional_vae import ConditionalVAE, conditional_mlp_vae
from kgen.models.latent.latent_verbs import LatentVerbsMixin
from kgen.models.latent.mixture_prior_vae import (
    MixturePriorVAE,
    mlp_mixture_prior_vae,
)
from kgen.models.latent.vae import (
    VAE,
    check_on_grid,
    conv_vae,
    decoder_channels,
    mlp_vae,
    mlp_vae_networks,
)

__all__ = [
    "VAE",
    "Autoencoder",
    "CategoricalVAE",
    "ConditionalVAE",
    "LatentVerbsMixin",
    "MixturePriorVAE",
    "TemperatureAnnealing",
    "check_on_grid",
    "conditional_mlp_vae",
    "conv_vae",
    "decoder_channels",
    "mlp_autoencoder",
    "mlp_categorical_vae",
    "mlp_mixture_prior_vae",
    "mlp_vae",
    "mlp_vae_networks",
]
from kgen.models.latent import recipes as _recipes  # noqa: E402  (registers the family's recipes)
