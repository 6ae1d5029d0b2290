"""adversarial models."""

from kgen.models.adversarial.big_gan import (
    BigGAN,
    biggan_networks,
    orthogonal_regularization,
    truncated_normal,
)
from kgen.models.adversarial.cycle_gan import (
    CycleGAN,
    cycle_consistency_loss,
    identity_loss,
)
from kgen.models.adversarial.gan import GAN, WGAN, WGANGP, ConditionalGAN
from kgen.models.adversarial.networks import dcgan, dcgan_networks, mlp_networks
from kgen.models.adversarial.pix2pix import Pix2Pix
from kgen.models.adversarial.style_gan2 import StyleGAN2, path_length_penalty
from kgen.models.adversarial.style_networks import (
    StyleDiscriminator,
    StyleGenerator,
    StyleSynthesis,
    stylegan2_networks,
)
from kgen.models.adversarial.text_gan import (
    TextConditionalGAN,
    mismatched_captions,
    text_gan_networks,
)
from kgen.models.adversarial.translation import (
    TranslationModel,
    side_by_side,
    split_pairs,
    structural_similarity,
    translation_errors,
)
from kgen.models.adversarial.translation_networks import (
    patchgan_discriminator,
    patchgan_receptive_field,
    resnet_generator,
    unet_generator,
)

__all__ = [
    "GAN",
    "WGAN",
    "WGANGP",
    "BigGAN",
    "ConditionalGAN",
    "CycleGAN",
    "Pix2Pix",
    "StyleDiscriminator",
    "StyleGAN2",
    "StyleGenerator",
    "StyleSynthesis",
    "TextConditionalGAN",
    "TranslationModel",
    "biggan_networks",
    "cycle_consistency_loss",
    "dcgan",
    "dcgan_networks",
    "identity_loss",
    "mismatched_captions",
    "mlp_networks",
    "orthogonal_regularization",
    "patchgan_discriminator",
    "patchgan_receptive_field",
    "path_length_penalty",
    "resnet_generator",
    "side_by_side",
    "split_pairs",
    "structural_similarity",
    "stylegan2_networks",
    "text_gan_networks",
    "translation_errors",
    "truncated_normal",
    "unet_generator",
]
from kgen.models.adversarial import recipes as _recipes  # noqa: E402  (registers the family's recipes)
