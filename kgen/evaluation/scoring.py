"""log p(x) per example from any model's declared likelihood.

The one place where the Bayes' rule tools and the outlier detectors read a
model's likelihood, from its declaration (``kgen.contract``):

- ``EXACT_LIKELIHOOD``: ``model.log_prob(x)``, exact;
- ``LIKELIHOOD_BOUND``: ``model.iwae_log_likelihood(x, K)``, the importance-
  weighted lower bound with ``K`` samples, named as such.
"""

from collections import namedtuple

import numpy as np

from kgen.contract import Capability, has_capability, require_capability
from kgen.validation import check_positive_int

__all__ = ["LogLikelihood", "likelihood_estimator_name", "log_likelihood"]

LogLikelihood = namedtuple("LogLikelihood", ["values", "estimator"])
LogLikelihood.__doc__ = """Per-example ``log p(x)`` (float64 nats) and how it was obtained.

Attributes:
    values: float64 array ``(num_examples,)``.
    estimator: ``"exact log p(x)"`` or ``"IWAE bound on log p(x) (K=...)"``.
"""


def likelihood_estimator_name(model, num_samples=100, purpose="log p(x)"):
    """How `log_likelihood` scores ``model``; raises if it cannot.

    Raises:
        ValueError: for a model that declares neither ``exact_likelihood``
            nor ``likelihood_bound`` (from ``kgen.contract.require_capability``).
    """
    if has_capability(model, Capability.EXACT_LIKELIHOOD):
        return "exact log p(x)"
    if has_capability(model, Capability.LIKELIHOOD_BOUND):
        num_samples = check_positive_int(num_samples, "num_samples")
        return f"IWAE bound on log p(x) (K={num_samples})"
    require_capability(
        model,
        Capability.EXACT_LIKELIHOOD,
        f"{purpose} (exact, or through the IWAE bound of a likelihood_bound model)",
    )


def log_likelihood(
    model, x, conditions=None, *, num_samples=100, seed=0, batch_size=None
):
    """Per-example ``log p(x)`` (or ``log p(x|y)``) from the declared likelihood.

    Args:
        model: a model declaring ``EXACT_LIKELIHOOD`` or ``LIKELIHOOD_BOUND``.
        x: data in the model's convention (``model.data_convention``).
        conditions: class labels for a conditional model.
        num_samples: ``K``, importance samples of a bound model.
        seed: integer seed of a bound model's samples (the same seed for
            every call: common random numbers, so that two classes or two
            data sets are compared with the same noise).
        batch_size: examples per forward pass (default: the model's).

    Returns:
        A `LogLikelihood` (``values`` float64 ``(num_examples,)``,
        ``estimator``).

    Raises:
        ValueError: for a model without a likelihood, or data the model
            rejects.
    """
    estimator = likelihood_estimator_name(model, num_samples)
    kwargs = {} if batch_size is None else {"batch_size": batch_size}
    if conditions is not None:
        kwargs["conditions"] = conditions
    if has_capability(model, Capability.EXACT_LIKELIHOOD):
        values = model.log_prob(x, **kwargs)
    else:
        values = model.iwae_log_likelihood(x, num_samples, seed=seed, **kwargs)
    values = np.asarray(values, dtype="float64").reshape(-1)
    if len(values) != len(x):
        raise ValueError(
            f"{type(model).__name__} returned {len(values)} log-likelihoods for "
            f"{len(x)} examples; log p(x) must be one value per example."
        )
    return LogLikelihood(values, estimator)
