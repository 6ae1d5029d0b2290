"""Log sample-quality metrics (Fréchet distance, KID, ...) while a model trains.

`SampleQuality` draws samples every ``every_n_epochs`` epochs, compares them
with a fixed reference set in a chosen feature space, and writes the values
into the epoch's ``logs``, so that ``History``, ``CSVLogger`` and
``TensorBoard`` (placed *after* it in the callback list) record them. What
the model can do and how its data are encoded are read from its declaration
(``model.capabilities``, ``model.data_convention``).
"""

import keras
import numpy as np

from kgen.contract import Capability, data_convention_of, require_capability
from kgen.validation import check_positive_int, to_numpy

__all__ = ["SampleQuality"]

# metric -> the logs keys it writes
_KEYS = {
    "frechet_distance": ("frechet_distance",),
    "kernel_distance": ("kernel_distance", "kernel_distance_std"),
    "precision_recall": ("precision", "recall"),
    "density_coverage": ("density", "coverage"),
    "classifier_score": ("classifier_score",),
}


class SampleQuality(keras.callbacks.Callback):
    """Compute sample metrics against a fixed reference set every N epochs.

    At the start of training the reference set's features are computed once
    (in the model's convention: ``reference`` is data like the training
    data). Every ``every_n_epochs`` epochs the callback draws
    ``num_samples`` samples with the same ``seed`` (the same random draws
    each time, so that changes come from the model), computes the chosen
    metrics with `kgen.evaluation.sample_metrics` and adds them to the
    epoch's logs under ``prefix`` + ``frechet_distance``,
    ``kernel_distance``, ``kernel_distance_std``, ``precision``,
    ``recall``, ``density``, ``coverage``, ``classifier_score``. Epochs in
    between log nothing. ``history`` keeps every evaluation with its
    epoch, names and sample sizes.

    Args:
        reference: real data in the model's convention (the fixed
            reference set; e.g. 1,000-10,000 test examples).
        every_n_epochs: evaluate after epochs ``n, 2n, ...``.
        num_samples: samples per evaluation (default ``len(reference)``).
        feature_extractor: a ``kgen.evaluation.FeatureExtractor`` (e.g.
            ``domain_classifier("fashion_mnist")``), any callable, or None
            (pixels / points).
        metrics: names from ``kgen.evaluation.SAMPLE_METRICS``; default
            ``("frechet_distance", "kernel_distance")``.
        conditions: labels for a conditional model (one per sample, or one
            for all); default: a conditional model gets classes ``0, 1, ...``
            in turn.
        seed: integer seed of ``model.sample``.
        prefix: prepended to every logs key (e.g. ``"val_"``).
        kernel_subsets: subsets of the kernel distance (default 100).
        kernel_subset_size: largest subset of the kernel distance.
        sample_options: more keyword arguments for ``model.sample``.

    Raises:
        ValueError: when training starts, if the model does not declare the
            ``sample`` capability, or for unknown metrics.

    Examples:
        >>> import numpy as np
        >>> callback = SampleQuality(np.zeros((100, 2), "float32"), every_n_epochs=5)
        >>> callback.keys
        ('frechet_distance', 'kernel_distance', 'kernel_distance_std')
    """

    def __init__(
        self,
        reference,
        *,
        every_n_epochs=1,
        num_samples=None,
        feature_extractor=None,
        metrics=("frechet_distance", "kernel_distance"),
        conditions=None,
        seed=0,
        prefix="",
        kernel_subsets=100,
        kernel_subset_size=1000,
        sample_options=None,
    ):
        from kgen.evaluation.sample_quality import _check_metrics

        super().__init__()
        self.reference = to_numpy(reference)
        self.every_n_epochs = check_positive_int(every_n_epochs, "every_n_epochs")
        self.num_samples = (
            len(self.reference)
            if num_samples is None
            else check_positive_int(num_samples, "num_samples")
        )
        self.feature_extractor = feature_extractor
        self.metrics = tuple(_check_metrics(metrics, feature_extractor))
        self.conditions = conditions
        self.seed = seed
        self.prefix = str(prefix)
        self.kernel_subsets = check_positive_int(kernel_subsets, "kernel_subsets")
        self.kernel_subset_size = check_positive_int(
            kernel_subset_size, "kernel_subset_size"
        )
        self.sample_options = dict(sample_options or {})
        self.history = []
        self._reference_features = None

    @property
    def keys(self):
        """The logs keys this callback writes."""
        return tuple(self.prefix + key for m in self.metrics for key in _KEYS[m])

    def on_train_begin(self, logs=None):
        from kgen.evaluation.frechet import extract_features

        require_capability(self.model, Capability.SAMPLE, "SampleQuality")
        self._convention = data_convention_of(self.model)
        self._reference_features = extract_features(
            self.reference, self.feature_extractor, convention=self._convention
        )

    def _sample(self):
        options = dict(self.sample_options)
        if self.model.has(Capability.FAST_SAMPLING):
            options.setdefault("method", "fast")
        conditions = self.conditions
        if conditions is None and self.model.num_classes is not None:
            conditions = np.arange(self.num_samples) % self.model.num_classes
        if conditions is not None:
            options["conditions"] = conditions
        return to_numpy(self.model.sample(self.num_samples, seed=self.seed, **options))

    def evaluate(self):
        """Draw samples now and return the `sample_metrics` report."""
        from kgen.evaluation.frechet import extract_features
        from kgen.evaluation.sample_quality import _metrics_on_features

        if self._reference_features is None:
            self.on_train_begin()
        samples = self._sample()
        features = extract_features(
            samples, self.feature_extractor, convention=self._convention
        )
        return _metrics_on_features(
            self._reference_features,
            features,
            samples,
            feature_extractor=self.feature_extractor,
            convention=self._convention,
            metrics=self.metrics,
            k=3,
            density_k=5,
            kernel_subsets=self.kernel_subsets,
            kernel_subset_size=self.kernel_subset_size,
            num_splits=10,
            seed=self.seed,
            batch_size=256,
            name=None,
        )

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        report = self.evaluate()
        values = {}
        for metric in self.metrics:
            entry = report[metric]
            if metric == "frechet_distance":
                values["frechet_distance"] = entry["value"]
            elif metric == "kernel_distance":
                values["kernel_distance"] = entry["mean"]
                values["kernel_distance_std"] = entry["std"]
            elif metric == "precision_recall":
                values["precision"], values["recall"] = (
                    entry["precision"],
                    entry["recall"],
                )
            elif metric == "density_coverage":
                values["density"], values["coverage"] = (
                    entry["density"],
                    entry["coverage"],
                )
            else:
                values["classifier_score"] = entry["mean"]
        if logs is not None:
            logs.update({self.prefix + key: value for key, value in values.items()})
        self.history.append({"epoch": epoch + 1, **report})
