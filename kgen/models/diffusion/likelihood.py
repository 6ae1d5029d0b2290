"""The pieces of a diffusion model's variational bound, in ``keras.ops``.

Element-wise, in nats, float32. Written for the bound's own needs:

- `normal_kl` keeps every term non-negative in float32 (``exp(-d) - 1 + d``
  as a series for small ``d``), where the textbook ``log s2 - log s1 + (s1 +
  (m1 - m2)^2) / s2 - 1`` of ``kgen.distributions.kl_diagonal_gaussians``
  cancels to noise or a small negative number when the variances are close,
  which for a bound summed over ``T`` terms and every pixel matters;
- `discretized_gaussian_log_prob` is Ho et al.'s decoder ``L_0`` over the
  ``num_levels`` bins of [-1, 1], computed from `log_ndtr` without clamping
  probabilities (a clamp would make the bound report more likelihood than
  the model has).
"""

import math

from keras import ops

__all__ = ["discretized_gaussian_log_prob", "log_ndtr", "normal_kl"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
# Below this, log Phi(z) comes from its asymptotic series (relative error of
# the truncated series ~105 / z^8 < 1e-5); above it from erfc, accurate in
# float32 down to Phi(-8) ~ 6e-16.
_ASYMPTOTIC_BELOW = -8.0


def log_ndtr(z):
    """``log Phi(z)``, the log of the standard normal CDF, stable for z << 0.

    ``log(erfc(-z / sqrt 2) / 2)`` for ``z >= -8``; below, the asymptotic
    series ``-z^2 / 2 - log(-z) - log(2 pi) / 2 + log(1 - 1/z^2 + 3/z^4 -
    15/z^6)``.

    Examples:
        >>> import numpy as np
        >>> float(np.asarray(log_ndtr(0.0)))  # log(1/2)
        -0.693147...
    """
    z = ops.convert_to_tensor(z, dtype="float32")
    direct_z = ops.maximum(z, _ASYMPTOTIC_BELOW)
    direct = ops.log(0.5 * ops.erfc(-direct_z / math.sqrt(2.0)))
    series_z = ops.minimum(z, _ASYMPTOTIC_BELOW)
    inverse_square = 1.0 / ops.square(series_z)
    correction = 1.0 - inverse_square * (
        1.0 - 3.0 * inverse_square * (1.0 - 5.0 * inverse_square)
    )
    series = (
        -0.5 * ops.square(series_z)
        - ops.log(-series_z)
        - _HALF_LOG_2PI
        + ops.log(correction)
    )
    return ops.where(z >= _ASYMPTOTIC_BELOW, direct, series)


def _log1mexp(u):
    """``log(1 - exp(u))`` for ``u < 0`` (Maechler's two branches)."""
    u = ops.minimum(u, -1e-30)
    return ops.where(u > -math.log(2.0), ops.log(-ops.expm1(u)), ops.log1p(-ops.exp(u)))


def _exp_minus_one_plus(d):
    """``exp(-d) - 1 + d >= 0``, without cancellation for small ``|d|``."""
    small = ops.abs(d) < 1e-2
    safe = ops.where(small, 0.0, d)
    series = ops.square(d) * (0.5 - d / 6.0 + ops.square(d) / 24.0)
    return ops.where(small, series, ops.expm1(-safe) + safe)


def normal_kl(mean_1, log_variance_1, mean_2, log_variance_2):
    """Element-wise ``KL(N(mean_1, var_1) || N(mean_2, var_2))`` in nats.

    ``0.5 (exp(-d) - 1 + d + (mean_1 - mean_2)^2 / var_2)`` with ``d =
    log var_2 - log var_1``; both parts are non-negative as computed.

    Examples:
        >>> import numpy as np
        >>> round(float(np.asarray(normal_kl(1.0, 0.0, 0.0, 0.0))), 6)  # (1 - 0)^2 / 2
        0.5
    """
    mean_1 = ops.convert_to_tensor(mean_1, dtype="float32")
    mean_2 = ops.convert_to_tensor(mean_2, dtype="float32")
    log_variance_1 = ops.convert_to_tensor(log_variance_1, dtype="float32")
    log_variance_2 = ops.convert_to_tensor(log_variance_2, dtype="float32")
    d = log_variance_2 - log_variance_1
    return 0.5 * (
        _exp_minus_one_plus(d) + ops.square(mean_1 - mean_2) * ops.exp(-log_variance_2)
    )


def discretized_gaussian_log_prob(x, mean, log_scale, num_levels=256):
    """Log-probability of the bin of ``x`` under a Gaussian, element-wise.

    The data are the ``num_levels`` values ``x = 2 k / (L - 1) - 1`` of
    [-1, 1]; the bin of ``x`` is ``[x - 1/(L-1), x + 1/(L-1)]``, extended to
    ``-inf`` for the lowest level and ``+inf`` for the highest, so that the
    bins' probabilities sum to one (Ho et al.'s ``L_0``).

    Args:
        x: data on the grid, in [-1, 1].
        mean: the Gaussian's mean, broadcastable.
        log_scale: ``log sigma``, broadcastable.
        num_levels: ``L``.

    Returns:
        Log-probabilities in nats, shaped like ``x``.

    Examples:
        >>> import numpy as np
        >>> levels = np.linspace(-1, 1, 4).astype("float32")  # 4 levels
        >>> p = np.exp(np.asarray(discretized_gaussian_log_prob(levels, 0.2, -1.0, 4)))
        >>> round(float(p.sum()), 6)  # the bins cover the line
        1.0
    """
    x = ops.convert_to_tensor(x, dtype="float32")
    mean = ops.convert_to_tensor(mean, dtype="float32")
    log_scale = ops.convert_to_tensor(log_scale, dtype="float32")
    half_bin = 1.0 / (num_levels - 1)
    inverse_scale = ops.exp(-log_scale)
    centred = x - mean
    upper = (centred + half_bin) * inverse_scale
    lower = (centred - half_bin) * inverse_scale
    # Phi(upper) - Phi(lower) from the side where both CDFs are small: for a
    # bin right of the mean use the mirror image Phi(-lower) - Phi(-upper).
    right = lower > 0
    high = ops.where(right, -lower, upper)
    low = ops.where(right, -upper, lower)
    log_high = log_ndtr(high)
    middle = log_high + _log1mexp(log_ndtr(low) - log_high)
    first = log_ndtr(upper)  # (-inf, x + half]
    last = log_ndtr(-lower)  # [x - half, inf)
    return ops.where(
        x < -1.0 + half_bin, first, ops.where(x > 1.0 - half_bin, last, middle)
    )
