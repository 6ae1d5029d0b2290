"""Bayes' rule with density models: p(y|x) ∝ p(x|y) p(y), with a reject option.

A class-conditional density model is a classifier: ``p(y|x) = p(x|y) p(y) /
p(x)`` with ``p(x) = sum_y p(x|y) p(y)``. It also knows when an input is
unlike all training data (a low ``p(x)``), which a discriminative classifier
does not: `GenerativeClassifier` refuses to classify such inputs once a
threshold has been calibrated on training data.
"""

import numpy as np
from scipy.special import logsumexp

from kgen.contract import data_convention_of
from kgen.evaluation.scoring import likelihood_estimator_name, log_likelihood
from kgen.validation import check_labels, check_positive_int, to_numpy

__all__ = ["REJECTED", "GenerativeClassifier"]

REJECTED = -1
"""The label `GenerativeClassifier.predict` gives a rejected input."""


def _check_rate(rate, name="false_rejection_rate"):
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)):
        raise ValueError(f"{name} must be a number in (0, 1); received {rate!r}.")
    if not 0.0 < float(rate) < 1.0:
        raise ValueError(f"{name} must lie in (0, 1); received {rate!r}.")
    return float(rate)


class GenerativeClassifier:
    """Classify with class-conditional density models and Bayes' rule.

    Either one unconditional model per class (``models=[m_0, m_1, ...]``,
    each trained on its class) or one conditional model
    (``models=model`` with ``model.num_classes`` set). ``log p(x|y)`` comes
    from each model's declared likelihood (`kgen.evaluation.log_likelihood`):
    exact for ``EXACT_LIKELIHOOD`` models, the IWAE bound with ``num_samples``
    importance samples for ``LIKELIHOOD_BOUND`` models (``estimator`` names
    which).

    The reject option: `calibrate_rejection` sets ``threshold`` to the
    ``false_rejection_rate`` quantile of ``log p(x)`` on training data, so
    that about that fraction of in-distribution inputs is rejected; then
    ``predict(x, reject=True)`` labels inputs with ``log p(x) < threshold``
    as `REJECTED` (-1).

    Args:
        models: a list of unconditional kgen models (one per class, same data
            convention) or one conditional model.
        class_priors: ``p(y)``, positive, one per class (normalized here);
            default uniform. Use the training set's class frequencies when
            the test data have them too.
        num_samples: ``K`` for bound models.
        seed: integer seed of a bound model's importance samples (the same for
            every class).
        batch_size: examples per forward pass (default: each model's).

    Raises:
        ValueError: for a model without a likelihood, a list holding a
            conditional model, one unconditional model, models with different
            data conventions, or bad priors.

    Examples:
        >>> import numpy as np
        >>> from kgen.evaluation import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> x0, x1 = rng.normal(-2, 1, (200, 1)), rng.normal(2, 1, (200, 1))
        >>> models = [GaussianMixture(1).fit(x0), GaussianMixture(1).fit(x1)]
        >>> classifier = GenerativeClassifier(models)
        >>> classifier.predict(np.array([[-3.0], [0.5], [3.0]]))
        array([0, 1, 1])
        >>> classifier = classifier.calibrate_rejection(
        ...     np.concatenate([x0, x1]), false_rejection_rate=0.01
        ... )
        >>> classifier.predict(np.array([[-3.0], [40.0]]), reject=True)
        array([ 0, -1])
    """

    def __init__(
        self, models, *, class_priors=None, num_samples=100, seed=0, batch_size=None
    ):
        purpose = "GenerativeClassifier"
        if isinstance(models, (list, tuple)):
            models = list(models)
            if len(models) < 2:
                raise ValueError(
                    "GenerativeClassifier needs one model per class (at least two) "
                    f"or one conditional model; received a list of {len(models)}."
                )
            for index, model in enumerate(models):
                if getattr(model, "num_classes", None) is not None:
                    raise ValueError(
                        f"models[{index}] ({type(model).__name__}) is conditional "
                        f"(num_classes={model.num_classes}); pass it alone, not in "
                        "a list of per-class models."
                    )
            self.conditional = False
            num_classes = len(models)
        else:
            num_classes = getattr(models, "num_classes", None)
            if num_classes is None:
                raise ValueError(
                    f"A single model must be conditional (num_classes set); "
                    f"{type(models).__name__} is unconditional. Pass one model "
                    "per class as a list."
                )
            self.conditional = True
            models = [models]
        estimators = {
            likelihood_estimator_name(m, num_samples, purpose) for m in models
        }
        conventions = {data_convention_of(m) for m in models}
        if len(conventions) > 1:
            raise ValueError(
                "All class models must share one data convention; received "
                + "; ".join(sorted(c.describe() for c in conventions))
                + "."
            )
        self.models = models
        self.num_classes = int(num_classes)
        self.data_convention = conventions.pop()
        self.estimator = ", ".join(sorted(estimators))
        self.num_samples = check_positive_int(num_samples, "num_samples")
        self.seed = seed
        self.batch_size = batch_size
        self.class_priors = self._check_priors(class_priors)
        self.threshold = None
        self.false_rejection_rate = None
        self.calibration_size = None

    def _check_priors(self, priors):
        if priors is None:
            return np.full(self.num_classes, 1.0 / self.num_classes)
        priors = np.asarray(to_numpy(priors), "float64").reshape(-1)
        if (
            priors.shape != (self.num_classes,)
            or not np.all(np.isfinite(priors))
            or np.any(priors <= 0)
        ):
            raise ValueError(
                f"class_priors must be {self.num_classes} positive numbers (one per "
                f"class); received {priors!r}."
            )
        return priors / priors.sum()

    # ------------------------------------------------------------ likelihoods
    def class_log_likelihoods(self, x):
        """``log p(x|y)`` for every class: float64 ``(num_examples, num_classes)``."""
        x = to_numpy(x)
        options = {
            "num_samples": self.num_samples,
            "seed": self.seed,
            "batch_size": self.batch_size,
        }
        if self.conditional:
            model = self.models[0]
            columns = [
                log_likelihood(
                    model, x, np.full(len(x), label, "int32"), **options
                ).values
                for label in range(self.num_classes)
            ]
        else:
            columns = [log_likelihood(m, x, **options).values for m in self.models]
        return np.stack(columns, axis=1)

    def _joint(self, x):
        return self.class_log_likelihoods(x) + np.log(self.class_priors)

    def log_marginal_likelihood(self, x):
        """``log p(x) = log sum_y p(x|y) p(y)`` per example (float64)."""
        return logsumexp(self._joint(x), axis=1)

    def predict_log_proba(self, x):
        """``log p(y|x)``: float64 ``(num_examples, num_classes)``."""
        joint = self._joint(x)
        return joint - logsumexp(joint, axis=1, keepdims=True)

    def predict_proba(self, x):
        """``p(y|x)``: float64 ``(num_examples, num_classes)``, rows sum to 1."""
        return np.exp(self.predict_log_proba(x))

    def predict(self, x, *, reject=False):
        """The most probable class per example (int64).

        Args:
            x: data in the models' convention.
            reject: label inputs with ``log p(x)`` below the calibrated
                threshold `REJECTED` (-1); needs `calibrate_rejection`.
        """
        joint = self._joint(x)
        labels = np.argmax(joint, axis=1).astype("int64")
        if reject:
            labels[self._below_threshold(logsumexp(joint, axis=1))] = REJECTED
        return labels

    # -------------------------------------------------------------- rejection
    def calibrate_rejection(self, x, *, false_rejection_rate=0.05):
        """Set ``threshold`` so that ``false_rejection_rate`` of ``x`` is rejected.

        Args:
            x: in-distribution data (the training data, or held-out data
                from the same distribution: training data of a model that
                overfits sit above the threshold more often than new data).
            false_rejection_rate: the fraction of in-distribution inputs to
                reject, in (0, 1).

        Returns:
            ``self`` (``threshold``, ``false_rejection_rate`` and
            ``calibration_size`` set).
        """
        rate = _check_rate(false_rejection_rate)
        log_p = self.log_marginal_likelihood(x)
        self.threshold = float(np.quantile(log_p, rate))
        self.false_rejection_rate = rate
        self.calibration_size = int(len(log_p))
        return self

    def _below_threshold(self, log_p):
        if self.threshold is None:
            raise ValueError(
                "No rejection threshold yet: call calibrate_rejection(x_train, "
                "false_rejection_rate=...) first."
            )
        return log_p < self.threshold

    def reject(self, x):
        """Whether each input's ``log p(x)`` is below the calibrated threshold."""
        return self._below_threshold(self.log_marginal_likelihood(x))

    def report(self, x, labels):
        """Accuracy, and with a threshold the rejection rate, on labelled data.

        Returns:
            A JSON-ready dict: ``estimator``, ``num_examples``, ``accuracy``;
            when calibrated also ``rejection_rate``, ``accuracy_on_accepted``,
            ``num_accepted``, ``threshold``, ``false_rejection_rate`` and
            ``calibration_size``.
        """
        labels = check_labels(labels, self.num_classes, num_examples=len(x))
        joint = self._joint(x)
        predicted = np.argmax(joint, axis=1)
        result = {
            "estimator": self.estimator,
            "num_classes": self.num_classes,
            "num_examples": int(len(labels)),
            "accuracy": float(np.mean(predicted == labels)),
        }
        if self.threshold is not None:
            rejected = self._below_threshold(logsumexp(joint, axis=1))
            accepted = ~rejected
            result.update(
                {
                    "rejection_rate": float(rejected.mean()),
                    "num_accepted": int(accepted.sum()),
                    "accuracy_on_accepted": (
                        float(np.mean(predicted[accepted] == labels[accepted]))
                        if accepted.any()
                        else None
                    ),
                    "threshold": self.threshold,
                    "false_rejection_rate": self.false_rejection_rate,
                    "calibration_size": self.calibration_size,
                }
            )
        return result
