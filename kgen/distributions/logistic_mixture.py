"""The discretized logistic mixture of PixelCNN++ (Salimans et al., 2017).

A pixel with ``C`` channels, each an integer level in ``[0, num_levels - 1]``,
is modelled by a mixture of ``K`` components; inside a component the channels
are discretized logistics whose means are coupled linearly to the channels
before them (green on red, blue on red and green)::

    p(x) = sum_k pi_k prod_c P_k(x_c | x_<c)
    P_k(x_c | x_<c) = CDF((x_c + d - m_kc) / s_kc) - CDF((x_c - d - m_kc) / s_kc)
    m_kc = mu_kc + sum_{c' < c} tanh(a_kcc') x_c'

with the levels rescaled to ``[-1, 1]``, ``d = 1 / (num_levels - 1)`` half the
bin width, and the two edge bins extended to infinity so that the levels'
probabilities sum to one.

Parameter layout along the last axis (``K = num_mixtures``)::

    [ logits (K) | means (C * K) | log_scales (C * K) | coefficients (C(C-1)/2 * K) ]

means and log-scales channel-major (channel 0's ``K`` values first), the
coupling coefficients ordered ``(1, 0), (2, 0), (2, 1), ...`` (channel, earlier
channel). For three channels this is the ``10 K`` layout of PixelCNN++.
"""

import math

from keras import ops

from kgen.api_export import kgen_export

__all__ = [
    "discretized_logistic_mixture_log_prob",
    "discretized_logistic_mixture_mean",
    "discretized_logistic_mixture_log_prob_per_channel",
    "discretized_logistic_mixture_sample",
    "logistic_mixture_num_parameters",
]

# exp(-7) ~ 1e-3 of the [-1, 1] range: smaller scales only sharpen a bin that is
# already certain and make the CDF differences cancel in float32.
_MIN_LOG_SCALE = -7.0
# Below this bin probability the CDF difference loses its digits in float32;
# the density at the bin centre times the bin width is used instead.
_MIN_BIN_PROBABILITY = 1e-5


def _num_pairs(num_channels):
    return num_channels * (num_channels - 1) // 2


@kgen_export
def logistic_mixture_num_parameters(num_channels, num_mixtures):
    """Number of parameters per pixel of a discretized logistic mixture.

    ``num_mixtures * (1 + 2 * num_channels + num_channels * (num_channels - 1) / 2)``:
    ``10 * num_mixtures`` for colour images, ``3 * num_mixtures`` for greyscale.

    Args:
        num_channels: channels per pixel (1 or 3 usually).
        num_mixtures: number of logistic components ``K``.

    Returns:
        An int.

    Examples:
        >>> from kgen.distributions import logistic_mixture_num_parameters
        >>> logistic_mixture_num_parameters(3, 5)
        50
    """
    if num_channels < 1 or num_mixtures < 1:
        raise ValueError(
            "num_channels and num_mixtures must be positive; received "
            f"num_channels={num_channels!r}, num_mixtures={num_mixtures!r}."
        )
    return num_mixtures * (1 + 2 * num_channels + _num_pairs(num_channels))


def _split(parameters, num_channels, num_mixtures):
    """Slice the flat parameter vector into logits, means, log-scales, coeffs."""
    expected = logistic_mixture_num_parameters(num_channels, num_mixtures)
    if parameters.shape[-1] is not None and parameters.shape[-1] != expected:
        raise ValueError(
            f"Expected {expected} mixture parameters on the last axis for "
            f"{num_channels} channel(s) and {num_mixtures} component(s); received "
            f"shape {tuple(parameters.shape)}."
        )
    k = num_mixtures

    def take(start, count=1):
        return parameters[..., start * k : (start + count) * k]

    logits = take(0)
    means = [take(1 + c) for c in range(num_channels)]
    log_scales = [
        ops.maximum(take(1 + num_channels + c), _MIN_LOG_SCALE)
        for c in range(num_channels)
    ]
    coefficients = [
        ops.tanh(take(1 + 2 * num_channels + p))
        for p in range(_num_pairs(num_channels))
    ]
    return logits, means, log_scales, coefficients


def _coupled_means(means, coefficients, x_scaled):
    """``m_kc = mu_kc + sum_{c'<c} tanh(a_kcc') x_c'`` for every channel.

    ``x_scaled`` is a list with one ``(..., 1)`` tensor per channel.
    """
    coupled, pair = [], 0
    for c, mean in enumerate(means):
        for earlier in range(c):
            mean = mean + coefficients[pair] * x_scaled[earlier]
            pair += 1
        coupled.append(mean)
    return coupled


def _bin_log_prob(x_scaled, level, mean, log_scale, num_levels):
    """log P(bin of ``level``) under one discretized logistic, per component.

    Args:
        x_scaled: ``(..., 1)`` the level rescaled to [-1, 1].
        level: ``(..., 1)`` the integer level as float.
        mean, log_scale: ``(..., K)``.
    """
    half_bin = 1.0 / (num_levels - 1)
    inverse_scale = ops.exp(-log_scale)
    centered = x_scaled - mean
    plus_in = inverse_scale * (centered + half_bin)
    min_in = inverse_scale * (centered - half_bin)
    mid_in = inverse_scale * centered
    # log sigmoid(t) = t - softplus(t); log(1 - sigmoid(t)) = -softplus(t)
    log_cdf_plus = plus_in - ops.softplus(plus_in)
    log_one_minus_cdf_min = -ops.softplus(min_in)
    # sigmoid(a) - sigmoid(b) == sigmoid(-b) - sigmoid(-a); take the form whose
    # terms are small so that bins in the upper tail do not cancel to zero.
    delta = ops.where(
        mid_in > 0,
        ops.sigmoid(-min_in) - ops.sigmoid(-plus_in),
        ops.sigmoid(plus_in) - ops.sigmoid(min_in),
    )
    # density at the bin centre times the bin width 2 / (num_levels - 1):
    # log pdf(t) = t - log s - 2 softplus(t)
    log_pdf_mid = (
        mid_in - log_scale - 2.0 * ops.softplus(mid_in) + math.log(2.0 * half_bin)
    )
    log_delta = ops.where(
        delta > _MIN_BIN_PROBABILITY,
        ops.log(ops.maximum(delta, 1e-12)),
        log_pdf_mid,
    )
    return ops.where(
        level < 0.5,
        log_cdf_plus,
        ops.where(level > num_levels - 1.5, log_one_minus_cdf_min, log_delta),
    )


@kgen_export
def discretized_logistic_mixture_log_prob_per_channel(
    parameters, x, num_levels=256, num_mixtures=None
):
    """Conditional log-probabilities ``log p(x_c | x_<c)`` of every channel.

    The mixture couples the channels of a pixel, so the conditional of a later
    channel weights the components by their posterior given the earlier
    channels: with ``L_c = log sum_k pi_k prod_{c' <= c} P_k(x_c' | x_<c')``,
    ``log p(x_c | x_<c) = L_c - L_{c-1}``. The channels sum to the pixel's
    log-probability (``discretized_logistic_mixture_log_prob``).

    Args:
        parameters: ``(..., P)`` float tensor with the layout of this module,
            ``P = logistic_mixture_num_parameters(C, K)``.
        x: ``(..., C)`` integer levels in ``[0, num_levels - 1]`` (any dtype).
        num_levels: number of levels per channel.
        num_mixtures: ``K``; inferred from ``P`` and ``C`` when None.

    Returns:
        ``(..., C)`` float32 log-probabilities in nats.

    Examples:
        >>> import numpy as np
        >>> from kgen.distributions import (
        ...     discretized_logistic_mixture_log_prob_per_channel)
        >>> params = np.zeros((2, 4, 4, 10), "float32")  # 3 channels, 1 component
        >>> x = np.zeros((2, 4, 4, 3), "int32")
        >>> tuple(discretized_logistic_mixture_log_prob_per_channel(params, x).shape)
        (2, 4, 4, 3)

    References:
        Salimans, Karpathy, Chen, Kingma. PixelCNN++: Improving the PixelCNN
        with Discretized Logistic Mixture Likelihood and Other Modifications.
        ICLR 2017.
    """
    cumulative = _cumulative_log_joint(parameters, x, num_levels, num_mixtures)
    previous = [ops.zeros_like(cumulative[0])] + cumulative[:-1]
    return ops.stack([c - p for c, p in zip(cumulative, previous)], axis=-1)


@kgen_export
def discretized_logistic_mixture_log_prob(
    parameters, x, num_levels=256, num_mixtures=None
):
    """Log-probability of whole pixels under a discretized logistic mixture.

    ``log p(x) = log sum_k pi_k prod_c P_k(x_c | x_<c)`` with the colour
    coupling of PixelCNN++, edge bins extended to +-infinity, clamped
    log-scales and a centre-density fallback for bins whose probability
    underflows in float32.

    Args:
        parameters: ``(..., P)`` float tensor, see the module docstring.
        x: ``(..., C)`` integer levels in ``[0, num_levels - 1]``.
        num_levels: number of levels per channel.
        num_mixtures: ``K``; inferred from ``P`` and ``C`` when None.

    Returns:
        ``(...)`` float32 log-probabilities in nats (one per pixel).

    Examples:
        >>> import numpy as np
        >>> from kgen.distributions import discretized_logistic_mixture_log_prob
        >>> params = np.zeros((2, 4, 4, 3), "float32")  # greyscale, 1 component
        >>> x = np.full((2, 4, 4, 1), 7)
        >>> tuple(discretized_logistic_mixture_log_prob(params, x, num_levels=17).shape)
        (2, 4, 4)

    References:
        Salimans, Karpathy, Chen, Kingma. PixelCNN++. ICLR 2017.
    """
    return _cumulative_log_joint(parameters, x, num_levels, num_mixtures)[-1]


def _infer_num_mixtures(num_parameters, num_channels):
    per_component = 1 + 2 * num_channels + _num_pairs(num_channels)
    if num_parameters % per_component:
        raise ValueError(
            f"{num_parameters} parameters per pixel is not a multiple of "
            f"{per_component} (the parameters of one component for "
            f"{num_channels} channel(s))."
        )
    return num_parameters // per_component


def _cumulative_log_joint(parameters, x, num_levels, num_mixtures):
    """``[L_0, ..., L_{C-1}]``, ``L_c = log sum_k pi_k prod_{c'<=c} P_k``."""
    if num_levels < 2:
        raise ValueError(f"num_levels must be at least 2; received {num_levels!r}.")
    parameters = ops.cast(ops.convert_to_tensor(parameters), "float32")
    levels = ops.cast(ops.convert_to_tensor(x), "float32")
    num_channels = levels.shape[-1]
    if num_mixtures is None:
        num_mixtures = _infer_num_mixtures(parameters.shape[-1], num_channels)
    logits, means, log_scales, coefficients = _split(
        parameters, num_channels, num_mixtures
    )
    level_list = [levels[..., c : c + 1] for c in range(num_channels)]
    # level l -> 2 l / (L - 1) - 1 in [-1, 1]
    x_scaled = [2.0 * lv / (num_levels - 1) - 1.0 for lv in level_list]
    coupled = _coupled_means(means, coefficients, x_scaled)
    running = logits - ops.logsumexp(logits, axis=-1, keepdims=True)  # log pi_k
    cumulative = []
    for c in range(num_channels):
        running = running + _bin_log_prob(
            x_scaled[c], level_list[c], coupled[c], log_scales[c], num_levels
        )
        cumulative.append(ops.logsumexp(running, axis=-1))
    return cumulative


@kgen_export
def discretized_logistic_mixture_sample(
    parameters,
    component_uniforms,
    logistic_uniforms,
    num_levels=256,
    num_mixtures=None,
    temperature=1.0,
):
    """Sample whole pixels from pre-drawn uniforms (deterministic given them).

    A component is picked by the Gumbel-max trick, ``argmax_k logits_k / T +
    g_k`` with ``g = -log(-log u)``; then channel by channel a logistic value
    ``m_kc + T s_kc (log u - log(1 - u))`` with the coupled mean of the
    already sampled (quantized) channels, clipped to [-1, 1] and rounded to
    the nearest level, which is exactly the binning of the log-probability.

    Args:
        parameters: ``(..., P)`` mixture parameters.
        component_uniforms: ``(..., K)`` uniforms in (0, 1).
        logistic_uniforms: ``(..., C)`` uniforms in (0, 1); ``C`` is read
            from this shape.
        num_levels: number of levels per channel.
        num_mixtures: ``K``; inferred when None.
        temperature: positive float; 1 samples the model.

    Returns:
        ``(..., C)`` int32 levels in ``[0, num_levels - 1]``.

    Examples:
        >>> import numpy as np
        >>> from keras import ops
        >>> from kgen.distributions import discretized_logistic_mixture_sample
        >>> params = np.zeros((5, 3), "float32")
        >>> u_k, u_x = np.full((5, 1), 0.5), np.full((5, 1), 0.5)
        >>> levels = discretized_logistic_mixture_sample(params, u_k, u_x, num_levels=17)
        >>> ops.convert_to_numpy(levels)[:, 0]
        array([8, 8, 8, 8, 8], dtype=int32)

    References:
        Salimans, Karpathy, Chen, Kingma. PixelCNN++. ICLR 2017.
    """
    if isinstance(temperature, (int, float)) and not temperature > 0:
        raise ValueError(f"temperature must be positive; received {temperature!r}.")
    parameters = ops.cast(ops.convert_to_tensor(parameters), "float32")
    num_channels = logistic_uniforms.shape[-1]
    if num_mixtures is None:
        num_mixtures = _infer_num_mixtures(parameters.shape[-1], num_channels)
    logits, means, log_scales, coefficients = _split(
        parameters, num_channels, num_mixtures
    )
    tiny = 1e-5
    u_k = ops.clip(ops.cast(component_uniforms, "float32"), tiny, 1.0 - tiny)
    u_x = ops.clip(ops.cast(logistic_uniforms, "float32"), tiny, 1.0 - tiny)
    gumbel = -ops.log(-ops.log(u_k))
    component = ops.argmax(logits / temperature + gumbel, axis=-1)
    selected = ops.one_hot(component, num_mixtures, dtype="float32")

    def pick(values):
        return ops.sum(values * selected, axis=-1, keepdims=True)

    levels, x_scaled, pair = [], [], 0
    for c in range(num_channels):
        mean = pick(means[c])
        for earlier in range(c):
            mean = mean + pick(coefficients[pair]) * x_scaled[earlier]
            pair += 1
        scale = ops.exp(pick(log_scales[c])) * temperature
        u = u_x[..., c : c + 1]
        value = ops.clip(mean + scale * (ops.log(u) - ops.log1p(-u)), -1.0, 1.0)
        level = ops.clip(
            ops.round((value + 1.0) * (0.5 * (num_levels - 1))), 0, num_levels - 1
        )
        levels.append(level)
        x_scaled.append(2.0 * level / (num_levels - 1) - 1.0)
    return ops.cast(ops.concatenate(levels, axis=-1), "int32")


@kgen_export
def discretized_logistic_mixture_mean(
    parameters, num_channels, num_levels=256, num_mixtures=None
):
    """Expected level of every channel under a discretized logistic mixture.

    The mean of a discretized logistic, edge bins included, is a sum of
    survival probabilities: ``E[level] = sum_{l=1}^{L-1} P(level >= l)`` with
    ``P(level >= l) = sigmoid((m - e_l) / s)`` and ``e_l`` the lower edge of
    bin ``l`` (in the [-1, 1] scale), so it is exact, not the mean of the
    continuous logistic. A mixture averages the components' means with
    weights ``pi_k``. For one channel (greyscale) the result is exact; for
    coupled colour channels each component's later channels use the
    component's expected earlier channels in the coupling
    ``m_kc = mu_kc + sum_{c'<c} tanh(a_kcc') x_c'`` (exact while the coupling
    is zero, an approximation otherwise). Memory grows with
    ``num_levels - 1`` times the size of ``parameters``.

    Args:
        parameters: ``(..., P)`` float tensor with the layout of this module.
        num_channels: ``C``, channels per pixel.
        num_levels: number of levels per channel.
        num_mixtures: ``K``; inferred from ``P`` and ``C`` when None.

    Returns:
        ``(..., C)`` float32 expected levels in ``[0, num_levels - 1]``.

    Examples:
        >>> import numpy as np
        >>> from keras import ops
        >>> from kgen.distributions import discretized_logistic_mixture_mean
        >>> params = np.zeros((1, 3), "float32")  # one grey component at 0
        >>> mean = discretized_logistic_mixture_mean(params, 1, num_levels=17)
        >>> np.round(ops.convert_to_numpy(mean), 4)  # the middle level
        array([[8.]], dtype=float32)

    References:
        Salimans, Karpathy, Chen, Kingma. PixelCNN++. ICLR 2017.
    """
    if num_levels < 2:
        raise ValueError(f"num_levels must be at least 2; received {num_levels!r}.")
    parameters = ops.cast(ops.convert_to_tensor(parameters), "float32")
    if num_mixtures is None:
        num_mixtures = _infer_num_mixtures(parameters.shape[-1], num_channels)
    logits, means, log_scales, coefficients = _split(
        parameters, num_channels, num_mixtures
    )
    # pi_k (exp of log-softmax: a softmax over one component would warn)
    weights = ops.exp(logits - ops.logsumexp(logits, axis=-1, keepdims=True))
    # lower edges of bins 1 .. L-1 in [-1, 1]: -1 + (2 l - 1) / (L - 1)
    edges = ops.reshape(
        ops.cast(ops.arange(1, num_levels), "float32") * (2.0 / (num_levels - 1))
        - 1.0
        - 1.0 / (num_levels - 1),
        (num_levels - 1, 1),
    )
    component_scaled, channel_means, pair = [], [], 0
    for c in range(num_channels):
        mean = means[c]
        for earlier in range(c):
            mean = mean + coefficients[pair] * component_scaled[earlier]
            pair += 1
        inverse_scale = ops.exp(-log_scales[c])
        # E_k[level] = sum_l sigmoid((m_k - e_l) / s_k), shape (..., K)
        survival = ops.sigmoid(
            (ops.expand_dims(mean, -2) - edges) * ops.expand_dims(inverse_scale, -2)
        )
        expected = ops.sum(survival, axis=-2)
        component_scaled.append(2.0 * expected / (num_levels - 1) - 1.0)
        channel_means.append(ops.sum(weights * expected, axis=-1))
    return ops.stack(channel_means, axis=-1)
