"""All sample metrics at once, named, with their sample sizes: what reports call.

`sample_metrics` compares two sets (real and generated) in one feature space
and returns a JSON-ready dict; `evaluate_samples` draws the generated set
from any model that declares ``SAMPLE`` and reads its data convention from
the declaration. Every entry carries its full name, which names the features
("Fréchet distance in Fashion-MNIST classifier features"), and the sample
sizes it used.
"""

from kgen.contract import Capability, data_convention_of, require_capability
from kgen.evaluation.classifier_score import classifier_score
from kgen.evaluation.features import FeatureExtractor, features_name
from kgen.evaluation.floor import frechet_distance_floor
from kgen.evaluation.frechet import (
    _check_pair,
    extract_features,
    feature_statistics,
    frechet_distance_from_statistics,
)
from kgen.evaluation.kernel import kernel_distance
from kgen.evaluation.manifold import density_coverage, precision_recall
from kgen.validation import check_positive_int, to_numpy

__all__ = [
    "DEFAULT_SAMPLE_METRICS",
    "SAMPLE_METRICS",
    "evaluate_samples",
    "metric_name",
    "sample_metrics",
]

SAMPLE_METRICS = (
    "frechet_distance",
    "kernel_distance",
    "precision_recall",
    "density_coverage",
    "classifier_score",
)
DEFAULT_SAMPLE_METRICS = SAMPLE_METRICS[:4]

_TITLES = {
    "frechet_distance": "Fréchet distance",
    "kernel_distance": "kernel distance (KID estimator)",
    "precision_recall": "precision and recall",
    "density_coverage": "density and coverage",
}


def metric_name(metric, feature_extractor=None, convention=None, *, k=None):
    """The full name of a metric in a feature space.

    Examples:
        >>> metric_name("frechet_distance")
        'Fréchet distance in pixels'
        >>> metric_name("precision_recall", k=3)
        'precision and recall (k=3) in pixels'
    """
    if metric not in SAMPLE_METRICS:
        raise ValueError(
            f"Unknown metric {metric!r}; choose from {', '.join(SAMPLE_METRICS)}."
        )
    if metric == "classifier_score":
        name = getattr(feature_extractor, "name", None) or "the classifier"
        return f"classifier score of the {name}"
    where = features_name(feature_extractor, convention)
    neighbours = "" if k is None else f" (k={k})"
    return f"{_TITLES[metric]}{neighbours} in {where}"


def _check_metrics(metrics, feature_extractor):
    if metrics is None:
        metrics = list(DEFAULT_SAMPLE_METRICS)
        if getattr(feature_extractor, "provides_probabilities", False):
            metrics.append("classifier_score")
    metrics = list(metrics)
    unknown = [m for m in metrics if m not in SAMPLE_METRICS]
    if unknown or not metrics:
        raise ValueError(
            f"metrics must name some of {', '.join(SAMPLE_METRICS)}; received "
            f"{metrics!r}."
        )
    if "classifier_score" in metrics and not (
        isinstance(feature_extractor, FeatureExtractor)
        and feature_extractor.provides_probabilities
    ):
        raise ValueError(
            "classifier_score needs class probabilities: use a classifier "
            "extractor such as kgen.evaluation.domain_classifier(...), or compute "
            "kgen.evaluation.classifier_score(probabilities) yourself."
        )
    return metrics


def sample_metrics(
    real,
    generated,
    *,
    feature_extractor=None,
    convention=None,
    metrics=None,
    k=3,
    density_k=5,
    kernel_subsets=100,
    kernel_subset_size=1000,
    num_splits=10,
    seed=0,
    batch_size=256,
    name=None,
):
    """Sample-quality metrics of ``generated`` against ``real``, in one dict.

    Features are extracted once per set. Each metric's entry holds its full
    ``name`` (naming the features) and the sample sizes it used; the top
    level holds ``features``, ``feature_dim``, ``num_real`` and
    ``num_generated``.

    Args:
        real: real examples (or features).
        generated: generated examples (or features).
        feature_extractor: a ``FeatureExtractor``, any callable, or None
            (pixels / points).
        convention: how both sets are encoded (``model.data_convention``).
        metrics: names from `SAMPLE_METRICS`; default all of
            `DEFAULT_SAMPLE_METRICS`, plus ``"classifier_score"`` when the
            extractor gives class probabilities.
        k: neighbours of precision and recall (3).
        density_k: neighbours of density and coverage (5).
        kernel_subsets: subsets of the kernel distance.
        kernel_subset_size: largest subset of the kernel distance.
        num_splits: splits of the classifier score.
        seed: integer seed of the kernel distance's subsets.
        batch_size: examples per extractor call.
        name: what the features are called (default: from the extractor).

    Returns:
        A JSON-ready dict (see above); per metric: ``frechet_distance``
        ``{name, value, num_real, num_generated}``, ``kernel_distance``
        ``{name, mean, std, num_subsets, subset_size, ...}``,
        ``precision_recall`` ``{name, precision, recall, k, ...}``,
        ``density_coverage`` ``{name, density, coverage, k, ...}``,
        ``classifier_score`` ``{name, mean, std, num_splits, num_samples}``.

    Raises:
        ValueError: for unknown metrics, sets too small for a metric, or
            feature sizes that differ.

    Examples:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> report = sample_metrics(
        ...     rng.normal(size=(300, 4)), rng.normal(size=(200, 4)), kernel_subsets=10
        ... )
        >>> report["frechet_distance"]["name"], report["num_generated"]
        ('Fréchet distance in pixels', 200)
    """
    metrics = _check_metrics(metrics, feature_extractor)
    real_features = extract_features(
        real, feature_extractor, convention=convention, batch_size=batch_size
    )
    generated_features = extract_features(
        generated, feature_extractor, convention=convention, batch_size=batch_size
    )
    return _metrics_on_features(
        real_features,
        generated_features,
        generated,
        feature_extractor=feature_extractor,
        convention=convention,
        metrics=metrics,
        k=k,
        density_k=density_k,
        kernel_subsets=kernel_subsets,
        kernel_subset_size=kernel_subset_size,
        num_splits=num_splits,
        seed=seed,
        batch_size=batch_size,
        name=name,
    )


def _metrics_on_features(
    real_features,
    generated_features,
    generated,
    *,
    feature_extractor,
    convention,
    metrics,
    k,
    density_k,
    kernel_subsets,
    kernel_subset_size,
    num_splits,
    seed,
    batch_size,
    name,
):
    where = name or features_name(feature_extractor, convention)
    _check_pair(real_features, generated_features, names=("real", "generated"))
    sizes = {
        "num_real": int(len(real_features)),
        "num_generated": int(len(generated_features)),
    }
    report = {"features": where, "feature_dim": int(real_features.shape[1]), **sizes}

    def named(metric, **options):
        base = metric_name(metric, feature_extractor, convention, **options)
        if name is not None and metric != "classifier_score":
            base = base.rsplit(" in ", 1)[0] + f" in {name}"
        return base

    if "frechet_distance" in metrics:
        a, b = feature_statistics(real_features), feature_statistics(generated_features)
        value = frechet_distance_from_statistics(
            a.mean, a.covariance, b.mean, b.covariance
        )
        report["frechet_distance"] = {
            "name": named("frechet_distance"),
            "value": value,
            **sizes,
        }
    if "kernel_distance" in metrics:
        result = kernel_distance(
            real_features,
            generated_features,
            num_subsets=kernel_subsets,
            subset_size=kernel_subset_size,
            seed=seed,
        )
        report["kernel_distance"] = {
            "name": named("kernel_distance"),
            "mean": result.mean,
            "std": result.std,
            "num_subsets": result.num_subsets,
            "subset_size": result.subset_size,
            **sizes,
        }
    if "precision_recall" in metrics:
        result = precision_recall(real_features, generated_features, k=k)
        report["precision_recall"] = {
            "name": named("precision_recall", k=k),
            "precision": result.precision,
            "recall": result.recall,
            "k": result.k,
            **sizes,
        }
    if "density_coverage" in metrics:
        result = density_coverage(real_features, generated_features, k=density_k)
        report["density_coverage"] = {
            "name": named("density_coverage", k=density_k),
            "density": result.density,
            "coverage": result.coverage,
            "k": result.k,
            **sizes,
        }
    if "classifier_score" in metrics:
        probabilities = feature_extractor.probabilities(
            generated, convention, batch_size=batch_size
        )
        result = classifier_score(probabilities, num_splits=num_splits)
        report["classifier_score"] = {
            "name": named("classifier_score"),
            "mean": result.mean,
            "std": result.std,
            "num_splits": result.num_splits,
            "num_samples": result.num_samples,
        }
    return report


def evaluate_samples(
    model,
    real,
    *,
    num_samples=None,
    conditions=None,
    seed=0,
    feature_extractor=None,
    floor=True,
    sample_options=None,
    **metric_options,
):
    """Draw samples from ``model`` and compare them with ``real``.

    Works for every model that declares ``SAMPLE``: the samples come back
    in the model's convention (``model.data_convention``), which is also
    the convention ``real`` must be in; both are mapped to a common space
    (features of ``feature_extractor``, else [0, 1] pixels or the points).
    Models that declare ``FAST_SAMPLING`` sample with ``method="fast"``.

    Args:
        model: a kgen model declaring ``SAMPLE``.
        real: real data in the model's convention.
        num_samples: samples to draw (default ``len(real)``, or the number of
            ``conditions``).
        conditions: class labels for a conditional model (one per sample,
            or one for all), e.g. the labels of ``real``.
        seed: integer seed of ``model.sample``.
        feature_extractor: see `sample_metrics`.
        floor: also report the Fréchet distance between two disjoint real
            splits of ``min(num_samples, len(real) // 2)`` examples
            (``"frechet_distance_floor"``), the context the distance needs.
        sample_options: more keyword arguments for ``model.sample``.
        **metric_options: options of `sample_metrics` (``metrics``, ``k``,
            ...).

    Returns:
        `sample_metrics`'s dict plus ``model`` (the class name),
        ``sampling_seed`` and, with ``floor``, ``frechet_distance_floor``.

    Raises:
        ValueError: for a model without the ``sample`` capability (via
            ``kgen.contract.require_capability``), or as `sample_metrics`.
    """
    require_capability(model, Capability.SAMPLE, "evaluate_samples")
    convention = data_convention_of(model)
    real = to_numpy(real)
    if num_samples is None:
        labels = to_numpy(conditions)
        num_samples = len(labels) if labels is not None and labels.ndim else len(real)
    num_samples = check_positive_int(num_samples, "num_samples")
    options = dict(sample_options or {})
    if model.has(Capability.FAST_SAMPLING):
        options.setdefault("method", "fast")
    if conditions is not None:
        options["conditions"] = conditions
    samples = to_numpy(model.sample(num_samples, seed=seed, **options))
    metrics = _check_metrics(metric_options.pop("metrics", None), feature_extractor)
    batch_size = metric_options.get("batch_size", 256)
    real_features = extract_features(
        real, feature_extractor, convention=convention, batch_size=batch_size
    )
    generated_features = extract_features(
        samples, feature_extractor, convention=convention, batch_size=batch_size
    )
    options = {
        "k": 3,
        "density_k": 5,
        "kernel_subsets": 100,
        "kernel_subset_size": 1000,
        "num_splits": 10,
        "seed": seed,
        "batch_size": batch_size,
        "name": None,
    }
    unknown = set(metric_options) - set(options)
    if unknown:
        raise ValueError(
            f"Unknown options {sorted(unknown)}; sample_metrics takes "
            f"{', '.join(sorted(options))} and metrics."
        )
    options.update(metric_options)
    report = _metrics_on_features(
        real_features,
        generated_features,
        samples,
        feature_extractor=feature_extractor,
        convention=convention,
        metrics=metrics,
        **options,
    )
    report["model"] = type(model).__name__
    report["sampling_seed"] = seed
    if floor:
        size = min(num_samples, len(real_features) // 2)
        if size >= 2:
            row = frechet_distance_floor(
                real_features, (size,), num_repeats=1, kernel=False, seed=seed
            )[0]
            report["frechet_distance_floor"] = {
                "name": "Fréchet distance between two disjoint real splits in "
                + report["features"],
                "value": row["frechet_distance"],
                "num_samples": size,
            }
    return report
