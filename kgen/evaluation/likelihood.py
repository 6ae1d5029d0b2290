"""Likelihood summaries for latent-variable models: ELBO, IWAE, bits/dim."""

import math

import numpy as np

__all__ = ["iwae_from_log_weights", "likelihood_report"]


def iwae_from_log_weights(log_weights, axis=0):
    """Importance-weighted log-likelihood from log-weights, in float64.

    ``log p(x) ~= log (1/K) sum_k w_k`` with ``log w_k = log p(x, z_k) -
    log q(z_k|x)``; computed stably as ``m + log mean exp(log w - m)``.

    Args:
        log_weights: array of log-weights with ``K`` samples along ``axis``.
        axis: the sample axis.

    Returns:
        NumPy array with ``axis`` reduced.

    Example:

    >>> iwae_from_log_weights(np.log([[1.0], [3.0]]))  # log((1 + 3) / 2)
    array([0.69314718])

    References:
        Burda, Grosse and Salakhutdinov, "Importance Weighted Autoencoders",
        ICLR 2016.
    """
    log_weights = np.asarray(log_weights, dtype="float64")
    top = np.max(log_weights, axis=axis, keepdims=True)
    mean = np.mean(np.exp(log_weights - top), axis=axis, keepdims=True)
    return np.squeeze(top + np.log(mean), axis=axis)


def likelihood_report(model, x, conditions=None, *, num_samples=100, seed=0):
    """Mean ELBO, IWAE log-likelihood and bits/dim of a VAE on ``x``.

    Args:
        model: a kgen VAE (anything with ``elbo`` and ``iwae_log_likelihood``).
        x: images in [0, 1], NHWC.
        conditions: class labels for conditional models.
        num_samples: ``K`` for the IWAE estimate.
        seed: integer seed of both estimates.

    Returns:
        A dict of floats: ``elbo`` and ``iwae_log_likelihood`` (nats per
        example; higher is better), ``iwae_nll`` (``-iwae_log_likelihood``),
        ``bits_per_dim`` (from the IWAE estimate), ``num_samples`` and
        ``num_examples``.
    """
    kwargs = {} if conditions is None else {"conditions": conditions}
    elbo = model.elbo(x, seed=seed, **kwargs)
    iwae = model.iwae_log_likelihood(x, num_samples, seed=seed, **kwargs)
    num_dims = int(np.prod(np.shape(x)[1:]))
    return {
        "elbo": float(np.mean(elbo)),
        "iwae_log_likelihood": float(np.mean(iwae)),
        "iwae_nll": float(-np.mean(iwae)),
        "bits_per_dim": float(-np.mean(iwae) / (num_dims * math.log(2.0))),
        "num_samples": int(num_samples),
        "num_examples": int(len(elbo)),
    }
