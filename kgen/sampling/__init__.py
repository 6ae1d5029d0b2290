"""Sampling utilities: latent interpolation, truncation, autoregressive loops."""

from kgen.sampling.interpolation import interpolate, lerp, slerp
