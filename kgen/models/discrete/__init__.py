"""Discrete latents: VQ-VAE, VQ-VAE-2 with autoregressive priors, DALL-E-style
text-to-image token transformer."""

from kgen.models.discrete.dalle import DALLE, dalle
from kgen.models.discrete.networks import (
    hierarchical_vq_networks,
    residual_stack,
    vq_decoder,
    vq_encoder,
)
from kgen.models.discrete.stages import StagedModel
from kgen.models.discrete.token_transformer import TextImageTransformer, filter_logits
from kgen.models.discrete.vq_vae import (
    VQVAE,
    VectorQuantizedAutoencoder,
    check_code_indices,
    conv_vqvae,
)
from kgen.models.discrete.vq_vae2 import (
    VQVAE2,
    HierarchicalVQVAE,
    conv_hierarchical_vqvae,
    conv_vqvae2,
    prior_seeds,
)

__all__ = [
    "DALLE",
    "TextImageTransformer",
    "VQVAE2",
    "HierarchicalVQVAE",
    "StagedModel",
    "conv_hierarchical_vqvae",
    "conv_vqvae2",
    "dalle",
    "filter_logits",
    "prior_seeds",
    "VQVAE",
    "VectorQuantizedAutoencoder",
    "check_code_indices",
    "conv_vqvae",
    "hierarchical_vq_networks",
    "residual_stack",
    "vq_decoder",
    "vq_encoder",
]
from kgen.models.discrete import recipes as _recipes  # noqa: E402  (registers the family's recipes)
