"""Categorical distribution over ``num_levels`` values per sub-pixel.

The likelihood head of PixelCNN, Gated PixelCNN and PixelRNN (van den Oord et
al., 2016): every sub-pixel gets its own vector of ``num_levels`` logits, and
sampling uses the Gumbel-max trick so that all random numbers of a sample can
be drawn before the autoregressive loop starts.
"""

import keras
from keras import ops

__all__ = [
    "categorical_log_prob",
    "categorical_probabilities",
    "categorical_sample",
    "gumbel_noise",
]

# Smallest uniform draw: keeps -log(-log(u)) finite in float32.
_TINY = 1e-20


def categorical_log_prob(logits, x):
    """Log-probability of integer values under per-position categoricals.

    ``log p(x) = logits[x] - logsumexp(logits)``, computed in float32.

    Args:
        logits: float tensor ``(..., num_levels)`` of unnormalised
            log-probabilities.
        x: integer tensor ``(...)`` with values in ``[0, num_levels - 1]``.

    Returns:
        Float32 tensor ``(...)`` of log-probabilities in nats.

    Examples:
        >>> import numpy as np
        >>> from kgen.distributions import categorical_log_prob
        >>> logits = np.zeros((2, 4), "float32")
        >>> np.allclose(categorical_log_prob(logits, np.array([0, 3])), np.log(0.25))
        True
    """
    logits = ops.cast(logits, "float32")
    num_levels = ops.shape(logits)[-1]
    log_p = ops.log_softmax(logits, axis=-1)
    one_hot = ops.one_hot(ops.cast(x, "int32"), num_levels, dtype="float32")
    return ops.sum(log_p * one_hot, axis=-1)


def categorical_probabilities(logits, temperature=1.0):
    """Probabilities ``softmax(logits / temperature)`` in float32."""
    return ops.softmax(ops.cast(logits, "float32") / temperature, axis=-1)


def gumbel_noise(shape, seed=None):
    """Standard Gumbel noise ``-log(-log(u))``, ``u ~ U(0, 1)``.

    Args:
        shape: output shape.
        seed: a ``keras.random.SeedGenerator`` (required under JAX tracing) or
            an integer.

    Returns:
        Float32 tensor of the given shape.
    """
    u = keras.random.uniform(shape, minval=_TINY, maxval=1.0, seed=seed)
    return -ops.log(-ops.log(u))


def categorical_sample(logits, *, temperature=1.0, noise=None, seed=None):
    """Draw integer values with the Gumbel-max trick.

    ``argmax(logits / temperature + g)`` with ``g`` standard Gumbel noise is
    an exact sample of ``softmax(logits / temperature)``. Passing the same
    ``noise`` gives the same sample, which is what lets two different
    samplers draw identical images.

    Args:
        logits: float tensor ``(..., num_levels)``.
        temperature: positive float; below 1 sharpens, above 1 flattens.
            ``0`` returns the most likely value (no noise).
        noise: optional Gumbel noise shaped like ``logits``; drawn with
            ``seed`` when omitted.
        seed: ``keras.random.SeedGenerator`` or integer used when ``noise``
            is None.

    Returns:
        Int32 tensor ``(...)``.

    Raises:
        ValueError: if ``temperature`` is negative.
    """
    if isinstance(temperature, (int, float)) and temperature < 0:
        raise ValueError(f"temperature must be >= 0; received {temperature!r}.")
    logits = ops.cast(logits, "float32")
    if isinstance(temperature, (int, float)) and temperature == 0:
        return ops.cast(ops.argmax(logits, axis=-1), "int32")
    if noise is None:
        noise = gumbel_noise(ops.shape(logits), seed=seed)
    return ops.cast(ops.argmax(logits / temperature + noise, axis=-1), "int32")
