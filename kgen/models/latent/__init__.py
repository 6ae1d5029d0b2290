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
from kgen.models.latent.vae import VAE, conv_vae, mlp_vae

__all__ = [
    "VAE",
    "Autoencoder",
    "CategoricalVAE",
    "ConditionalVAE",
    "LatentVerbsMixin",
    "MixturePriorVAE",
    "TemperatureAnnealing",
    "conditional_mlp_vae",
    "conv_vae",
    "mlp_autoencoder",
    "mlp_categorical_vae",
    "mlp_mixture_prior_vae",
    "mlp_vae",
]
from kgen.models.latent import recipes as _recipes  # noqa: E402  (registers the family's recipes)
