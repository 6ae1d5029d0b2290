"""Shared behaviour of autoregressive image models.

``p(x) = prod_i p(x_i | x_<i)`` over sub-pixels in raster order and, within a
pixel, red -> green -> blue. Subclasses supply the network and the
per-sub-pixel distribution; this base class supplies input checks, the
maximum-likelihood loss, ``log_prob``/``bits_per_dim`` and the samplers.

The contract for subclasses:

- ``call_on_float(x_float, labels=None, training=False)``: the network on
  preprocessed floats, returning an ``outputs`` tensor (the distribution
  parameters of every sub-pixel).
- ``log_prob_per_subpixel(outputs, x_int)``: ``(B, H, W, C)`` float32
  log-probabilities in nats.
- ``sample_subpixel(outputs, row, col, channel, noise, temperature)``: ``(B,)``
  int32 values of one sub-pixel (``row``, ``col``, ``channel`` may be traced
  scalars), a deterministic function of ``noise``.
- ``draw_noise(num_samples, seed)``: every random number a full sample needs,
  drawn before the loop, so that different samplers given the same noise draw
  the same images.
"""

import math
import weakref

import keras
import numpy as np
from keras import ops

from kgen import backend
from kgen.contract import Capability
from kgen.distributions.categorical import categorical_log_prob, gumbel_noise
from kgen.models.base import GenerativeModel, _is_array_like
from kgen.validation import check_images, check_labels, check_positive_int, to_numpy

__all__ = ["AutoregressiveModel", "CategoricalAutoregressiveModel"]

# Compiled inference functions per model, kept outside the model so Keras does
# not try to track them: {model: {key: compiled_fn}}.
_COMPILED = weakref.WeakKeyDictionary()

_LN2 = math.log(2.0)


def take_position(tensor, row, col, channel=None):
    """``tensor[:, row, col]`` (and ``[..., channel]`` along the next axis).

    Works with Python ints and traced scalar tensors on every backend.
    """
    out = ops.take(tensor, row, axis=1)
    out = ops.take(out, col, axis=1)
    if channel is not None:
        out = ops.take(out, channel, axis=1)
    return out


class AutoregressiveModel(GenerativeModel):
    """Base class of pixel-by-pixel models with an exact likelihood.

    Inputs are integer pixels ``(batch, height, width, channels)`` in
    ``[0, num_levels - 1]``, or, for a class-conditional model
    (``num_classes`` set), a dict ``{"images": ..., "labels": ...}``. Training
    minimises the negative log-likelihood in nats per sub-pixel; the
    ``bits_per_dim`` metric reports the same quantity in bits.

    Args:
        image_shape: ``(height, width, channels)`` of the images.
        num_levels: number of pixel values (256 for 8-bit images).
        num_classes: number of classes for class-conditional models, or None.
        **kwargs: standard ``keras.Model`` arguments (``name``...).

    Raises:
        ValueError: for an invalid ``image_shape``, ``num_levels`` or
            ``num_classes``, or an image smaller than the model needs.
    """

    data_kind = "integer"
    capabilities = frozenset(
        {Capability.SAMPLE, Capability.EXACT_LIKELIHOOD, Capability.COMPLETE}
    )
    supports_sample_weight = True

    #: Whether ``sample(method="fast")`` is available.
    supports_fast_sampling = False

    def __init__(self, image_shape, num_levels=256, num_classes=None, **kwargs):
        super().__init__(**kwargs)
        image_shape = tuple(image_shape)
        if len(image_shape) != 3 or any(
            isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1
            for s in image_shape
        ):
            raise ValueError(
                "image_shape must be (height, width, channels) with positive "
                f"integers; received {image_shape!r}."
            )
        self.image_shape = tuple(int(s) for s in image_shape)
        if (
            isinstance(num_levels, bool)
            or not isinstance(num_levels, (int, np.integer))
            or num_levels < 2
        ):
            raise ValueError(
                f"num_levels must be an integer >= 2; received {num_levels!r}."
            )
        self.num_levels = int(num_levels)
        if num_classes is not None:
            num_classes = check_positive_int(num_classes, "num_classes")
        self.num_classes = num_classes
        min_h, min_w = self.minimum_image_size()
        if self.image_shape[0] < min_h or self.image_shape[1] < min_w:
            raise ValueError(
                f"{type(self).__name__} needs images of at least {min_h}x{min_w} "
                f"pixels; received image_shape {self.image_shape}."
            )
        self.bits_per_dim_tracker = keras.metrics.Mean(name="bits_per_dim")
        self.sample_seed_generator = keras.random.SeedGenerator()

    # ----------------------------------------------------------------- contract
    def minimum_image_size(self):
        """Smallest ``(height, width)`` the architecture accepts."""
        return (1, 1)

    def call_on_float(self, x_float, labels=None, training=False):
        """The network on preprocessed float images; subclasses implement."""
        raise NotImplementedError

    def log_prob_per_subpixel(self, outputs, x_int):
        """``(B, H, W, C)`` float32 log-probabilities; subclasses implement."""
        raise NotImplementedError

    def sample_subpixel(self, outputs, row, col, channel, noise, temperature):
        """``(B,)`` int32 values of one sub-pixel; subclasses implement."""
        raise NotImplementedError

    def draw_noise(self, num_samples, seed):
        """All random numbers of ``num_samples`` samples; subclasses implement."""
        raise NotImplementedError

    # ------------------------------------------------------------- the network
    def preprocess(self, x_int):
        """Integer levels to floats in [-1, 1]: ``2 x / (L - 1) - 1``."""
        x = ops.cast(x_int, "float32")
        return 2.0 * x / (self.num_levels - 1) - 1.0

    def _split_inputs(self, inputs):
        if isinstance(inputs, dict):
            images = inputs["images"]
            labels = inputs.get("labels")
        else:
            images, labels = inputs, None
        if self.num_classes is not None and labels is None:
            raise ValueError(
                f"{type(self).__name__} is class-conditional (num_classes="
                f"{self.num_classes}); pass inputs as "
                '{"images": images, "labels": labels}.'
            )
        if self.num_classes is None and labels is not None:
            raise ValueError(
                f"{type(self).__name__} was built without num_classes; it takes "
                "no labels."
            )
        if labels is not None:
            labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        return images, labels

    def build(self, input_shape=None):
        # Trace the network once on symbolic inputs, which builds every layer.
        images = keras.KerasTensor((None, *self.image_shape), dtype="float32")
        labels = None
        if self.num_classes is not None:
            labels = keras.KerasTensor((None,), dtype="int32")
        self.call_on_float(images, labels, training=False)
        self.built = True

    def call(self, inputs, training=False):
        images, labels = self._split_inputs(inputs)
        return self.call_on_float(self.preprocess(images), labels, training=training)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        images, _ = self._split_inputs(x)
        log_p = self.log_prob_per_subpixel(y_pred, images)
        # Negative log-likelihood in nats per sub-pixel.
        per_example = -ops.mean(ops.reshape(log_p, (ops.shape(log_p)[0], -1)), axis=1)
        if sample_weight is not None:
            weight = ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
            loss = ops.sum(per_example * weight) / ops.maximum(ops.sum(weight), 1e-12)
        else:
            loss = ops.mean(per_example)
        self.bits_per_dim_tracker.update_state(loss / _LN2)
        if self.losses:
            loss = loss + ops.sum(ops.stack(self.losses))
        return loss

    @property
    def metrics(self):
        metrics, seen = [], set()
        for metric in [*super().metrics, self.bits_per_dim_tracker]:
            if id(metric) not in seen:
                seen.add(id(metric))
                metrics.append(metric)
        return metrics

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_shape": list(self.image_shape),
                "num_levels": self.num_levels,
                "num_classes": self.num_classes,
            }
        )
        return config

    # ------------------------------------------------------------ input checks
    def _check_images(self, x, name="images"):
        x = to_numpy(x)
        height, width, channels = self.image_shape
        x = check_images(
            x,
            "integer",
            shape=(None, None, None, channels),
            num_levels=self.num_levels,
            name=name,
        )
        min_h, min_w = self.minimum_image_size()
        if x.shape[1] < min_h or x.shape[2] < min_w:
            raise ValueError(
                f"{type(self).__name__} needs {name} of at least {min_h}x{min_w} "
                f"pixels; received shape {tuple(x.shape)}."
            )
        return x.astype("int32")

    def _check_conditions(self, conditions, num_examples, name="conditions"):
        if self.num_classes is None:
            if conditions is not None:
                raise ValueError(
                    f"{type(self).__name__} was built without num_classes, so it "
                    f"takes no {name}; received {name} of shape "
                    f"{np.shape(to_numpy(conditions))}."
                )
            return None
        if conditions is None:
            raise ValueError(
                f"{type(self).__name__} is class-conditional (num_classes="
                f"{self.num_classes}); pass {name}= integer labels with one "
                "label per example."
            )
        return check_labels(
            conditions, self.num_classes, num_examples=num_examples, name=name
        )

    def check_data(self, x, y=None):
        if isinstance(x, dict):
            images = self._check_images(x.get("images"), "images")
            labels = x.get("labels")
        else:
            images, labels = self._check_images(x, "images"), None
        if self.num_classes is None and labels is not None:
            self._check_conditions(labels, len(images), name="labels")
        if self.num_classes is not None:
            self._check_conditions(labels, len(images), name="labels")

    def _labels_into_inputs(self, x, y):
        """``fit(images, labels)`` as ``fit({"images": ..., "labels": ...})``.

        Class-conditional models read their labels from the inputs, so that
        ``call``, ``log_prob`` and the samplers see them; array labels given as
        ``y`` (as for ``ConditionalVAE`` and ``ConditionalGAN``) are moved
        there. An unconditional model given labels raises a ``ValueError``.
        """
        if y is None or not _is_array_like(y) or isinstance(x, dict):
            return x, y
        if self.num_classes is None:
            raise ValueError(
                f"{type(self).__name__} was built without num_classes, so it "
                f"takes no labels; received y of shape {np.shape(to_numpy(y))}. "
                "Build it with num_classes=... for a class-conditional model."
            )
        return {"images": x, "labels": y}, None

    def fit(self, x=None, y=None, *args, **kwargs):
        x, y = self._labels_into_inputs(x, y)
        validation = kwargs.get("validation_data")
        if isinstance(validation, (tuple, list)) and len(validation) == 2:
            kwargs["validation_data"] = (self._labels_into_inputs(*validation)[0],)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        x, y = self._labels_into_inputs(x, y)
        return super().evaluate(x, y, *args, **kwargs)

    def _check_fit_data(self, x, y):
        if isinstance(x, dict):
            self.check_data({k: to_numpy(v) for k, v in x.items()}, None)
        else:
            super()._check_fit_data(x, y)

    # ------------------------------------------------- compiled pure functions
    def run_compiled(self, key, fn, *args, xla=False):
        """Run ``fn(*args)`` compiled, reading the model's current weights.

        The weights are passed as arguments (through a ``StatelessScope``), so
        one compiled function per ``key`` stays valid after more training.
        ``xla=True`` compiles with XLA on TensorFlow too (see
        ``kgen.backend.compile_function``).
        """
        cache = _COMPILED.setdefault(self, {})
        variables = list(self.variables)
        if key not in cache:

            def pure(values, *inner_args):
                with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                    return fn(*inner_args)

            cache[key] = backend.compile_function(pure, xla=xla)
        values = [ops.convert_to_tensor(v) for v in variables]
        return cache[key](values, *args)

    def _ensure_built(self):
        if not self.built:
            self.build()

    # ----------------------------------------------------------- likelihoods
    def _log_prob_batch(self, images, labels):
        outputs = self.call_on_float(self.preprocess(images), labels, training=False)
        log_p = self.log_prob_per_subpixel(outputs, images)
        return ops.sum(ops.reshape(log_p, (ops.shape(log_p)[0], -1)), axis=1)

    def log_prob(self, x, conditions=None, batch_size=64):
        """Exact log-likelihood of integer images, in nats per image.

        Args:
            x: integer images ``(batch, H, W, C)`` in ``[0, num_levels - 1]``
                (NumPy or backend tensor).
            conditions: class labels ``(batch,)`` for class-conditional models.
            batch_size: images per network call.

        Returns:
            NumPy float32 array ``(batch,)`` of ``log p(x)`` in nats.

        Raises:
            ValueError: for non-integer or out-of-range pixels, a wrong channel
                count, too small images, or missing/invalid labels.
        """
        images = self._check_images(x, "x")
        labels = self._check_conditions(conditions, len(images))
        batch_size = check_positive_int(batch_size, "batch_size")
        self._ensure_built()
        out = []
        for start in range(0, len(images), batch_size):
            stop = start + batch_size
            batch_labels = None if labels is None else labels[start:stop]
            out.append(
                to_numpy(
                    self.run_compiled(
                        "log_prob",
                        self._log_prob_batch,
                        images[start:stop],
                        batch_labels,
                    )
                )
            )
        return np.concatenate(out).astype("float32")

    def bits_per_dim(self, x, conditions=None, batch_size=64):
        """Mean negative log-likelihood in bits per sub-pixel (float)."""
        log_p = self.log_prob(x, conditions=conditions, batch_size=batch_size)
        num_dims = int(np.prod(np.shape(x)[1:]))
        return float(np.mean(-log_p) / (num_dims * _LN2))

    # -------------------------------------------------------------- sampling
    def sample(
        self,
        num_samples,
        *,
        seed=None,
        conditions=None,
        temperature=1.0,
        method="naive",
        batch_size=16,
    ):
        """Draw images one sub-pixel at a time.

        Args:
            num_samples: number of images.
            seed: integer for reproducible samples (on one backend), or None
                to use the model's own random stream. Samples also depend on
                ``batch_size``, which fixes how the noise is drawn (the last
                batch is padded to the full size).
            conditions: class labels ``(num_samples,)`` for class-conditional
                models.
            temperature: positive float dividing the logits (or scales).
            method: ``"naive"`` (run the whole network for every sub-pixel) or
                ``"fast"`` (cached, only for models with
                ``supports_fast_sampling``); both draw the same images for
                the same seed.
            batch_size: images sampled together.

        Returns:
            NumPy array ``(num_samples, H, W, C)``, uint8 when
            ``num_levels <= 256``, else int32.

        Raises:
            ValueError: for bad arguments or labels.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        images = np.zeros((num_samples, *self.image_shape), "int32")
        return self._sample_from(
            images, 0, seed, conditions, temperature, method, batch_size
        )

    def complete(
        self,
        x,
        num_given_rows,
        *,
        seed=None,
        conditions=None,
        temperature=1.0,
        method="naive",
        batch_size=16,
    ):
        """Keep the top ``num_given_rows`` rows of ``x`` and sample the rest.

        Args:
            x: integer images ``(batch, H, W, C)`` with the model's shape.
            num_given_rows: rows kept from ``x`` (0 samples whole images).
            seed: as in ``sample``.
            conditions: as in ``sample``.
            temperature: as in ``sample``.
            method: as in ``sample``.
            batch_size: as in ``sample``.

        Returns:
            NumPy array like ``sample``'s.

        Raises:
            ValueError: for bad images, rows or labels.
        """
        images = self._check_images(x, "x")
        if images.shape[1:] != self.image_shape:
            raise ValueError(
                f"complete() needs images of shape (batch, {self.image_shape[0]}, "
                f"{self.image_shape[1]}, {self.image_shape[2]}); received "
                f"{tuple(images.shape)}."
            )
        if (
            isinstance(num_given_rows, bool)
            or not isinstance(num_given_rows, (int, np.integer))
            or not 0 <= num_given_rows <= self.image_shape[0]
        ):
            raise ValueError(
                f"num_given_rows must be an integer in [0, {self.image_shape[0]}]; "
                f"received {num_given_rows!r}."
            )
        images = images.copy()
        images[:, num_given_rows:] = 0
        start = int(num_given_rows) * self.image_shape[1] * self.image_shape[2]
        return self._sample_from(
            images, start, seed, conditions, temperature, method, batch_size
        )

    def _sample_from(
        self, images, start, seed, conditions, temperature, method, batch_size
    ):
        from kgen.sampling import autoregressive as samplers

        if method not in ("naive", "fast"):
            raise ValueError(f"method must be 'naive' or 'fast'; received {method!r}.")
        if method == "fast" and not self.supports_fast_sampling:
            raise ValueError(
                f"{type(self).__name__} has no fast sampler; use method='naive'."
            )
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, (int, float, np.floating))
            or not temperature > 0
        ):
            raise ValueError(
                f"temperature must be a positive number; received {temperature!r}."
            )
        batch_size = check_positive_int(batch_size, "batch_size")
        labels = self._check_conditions(conditions, len(images))
        generator = (
            keras.random.SeedGenerator(int(seed))
            if seed is not None
            else self.sample_seed_generator
        )
        self._ensure_built()
        sampler = samplers.naive_sample if method == "naive" else samplers.fast_sample
        out = []
        # Every batch has the same size (the last one padded), so a compiled
        # loop is traced once per model and batch size.
        batch_size = min(batch_size, len(images))
        out = []
        for begin in range(0, len(images), batch_size):
            stop = begin + batch_size
            batch = images[begin:stop]
            count = len(batch)
            batch = np.concatenate(
                [batch, np.zeros((batch_size - count, *batch.shape[1:]), batch.dtype)]
            )
            batch_labels = None
            if labels is not None:
                batch_labels = np.concatenate(
                    [labels[begin:stop], np.zeros(batch_size - count, labels.dtype)]
                )
            noise = self.draw_noise(batch_size, generator)
            drawn = sampler(self, batch, batch_labels, noise, float(temperature), start)
            out.append(to_numpy(drawn)[:count])
        out = np.concatenate(out)
        return out.astype("uint8" if self.num_levels <= 256 else "int32")


class CategoricalAutoregressiveModel(AutoregressiveModel):
    """An autoregressive model with a ``num_levels``-way softmax per sub-pixel.

    ``call_on_float`` returns logits ``(B, H, W, C, num_levels)``. Sampling
    uses the Gumbel-max trick with Gumbel noise drawn up front, one vector per
    sub-pixel. Used by PixelCNN, Gated PixelCNN and PixelRNN.
    """

    def log_prob_per_subpixel(self, outputs, x_int):
        return categorical_log_prob(outputs, x_int)

    def draw_noise(self, num_samples, seed):
        return gumbel_noise(
            (num_samples, *self.image_shape, self.num_levels), seed=seed
        )

    def sample_subpixel(self, outputs, row, col, channel, noise, temperature):
        logits = ops.cast(take_position(outputs, row, col, channel), "float32")
        gumbel = take_position(noise, row, col, channel)
        return self.sample_from_logits(logits, gumbel, temperature)

    def sample_from_logits(self, logits, gumbel, temperature):
        """Gumbel-max: ``argmax(logits / T + g)`` -> int32 ``(B,)``."""
        return ops.cast(ops.argmax(logits / temperature + gumbel, axis=-1), "int32")
