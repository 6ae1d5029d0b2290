"""Paths between latent vectors (NumPy; latents are small)."""

import numpy as np


def lerp(a, b, num_steps):
    """Linear interpolation from ``a`` to ``b`` (inclusive), ``num_steps`` points.

    Args:
        a: the first end point (any shape).
        b: the last end point, shaped like ``a``.
        num_steps: number of points, end points included.

    Returns:
        float32 array of shape ``(num_steps,) + a.shape``.

    Raises:
        ValueError: for end points of different shapes.

    Examples:
        >>> lerp([0.0, 2.0], [4.0, -2.0], 3).tolist()
        [[0.0, 2.0], [2.0, 0.0], [4.0, -2.0]]
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

    Args:
        a: the first end point, shape ``(..., dim)``.
        b: the last end point, shaped like ``a``.
        num_steps: number of points, end points included.
        epsilon: added to the norms before dividing.

    Returns:
        float32 array of shape ``(num_steps,) + a.shape``.

    Raises:
        ValueError: for end points of different shapes.

    Examples:
        >>> import numpy as np
        >>> path = slerp([1.0, 0.0], [0.0, 1.0], 3)
        >>> bool(np.allclose(path[1], np.sqrt(0.5)))  # on the circle, at 45 degrees
        True
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
    """Interpolate with ``method="linear"`` (`lerp`) or ``"spherical"`` (`slerp`).

    Args:
        a: the first end point.
        b: the last end point, shaped like ``a``.
        num_steps: number of points, end points included.
        method: ``"linear"`` or ``"spherical"``.

    Returns:
        float32 array of shape ``(num_steps,) + a.shape``.

    Raises:
        ValueError: for an unknown ``method`` or end points of different
            shapes.

    Examples:
        >>> interpolate([0.0], [1.0], 5).ravel().tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    if method == "linear":
        return lerp(a, b, num_steps)
    if method == "spherical":
        return slerp(a, b, num_steps)
    raise ValueError(f"method must be 'linear' or 'spherical'; received {method!r}.")
