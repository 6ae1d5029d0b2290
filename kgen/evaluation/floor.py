"""The small-sample floor: distances between two real splits, by sample size.

The plug-in Fréchet distance is biased upwards: even two disjoint samples of
one distribution are a positive distance apart, by about ``Tr(S) / n``-ish
amounts that fall with the sample size ``n`` (the covariance estimates'
noise does not cancel in the matrix square root). A model's Fréchet
distance at ``n`` samples is therefore only meaningful next to the distance
between two *real* splits of the same size: the floor. The kernel distance
(KID) is unbiased, so its real-vs-real floor averages 0 at every size.
"""

import numpy as np

from kgen.evaluation.frechet import extract_features, feature_statistics
from kgen.evaluation.frechet import frechet_distance_from_statistics as _fd
from kgen.evaluation.kernel import kernel_distance
from kgen.validation import check_positive_int

__all__ = ["frechet_distance_floor", "save_floor_plot"]


def frechet_distance_floor(
    real,
    sample_sizes=(100, 200, 500, 1000, 2000, 5000),
    *,
    num_repeats=3,
    kernel=True,
    kernel_subsets=20,
    feature_extractor=None,
    convention=None,
    seed=0,
    batch_size=256,
):
    """Fréchet (and kernel) distance between disjoint real splits, per size.

    For each size ``n`` and each of ``num_repeats`` seeded shuffles, the
    first ``n`` and the next ``n`` examples of the shuffled set are compared.
    Features are computed once.

    Args:
        real: real examples (or features) ``(num, ...)``; needs ``2 n`` for
            the largest size ``n``.
        sample_sizes: sizes ``n`` of each split.
        num_repeats: shuffles per size (mean and standard deviation are
            reported over them).
        kernel: also compute the kernel distance (`kernel_distance` with
            ``kernel_subsets`` subsets of at most 1,000).
        kernel_subsets: subsets per kernel distance.
        feature_extractor: optional callable mapping a batch to features.
        convention: how the examples are encoded (``model.data_convention``).
        seed: integer seed of the shuffles.
        batch_size: examples per extractor call.

    Returns:
        A list of JSON-ready dicts, one per size: ``num_samples`` (each
        split), ``num_repeats``, ``frechet_distance`` and
        ``frechet_distance_std``, and with ``kernel`` ``kernel_distance`` and
        ``kernel_distance_std`` (over repeats of the subset means).

    Raises:
        ValueError: for a size larger than half the set, or below 2.

    Examples:
        >>> import numpy as np
        >>> real = np.random.default_rng(0).normal(size=(4000, 8))
        >>> rows = frechet_distance_floor(real, (100, 1000), kernel=False)
        >>> [row["num_samples"] for row in rows]
        [100, 1000]
        >>> rows[0]["frechet_distance"] > 5 * rows[1]["frechet_distance"]
        True
    """
    num_repeats = check_positive_int(num_repeats, "num_repeats")
    features = extract_features(
        real, feature_extractor, convention=convention, batch_size=batch_size
    )
    sizes = [check_positive_int(n, "sample size") for n in sample_sizes]
    if not sizes:
        raise ValueError("sample_sizes is empty.")
    too_large = [n for n in sizes if 2 * n > len(features) or n < 2]
    if too_large:
        raise ValueError(
            f"Each sample size n needs 2 <= n and 2 n <= {len(features)} real "
            f"examples (two disjoint splits); received sizes {too_large}."
        )
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(len(features)) for _ in range(num_repeats)]
    rows = []
    for n in sizes:
        distances, kernels = [], []
        for repeat, order in enumerate(orders):
            a, b = features[order[:n]], features[order[n : 2 * n]]
            sa, sb = feature_statistics(a), feature_statistics(b)
            distances.append(_fd(sa.mean, sa.covariance, sb.mean, sb.covariance))
            if kernel:
                result = kernel_distance(
                    a, b, num_subsets=kernel_subsets, seed=seed + repeat
                )
                kernels.append(result.mean)
        row = {
            "num_samples": n,
            "num_repeats": num_repeats,
            "frechet_distance": float(np.mean(distances)),
            "frechet_distance_std": float(np.std(distances)),
        }
        if kernel:
            row["kernel_distance"] = float(np.mean(kernels))
            row["kernel_distance_std"] = float(np.std(kernels))
        rows.append(row)
    return rows


def save_floor_plot(path, rows, *, title=None, features_name=None, **kwargs):
    """Plot `frechet_distance_floor` rows (log sample size) as a PNG.

    Args:
        path: destination PNG.
        rows: what `frechet_distance_floor` returned; the kernel distance is
            drawn too when the rows have it.
        title: plot title (default names the features).
        features_name: the features, for the default title.
        **kwargs: more options of `kgen.viz.save_line_plot_png`.

    Returns:
        ``path``.
    """
    from kgen.viz.lines import save_line_plot_png

    if not rows:
        raise ValueError("rows is empty: nothing to plot.")
    sizes = [row["num_samples"] for row in rows]
    series = {"Fréchet distance": [r["frechet_distance"] for r in rows]}
    errors = {"Fréchet distance": [r["frechet_distance_std"] for r in rows]}
    if all("kernel_distance" in r for r in rows):
        # unbiased: its floor stays at 0
        series["kernel distance (KID)"] = [r["kernel_distance"] for r in rows]
        errors["kernel distance (KID)"] = [r["kernel_distance_std"] for r in rows]
    if title is None:
        where = f" in {features_name}" if features_name else ""
        title = f"Fréchet distance between two real splits{where}"
    options = {
        "log_x": True,
        "title": title,
        "x_label": "examples per split (log scale)",
        "y_label": "distance",
        **kwargs,
    }
    return save_line_plot_png(path, sizes, series, errors=errors, **options)
