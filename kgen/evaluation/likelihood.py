"""Likelihood summaries for every family that declares a likelihood.

What a model can report is read from its declaration (``kgen.contract``):
``EXACT_LIKELIHOOD`` models give the exact negative log-likelihood of the
discrete data; ``LIKELIHOOD_BOUND`` models give a bound, named by the model's
``likelihood_estimator``. Every summary says which estimator it used and on
how many examples; sums and means are taken in float64.
"""

import math

import numpy as np

from kgen.contract import Capability, data_convention_of
from kgen.validation import check_positive_int

__all__ = [
    "evaluate_model",
    "iwae_from_log_weights",
    "likelihood_report",
    "mean_and_standard_error",
]


def iwae_from_log_weights(log_weights, axis=0):
    """Importance-weighted log-likelihood from log-weights, in float64.

    ``log p(x) ~= log (1/K) sum_k w_k`` with ``log w_k = log p(x, z_k) -
    log q(z_k|x)``; computed stably as ``m + log mean exp(log w - m)``.

    Args:
        log_weights: array of log-weights with ``K`` samples along ``axis``.
        axis: the sample axis.

    Returns:
        NumPy array with ``axis`` reduced.

    Examples:
        >>> import numpy as np
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


def mean_and_standard_error(values):
    """``(mean, standard error of the mean)`` of per-example values, float64."""
    values = np.asarray(values, dtype="float64").reshape(-1)
    if values.size == 0:
        raise ValueError("Received no values (0 examples).")
    error = (
        float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else 0.0
    )
    return float(values.mean()), error


def _batch_size(num_examples, batch_size):
    # one batch shape instead of a full one plus a remainder: compiled
    # functions trace once
    return min(int(num_examples), check_positive_int(batch_size, "batch_size"))


def likelihood_report(
    model, x, conditions=None, *, num_samples=100, seed=0, batch_size=1024
):
    """Negative log-likelihood and bits/dim of any model with a likelihood.

    Args:
        model: a kgen model declaring ``EXACT_LIKELIHOOD`` or
            ``LIKELIHOOD_BOUND``.
        x: data in the model's convention (``model.data_convention``).
        conditions: class labels for conditional models.
        num_samples: samples of a bound's estimator (a VAE's importance
            samples ``K``; ``None``: the model's default).
        seed: integer seed of the bound's samples.
        batch_size: examples per forward pass.

    Returns:
        A dict: ``estimator`` (how the numbers were obtained: ``"exact"``, or
        the model's ``likelihood_estimator``), ``num_examples``, ``num_dims``,
        ``num_levels``, ``nll_nats`` (mean, nats per example; an upper bound
        for bound models), ``bits_per_dim`` and ``bits_per_dim_standard_error``
        (mean and standard error over examples). Bound models add
        ``elbo_nats`` (mean, nats) and ``estimator_samples``. Where the model
        has a bound but no likelihood of the discrete data (a Bernoulli
        decoder on grey levels), ``nll_nats`` and ``bits_per_dim`` are left
        out and ``note`` says why.

    Raises:
        ValueError: for a model without a likelihood.
    """
    convention = data_convention_of(model)
    batch = _batch_size(len(x), batch_size)
    labels = {} if conditions is None else {"conditions": conditions}
    report = {
        "num_examples": int(len(x)),
        "num_dims": convention.num_dims,
        "num_levels": convention.num_levels,
    }
    if model.has(Capability.EXACT_LIKELIHOOD):
        log_p = np.asarray(model.log_prob(x, batch_size=batch, **labels), "float64")
        bits = np.asarray(model.bits_per_dim(x, batch_size=batch, **labels), "float64")
        report["estimator"] = "exact"
        report["nll_nats"] = float(-log_p.mean())
    elif model.has(Capability.LIKELIHOOD_BOUND):
        elbo = np.asarray(model.elbo(x, seed=seed, batch_size=batch, **labels))
        report["elbo_nats"] = float(np.mean(elbo, dtype="float64"))
        report["estimator_samples"] = num_samples
        try:
            bits = np.asarray(
                model.bits_per_dim(
                    x, num_samples=num_samples, seed=seed, batch_size=batch, **labels
                ),
                "float64",
            )
        except ValueError as error:
            # a bound that is not a likelihood of the discrete data (e.g. a
            # Bernoulli decoder on grey levels): no bits/dim, and why
            report["estimator"] = "ELBO only"
            report["note"] = str(error)
            return report
        report["estimator"] = model.likelihood_estimator(num_samples)
        # the bound on -log P(x) that bits_per_dim states, back in nats
        report["nll_nats"] = float(bits.mean() * convention.num_dims * math.log(2.0))
    else:
        declared = ", ".join(sorted(c.value for c in model.capabilities)) or "none"
        raise ValueError(
            f"{type(model).__name__} declares no likelihood (exact_likelihood or "
            f"likelihood_bound); it declares {declared}. Compare its samples with "
            "kgen.evaluation.frechet_distance instead."
        )
    report["bits_per_dim"], report["bits_per_dim_standard_error"] = (
        mean_and_standard_error(bits)
    )
    return report


def evaluate_model(model, x, conditions=None, *, num_samples=100, seed=0):
    """Everything ``kgen evaluate`` reports for a model, read from its declaration.

    A likelihood (`likelihood_report`) when the model declares one; the mean
    squared reconstruction error for a model that encodes but has no
    likelihood (a deterministic autoencoder); otherwise a note on which
    sample metrics apply.

    Args:
        model: a kgen model.
        x: data in the model's convention.
        conditions: class labels for conditional models.
        num_samples: samples of a bound's estimator.
        seed: integer seed.

    Returns:
        A JSON-ready dict (numbers in nats unless named bits).
    """
    convention = data_convention_of(model)
    if model.has(Capability.EXACT_LIKELIHOOD) or model.has(Capability.LIKELIHOOD_BOUND):
        return likelihood_report(
            model, x, conditions, num_samples=num_samples, seed=seed
        )
    metrics = {"num_examples": int(len(x)), "num_dims": convention.num_dims}
    if model.has(Capability.ENCODE):
        labels = {} if conditions is None else {"conditions": conditions}
        reconstructions = np.asarray(model.reconstruct(x, **labels), "float64")
        squared = (reconstructions - np.asarray(x, "float64")) ** 2
        metrics["reconstruction_mse_per_dim"] = float(squared.mean())
        metrics["note"] = (
            f"{type(model).__name__} has no likelihood; reconstruction error only."
        )
        return metrics
    metrics["note"] = (
        f"{type(model).__name__} has no likelihood: measure its samples with "
        "kgen.evaluation.frechet_distance (in a domain classifier's features)."
    )
    return metrics
