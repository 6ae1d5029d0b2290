"""Likelihood units: the one conversion from nats to bits per dimension.

"bits/dim" is only ever the negative log-likelihood of *discrete* data (or a
bound on it, named as one) in bits per sub-pixel: ``-log p(x) / (D ln 2)``.
"""

import math

import keras


def nats_to_bits_per_dim(log_likelihood_nats, num_dims):
    """Convert per-example log-likelihoods (nats) to bits per dimension.

    ``bits/dim = -log p(x) / (num_dims * ln 2)``; works on floats, NumPy arrays
    and backend tensors.

    Args:
        log_likelihood_nats: log p(x) per example, in nats.
        num_dims: number of dimensions of one example (e.g. H * W * C).
    """
    return -log_likelihood_nats / (num_dims * math.log(2.0))


def mean_bits_per_dim(log_likelihood_nats, num_dims):
    """Mean bits per dimension of a batch of per-example log-likelihoods.

    The batch mean of `nats_to_bits_per_dim` (a tensor); models' own
    ``bits_per_dim`` verbs return per-example values.
    """
    return keras.ops.mean(nats_to_bits_per_dim(log_likelihood_nats, num_dims))
