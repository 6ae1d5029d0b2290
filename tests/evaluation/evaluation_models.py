"""Tiny kgen models with known densities, for the evaluation tests.

Each declares the contract (``data_kind = "real"``, capabilities) like a real
family, so that kgen.evaluation reads only the declaration.
"""

import math

import keras
import numpy as np
from keras import ops

from kgen.contract import Capability
from kgen.models.base import GenerativeModel


def gaussian_log_pdf(x, mean, covariance):
    """NumPy float64 oracle: log N(x; mean, covariance) per row."""
    x = np.asarray(x, "float64")
    dim = len(mean)
    inverse = np.linalg.inv(covariance)
    centred = x - mean
    mahalanobis = np.einsum("ni,ij,nj->n", centred, inverse, centred)
    _, log_det = np.linalg.slogdet(covariance)
    return -0.5 * (mahalanobis + log_det + dim * math.log(2 * math.pi))


class GaussianModel(GenerativeModel):
    """A fixed Gaussian (or one per class); ``log_prob`` in ``keras.ops``.

    ``means`` ``(dim,)`` with ``covariances`` ``(dim, dim)`` for an
    unconditional model; ``(num_classes, dim)`` and ``(num_classes, dim,
    dim)`` with ``num_classes`` for a conditional one.
    """

    data_kind = "real"
    num_levels = None
    capabilities = frozenset({Capability.SAMPLE, Capability.EXACT_LIKELIHOOD})

    def __init__(self, means, covariances, num_classes=None, **kwargs):
        super().__init__(**kwargs)
        self.means = np.asarray(means, "float64")
        self.covariances = np.asarray(covariances, "float64")
        self.num_classes = num_classes
        self.data_shape = (self.means.shape[-1],)
        self.built = True
        self.calls = []

    def _gaussian(self, labels, num_examples):
        if self.num_classes is None:
            index = np.zeros(num_examples, "int32")
            return self.means[None], self.covariances[None], index
        return self.means, self.covariances, labels

    def log_prob(self, x, conditions=None, *, batch_size=256):
        x = self.check_x(x)
        labels = self.check_conditions(conditions, len(x))
        self.calls.append(("log_prob", len(x), batch_size))
        means, covariances, index = self._gaussian(labels, len(x))
        dim = means.shape[-1]
        inverse = ops.convert_to_tensor(np.linalg.inv(covariances), "float32")
        log_det = ops.convert_to_tensor(np.linalg.slogdet(covariances)[1], "float32")
        index = ops.convert_to_tensor(index, "int32")
        centred = ops.convert_to_tensor(x) - ops.take(
            ops.convert_to_tensor(means, "float32"), index, axis=0
        )
        chosen = ops.take(inverse, index, axis=0)
        mahalanobis = ops.sum(centred * ops.einsum("nij,nj->ni", chosen, centred), -1)
        log_p = -0.5 * (
            mahalanobis + ops.take(log_det, index) + dim * math.log(2 * math.pi)
        )
        return ops.convert_to_numpy(log_p)

    def bits_per_dim(self, x, conditions=None, *, batch_size=256):
        raise ValueError("A density of real-valued points has no bits/dim.")

    def sample(self, num_samples, *, seed=None, conditions=None, batch_size=256):
        generator = self.sampling_seed_generator(seed)
        labels = self.check_conditions(conditions, num_samples)
        means, covariances, index = self._gaussian(labels, num_samples)
        noise = ops.convert_to_numpy(
            keras.random.normal((num_samples, means.shape[-1]), seed=generator)
        ).astype("float64")
        chol = np.linalg.cholesky(covariances)[index]
        return (means[index] + np.einsum("nij,nj->ni", chol, noise)).astype("float32")


class BoundGaussianModel(GaussianModel):
    """Declares a likelihood *bound*: ``iwae_log_likelihood = log N - 1 / K``."""

    capabilities = frozenset({Capability.SAMPLE, Capability.LIKELIHOOD_BOUND})

    def elbo(self, x, conditions=None, *, seed=None, batch_size=256):
        return super().log_prob(x, conditions) - 1.0

    def iwae_log_likelihood(
        self, x, num_samples=100, conditions=None, *, seed=None, batch_size=256
    ):
        self.calls.append(("iwae", num_samples, seed))
        return super().log_prob(x, conditions) - 1.0 / num_samples

    def likelihood_estimator(self, num_samples=100):
        return f"IWAE bound (K={num_samples})"

    def log_prob(self, x, conditions=None, *, batch_size=256):
        raise AssertionError("a bound model's log_prob must not be called")


class SampleOnlyModel(GenerativeModel):
    """Samples (copies of given points, or noise) but declares no likelihood."""

    data_kind = "signed"
    capabilities = frozenset({Capability.SAMPLE})

    def __init__(self, images, **kwargs):
        super().__init__(**kwargs)
        self.images = np.asarray(images, "float32")
        self.data_shape = self.images.shape[1:]
        self.built = True

    def sample(self, num_samples, *, seed=None, conditions=None, batch_size=256):
        self.check_conditions(conditions, num_samples)
        rng = np.random.default_rng(0 if seed is None else seed)
        return self.images[rng.integers(0, len(self.images), num_samples)]


class ShiftModel(GenerativeModel):
    """``x = loc + N(0, I)``; ``fit`` moves ``loc`` to the data mean."""

    data_kind = "real"
    num_levels = None
    capabilities = frozenset({Capability.SAMPLE})

    def __init__(self, dim=2, **kwargs):
        super().__init__(**kwargs)
        self.data_shape = (dim,)
        self.loc = self.add_weight(shape=(dim,), initializer="zeros", name="loc")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.built = True

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        loss = ops.mean(ops.sum(ops.square(x - self.loc), axis=-1))
        self.loss_tracker.update_state(loss)
        return loss

    def call(self, x):
        return x

    @property
    def metrics(self):
        return [self.loss_tracker]

    def sample(self, num_samples, *, seed=None, conditions=None, batch_size=256):
        self.check_conditions(conditions, num_samples)
        generator = self.sampling_seed_generator(seed)
        noise = keras.random.normal((num_samples, self.data_shape[0]), seed=generator)
        return ops.convert_to_numpy(self.loc + noise).astype("float32")
