"""Fréchet distance between two sets of features (FID with your own features).

``d^2 = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a^{1/2} S_b S_a^{1/2})^{1/2})``,
the squared 2-Wasserstein distance between Gaussians fitted to the features.
Statistics are float64. The matrix square roots come from eigen-
decompositions of symmetric matrices (NumPy only), which is exact and stays
real, unlike a general ``sqrtm`` of the non-symmetric product ``S_a S_b``
(the tests check agreement with ``scipy.linalg.sqrtm``).
"""

from collections import namedtuple

import numpy as np

from kgen.validation import check_positive_int, to_numpy

__all__ = [
    "FeatureStatistics",
    "extract_features",
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_from_statistics",
]

FeatureStatistics = namedtuple(
    "FeatureStatistics", ["mean", "covariance", "num_examples"]
)
FeatureStatistics.__doc__ = """Mean ``(dim,)``, covariance ``(dim, dim)`` (float64) and size of a set.

What `feature_statistics` returns; `frechet_distance` takes it in place of
features, so a fixed reference set is summarized once.
"""


def extract_features(x, feature_extractor=None, *, convention=None, batch_size=256):
    """Features of a batch as float64 ``(num, dim)``: the space metrics compare.

    - a `kgen.evaluation.FeatureExtractor` (`InceptionFeatures`,
      `domain_classifier`) is called with ``convention`` and checks the range
      of its input itself;
    - without ``convention``, a plain callable gets ``x`` as it is, in
      batches, and ``None`` flattens ``x``;
    - with ``convention`` (a ``DataConvention`` or a kgen model), images are
      first mapped to [0, 1] (`to_unit_images`) and ``"real"`` points are
      used as they are: a common space for every family's data.

    Args:
        x: array-like batch (images, vectors, ...).
        feature_extractor: callable mapping a batch to features (a
            ``FeatureExtractor``, a Keras model, a function), or None to use
            the flattened inputs.
        convention: how ``x`` is encoded (``model.data_convention``).
        batch_size: examples per call.

    Returns:
        float64 NumPy array ``(num, dim)``.

    Raises:
        ValueError: for images outside the stated (or assumed) range.

    Examples:
        >>> import numpy as np
        >>> from kgen.contract import DataConvention
        >>> levels = DataConvention("integer", (2, 2, 1), 5)
        >>> extract_features(np.full((1, 2, 2, 1), 4), convention=levels)
        array([[1., 1., 1., 1.]])
    """
    from kgen.evaluation.features import FeatureExtractor, _convention, to_unit_images

    batch_size = check_positive_int(batch_size, "batch_size")
    if isinstance(feature_extractor, FeatureExtractor):
        features = feature_extractor(x, convention, batch_size=batch_size)
    else:
        x = to_numpy(x)
        convention = _convention(convention)
        if convention is not None:
            x = (
                np.asarray(x, "float64")
                if convention.kind == "real"
                else to_unit_images(x, convention)
            )
        if feature_extractor is None:
            features = x
        else:
            parts = [
                to_numpy(feature_extractor(x[start : start + batch_size]))
                for start in range(0, len(x), batch_size)
            ]
            features = np.concatenate(parts) if parts else np.zeros((0, 1))
    features = np.asarray(features, dtype="float64")
    return features.reshape(len(features), int(np.prod(features.shape[1:])))


def _check_pair(a, b, names=("features_a", "features_b"), min_examples=2, why=""):
    """Check two feature sets: enough examples, finite, the same size."""
    for name, features in zip(names, (a, b)):
        if len(features) < min_examples:
            raise ValueError(
                f"{name} needs at least {min_examples} examples{why}; received "
                f"{len(features)}."
            )
        if not np.all(np.isfinite(features)):
            raise ValueError(f"{name} contain NaN or infinite values.")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"Both feature sets need the same size; received {a.shape[1]} "
            f"({names[0]}) and {b.shape[1]} ({names[1]}) values per example. "
            "Compute both with the same feature extractor."
        )
    return a, b


def feature_statistics(features):
    """Mean and covariance (float64) of features ``(num, dim)``, with ``num``.

    Raises:
        ValueError: for fewer than two examples or non-finite values.

    Examples:
        >>> import numpy as np
        >>> stats = feature_statistics(np.array([[0.0, 1.0], [2.0, 3.0]]))
        >>> stats.mean, stats.num_examples
        (array([1., 2.]), 2)
    """
    features = np.asarray(features, "float64")
    features = features.reshape(len(features), -1)
    if len(features) < 2:
        raise ValueError(
            "features need at least two examples to estimate a covariance; "
            f"received {len(features)}."
        )
    if not np.all(np.isfinite(features)):
        raise ValueError("features contain NaN or infinite values.")
    dim = features.shape[1]
    covariance = np.cov(features, rowvar=False).reshape(dim, dim)
    return FeatureStatistics(features.mean(axis=0), covariance, len(features))


def _symmetric_sqrt(matrix):
    # S = V diag(l) V^T  =>  S^{1/2} = V diag(sqrt(max(l, 0))) V^T
    matrix = 0.5 * (matrix + matrix.T)
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b):
    """Squared Fréchet distance between ``N(mean_a, cov_a)`` and ``N(mean_b, cov_b)``.

    Args:
        mean_a: mean vector ``(dim,)`` of the first Gaussian.
        cov_a: its symmetric positive semi-definite covariance ``(dim, dim)``.
        mean_b: mean vector of the second Gaussian.
        cov_b: its covariance.

    Returns:
        A non-negative float.

    Raises:
        ValueError: for mismatched shapes.

    Examples:
        >>> import numpy as np
        >>> frechet_distance_from_statistics(
        ...     np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2)
        ... )
        4.0
    """
    mean_a, mean_b = np.asarray(mean_a, "float64"), np.asarray(mean_b, "float64")
    cov_a, cov_b = (
        np.atleast_2d(cov_a).astype("float64"),
        np.atleast_2d(cov_b).astype("float64"),
    )
    dim = mean_a.shape[0]
    if mean_b.shape != (dim,) or cov_a.shape != (dim, dim) or cov_b.shape != (dim, dim):
        raise ValueError(
            "Expected means of shape (dim,) and covariances of shape (dim, dim) with "
            f"the same dim; received {mean_a.shape}, {cov_a.shape}, {mean_b.shape}, "
            f"{cov_b.shape}."
        )
    sqrt_a = _symmetric_sqrt(cov_a)
    # Tr((S_a S_b)^{1/2}) = Tr((S_a^{1/2} S_b S_a^{1/2})^{1/2}), a symmetric PSD root.
    middle = sqrt_a @ cov_b @ sqrt_a
    middle = 0.5 * (middle + middle.T)
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(middle), 0.0, None)))
    distance = (
        np.sum((mean_a - mean_b) ** 2)
        + np.trace(cov_a)
        + np.trace(cov_b)
        - 2.0 * trace_sqrt
    )
    return float(max(distance, 0.0))


def frechet_distance(
    features_a, features_b, *, feature_extractor=None, convention=None, batch_size=256
):
    """Fréchet distance between two sets of examples or features.

    With a classifier's penultimate layer as ``feature_extractor`` this is the
    Fréchet Inception Distance recipe with a feature space of your choice
    (FID proper uses Inception-v3 pool features on 50k samples; numbers from
    different extractors or sample sizes are not comparable). The estimate is
    biased upwards for small sets (the bias falls roughly like ``1/n``):
    compare models at equal sample sizes and report the distance between two
    real splits of the same size as the floor (`frechet_distance_floor`).

    Args:
        features_a: array ``(num_a, ...)``: features, or raw examples when a
            ``feature_extractor`` is given; or a `FeatureStatistics`.
        features_b: array ``(num_b, ...)``, same feature size, or a
            `FeatureStatistics`.
        feature_extractor: optional callable mapping a batch to features.
        convention: how the examples are encoded (``model.data_convention``),
            see `extract_features`.
        batch_size: examples per extractor call.

    Returns:
        The squared Fréchet distance, a non-negative float (the sample sizes
        are the lengths of the inputs; `sample_metrics` reports them).

    Raises:
        ValueError: for fewer than two examples, non-finite features or
            feature sizes that differ.

    Examples:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> a = rng.normal(size=(5000, 2))
        >>> round(frechet_distance(a, a + 1.0), 1)
        2.0

    References:
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge
        to a Local Nash Equilibrium", NeurIPS 2017; Dowson & Landau, "The
        Fréchet distance between multivariate normal distributions", 1982.
    """
    statistics = []
    for name, value in (("features_a", features_a), ("features_b", features_b)):
        if isinstance(value, FeatureStatistics):
            statistics.append(value)
            continue
        features = extract_features(
            value, feature_extractor, convention=convention, batch_size=batch_size
        )
        if len(features) < 2:
            raise ValueError(
                f"{name} needs at least two examples to estimate a covariance; "
                f"received {len(features)}."
            )
        if not np.all(np.isfinite(features)):
            raise ValueError(f"{name} contain NaN or infinite values.")
        statistics.append(feature_statistics(features))
    a, b = statistics
    if a.mean.shape != b.mean.shape:
        raise ValueError(
            f"Both feature sets need the same size; received {a.mean.shape[0]} and "
            f"{b.mean.shape[0]}. Compute both with the same feature extractor."
        )
    return frechet_distance_from_statistics(a.mean, a.covariance, b.mean, b.covariance)
