"""Paths between latent vectors (NumPy; latents are small)."""

import numpy as np


def lerp(a, b, num_steps):
    """Linear interpolation from ``a`` to ``b`` (inclusive), ``num_steps`` points.

    Returns an array of shape ``(num_steps,) + a.shape``.
    """
    a, b = np.asarray(a, dtype="float32"), np.asarray(b, dtype="float32")
    if a.shape != b.shape:
        raise ValueError(
            f"Both end points need the same shape; received {a.shape} and {b.shape}."
        )
    t = np.linspace(0.0, 1.0, int(num_steps), dtype="float32")
    t = t.reshape((-1,) + (1,) * a.ndim)
    return (1.0 - t) * a + t * b


def slerp(a, b, num_steps, epsilon=1e-7):
    """Spherical interpolation (Shoemake; White 2016, "Sampling Generative Networks").

    Follows the great circle between ``a`` and ``b`` scaled by their norms,
    which keeps points at the typical radius of a Gaussian prior. Falls back to
    linear interpolation when the vectors are (anti)parallel. Works on the last
    axis; leading axes are batch axes.
    """
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    if a.shape != b.shape:
        raise ValueError(
            f"Both end points need the same shape; received {a.shape} and {b.shape}."
        )
    t = np.linspace(0.0, 1.0, int(num_steps)).reshape((-1,) + (1,) * a.ndim)
    a_unit = a / (np.linalg.norm(a, axis=-1, keepdims=True) + epsilon)
    b_unit = b / (np.linalg.norm(b, axis=-1, keepdims=True) + epsilon)
    cos = np.clip(np.sum(a_unit * b_unit, axis=-1, keepdims=True), -1.0, 1.0)
    omega = np.arccos(cos)
    sin = np.sin(omega)
    safe = np.abs(sin) > 1e-6
    sin_safe = np.where(safe, sin, 1.0)
    spherical = (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / sin_safe
    linear = (1.0 - t) * a + t * b
    return np.where(safe, spherical, linear).astype("float32")


def interpolate(a, b, num_steps, method="linear"):
    """Interpolate with ``method="linear"`` or ``"spherical"``."""
    if method == "linear":
        return lerp(a, b, num_steps)
    if method == "spherical":
        return slerp(a, b, num_steps)
    raise ValueError(f"method must be 'linear' or 'spherical'; received {method!r}.")
