"""Sampling utilities: latent interpolation, truncation, autoregressive loops."""

from kgen.sampling.autoregressive import fast_sample, naive_sample
from kgen.sampling.diffusion import DDIMSampler, DDPMSampler, DiffusionSampler
from kgen.sampling.interpolation import interpolate, lerp, slerp
from kgen.sampling.latent_arithmetic import LatentArithmetic, latent_arithmetic
