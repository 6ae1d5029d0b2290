"""Diffusion models: DDPM/DDIM with the network, the noise schedule and the
sampler as separate objects (samplers live in ``kgen.sampling``)."""

from kgen.models.diffusion.diffusion_model import LOSS_WEIGHTINGS, DiffusionModel
from kgen.models.diffusion.likelihood import (
    discretized_gaussian_log_prob,
    log_ndtr,
    normal_kl,
)
from kgen.models.diffusion.networks import diffusion_mlp, diffusion_unet
from kgen.models.diffusion.schedules import (
    PREDICTION_TYPES,
    SCHEDULES,
    NoiseSchedule,
    epsilon_from_prediction,
    get_schedule,
    prediction_from_x0_and_epsilon,
    x0_from_prediction,
)

__all__ = [
    "DiffusionModel",
    "NoiseSchedule",
    "diffusion_mlp",
    "diffusion_unet",
    "get_schedule",
]

from kgen.models.diffusion import recipes as _recipes  # noqa: E402, F401  (registers the family's recipes)
