"""Nearest training examples of generated samples: the memorization check."""

from collections import namedtuple

import numpy as np

from kgen.evaluation.frechet import extract_features
from kgen.validation import check_positive_int

__all__ = ["NearestNeighbours", "nearest_neighbours"]

NearestNeighbours = namedtuple("NearestNeighbours", ["indices", "distances"])


def nearest_neighbours(samples, train, k=1, *, feature_extractor=None, batch_size=256):
    """The ``k`` nearest training examples of every sample (Euclidean).

    Showing generated samples beside their nearest training images is the
    usual check that a generative model does not just copy its training set
    (e.g. the DCGAN and BigGAN papers); distances near zero flag memorized
    examples. Distances are in pixel space by default, or in the space of
    ``feature_extractor`` (less sensitive to small shifts).

    Args:
        samples: array ``(num_samples, ...)``.
        train: array ``(num_train, ...)`` with the same example shape.
        k: neighbours per sample.
        feature_extractor: optional callable mapping a batch to features.
        batch_size: samples compared at once (memory: batch_size x num_train).

    Returns:
        ``NearestNeighbours(indices, distances)``: int64 and float64 arrays of
        shape ``(num_samples, k)``, nearest first.

    Raises:
        ValueError: for ``k`` larger than the training set or mismatched
            example sizes.

    Example:

    >>> import numpy as np
    >>> train = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]])
    >>> nearest_neighbours(np.array([[0.9, 0.1]]), train, k=2).indices
    array([[1, 0]])
    """
    k = check_positive_int(k, "k")
    batch_size = check_positive_int(batch_size, "batch_size")
    a = extract_features(samples, feature_extractor, batch_size=batch_size)
    b = extract_features(train, feature_extractor, batch_size=batch_size)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"Samples and training examples need the same size; received "
            f"{a.shape[1]} and {b.shape[1]} values per example."
        )
    if k > len(b):
        raise ValueError(f"k={k} is larger than the training set ({len(b)}).")
    b_squared = np.sum(b**2, axis=1)
    indices, distances = [], []
    for start in range(0, len(a), batch_size):
        chunk = a[start : start + batch_size]
        # ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2
        squared = np.sum(chunk**2, axis=1)[:, None] - 2.0 * chunk @ b.T + b_squared
        squared = np.maximum(squared, 0.0)
        nearest = np.argpartition(squared, k - 1, axis=1)[:, :k]
        nearest_squared = np.take_along_axis(squared, nearest, axis=1)
        order = np.argsort(nearest_squared, axis=1, kind="stable")
        indices.append(np.take_along_axis(nearest, order, axis=1))
        distances.append(np.sqrt(np.take_along_axis(nearest_squared, order, axis=1)))
    if not indices:
        return NearestNeighbours(np.zeros((0, k), "int64"), np.zeros((0, k)))
    return NearestNeighbours(
        np.concatenate(indices).astype("int64"), np.concatenate(distances)
    )
