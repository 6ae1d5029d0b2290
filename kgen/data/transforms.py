"""Pixel transforms between the conventions of the model families.

kgen keeps images as ``uint8`` in [0, 255] until the moment a model needs
them, and converts explicitly:

| model family | convention | transform |
| --- | --- | --- |
| autoregressive (PixelCNN, ...) | integers in [0, num_levels - 1] | `quantize` (or the raw ``uint8``) |
| VAEs, autoencoders | floats in [0, 1] | `to_unit_float`, `binarize`, `dynamic_binarize`, `dequantize` |
| GANs, diffusion | floats in [-1, 1] | `to_signed_float` |

Every function takes and returns NumPy arrays and checks its input, raising a
``ValueError`` that says what it expected and what it received.
"""

import numpy as np

from kgen.validation import check_images, describe, to_numpy


def _check_uint8_like(x, name="images"):
    """Accept integer arrays with values in [0, 255]; return them as NumPy."""
    x = to_numpy(x)
    if not np.issubdtype(x.dtype, np.integer):
        raise ValueError(
            f"Expected integer pixel values in [0, 255] (uint8) for {name}; "
            f"received {describe(x)}. Floats in [0, 1] or [-1, 1] are already "
            "converted; use kgen.data.to_uint8(x, value_range=...) to go back."
        )
    if x.size and (x.min() < 0 or x.max() > 255):
        raise ValueError(
            f"Expected integer pixel values in [0, 255] for {name}; received "
            f"{describe(x)}."
        )
    return x


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
    ):
        raise ValueError(
            f"seed must be an integer, None or a numpy.random.Generator; "
            f"received {seed!r}."
        )
    return np.random.default_rng(seed)


def to_unit_float(x):
    """Map ``uint8`` pixels in [0, 255] to ``float32`` in [0, 1]: ``x / 255``.

    Args:
        x: integer array with values in [0, 255].

    Returns:
        ``float32`` array of the same shape.

    Raises:
        ValueError: if ``x`` is not integer-valued in [0, 255].

    Examples:
        >>> to_unit_float(np.array([0, 51, 255], dtype="uint8"))
        array([0. , 0.2, 1. ], dtype=float32)
    """
    x = _check_uint8_like(x)
    return (x.astype(np.float32) / np.float32(255.0)).astype(np.float32)


def to_signed_float(x):
    """Map ``uint8`` pixels in [0, 255] to ``float32`` in [-1, 1]: ``x / 127.5 - 1``.

    Args:
        x: integer array with values in [0, 255].

    Returns:
        ``float32`` array of the same shape.

    Raises:
        ValueError: if ``x`` is not integer-valued in [0, 255].

    Examples:
        >>> to_signed_float(np.array([0, 255], dtype="uint8"))
        array([-1.,  1.], dtype=float32)
    """
    x = _check_uint8_like(x)
    return (x.astype(np.float32) / np.float32(127.5) - np.float32(1.0)).astype(
        np.float32
    )


def to_uint8(x, value_range=(0, 1)):
    """Map floats in ``value_range`` back to ``uint8`` in [0, 255].

    ``value_range=(0, 1)`` inverts `to_unit_float`; ``(-1, 1)`` inverts
    `to_signed_float`. Values are rounded to the nearest level; values at most
    ``1e-4`` outside the range (rounding noise of a model) are clipped.

    Args:
        x: float array (or backend tensor) with values in ``value_range``.
        value_range: ``(0, 1)`` or ``(-1, 1)``.

    Returns:
        ``uint8`` array of the same shape.

    Raises:
        ValueError: for another ``value_range``, non-float input, NaN, or
            values outside the range.

    Examples:
        >>> to_uint8(np.array([0.0, 0.2, 1.0]))
        array([  0,  51, 255], dtype=uint8)
    """
    value_range = tuple(value_range)
    if value_range == (0, 1):
        kind = "unit"
    elif value_range == (-1, 1):
        kind = "signed"
    else:
        raise ValueError(
            f"value_range must be (0, 1) or (-1, 1); received {value_range!r}."
        )
    x = check_images(x, kind, name="x")
    low, high = value_range
    scaled = (x.astype(np.float64) - low) * (255.0 / (high - low))
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def quantize(x, num_levels):
    """Reduce ``uint8`` pixels to ``num_levels`` integer levels.

    Implements ``floor(x * num_levels / 256)``, which maps [0, 255] onto
    [0, num_levels - 1] with equal-width bins. The embedded digits were
    stored with 17 grey levels (0..16) and scaled with
    ``round(v * 255 / 16)``; ``quantize(load("digits")[0], 17)`` recovers the
    original 0..16 values exactly.

    Args:
        x: integer array with values in [0, 255].
        num_levels: number of output levels, 2 to 256.

    Returns:
        ``uint8`` array (``int64`` is never needed: levels are < 256).

    Raises:
        ValueError: for a bad ``num_levels`` or input outside [0, 255].

    Examples:
        >>> quantize(np.array([0, 127, 128, 255], dtype="uint8"), 2)
        array([0, 0, 1, 1], dtype=uint8)
    """
    if (
        isinstance(num_levels, bool)
        or not isinstance(num_levels, (int, np.integer))
        or not 2 <= num_levels <= 256
    ):
        raise ValueError(
            f"num_levels must be an integer in [2, 256]; received {num_levels!r}."
        )
    x = _check_uint8_like(x)
    # floor(x * L / 256) in integer arithmetic (exact, no float rounding)
    return ((x.astype(np.int64) * int(num_levels)) // 256).astype(np.uint8)


def binarize(x, threshold=0.5):
    """Fixed binarization of [0, 1] floats: ``1.0 where x > threshold else 0.0``.

    Args:
        x: float array with values in [0, 1] (use `to_unit_float` first).
        threshold: pixels strictly above it become 1.

    Returns:
        ``float32`` array of zeros and ones.

    Raises:
        ValueError: if ``x`` is not float in [0, 1].

    Examples:
        >>> binarize(np.array([0.2, 0.5, 0.7]))
        array([0., 0., 1.], dtype=float32)
    """
    x = check_images(x, "unit", name="x")
    return (x > threshold).astype(np.float32)


def dynamic_binarize(x, seed=None):
    """Stochastic binarization: each pixel is a Bernoulli draw with mean ``x``.

    The usual preparation of binarized MNIST for VAEs: a fresh draw each
    epoch acts as data augmentation, and ``E[output] = x``.

    Args:
        x: float array with values in [0, 1].
        seed: integer, ``None`` or ``numpy.random.Generator``.

    Returns:
        ``float32`` array of zeros and ones.

    Raises:
        ValueError: if ``x`` is not float in [0, 1].

    Examples:
        >>> dynamic_binarize(np.array([0.0, 1.0]), seed=0)
        array([0., 1.], dtype=float32)
    """
    x = check_images(x, "unit", name="x")
    u = _rng(seed).random(x.shape)
    # Bernoulli(x): u ~ U[0, 1) is below x with probability x
    return (u < x).astype(np.float32)


def dequantize(x, seed=None):
    """Uniform dequantization: ``(x + u) / 256`` with ``u ~ U[0, 1)``.

    Turns discrete ``uint8`` pixels into continuous values in [0, 1) so that
    a continuous density on them lower-bounds the discrete likelihood
    (Theis et al., 2016).

    Args:
        x: integer array with values in [0, 255].
        seed: integer, ``None`` or ``numpy.random.Generator``.

    Returns:
        ``float32`` array in [0, 1).

    Raises:
        ValueError: if ``x`` is not integer-valued in [0, 255].

    Examples:
        >>> y = dequantize(np.array([0, 255], dtype="uint8"), seed=0)
        >>> bool(np.all((y >= 0) & (y < 1)))
        True

    References:
        Theis, van den Oord and Bethge, "A note on the evaluation of
        generative models", ICLR 2016.
    """
    x = _check_uint8_like(x)
    u = _rng(seed).random(x.shape)
    values = ((x.astype(np.float64) + u) / 256.0).astype(np.float32)
    # float32 rounding can lift x + u (u close to 1) onto the next bin's edge
    # (x + 1) / 256, exact in float32; step back below it so floor(256 y) = x
    upper = ((x.astype(np.float64) + 1.0) / 256.0).astype(np.float32)
    return np.where(values >= upper, np.nextafter(upper, np.float32(0.0)), values)
