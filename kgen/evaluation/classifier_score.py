"""Classifier score (the Inception Score recipe) from class probabilities.

``exp(E_x KL(p(y|x) || p(y)))`` with ``p(y)`` the average of ``p(y|x)`` over
the samples: high when each sample is classified confidently (low
``H(y|x)``) and the classes are used evenly (high ``H(y)``); between 1 and
the number of classes. With Inception-v3 ImageNet probabilities on 50,000
samples in 10 splits this is the Inception Score of Salimans et al.; with
another classifier name it after the classifier ("classifier score of the
Fashion-MNIST classifier"). It ignores the real data entirely: a model that
draws one perfect image per class scores the maximum.
"""

from collections import namedtuple

import numpy as np

from kgen.validation import check_positive_int, describe, to_numpy

__all__ = ["ClassifierScore", "classifier_score"]

ClassifierScore = namedtuple(
    "ClassifierScore", ["mean", "std", "num_splits", "num_samples"]
)
ClassifierScore.__doc__ = """What `classifier_score` returns.

Attributes:
    mean: the mean of the per-split scores.
    std: their standard deviation (``ddof=0``, as the original code).
    num_splits: number of splits.
    num_samples: number of samples (all splits together).
"""


def classifier_score(probabilities, *, num_splits=10):
    """``exp(E KL(p(y|x) || p(y)))`` per split, averaged over splits.

    Args:
        probabilities: array ``(num_samples, num_classes)`` of class
            probabilities of generated samples (rows sum to 1), e.g.
            ``domain_classifier(...).probabilities(samples, convention)``.
        num_splits: the samples are cut into this many equal parts (in
            order) and the score is computed on each, as in the original
            Inception Score code.

    Returns:
        A `ClassifierScore` (mean, std, num_splits, num_samples).

    Raises:
        ValueError: for rows that are not probability vectors, or fewer
            samples than splits.

    Examples:
        >>> import numpy as np
        >>> confident = np.eye(4)[np.arange(400) % 4]   # each class, surely
        >>> round(classifier_score(confident).mean, 6)
        4.0
        >>> round(classifier_score(np.full((400, 4), 0.25)).mean, 6)
        1.0

    References:
        Salimans et al., "Improved Techniques for Training GANs", NeurIPS
        2016; Barratt and Sharma, "A Note on the Inception Score", 2018.
    """
    p = np.asarray(to_numpy(probabilities), dtype="float64")
    num_splits = check_positive_int(num_splits, "num_splits")
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(
            "Expected class probabilities of shape (num_samples, num_classes) with "
            f"at least two classes; received {describe(p)}."
        )
    if (
        not np.all(np.isfinite(p))
        or p.min() < -1e-6
        or np.max(np.abs(p.sum(axis=1) - 1.0)) > 1e-3
    ):
        raise ValueError(
            "Expected probabilities: non-negative rows that sum to 1 (apply a "
            f"softmax to logits first); received {describe(p)} with row sums in "
            f"[{p.sum(axis=1).min():.4g}, {p.sum(axis=1).max():.4g}]."
        )
    if len(p) < num_splits:
        raise ValueError(
            f"Need at least num_splits={num_splits} samples; received {len(p)}."
        )
    p = np.clip(p, 0.0, None)
    p /= p.sum(axis=1, keepdims=True)
    scores = []
    for part in np.array_split(p, num_splits):
        marginal = part.mean(axis=0)
        # KL(p(y|x) || p(y)) with 0 log 0 = 0
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(part > 0, part * (np.log(part) - np.log(marginal)), 0.0)
        scores.append(np.exp(terms.sum(axis=1).mean()))
    scores = np.asarray(scores)
    return ClassifierScore(
        float(scores.mean()), float(scores.std()), num_splits, int(len(p))
    )
