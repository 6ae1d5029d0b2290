"""Out-of-distribution detection from a model's likelihood, and its corrections.

A density model scores an input by ``log p(x)``; a low score says "unlike
the training data". That often fails: Nalisnick et al. (2019) showed that
flows, VAEs and PixelCNNs trained on Fashion-MNIST (CIFAR-10) give *higher*
likelihood to MNIST (SVHN), because the likelihood is dominated by low-level
statistics (smooth backgrounds, few distinct values) shared by the data
sets, not by their semantics. Two corrections:

- **likelihood ratio** (Ren et al. 2019): ``log p(x) - log p_bg(x)`` with a
  *background* model trained on perturbed inputs (`perturb_pixels`), which
  learns the low-level statistics only; the ratio cancels them.
- **typicality test** (Nalisnick et al. 2019b): a batch of inputs is
  in-distribution when its mean negative log-likelihood is close to the
  model's entropy estimate (the training set's mean NLL), whether higher or
  lower: ``|mean NLL(batch) - training NLL| <= epsilon``, with epsilon a
  bootstrap quantile.

Every report measures separation with the AUROC (`auroc`), computed in NumPy
from the Mann-Whitney statistic.
"""

import numpy as np
from scipy.stats import rankdata

from kgen.contract import data_convention_of
from kgen.evaluation.generative_classifier import _check_rate
from kgen.evaluation.scoring import log_likelihood
from kgen.validation import check_positive_int, to_numpy

__all__ = ["OutlierDetector", "TypicalityTest", "auroc", "perturb_pixels"]


def auroc(scores_in, scores_out):
    """Area under the ROC curve of outlier scores, from the Mann-Whitney U.

    The probability that a random out-of-distribution input scores higher
    than a random in-distribution input (ties count one half):
    ``U / (n_in n_out)`` with ``U`` the rank sum of the out-of-distribution
    scores minus ``n_out (n_out + 1) / 2`` (ranks with ties averaged).
    0.5 is chance, 1 perfect separation, 0 perfectly inverted (the
    likelihood paradox: OOD inputs scored *more* typical).

    Args:
        scores_in: scores of in-distribution inputs, higher = more anomalous.
        scores_out: scores of out-of-distribution inputs.

    Returns:
        A float in [0, 1].

    Raises:
        ValueError: for an empty set or non-finite scores.

    Examples:
        >>> auroc([0.1, 0.2, 0.3], [0.25, 0.9])
        0.8333333333333334
    """
    scores_in = np.asarray(to_numpy(scores_in), "float64").reshape(-1)
    scores_out = np.asarray(to_numpy(scores_out), "float64").reshape(-1)
    for name, scores in (("scores_in", scores_in), ("scores_out", scores_out)):
        if scores.size == 0:
            raise ValueError(f"{name} is empty; the AUROC needs both sets.")
        if not np.all(np.isfinite(scores)):
            raise ValueError(f"{name} contain NaN or infinite values.")
    ranks = rankdata(np.concatenate([scores_in, scores_out]))
    num_in, num_out = len(scores_in), len(scores_out)
    u = ranks[num_in:].sum() - num_out * (num_out + 1) / 2.0
    return float(u / (num_in * num_out))


def perturb_pixels(x, rate, *, convention=None, seed=0):
    """Replace each value of ``x`` with probability ``rate`` by a random level.

    The input perturbation of Ren et al. (2019) for training the background
    model of a likelihood ratio: independently for every sub-pixel, with
    probability ``rate`` (their ``mu``, e.g. 0.1-0.3), the value is replaced
    by one drawn uniformly from the convention's levels (integers in
    ``[0, num_levels - 1]``; for ``"unit"``/``"signed"`` floats the levels
    ``k / (L - 1)`` of the grid, or a uniform value in the range when the
    convention has no levels).

    Args:
        x: data in ``convention``; without one, ``uint8`` images.
        rate: replacement probability in [0, 1].
        convention: a ``DataConvention`` or kgen model (``"real"`` data have
            no bounded range and raise).
        seed: integer seed (NumPy).

    Returns:
        An array like ``x`` (same shape and dtype).

    Raises:
        ValueError: for a rate outside [0, 1], a ``"real"`` convention, or
            non-``uint8`` data without a convention.

    Examples:
        >>> import numpy as np
        >>> x = np.zeros((1000, 4, 4, 1), "uint8")
        >>> changed = perturb_pixels(x, 0.2, seed=0) != x
        >>> bool(0.17 < changed.mean() < 0.21)  # 0.2 * 255/256 of the values
        True
    """
    from kgen.evaluation.features import _convention

    x = to_numpy(x)
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)):
        raise ValueError(f"rate must be a number in [0, 1]; received {rate!r}.")
    if not 0.0 <= float(rate) <= 1.0:
        raise ValueError(f"rate must lie in [0, 1]; received {rate!r}.")
    convention = _convention(convention)
    if convention is None:
        if x.dtype != np.uint8:
            raise ValueError(
                f"perturb_pixels needs convention= (e.g. model.data_convention) "
                f"for {x.dtype} data; without one it takes uint8 images."
            )
        kind, levels, (low, high) = "integer", 256, (0, 255)
    elif convention.kind == "real":
        raise ValueError(
            "perturb_pixels replaces values by random levels of a bounded range; "
            "a 'real' convention (unbounded points) has none."
        )
    else:
        kind, levels, (low, high) = (
            convention.kind,
            convention.num_levels,
            convention.value_range,
        )
    rng = np.random.default_rng(seed)
    replace = rng.random(x.shape) < float(rate)
    if kind == "integer":
        random = rng.integers(0, levels, size=x.shape)
    elif levels:
        random = low + (high - low) * rng.integers(0, levels, size=x.shape) / (
            levels - 1
        )
    else:
        random = rng.uniform(low, high, size=x.shape)
    return np.where(replace, random, x).astype(x.dtype)


class OutlierDetector:
    """Flag inputs whose ``log p(x)`` (or likelihood ratio) is atypically low.

    The outlier score is ``-log p(x)`` (a negative log-likelihood, higher =
    more anomalous) or, with a ``background_model``, ``-(log p(x) -
    log p_bg(x))``: the likelihood-ratio correction of Ren et al. (2019),
    where the background model was trained on perturbed training data
    (`perturb_pixels`). Scores come from each model's declared likelihood
    (`kgen.evaluation.log_likelihood`: exact, or the IWAE bound with
    ``num_samples``).

    Args:
        model: a kgen model declaring a likelihood, trained on
            in-distribution data (unconditional).
        background_model: optional model of the same data convention trained
            on perturbed inputs.
        num_samples: ``K`` for bound models.
        seed: integer seed of a bound model's importance samples.
        batch_size: examples per forward pass (default: the model's).

    Raises:
        ValueError: for a model without a likelihood (via
            ``kgen.contract.require_capability``) or a background model of
            another convention.

    Examples:
        >>> import numpy as np
        >>> from kgen.evaluation import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> train = rng.normal(size=(500, 2))
        >>> detector = OutlierDetector(GaussianMixture(1).fit(train))
        >>> detector = detector.calibrate(train, false_rejection_rate=0.05)
        >>> detector.predict(np.array([[0.0, 0.0], [8.0, 8.0]]))
        array([False,  True])
        >>> report = detector.report(rng.normal(size=(200, 2)), rng.normal(6, 1, (200, 2)))
        >>> report["auroc"] > 0.99, report["num_in"], report["num_out"]
        (True, 200, 200)
    """

    def __init__(
        self, model, *, background_model=None, num_samples=100, seed=0, batch_size=None
    ):
        from kgen.evaluation.scoring import likelihood_estimator_name

        estimator = likelihood_estimator_name(model, num_samples, "OutlierDetector")
        if background_model is not None:
            background = likelihood_estimator_name(
                background_model, num_samples, "OutlierDetector's background_model"
            )
            if data_convention_of(background_model) != data_convention_of(model):
                raise ValueError(
                    "background_model must share the model's data convention ("
                    f"{data_convention_of(model).describe()}); received "
                    f"{data_convention_of(background_model).describe()}."
                )
            self.score_name = "likelihood ratio -(log p(x) - log p_background(x))"
            self.estimator = f"{estimator}; background: {background}"
        else:
            self.score_name = "negative log-likelihood -log p(x)"
            self.estimator = estimator
        self.model = model
        self.background_model = background_model
        self.options = {
            "num_samples": check_positive_int(num_samples, "num_samples"),
            "seed": seed,
            "batch_size": batch_size,
        }
        self.threshold = None
        self.false_rejection_rate = None
        self.calibration_size = None

    def score(self, x):
        """Outlier scores, float64 ``(num_examples,)``; higher = more anomalous."""
        scores = -log_likelihood(self.model, x, **self.options).values
        if self.background_model is not None:
            scores += log_likelihood(self.background_model, x, **self.options).values
        return scores

    def calibrate(self, x, *, false_rejection_rate=0.05):
        """Set ``threshold`` so that ``false_rejection_rate`` of ``x`` is flagged.

        Args:
            x: in-distribution data (training or held-out).
            false_rejection_rate: fraction of in-distribution inputs flagged.

        Returns:
            ``self``.
        """
        rate = _check_rate(false_rejection_rate)
        self.threshold = float(np.quantile(self.score(x), 1.0 - rate))
        self.false_rejection_rate = rate
        self.calibration_size = int(len(x))
        return self

    def predict(self, x):
        """Whether each input is flagged as an outlier (score above threshold)."""
        if self.threshold is None:
            raise ValueError(
                "No threshold yet: call calibrate(x_train, false_rejection_rate=...) "
                "first."
            )
        return self.score(x) > self.threshold

    def report(self, x_in, x_out):
        """AUROC of in- vs out-of-distribution data, with sizes and names.

        Returns:
            A JSON-ready dict: ``auroc``, ``score`` (what was scored),
            ``estimator``, ``num_in``, ``num_out``, the mean scores of both
            sets and, when calibrated, ``threshold``,
            ``false_rejection_rate`` (the target), ``flagged_in`` and
            ``flagged_out`` (observed fractions).
        """
        scores_in, scores_out = self.score(x_in), self.score(x_out)
        result = {
            "auroc": auroc(scores_in, scores_out),
            "score": self.score_name,
            "estimator": self.estimator,
            "num_in": int(len(scores_in)),
            "num_out": int(len(scores_out)),
            "mean_score_in": float(scores_in.mean()),
            "mean_score_out": float(scores_out.mean()),
        }
        if self.threshold is not None:
            result.update(
                {
                    "threshold": self.threshold,
                    "false_rejection_rate": self.false_rejection_rate,
                    "flagged_in": float(np.mean(scores_in > self.threshold)),
                    "flagged_out": float(np.mean(scores_out > self.threshold)),
                }
            )
        return result


class TypicalityTest:
    """Is a batch of inputs typical of the model? (Nalisnick et al. 2019b)

    ``fit`` estimates the model's entropy by the mean negative
    log-likelihood of training data, ``H = mean(-log p(x_train))``, and
    draws ``num_bootstrap`` batches of ``group_size`` examples (with
    replacement) from held-out in-distribution data to find epsilon, the
    ``1 - false_rejection_rate`` quantile of ``|mean NLL(batch) - H|``. A
    batch is out-of-distribution when its statistic exceeds epsilon: too
    *likely* is as suspicious as too unlikely, which is what catches the
    inputs that fool `OutlierDetector`.

    Args:
        model: a kgen model declaring a likelihood.
        group_size: ``M``, inputs per tested batch (the test is for groups;
            ``M = 1`` is a two-sided likelihood test per input).
        num_bootstrap: bootstrap batches for epsilon.
        false_rejection_rate: target rate of in-distribution batches flagged.
        num_samples: ``K`` for bound models.
        seed: integer seed (bootstrap draws and a bound's samples).
        batch_size: examples per forward pass (default: the model's).

    Examples:
        >>> import numpy as np
        >>> from kgen.evaluation import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> train = rng.normal(size=(1000, 2))
        >>> test = TypicalityTest(GaussianMixture(1).fit(train), group_size=10)
        >>> test = test.fit(train[:500], train[500:])
        >>> # points at the mode are more likely than any training point,
        >>> # and not typical
        >>> bool(test.predict(np.zeros((10, 2)))[0])
        True
    """

    def __init__(
        self,
        model,
        *,
        group_size=10,
        num_bootstrap=1000,
        false_rejection_rate=0.01,
        num_samples=100,
        seed=0,
        batch_size=None,
    ):
        from kgen.evaluation.scoring import likelihood_estimator_name

        self.estimator = likelihood_estimator_name(model, num_samples, "TypicalityTest")
        self.model = model
        self.group_size = check_positive_int(group_size, "group_size")
        self.num_bootstrap = check_positive_int(num_bootstrap, "num_bootstrap")
        self.false_rejection_rate = _check_rate(false_rejection_rate)
        self.seed = seed
        self.options = {
            "num_samples": check_positive_int(num_samples, "num_samples"),
            "seed": seed,
            "batch_size": batch_size,
        }
        self.entropy = None
        self.epsilon = None

    def negative_log_likelihood(self, x):
        """``-log p(x)`` per example (float64), from the declared likelihood."""
        return -log_likelihood(self.model, x, **self.options).values

    def fit(self, x_train, x_validation=None):
        """Estimate the entropy on ``x_train`` and epsilon on ``x_validation``.

        Args:
            x_train: training data (the entropy estimate).
            x_validation: held-out in-distribution data for the bootstrap;
                default: a random half of ``x_train`` is held out (and the
                entropy is estimated on the other half).

        Returns:
            ``self`` (``entropy``, ``epsilon``, ``num_train`` and
            ``num_validation`` set).
        """
        nll = self.negative_log_likelihood(x_train)
        rng = np.random.default_rng(self.seed)
        if x_validation is None:
            if len(nll) < 2 * self.group_size:
                raise ValueError(
                    f"Need at least {2 * self.group_size} training examples to hold "
                    f"out a validation half (group_size={self.group_size}); "
                    f"received {len(nll)}."
                )
            order = rng.permutation(len(nll))
            half = len(nll) // 2
            nll, validation = nll[order[:half]], nll[order[half:]]
        else:
            validation = self.negative_log_likelihood(x_validation)
        if len(validation) < self.group_size:
            raise ValueError(
                f"The validation data need at least group_size={self.group_size} "
                f"examples; received {len(validation)}."
            )
        self.entropy = float(nll.mean())
        draws = rng.integers(0, len(validation), (self.num_bootstrap, self.group_size))
        statistics = np.abs(validation[draws].mean(axis=1) - self.entropy)
        self.epsilon = float(np.quantile(statistics, 1.0 - self.false_rejection_rate))
        self.num_train, self.num_validation = int(len(nll)), int(len(validation))
        return self

    def _groups(self, nll):
        num_groups = len(nll) // self.group_size
        if num_groups == 0:
            raise ValueError(
                f"Need at least group_size={self.group_size} inputs to form one "
                f"batch; received {len(nll)}."
            )
        return nll[: num_groups * self.group_size].reshape(num_groups, -1)

    def statistic(self, x):
        """``|mean NLL - entropy|`` of each consecutive group of ``group_size``.

        A remainder of fewer than ``group_size`` inputs is left out.
        """
        if self.entropy is None:
            raise ValueError("Call fit(x_train, x_validation) first.")
        groups = self._groups(self.negative_log_likelihood(x))
        return np.abs(groups.mean(axis=1) - self.entropy)

    def predict(self, x):
        """Whether each group of ``group_size`` inputs is out-of-distribution."""
        return self.statistic(x) > self.epsilon

    def report(self, x_in, x_out):
        """AUROC of the group statistic, in- vs out-of-distribution groups.

        Returns:
            A JSON-ready dict: ``auroc``, ``group_size``, ``num_groups_in``,
            ``num_groups_out``, ``flagged_in``, ``flagged_out``, ``entropy``,
            ``epsilon``, ``estimator``, ``num_train``, ``num_validation``.
        """
        stat_in, stat_out = self.statistic(x_in), self.statistic(x_out)
        return {
            "auroc": auroc(stat_in, stat_out),
            "score": "typicality |mean NLL of a batch - training NLL|",
            "estimator": self.estimator,
            "group_size": self.group_size,
            "num_groups_in": int(len(stat_in)),
            "num_groups_out": int(len(stat_out)),
            "flagged_in": float(np.mean(stat_in > self.epsilon)),
            "flagged_out": float(np.mean(stat_out > self.epsilon)),
            "entropy": self.entropy,
            "epsilon": self.epsilon,
            "false_rejection_rate": self.false_rejection_rate,
            "num_train": self.num_train,
            "num_validation": self.num_validation,
        }
