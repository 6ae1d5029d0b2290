"""Nearest training examples of generated samples: the memorization check.

Works for every family through the contract: samples and training data in
any convention are compared in a common space (``convention=`` maps images
to [0, 1] pixels; ``"real"`` points are used as they are), or in the
features of an extractor. `memorization_report` draws the samples from any
model that declares ``SAMPLE`` and can write the grid figure
(`save_neighbours_grid`).
"""

from collections import namedtuple

import numpy as np

from kgen.contract import Capability, data_convention_of, require_capability
from kgen.evaluation.features import _convention, to_unit_images
from kgen.evaluation.frechet import extract_features
from kgen.validation import check_positive_int, to_numpy

__all__ = [
    "NearestNeighbours",
    "memorization_report",
    "nearest_neighbours",
    "save_neighbours_grid",
]

NearestNeighbours = namedtuple("NearestNeighbours", ["indices", "distances"])


def nearest_neighbours(
    samples,
    train,
    k=1,
    *,
    feature_extractor=None,
    convention=None,
    batch_size=256,
):
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
        convention: how both ``samples`` and ``train`` are encoded (e.g.
            ``model.data_convention``): images are then compared as [0, 1]
            pixels whatever the family's range (see `extract_features`).
            Without it, raw values are compared.
        batch_size: samples compared at once (memory: batch_size x num_train).

    Returns:
        ``NearestNeighbours(indices, distances)``: int64 and float64 arrays of
        shape ``(num_samples, k)``, nearest first.

    Raises:
        ValueError: for ``k`` larger than the training set, mismatched
            example sizes, or data outside the stated convention.

    Examples:
        >>> import numpy as np
        >>> train = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]])
        >>> nearest_neighbours(np.array([[0.9, 0.1]]), train, k=2).indices
        array([[1, 0]])
    """
    k = check_positive_int(k, "k")
    batch_size = check_positive_int(batch_size, "batch_size")
    a = extract_features(
        samples, feature_extractor, convention=convention, batch_size=batch_size
    )
    b = extract_features(
        train, feature_extractor, convention=convention, batch_size=batch_size
    )
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


def save_neighbours_grid(
    path, samples, train, neighbours, *, convention=None, max_rows=16, scale=2
):
    """Save a grid: each row a sample, then its nearest training examples.

    Args:
        path: destination PNG.
        samples: images ``(num_samples, H, W, C)``.
        train: training images.
        neighbours: `nearest_neighbours`'s result for them.
        convention: how the images are encoded (``model.data_convention``);
            without it, floats in [0, 1] or ``uint8``.
        max_rows: samples shown (the first ones).
        scale: integer enlargement of each pixel.

    Returns:
        ``path``.

    Raises:
        ValueError: for ``"real"`` data (plot points with
            ``kgen.viz.save_scatter_png``) or images out of range.
    """
    from kgen.viz.grid import save_image_grid

    max_rows = check_positive_int(max_rows, "max_rows")
    convention = _convention(convention)
    if convention is not None and convention.kind == "real":
        raise ValueError(
            "save_neighbours_grid draws images; 'real' data are points: plot them "
            "with kgen.viz.save_scatter_png."
        )
    samples = to_unit_images(samples, convention, name="samples")
    train = to_unit_images(train, convention, name="train")
    indices = np.asarray(neighbours.indices)[:max_rows]
    rows = [
        np.concatenate([samples[i : i + 1], train[idx]])
        for i, idx in enumerate(indices)
    ]
    if not rows:
        raise ValueError("No samples to show.")
    images = np.concatenate(rows)
    return save_image_grid(
        path,
        images,
        num_columns=indices.shape[1] + 1,
        scale=scale,
        value_range=(0.0, 1.0),
    )


def memorization_report(
    model,
    train,
    *,
    num_samples=64,
    k=3,
    held_out=None,
    conditions=None,
    seed=0,
    feature_extractor=None,
    path=None,
    batch_size=256,
):
    """Nearest training neighbours of a model's samples, summarized.

    Draws ``num_samples`` samples (any model declaring ``SAMPLE``), finds
    their ``k`` nearest training examples in the common space (see
    `nearest_neighbours` with the model's convention) and compares the
    nearest distances with those of ``held_out`` real data, which cannot be
    copies: samples much closer to the training set than held-out data are
    suspicious.

    Args:
        model: a kgen model declaring ``SAMPLE``.
        train: its training data, in the model's convention.
        num_samples: samples to draw.
        k: neighbours per sample.
        held_out: optional real data not used for training (same
            convention).
        conditions: class labels for a conditional model.
        seed: integer seed of ``model.sample``.
        feature_extractor: optional callable; default [0, 1] pixels.
        path: when given, the grid figure is saved there (images only).
        batch_size: examples compared at once.

    Returns:
        A JSON-ready dict: ``num_samples``, ``num_train``, ``k``, ``space``,
        ``nearest_distance_median``, ``nearest_distance_min``, with
        ``held_out`` also ``held_out_nearest_distance_median``,
        ``num_held_out`` and ``fraction_closer_than_held_out_min`` (samples
        nearer to the training set than any held-out example), and
        ``path`` when a figure was written.

    Raises:
        ValueError: for a model without the ``sample`` capability (via
            ``kgen.contract.require_capability``).
    """
    from kgen.evaluation.features import features_name

    require_capability(model, Capability.SAMPLE, "memorization_report")
    convention = data_convention_of(model)
    options = {} if conditions is None else {"conditions": conditions}
    samples = to_numpy(model.sample(num_samples, seed=seed, **options))
    kwargs = {
        "feature_extractor": feature_extractor,
        "convention": convention,
        "batch_size": batch_size,
    }
    found = nearest_neighbours(samples, train, k, **kwargs)
    nearest = found.distances[:, 0]
    space = features_name(feature_extractor, convention)
    if feature_extractor is None and convention.kind != "real":
        space = "pixels in [0, 1]"
    report = {
        "num_samples": int(len(samples)),
        "num_train": int(len(train)),
        "k": k,
        "space": space,
        "nearest_distance_median": float(np.median(nearest)),
        "nearest_distance_min": float(nearest.min()),
    }
    if held_out is not None:
        held = nearest_neighbours(held_out, train, 1, **kwargs).distances[:, 0]
        report.update(
            {
                "num_held_out": int(len(held)),
                "held_out_nearest_distance_median": float(np.median(held)),
                "fraction_closer_than_held_out_min": float(
                    np.mean(nearest < held.min())
                ),
            }
        )
    if path is not None:
        report["path"] = save_neighbours_grid(
            path, samples, train, found, convention=convention
        )
    return report
