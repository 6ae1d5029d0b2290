"""Density-estimation baselines for 1-D and 2-D data: NumPy/SciPy, float64.

`GaussianMixture` (fitted by EM) and `KernelDensity` (Gaussian kernels,
bandwidth by Scott's rule or cross-validation) are what a deep density model
on `kgen.data.toy_density` points should beat. They declare the same
contract as kgen's Keras models (``data_kind = "real"``, ``SAMPLE`` and
``EXACT_LIKELIHOOD``: ``log_prob`` is the exact log-density), so
`GenerativeClassifier`, `OutlierDetector` and the sample metrics take them
like any other model. They are NumPy objects, not ``keras.Model``s: nothing
to compile or save.
"""

import math

import numpy as np
from scipy.special import logsumexp

from kgen.contract import Capability, DataConvention
from kgen.validation import check_finite, check_positive_int, describe, to_numpy

__all__ = ["GaussianMixture", "KernelDensity"]


class _NumPyDensity:
    """The declaration and the checks that the baselines share."""

    data_kind = "real"
    capabilities = frozenset({Capability.SAMPLE, Capability.EXACT_LIKELIHOOD})
    supports_sample_weight = False
    num_classes = None
    num_levels = None
    dim = None

    def __init__(self, seed):
        # the stream of sample(seed=None): advanced by every call
        self._sample_rng = np.random.default_rng(seed)
        self._fitted = False

    @property
    def data_shape(self):
        self._require_fitted()
        return (self.dim,)

    @property
    def data_convention(self):
        return DataConvention("real", self.data_shape)

    def has(self, capability):
        return Capability(capability) in self.capabilities

    def _require_fitted(self):
        if not self._fitted:
            raise ValueError(f"{type(self).__name__} is not fitted: call fit(x) first.")

    def _check_points(self, x, name="x", fitting=False):
        x = to_numpy(x)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2:
            raise ValueError(
                f"Expected {name} as points of shape (num_points, dim) (or "
                f"(num_points,) in 1-D); received {describe(x)}."
            )
        check_finite(x, name=name)
        if not fitting:
            self._require_fitted()
            if x.shape[1] != self.dim:
                raise ValueError(
                    f"{type(self).__name__} was fitted on {self.dim}-D points; "
                    f"received {name} with {x.shape[1]} values per point."
                )
        return np.asarray(x, "float64")

    def _rng(self, seed):
        if seed is None:
            return self._sample_rng
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an integer or None; received {seed!r}.")
        return np.random.default_rng(int(seed))

    def _check_unconditional(self, conditions):
        if conditions is not None:
            raise ValueError(
                f"{type(self).__name__} is unconditional: it takes no conditions. "
                "Fit one per class and use kgen.evaluation.GenerativeClassifier."
            )

    def bits_per_dim(self, x, conditions=None, *, batch_size=None):
        """Not defined here: raises (bits/dim is for discrete data)."""
        raise ValueError(
            f"bits/dim is the negative log-likelihood of discrete data; "
            f"{type(self).__name__} models real-valued points with a density. Use "
            "log_prob(x) (nats) instead."
        )


def _gaussian_log_pdf(x, mean, covariance):
    """log N(x; mean, covariance) for rows of ``x`` (Cholesky, float64)."""
    dim = len(mean)
    chol = np.linalg.cholesky(covariance)
    solved = np.linalg.solve(chol, (x - mean).T)  # L^{-1} (x - mu)
    log_det = 2.0 * np.sum(np.log(np.diag(chol)))
    return -0.5 * (np.sum(solved**2, axis=0) + log_det + dim * math.log(2 * math.pi))


class GaussianMixture(_NumPyDensity):
    """A mixture of ``num_components`` full-covariance Gaussians, fitted by EM.

    EM alternates responsibilities ``r_nk ∝ w_k N(x_n; mu_k, S_k)`` (E step,
    in log space) and weighted maximum-likelihood weights, means and
    covariances (M step, with ``regularization`` added to each covariance's
    diagonal so a component cannot collapse on one point). The mean
    log-likelihood never decreases from one iteration to the next
    (``log_likelihood_history``); fitting stops when it improves by less than
    ``tolerance``. Initial means are ``num_components`` distinct training
    points (seeded), covariances the data covariance, weights uniform.

    Args:
        num_components: number of Gaussians.
        max_iterations: EM iterations at most.
        tolerance: stop when the mean log-likelihood (nats per point)
            improves by less.
        regularization: added to the covariance diagonals.
        seed: integer seed of the initialization and of ``sample(seed=None)``.

    Attributes:
        weights: ``(num_components,)`` mixture weights.
        means: ``(num_components, dim)``.
        covariances: ``(num_components, dim, dim)``.
        log_likelihood_history: mean log-likelihood per point after each
            iteration's M step.
        converged: whether ``tolerance`` was reached.
        num_examples: points it was fitted on.

    Examples:
        >>> import numpy as np
        >>> from kgen.data import bimodal_1d
        >>> mixture = GaussianMixture(2).fit(bimodal_1d(5000))
        >>> np.round(np.sort(mixture.means[:, 0]), 1)
        array([-2.,  2.])

    References:
        Dempster, Laird and Rubin, "Maximum Likelihood from Incomplete Data
        via the EM Algorithm", 1977; Bishop, "Pattern Recognition and Machine
        Learning", section 9.2.
    """

    def __init__(
        self,
        num_components,
        *,
        max_iterations=200,
        tolerance=1e-6,
        regularization=1e-6,
        seed=0,
    ):
        super().__init__(seed)
        self.num_components = check_positive_int(num_components, "num_components")
        self.max_iterations = check_positive_int(max_iterations, "max_iterations")
        self.tolerance = float(tolerance)
        if not self.tolerance >= 0:
            raise ValueError(f"tolerance must be >= 0; received {tolerance!r}.")
        self.regularization = float(regularization)
        if not self.regularization >= 0:
            raise ValueError(
                f"regularization must be >= 0; received {regularization!r}."
            )
        self.seed = seed
        self.weights = self.means = self.covariances = None
        self.log_likelihood_history = []
        self.converged = False
        self.num_examples = None

    def _component_log_pdfs(self, x):
        return np.stack(
            [
                _gaussian_log_pdf(x, mean, covariance)
                for mean, covariance in zip(self.means, self.covariances)
            ],
            axis=1,
        )

    def fit(self, x):
        """Fit by EM; returns ``self``.

        Raises:
            ValueError: for fewer points than components, or points that are
                not finite ``(num_points, dim)`` numbers.
        """
        x = self._check_points(x, fitting=True)
        num_points, dim = x.shape
        if num_points < self.num_components:
            raise ValueError(
                f"num_components={self.num_components} needs at least that many "
                f"points; received {num_points}."
            )
        rng = np.random.default_rng(self.seed)
        regularizer = self.regularization * np.eye(dim)
        self.dim = dim
        self.means = x[rng.choice(num_points, self.num_components, replace=False)]
        data_covariance = np.cov(x, rowvar=False).reshape(dim, dim) + regularizer
        self.covariances = np.repeat(data_covariance[None], self.num_components, 0)
        self.weights = np.full(self.num_components, 1.0 / self.num_components)
        self.log_likelihood_history = []
        self.converged = False
        for _ in range(self.max_iterations):
            # E step: log r_nk = log w_k + log N_k(x_n) - log p(x_n)
            joint = np.log(self.weights) + self._component_log_pdfs(x)
            log_p = logsumexp(joint, axis=1, keepdims=True)
            responsibilities = np.exp(joint - log_p)
            # M step
            counts = responsibilities.sum(axis=0) + 1e-300
            self.weights = counts / num_points
            self.means = (responsibilities.T @ x) / counts[:, None]
            covariances = []
            for k in range(self.num_components):
                centred = x - self.means[k]
                weighted = responsibilities[:, k, None] * centred
                covariances.append(weighted.T @ centred / counts[k] + regularizer)
            self.covariances = np.stack(covariances)
            self.log_likelihood_history.append(float(self._log_prob(x).mean()))
            history = self.log_likelihood_history
            if len(history) > 1 and history[-1] - history[-2] < self.tolerance:
                self.converged = True
                break
        self.num_examples = int(num_points)
        self._fitted = True
        return self

    def log_prob(self, x, conditions=None, *, batch_size=None):
        """Exact log-density per point, float64 nats ``(num_points,)``."""
        self._check_unconditional(conditions)
        x = self._check_points(x)
        return self._log_prob(x)

    def _log_prob(self, x):
        return logsumexp(np.log(self.weights) + self._component_log_pdfs(x), axis=1)

    def sample(self, num_samples, *, seed=None, conditions=None, batch_size=None):
        """``num_samples`` points, float32 ``(num_samples, dim)``.

        ``seed=None`` draws from the mixture's own stream (advanced by every
        call); an integer gives the same points every time.
        """
        self._check_unconditional(conditions)
        self._require_fitted()
        num_samples = check_positive_int(num_samples, "num_samples")
        rng = self._rng(seed)
        components = rng.choice(self.num_components, num_samples, p=self.weights)
        noise = rng.standard_normal((num_samples, self.dim))
        chol = np.linalg.cholesky(self.covariances)
        points = self.means[components] + np.einsum(
            "nij,nj->ni", chol[components], noise
        )
        return points.astype("float32")


class KernelDensity(_NumPyDensity):
    """A Gaussian kernel density estimate with a bandwidth matrix.

    ``p(x) = 1/n sum_i N(x; x_i, h^2 S)`` with ``S`` the data covariance
    (as ``scipy.stats.gaussian_kde``) and the bandwidth factor ``h`` chosen
    by:

    - ``"scott"``: ``h = n^(-1 / (d + 4))`` (Scott's rule);
    - ``"silverman"``: ``h = (n (d + 2) / 4)^(-1 / (d + 4))``;
    - ``"cv"``: the factor of ``cv_factors`` (times Scott's) with the highest
      leave-one-out log-likelihood on (at most ``cv_max_points`` of) the
      training points;
    - a positive number: ``h`` itself.

    Args:
        bandwidth: ``"scott"``, ``"silverman"``, ``"cv"`` or a number.
        cv_factors: multiples of Scott's factor tried by ``"cv"`` (when the
            best is an end of the grid, ``cv_scores`` shows it: extend it).
        cv_max_points: points (a seeded subset) used for cross-validation.
        seed: integer seed of the cross-validation subset and of
            ``sample(seed=None)``.

    Attributes:
        factor: the bandwidth factor ``h`` in use.
        cv_scores: for ``"cv"``, ``{factor: mean leave-one-out
            log-likelihood}``.
        num_examples: points it was fitted on.

    Examples:
        >>> import numpy as np
        >>> from kgen.data import bimodal_1d
        >>> points = bimodal_1d(2000)
        >>> kde = KernelDensity("cv").fit(points)
        >>> bool(kde.log_prob(points[:500]).mean() > -2.0)
        True

    References:
        Scott, "Multivariate Density Estimation", 1992; Silverman, "Density
        Estimation for Statistics and Data Analysis", 1986.
    """

    _RULES = ("scott", "silverman", "cv")

    def __init__(
        self,
        bandwidth="scott",
        *,
        cv_factors=(0.05, 0.1, 0.15, 0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0),
        cv_max_points=1000,
        seed=0,
    ):
        super().__init__(seed)
        if isinstance(bandwidth, str):
            if bandwidth not in self._RULES:
                raise ValueError(
                    f"bandwidth must be one of {self._RULES} or a positive number; "
                    f"received {bandwidth!r}."
                )
        elif (
            isinstance(bandwidth, bool)
            or not isinstance(bandwidth, (int, float, np.floating))
            or not bandwidth > 0
        ):
            raise ValueError(
                f"bandwidth must be one of {self._RULES} or a positive number; "
                f"received {bandwidth!r}."
            )
        self.bandwidth = bandwidth
        self.cv_factors = tuple(float(f) for f in cv_factors)
        if not self.cv_factors or min(self.cv_factors) <= 0:
            raise ValueError(f"cv_factors must be positive; received {cv_factors!r}.")
        self.cv_max_points = check_positive_int(cv_max_points, "cv_max_points")
        self.seed = seed
        self.points = None
        self.factor = None
        self.cv_scores = None
        self.num_examples = None

    @staticmethod
    def _kernel(covariance, factor):
        """Cholesky factor of ``factor^2 S`` and the kernel's log normalizer."""
        chol = np.linalg.cholesky(covariance * float(factor) ** 2)
        dim = len(covariance)
        log_norm = np.sum(np.log(np.diag(chol))) + 0.5 * dim * math.log(2 * math.pi)
        return chol, log_norm

    @staticmethod
    def _log_kernel_sums(queries, centres, log_norm, exclude_self=False):
        """log sum_i N(q; c_i, H) per query, in blocks (whitened inputs)."""
        centre_norms = np.sum(centres**2, axis=1)
        step = max(1, 20_000_000 // max(len(centres), 1))
        out = np.empty(len(queries))
        for start in range(0, len(queries), step):
            q = queries[start : start + step]
            squared = np.maximum(
                np.sum(q**2, axis=1)[:, None] - 2.0 * q @ centres.T + centre_norms,
                0.0,
            )
            log_k = -0.5 * squared - log_norm
            if exclude_self:
                rows = np.arange(len(q))
                log_k[rows, start + rows] = -np.inf
            out[start : start + step] = logsumexp(log_k, axis=1)
        return out

    def leave_one_out_log_likelihood(self, x, factor):
        """Mean ``log p_{-i}(x_i)`` over ``x`` with bandwidth factor ``factor``.

        ``p_{-i}`` is the estimate on ``x`` without ``x_i`` (the
        cross-validation objective of ``bandwidth="cv"``); the kernel is
        ``factor^2`` times the covariance of ``x``. Leaves the fitted
        estimate unchanged.
        """
        x = self._check_points(x, fitting=True)
        if len(x) < 2:
            raise ValueError("Leave-one-out needs at least two points.")
        dim = x.shape[1]
        chol, log_norm = self._kernel(np.cov(x, rowvar=False).reshape(dim, dim), factor)
        # rows of L^{-1} x: kernel distances become Euclidean
        white = np.linalg.solve(chol, x.T).T
        log_sums = self._log_kernel_sums(white, white, log_norm, exclude_self=True)
        return float(np.mean(log_sums - math.log(len(x) - 1)))

    def fit(self, x):
        """Store the points and choose the bandwidth; returns ``self``.

        Raises:
            ValueError: for fewer than ``dim + 1`` points (the data covariance
                would be singular) or non-finite points.
        """
        x = self._check_points(x, fitting=True)
        num_points, dim = x.shape
        if num_points < dim + 1:
            raise ValueError(
                f"KernelDensity needs at least dim + 1 = {dim + 1} points to "
                f"estimate a covariance; received {num_points}."
            )
        covariance = np.cov(x, rowvar=False).reshape(dim, dim)
        if np.linalg.matrix_rank(covariance) < dim:
            raise ValueError(
                "The points lie on a lower-dimensional subspace (singular "
                "covariance); drop the constant directions first."
            )
        scott = num_points ** (-1.0 / (dim + 4))
        if self.bandwidth == "scott":
            factor = scott
        elif self.bandwidth == "silverman":
            factor = (num_points * (dim + 2) / 4.0) ** (-1.0 / (dim + 4))
        elif self.bandwidth == "cv":
            rng = np.random.default_rng(self.seed)
            subset = x
            if num_points > self.cv_max_points:
                subset = x[rng.choice(num_points, self.cv_max_points, replace=False)]
            # Scott's factor for the full set, applied to the subset: the
            # candidates are judged at the size they will be used at
            self.cv_scores = {
                scott * f: self.leave_one_out_log_likelihood(subset, scott * f)
                for f in self.cv_factors
            }
            factor = max(self.cv_scores, key=self.cv_scores.get)
        else:
            factor = float(self.bandwidth)
        self.dim = dim
        self.factor = float(factor)
        self._chol, self._log_norm = self._kernel(covariance, factor)
        self.points = x
        self._white_points = self._whiten(x)
        self.num_examples = int(num_points)
        self._fitted = True
        return self

    def _whiten(self, x):
        # rows of L^{-1} x: kernel distances become Euclidean
        return np.linalg.solve(self._chol, x.T).T

    def log_prob(self, x, conditions=None, *, batch_size=None):
        """Exact log-density of the estimate per point, float64 nats."""
        self._check_unconditional(conditions)
        x = self._check_points(x)
        log_sums = self._log_kernel_sums(
            self._whiten(x), self._white_points, self._log_norm
        )
        return log_sums - math.log(len(self.points))

    def sample(self, num_samples, *, seed=None, conditions=None, batch_size=None):
        """``num_samples`` points: a random training point plus kernel noise."""
        self._check_unconditional(conditions)
        self._require_fitted()
        num_samples = check_positive_int(num_samples, "num_samples")
        rng = self._rng(seed)
        centres = self.points[rng.integers(0, len(self.points), num_samples)]
        noise = rng.standard_normal((num_samples, self.dim)) @ self._chol.T
        return (centres + noise).astype("float32")
