"""Fréchet distance between two sets of features (FID with your own features).

``d^2 = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a^{1/2} S_b S_a^{1/2})^{1/2})``,
the squared 2-Wasserstein distance between Gaussians fitted to the features.
The matrix square roots come from eigen-decompositions of symmetric matrices
(NumPy only), which is exact and stays real, unlike a general ``sqrtm`` of the
non-symmetric product ``S_a S_b``.
"""

import numpy as np

from kgen.validation import check_positive_int, to_numpy

__all__ = ["extract_features", "frechet_distance", "frechet_distance_from_statistics"]


def extract_features(x, feature_extractor=None, *, batch_size=256):
    """Apply ``feature_extractor`` in batches and flatten to ``(num, dim)``.

    Args:
        x: array-like batch (images, vectors, ...).
        feature_extractor: callable mapping a batch to features (a Keras
            model, a function), or None to use the flattened inputs.
        batch_size: examples per call.

    Returns:
        float64 NumPy array ``(num, dim)``.
    """
    x = to_numpy(x)
    batch_size = check_positive_int(batch_size, "batch_size")
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

    Example:

    >>> import numpy as np
    >>> frechet_distance_from_statistics(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2))
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


def frechet_distance(features_a, features_b, *, feature_extractor=None, batch_size=256):
    """Fréchet distance between two sets of examples or features.

    With a classifier's penultimate layer as ``feature_extractor`` this is the
    Fréchet Inception Distance recipe with a feature space of your choice
    (FID proper uses Inception-v3 pool features on 50k samples; numbers from
    different extractors or sample sizes are not comparable). The estimate is
    biased upwards for small sets: compare models at equal sample sizes and
    report the distance between two real splits as the floor.

    Args:
        features_a: array ``(num_a, ...)``: features, or raw examples when a
            ``feature_extractor`` is given.
        features_b: array ``(num_b, ...)``, same feature size.
        feature_extractor: optional callable mapping a batch to features.
        batch_size: examples per extractor call.

    Returns:
        The squared Fréchet distance, a non-negative float.

    Raises:
        ValueError: for fewer than two examples, non-finite features or
            feature sizes that differ.

    Example:

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
    a = extract_features(features_a, feature_extractor, batch_size=batch_size)
    b = extract_features(features_b, feature_extractor, batch_size=batch_size)
    for name, f in (("features_a", a), ("features_b", b)):
        if len(f) < 2:
            raise ValueError(
                f"{name} needs at least two examples to estimate a covariance; "
                f"received {len(f)}."
            )
        if not np.all(np.isfinite(f)):
            raise ValueError(f"{name} contain NaN or infinite values.")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"Both feature sets need the same size; received {a.shape[1]} and "
            f"{b.shape[1]}."
        )
    return frechet_distance_from_statistics(
        a.mean(axis=0),
        np.cov(a, rowvar=False).reshape(a.shape[1], a.shape[1]),
        b.mean(axis=0),
        np.cov(b, rowvar=False).reshape(b.shape[1], b.shape[1]),
    )
