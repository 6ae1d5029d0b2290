"""Precision and recall (k-NN manifolds), density and coverage.

Each set of features stands for a manifold: the union of balls around its
points, each ball reaching the point's ``k``-th nearest neighbour in its own
set.

- **precision**: the fraction of generated samples inside the real manifold
  (are samples realistic?); **recall**: the fraction of real examples
  inside the generated manifold (is the data covered?) (Kynkäänniemi et al.
  2019, ``k = 3``).
- **density**: how many real balls contain each generated sample, divided by
  ``k`` and averaged (1 on average when both sets come from one
  distribution; above 1 where samples crowd dense real regions);
  **coverage**: the fraction of real balls that contain at least one
  generated sample (Naeem et al. 2020, ``k = 5``). Both build balls around
  real points only, so outlying generated samples do not inflate them, as
  they do recall.

Distances are Euclidean, in float64, in blocks so that memory stays bounded.
"""

from collections import namedtuple

import numpy as np

from kgen.evaluation.frechet import _check_pair, extract_features
from kgen.validation import check_positive_int

__all__ = [
    "DensityCoverage",
    "PrecisionRecall",
    "density_coverage",
    "knn_radii",
    "precision_recall",
]

PrecisionRecall = namedtuple(
    "PrecisionRecall", ["precision", "recall", "k", "num_real", "num_generated"]
)
PrecisionRecall.__doc__ = "What `precision_recall` returns (fractions in [0, 1])."

DensityCoverage = namedtuple(
    "DensityCoverage", ["density", "coverage", "k", "num_real", "num_generated"]
)
DensityCoverage.__doc__ = (
    "What `density_coverage` returns (density >= 0, coverage in [0, 1])."
)

# rows per block of a distance matrix: blocks hold about 2e7 float64 values
_BLOCK_VALUES = 20_000_000


def _blocks(num_rows, num_columns):
    step = max(1, _BLOCK_VALUES // max(num_columns, 1))
    return [(start, min(start + step, num_rows)) for start in range(0, num_rows, step)]


def _squared_distances(a, b, b_squared):
    # ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2, clipped at 0 against rounding
    squared = np.sum(a**2, axis=1)[:, None] - 2.0 * (a @ b.T) + b_squared[None, :]
    return np.maximum(squared, 0.0)


def knn_radii(features, k):
    """Distance of every point to its ``k``-th nearest *other* point (float64).

    Args:
        features: array ``(num, dim)``.
        k: neighbour rank, ``1 <= k < num``.

    Returns:
        float64 array ``(num,)``.

    Examples:
        >>> import numpy as np
        >>> knn_radii(np.array([[0.0], [1.0], [3.0]]), k=1)
        array([1., 1., 2.])
    """
    features = np.asarray(features, "float64")
    k = check_positive_int(k, "k")
    if k >= len(features):
        raise ValueError(
            f"k={k} needs more than k examples to find k neighbours; received "
            f"{len(features)}."
        )
    centred = features - features.mean(axis=0)
    norms = np.sum(centred**2, axis=1)
    radii = np.empty(len(features))
    for start, stop in _blocks(len(features), len(features)):
        squared = _squared_distances(centred[start:stop], centred, norms)
        # the point itself is one of the zeros: the k-th other point sits at
        # position k of the sorted row
        radii[start:stop] = np.partition(squared, k, axis=1)[:, k]
    return np.sqrt(radii)


def _inside_counts(points, centres, radii, *, count=True):
    """Per point: how many balls ``(centres, radii)`` contain it (or whether any)."""
    centre_norms = np.sum(centres**2, axis=1)
    radii_squared = radii**2
    out = np.empty(len(points), dtype="int64")
    for start, stop in _blocks(len(points), len(centres)):
        inside = (
            _squared_distances(points[start:stop], centres, centre_norms)
            <= (radii_squared[None, :])
        )
        out[start:stop] = inside.sum(axis=1) if count else inside.any(axis=1)
    return out


def _prepare(real, generated, k, feature_extractor, convention, batch_size):
    k = check_positive_int(k, "k")
    real = extract_features(
        real, feature_extractor, convention=convention, batch_size=batch_size
    )
    generated = extract_features(
        generated, feature_extractor, convention=convention, batch_size=batch_size
    )
    _check_pair(
        real,
        generated,
        names=("real", "generated"),
        min_examples=k + 1,
        why=f" (k={k} neighbours of each point within its own set)",
    )
    # distances do not change under a shift; centring keeps the expansion of
    # ||a - b||^2 accurate
    centre = real.mean(axis=0)
    return k, real - centre, generated - centre


def precision_recall(
    real,
    generated,
    *,
    k=3,
    feature_extractor=None,
    convention=None,
    batch_size=256,
):
    """Improved precision and recall of generated samples (k-NN manifolds).

    ``precision = mean_j [exists i: ||g_j - r_i|| <= NND_k(r_i)]`` and
    ``recall = mean_i [exists j: ||r_i - g_j|| <= NND_k(g_j)]``, where
    ``NND_k`` is the distance to the ``k``-th nearest neighbour within the
    point's own set. Both are 1 for identical sets and fall as the sets
    separate. Use equal, large sample sizes (the paper: 50,000 in VGG-16
    features); the values depend on ``k`` and the sizes.

    Args:
        real: array ``(num_real, ...)`` of real examples or features.
        generated: array ``(num_generated, ...)``.
        k: neighbour rank of the ball radii.
        feature_extractor: optional callable mapping a batch to features.
        convention: how the examples are encoded (``model.data_convention``).
        batch_size: examples per extractor call.

    Returns:
        A `PrecisionRecall` (precision, recall, k, num_real, num_generated).

    Raises:
        ValueError: for sets with at most ``k`` examples, non-finite values or
            feature sizes that differ.

    Examples:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> real = rng.normal(size=(500, 2))
        >>> precision_recall(real, real)[:2]
        (1.0, 1.0)
        >>> result = precision_recall(real, real + 3.0)
        >>> result.precision < 0.2 and result.recall < 0.2
        True

    References:
        Kynkäänniemi et al., "Improved Precision and Recall Metric for
        Assessing Generative Models", NeurIPS 2019.
    """
    k, real, generated = _prepare(
        real, generated, k, feature_extractor, convention, batch_size
    )
    real_radii = knn_radii(real, k)
    generated_radii = knn_radii(generated, k)
    precision = _inside_counts(generated, real, real_radii, count=False).mean()
    recall = _inside_counts(real, generated, generated_radii, count=False).mean()
    return PrecisionRecall(
        float(precision), float(recall), k, int(len(real)), int(len(generated))
    )


def density_coverage(
    real,
    generated,
    *,
    k=5,
    feature_extractor=None,
    convention=None,
    batch_size=256,
):
    """Density and coverage of generated samples (balls around real points).

    ``density = 1/(k M) sum_j sum_i [||g_j - r_i|| <= NND_k(r_i)]`` and
    ``coverage = 1/N sum_i [min_j ||r_i - g_j|| <= NND_k(r_i)]`` for ``N``
    real and ``M`` generated examples.

    Args:
        real: array ``(num_real, ...)`` of real examples or features.
        generated: array ``(num_generated, ...)``.
        k: neighbour rank of the ball radii (5 in the paper).
        feature_extractor: optional callable mapping a batch to features.
        convention: how the examples are encoded (``model.data_convention``).
        batch_size: examples per extractor call.

    Returns:
        A `DensityCoverage` (density, coverage, k, num_real, num_generated).

    Raises:
        ValueError: for a real set with at most ``k`` examples, non-finite
            values or feature sizes that differ.

    Examples:
        >>> import numpy as np
        >>> real = np.arange(10.0)[:, None]          # every radius is 1 (k=1)
        >>> generated = np.array([[0.2], [4.5], [4.6], [20.0]])
        >>> density_coverage(real, generated, k=1)[:2]   # 6 ball hits / 4; 4 of 10 balls hit
        (1.5, 0.4)

    References:
        Naeem et al., "Reliable Fidelity and Diversity Metrics for Generative
        Models", ICML 2020.
    """
    k = check_positive_int(k, "k")
    real = extract_features(
        real, feature_extractor, convention=convention, batch_size=batch_size
    )
    generated = extract_features(
        generated, feature_extractor, convention=convention, batch_size=batch_size
    )
    _check_pair(
        real,
        generated,
        names=("real", "generated"),
        min_examples=1,
    )
    if len(real) <= k:
        raise ValueError(
            f"real needs more than k={k} examples to find k neighbours of each "
            f"point; received {len(real)}."
        )
    centre = real.mean(axis=0)
    real, generated = real - centre, generated - centre
    radii = knn_radii(real, k)
    density = _inside_counts(generated, real, radii).sum() / (k * len(generated))
    # coverage: is the nearest generated sample of each real point in its ball?
    generated_norms = np.sum(generated**2, axis=1)
    nearest = np.empty(len(real))
    for start, stop in _blocks(len(real), len(generated)):
        nearest[start:stop] = _squared_distances(
            real[start:stop], generated, generated_norms
        ).min(axis=1)
    coverage = np.mean(nearest <= radii**2)
    return DensityCoverage(
        float(density), float(coverage), k, int(len(real)), int(len(generated))
    )
