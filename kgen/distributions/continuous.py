"""Continuous and binary densities used by latent-variable models.

Backend-neutral (``keras.ops``), in nats, element-wise unless a function says
it reduces. These are the pieces of the evidence lower bound (ELBO) of a
variational autoencoder: the decoder likelihood ``log p(x|z)`` (Bernoulli or
diagonal Gaussian), the encoder density ``log q(z|x)``, the prior ``log p(z)``
and the KL divergence between diagonal Gaussians.
"""

import math

import keras
from keras import ops

__all__ = [
    "bernoulli_log_prob_from_logits",
    "diagonal_gaussian_log_prob",
    "kl_diagonal_gaussian_standard_normal",
    "kl_diagonal_gaussians",
    "log_mean_exp",
    "reparameterize",
    "standard_normal_log_prob",
]

_LOG_2PI = math.log(2.0 * math.pi)


def diagonal_gaussian_log_prob(x, mean, log_variance):
    """Element-wise log-density of a Gaussian with diagonal covariance.

    ``log N(x; mu, sigma^2) = -0.5 * (log(2 pi) + log sigma^2 + (x - mu)^2 / sigma^2)``

    Args:
        x: values, any shape broadcastable with ``mean``.
        mean: the means ``mu``.
        log_variance: ``log sigma^2``, broadcastable with ``mean``.

    Returns:
        The log-density of each element, in nats (sum over the event axes to
        get the log-density of a vector).

    Examples:
        >>> float(diagonal_gaussian_log_prob(0.0, 0.0, 0.0))  # -0.5 log(2 pi)
        -0.918938...
    """
    x = ops.convert_to_tensor(x, dtype="float32")
    mean = ops.convert_to_tensor(mean, dtype="float32")
    log_variance = ops.convert_to_tensor(log_variance, dtype="float32")
    return -0.5 * (
        _LOG_2PI + log_variance + ops.square(x - mean) * ops.exp(-log_variance)
    )


def standard_normal_log_prob(x):
    """Element-wise log-density of N(0, 1): ``-0.5 * (log(2 pi) + x^2)``."""
    x = ops.convert_to_tensor(x, dtype="float32")
    return -0.5 * (_LOG_2PI + ops.square(x))


def bernoulli_log_prob_from_logits(x, logits):
    """Element-wise Bernoulli log-probability of ``x`` given logits.

    Computed stably as ``-softplus(-l) * x - softplus(l) * (1 - x)``, which is
    ``x log sigmoid(l) + (1 - x) log(1 - sigmoid(l))``. For ``x`` in (0, 1)
    (grey levels used as targets, the usual MNIST practice) this is the
    negative binary cross-entropy, which is not a normalized density; use
    binarized data for a proper likelihood.

    Args:
        x: targets in [0, 1].
        logits: the logits ``l``, broadcastable with ``x``.

    Returns:
        Element-wise log-probabilities in nats.

    Examples:
        >>> round(float(bernoulli_log_prob_from_logits(1.0, 0.0)), 4)  # log(1/2)
        -0.6931
    """
    x = ops.convert_to_tensor(x, dtype="float32")
    logits = ops.convert_to_tensor(logits, dtype="float32")
    return -ops.softplus(-logits) * x - ops.softplus(logits) * (1.0 - x)


def kl_diagonal_gaussian_standard_normal(mean, log_variance):
    """Element-wise ``KL(N(mu, sigma^2) || N(0, 1))`` in closed form.

    ``KL = 0.5 * (mu^2 + sigma^2 - 1 - log sigma^2)``; sum over the latent
    axis to get the KL of a diagonal Gaussian vector.

    Args:
        mean: ``mu``.
        log_variance: ``log sigma^2``.

    Returns:
        Element-wise KL divergences in nats (non-negative).

    References:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014,
        appendix B.
    """
    mean = ops.convert_to_tensor(mean, dtype="float32")
    log_variance = ops.convert_to_tensor(log_variance, dtype="float32")
    return 0.5 * (ops.square(mean) + ops.exp(log_variance) - 1.0 - log_variance)


def kl_diagonal_gaussians(mean_q, log_variance_q, mean_p, log_variance_p):
    """Element-wise ``KL(N(mu_q, sigma_q^2) || N(mu_p, sigma_p^2))``.

    ``KL = 0.5 * (log sigma_p^2 - log sigma_q^2
    + (sigma_q^2 + (mu_q - mu_p)^2) / sigma_p^2 - 1)``.

    Args:
        mean_q: mean of q.
        log_variance_q: log-variance of q.
        mean_p: mean of p.
        log_variance_p: log-variance of p.

    Returns:
        Element-wise KL divergences in nats.
    """
    mean_q = ops.convert_to_tensor(mean_q, dtype="float32")
    log_variance_q = ops.convert_to_tensor(log_variance_q, dtype="float32")
    mean_p = ops.convert_to_tensor(mean_p, dtype="float32")
    log_variance_p = ops.convert_to_tensor(log_variance_p, dtype="float32")
    return 0.5 * (
        log_variance_p
        - log_variance_q
        + (ops.exp(log_variance_q) + ops.square(mean_q - mean_p))
        * ops.exp(-log_variance_p)
        - 1.0
    )


def reparameterize(mean, log_variance, seed):
    """Draw ``z = mu + sigma * epsilon`` with ``epsilon ~ N(0, I)``.

    The reparameterization trick: the sample is a differentiable function of
    ``mean`` and ``log_variance``.

    Args:
        mean: ``mu``.
        log_variance: ``log sigma^2``, same shape as ``mean``.
        seed: a ``keras.random.SeedGenerator`` (or an integer outside traced
            code). Unseeded draws fail under JAX tracing.

    Returns:
        A sample shaped like ``mean``.
    """
    mean = ops.convert_to_tensor(mean, dtype="float32")
    log_variance = ops.convert_to_tensor(log_variance, dtype="float32")
    epsilon = keras.random.normal(ops.shape(mean), dtype="float32", seed=seed)
    return mean + ops.exp(0.5 * log_variance) * epsilon


def log_mean_exp(x, axis=0):
    """Stable ``log(mean(exp(x), axis))``: ``m + log(mean(exp(x - m)))``.

    Args:
        x: tensor of log-values (e.g. importance log-weights).
        axis: the axis to average over.

    Returns:
        The tensor with ``axis`` reduced.
    """
    x = ops.convert_to_tensor(x, dtype="float32")
    count = ops.cast(ops.shape(x)[axis], "float32")
    return ops.logsumexp(x, axis=axis) - ops.log(count)
