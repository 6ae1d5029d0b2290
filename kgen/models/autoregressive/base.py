"""Autoregressive models over integer grids: pixels of images, or codes.

``p(x) = prod_i p(x_i | x_<i)`` over the positions of an integer grid in
raster order and, within a position, over its channels (R -> G -> B). The
grid is an image ``(H, W, C)`` of levels in ``[0, num_levels - 1]`` or a
``(H, W)`` grid of tokens, e.g. the code indices of a VQ-VAE (one channel).
A model is made of separate choices:

- **the input embedding** (``input_embedding``): ``"scale"`` maps level
  ``v`` to ``2 v / (L - 1) - 1`` (pixel intensities, whose order means
  something); ``"embedding"`` looks up a learned ``embedding_dim`` vector per
  level (code indices, whose order means nothing);
- **the network** (the subclass): ``call_network(features, labels,
  condition_map, training)`` on the embedded grid;
- **the likelihood** of each position: a ``num_levels``-way categorical
  (``CategoricalAutoregressiveModel``) or a discretized logistic mixture
  (``PixelCNNPlusPlus``);
- **the conditioning**, optional: a class label (``num_classes``, one label
  per example) and/or a *condition grid* (``condition_grid_shape``,
  ``condition_grid_levels``): a second integer grid of the same or a coarser
  resolution (e.g. the top codes of a two-level VQ-VAE for the bottom
  prior). The base class embeds the condition grid (``embedding_dim``
  channels), brings it to the grid's resolution with a learned transposed
  convolution (stride = the resolution ratio) and hands this map to the
  network, which adds it as a location-dependent bias in every layer (the
  Gated PixelCNN paper's ``h -> s = m(h)``). The condition grid is given, so
  any position of it may be read without breaking causality.

Inputs for ``fit`` are the grid, or a dict ``{"images" (or "tokens" for a
``(H, W)`` grid): ..., "labels": ..., "condition_grid": ...}``; ``fit(x,
labels)`` moves array labels into the dict. Every verb takes ``conditions=``
(the class labels) and ``condition_grid=``.

The contract for subclasses:

- ``call_network(features, labels=None, condition_map=None,
  training=False)``: the network on embedded inputs ``(B, H, W,
  feature_channels)`` with int32 labels ``(B,)`` and the condition map
  ``(B, H, W, embedding_dim)`` (or None), returning ``outputs`` (the
  distribution parameters of every position).
- ``log_prob_per_subpixel(outputs, x_int)``: ``(B, H, W, C)`` float32
  log-probabilities in nats.
- ``sample_subpixel(outputs, row, col, channel, noise, temperature)``: ``(B,)``
  int32 values of one sub-pixel (``row``, ``col``, ``channel`` may be traced
  scalars), a deterministic function of ``noise``.
- ``draw_noise(num_samples, seed)``: every random number a full sample needs,
  drawn before the loop, so that different samplers given the same noise draw
  the same grids.
- With ``Capability.FAST_SAMPLING``: ``fast_sample_loop(images, labels,
  condition_grid, noise, temperature, start)``, a pure tensor function.
"""

import math

import keras
import numpy as np
from keras import ops

from kgen.contract import Capability
from kgen.distributions.categorical import categorical_log_prob, gumbel_noise
from kgen.losses.likelihood import nats_to_bits_per_dim
from kgen.models.base import GenerativeModel, _is_array_like, map_batches
from kgen.validation import check_images, check_positive_int, to_numpy

__all__ = ["AutoregressiveModel", "CategoricalAutoregressiveModel"]

_LN2 = math.log(2.0)

INPUT_EMBEDDINGS = ("scale", "embedding")

#: ``embedding_dim`` when it is not given.
DEFAULT_EMBEDDING_DIM = 32


def take_position(tensor, row, col, channel=None):
    """``tensor[:, row, col]`` (and ``[..., channel]`` along the next axis).

    Works with Python ints and traced scalar tensors on every backend.
    """
    out = ops.take(tensor, row, axis=1)
    out = ops.take(out, col, axis=1)
    if channel is not None:
        out = ops.take(out, channel, axis=1)
    return out


def _shape_argument(value, name, ranks):
    text = " or ".join(f"{r} positive integers" for r in ranks)
    if (
        not isinstance(value, (tuple, list))
        or len(value) not in ranks
        or any(
            isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1
            for s in value
        )
    ):
        raise ValueError(f"{name} must be a tuple of {text}; received {value!r}.")
    return tuple(int(s) for s in value)


class AutoregressiveModel(GenerativeModel):
    """Base class of autoregressive models over integer grids (see the module).

    Training minimises the negative log-likelihood in nats per sub-pixel (per
    example, averaged over the batch as Keras's ``"sum_over_batch_size"``;
    ``sample_weight`` weights the examples); the ``bits_per_dim`` metric
    reports the same quantity in bits.

    Args:
        data_shape: ``(height, width, channels)`` of images, or ``(height,
            width)`` of a grid of tokens.
        num_levels: values per position (256 for 8-bit images, the codebook
            size for VQ codes).
        num_classes: number of classes of a class-conditional model, or None.
        input_embedding: ``"scale"`` (levels to [-1, 1]) or ``"embedding"``
            (a learned ``embedding_dim`` vector per level and channel).
        embedding_dim: channels of the learned embeddings (the levels with
            ``input_embedding="embedding"`` and the condition grid); default
            32. Only for models that have one of them.
        condition_grid_shape: ``(height, width)`` of a condition grid, or
            None. The grid's height and width must be whole multiples of it.
        condition_grid_levels: values of the condition grid (e.g. the size of
            the codebook it comes from); needed with ``condition_grid_shape``.
        **kwargs: standard ``keras.Model`` arguments (``name``...).

    Raises:
        ValueError: for invalid arguments, with what was expected.
    """

    data_kind = "integer"
    capabilities = frozenset(
        {Capability.SAMPLE, Capability.EXACT_LIKELIHOOD, Capability.COMPLETE}
    )
    supports_sample_weight = True

    def __init__(
        self,
        data_shape,
        num_levels=256,
        num_classes=None,
        *,
        input_embedding="scale",
        embedding_dim=None,
        condition_grid_shape=None,
        condition_grid_levels=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.data_shape = _shape_argument(
            data_shape,
            "data_shape ((height, width, channels) or (height, width))",
            (2, 3),
        )
        # Internally every grid has a channel axis (1 for tokens).
        self.grid_shape = (*self.data_shape[:2], (self.data_shape + (1,))[2])
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
        if input_embedding not in INPUT_EMBEDDINGS:
            raise ValueError(
                f"input_embedding must be one of {INPUT_EMBEDDINGS}; received "
                f"{input_embedding!r}. 'scale' maps levels to [-1, 1] (pixels); "
                "'embedding' learns a vector per level (code indices)."
            )
        self.input_embedding = input_embedding
        if (condition_grid_shape is None) != (condition_grid_levels is None):
            raise ValueError(
                "condition_grid_shape and condition_grid_levels go together; "
                f"received condition_grid_shape={condition_grid_shape!r}, "
                f"condition_grid_levels={condition_grid_levels!r}."
            )
        uses_embeddings = input_embedding == "embedding" or (
            condition_grid_shape is not None
        )
        if embedding_dim is not None:
            embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
            if not uses_embeddings:
                raise ValueError(
                    "embedding_dim sizes the learned embeddings of the levels "
                    "(input_embedding='embedding') and of the condition grid; this "
                    "model has neither. Drop embedding_dim, or set "
                    "input_embedding='embedding'."
                )
        self.embedding_dim = embedding_dim
        self._embedding_size = embedding_dim or DEFAULT_EMBEDDING_DIM
        channels = self.grid_shape[-1]
        self.level_embedding = None
        self.feature_channels = channels
        if input_embedding == "embedding":
            self.level_embedding = keras.layers.Embedding(
                self.num_levels, self._embedding_size, name="level_embedding"
            )
            self.feature_channels = channels * self._embedding_size

        self.condition_grid_shape = None
        self.condition_grid_levels = None
        self.condition_embedding = None
        self.condition_upsample = None
        if condition_grid_shape is not None:
            self.condition_grid_shape = _shape_argument(
                condition_grid_shape, "condition_grid_shape", (2,)
            )
            self.condition_grid_levels = check_positive_int(
                condition_grid_levels, "condition_grid_levels"
            )
            height, width = self.grid_shape[:2]
            grid_h, grid_w = self.condition_grid_shape
            if height % grid_h or width % grid_w:
                raise ValueError(
                    f"The grid ({height}x{width}) must be a whole multiple of the "
                    f"condition grid; received condition_grid_shape="
                    f"{self.condition_grid_shape}."
                )
            factor = (height // grid_h, width // grid_w)
            self.condition_embedding = keras.layers.Embedding(
                self.condition_grid_levels,
                self._embedding_size,
                name="condition_embedding",
            )
            if factor != (1, 1):
                # each coarse cell gives its factor_h x factor_w fine cells
                # their own learned function of its embedding
                self.condition_upsample = keras.layers.Conv2DTranspose(
                    self._embedding_size,
                    factor,
                    strides=factor,
                    name="condition_upsample",
                )
        self.bits_per_dim_tracker = keras.metrics.Mean(name="bits_per_dim")

    # ----------------------------------------------------------------- contract
    def call_network(self, features, labels=None, condition_map=None, training=False):
        """The network on embedded inputs; subclasses implement."""
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

    # --------------------------------------------------------------- embeddings
    @property
    def data_key(self):
        """The key of the grid in dict inputs: ``"images"`` or ``"tokens"``."""
        return "images" if len(self.data_shape) == 3 else "tokens"

    @property
    def condition_channels(self):
        """Channels of the condition map (None without a condition grid)."""
        return None if self.condition_grid_shape is None else self._embedding_size

    def input_embedding_table(self):
        """The level embedding matrix ``(num_levels, embedding_dim)``, or None."""
        if self.level_embedding is None:
            return None
        return ops.convert_to_tensor(self.level_embedding.embeddings)

    def embed_values(self, values, table=None):
        """Embed int levels ``(...)`` to ``(..., feature_channels // C)``.

        ``table`` is ``input_embedding_table()`` (None for ``"scale"``); the
        same numbers as ``embed_inputs``, for samplers that embed one value.
        """
        if table is None:
            # 2 v / (L - 1) - 1
            scaled = 2.0 * ops.cast(values, "float32") / (self.num_levels - 1) - 1.0
            return scaled[..., None]
        return ops.take(table, ops.cast(values, "int32"), axis=0)

    def embed_inputs(self, x_int):
        """The input embedding: int grid ``(B, H, W, C)`` to features.

        Returns ``(B, H, W, feature_channels)`` floats: the levels scaled to
        [-1, 1] (``"scale"``), or each level's learned vector, channel by
        channel (``"embedding"``: contiguous groups of ``embedding_dim``, so
        colour masks see one group per colour).
        """
        if self.level_embedding is None:
            return 2.0 * ops.cast(x_int, "float32") / (self.num_levels - 1) - 1.0
        embedded = self.level_embedding(ops.cast(x_int, "int32"))
        shape = ops.shape(embedded)
        return ops.reshape(embedded, (-1, shape[1], shape[2], self.feature_channels))

    def condition_map(self, condition_grid):
        """The condition grid ``(B, H', W')`` as a map ``(B, H, W, D)``.

        Embedded (``D = embedding_dim``) and brought to the grid's resolution
        by a transposed convolution whose stride is the resolution ratio.
        """
        if self.condition_embedding is None:
            raise ValueError(f"{type(self).__name__} has no condition grid.")
        out = self.condition_embedding(ops.cast(condition_grid, "int32"))
        if self.condition_upsample is not None:
            out = self.condition_upsample(out)
        return out

    def call_on_grid(self, x_int, labels=None, condition_grid=None, training=False):
        """The network on an int grid ``(B, H, W, C)``: embed, condition, run."""
        condition_map = None
        if condition_grid is not None:
            condition_map = self.condition_map(condition_grid)
        return self.call_network(
            self.embed_inputs(x_int), labels, condition_map, training=training
        )

    # ------------------------------------------------------------ Keras model
    def _split_inputs(self, inputs):
        """``inputs`` of ``call`` as (int grid (B, H, W, C), labels, grid)."""
        model = type(self).__name__
        if isinstance(inputs, dict):
            known = {self.data_key, "labels", "condition_grid"}
            if self.data_key not in inputs or set(inputs) - known:
                raise ValueError(
                    f"{model} takes dict inputs with the keys "
                    f"{sorted(known)} ('{self.data_key}' required); received "
                    f"{sorted(inputs)}."
                )
            x = inputs[self.data_key]
            labels = inputs.get("labels")
            grid = inputs.get("condition_grid")
        else:
            x, labels, grid = inputs, None, None
        example = {self.data_key: "...", "labels": "..."}
        if self.num_classes is not None and labels is None:
            raise ValueError(
                f"{model} is class-conditional (num_classes={self.num_classes}); "
                f"pass inputs as {example}, or fit(x, labels)."
            )
        if self.num_classes is None and labels is not None:
            raise ValueError(
                f"{model} was built without num_classes; it takes no labels."
            )
        if self.condition_grid_shape is not None and grid is None:
            raise ValueError(
                f"{model} is conditioned on a {self.condition_grid_shape} grid; pass "
                f"inputs as {{'{self.data_key}': ..., 'condition_grid': ...}}."
            )
        if self.condition_grid_shape is None and grid is not None:
            raise ValueError(
                f"{model} was built without condition_grid_shape; it takes no "
                "condition_grid."
            )
        x = ops.reshape(ops.cast(x, "int32"), (-1, *self.grid_shape))
        if labels is not None:
            labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        if grid is not None:
            grid = ops.reshape(
                ops.cast(grid, "int32"), (-1, *self.condition_grid_shape)
            )
        return x, labels, grid

    def build(self, input_shape=None):
        # Trace the network once on symbolic inputs, which builds every layer.
        x = keras.KerasTensor((None, *self.grid_shape), dtype="int32")
        labels = grid = None
        if self.num_classes is not None:
            labels = keras.KerasTensor((None,), dtype="int32")
        if self.condition_grid_shape is not None:
            grid = keras.KerasTensor((None, *self.condition_grid_shape), dtype="int32")
        self.call_on_grid(x, labels, grid, training=False)
        self.built = True

    def call(self, inputs, training=False):
        x, labels, grid = self._split_inputs(inputs)
        return self.call_on_grid(x, labels, grid, training=training)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        grid, _, _ = self._split_inputs(x)
        log_p = self.log_prob_per_subpixel(y_pred, grid)
        # Negative log-likelihood in nats per sub-pixel, per example.
        per_example = -ops.mean(ops.reshape(log_p, (ops.shape(log_p)[0], -1)), axis=1)
        loss = self.weighted_mean(per_example, sample_weight)
        self.bits_per_dim_tracker.update_state(loss / _LN2)
        if self.losses:
            loss = loss + ops.sum(ops.stack(self.losses))
        return self.scale_loss_for_distribution(loss)

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
                "data_shape": list(self.data_shape),
                "num_levels": self.num_levels,
                "num_classes": self.num_classes,
                "input_embedding": self.input_embedding,
                "embedding_dim": self.embedding_dim,
                "condition_grid_shape": None
                if self.condition_grid_shape is None
                else list(self.condition_grid_shape),
                "condition_grid_levels": self.condition_grid_levels,
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "image_shape" in config:  # files saved before data_shape
            config["data_shape"] = config.pop("image_shape")
        return super().from_config(config, custom_objects=custom_objects)

    # ------------------------------------------------------------ input checks
    def check_condition_grid(self, condition_grid, num_examples, name="condition_grid"):
        """The one check of condition grids, for every verb.

        A model built with ``condition_grid_shape`` needs one int grid per
        example ``(num_examples, H', W')`` or one for all ``(H', W')``; other
        models take none.

        Returns:
            int32 NumPy ``(num_examples, H', W')``, or None.
        """
        model = type(self).__name__
        if self.condition_grid_shape is None:
            if condition_grid is not None:
                raise ValueError(
                    f"{model} was built without condition_grid_shape, so it takes "
                    f"no {name}; received shape {np.shape(to_numpy(condition_grid))}."
                )
            return None
        if condition_grid is None:
            raise ValueError(
                f"{model} is conditioned on a grid of shape "
                f"{self.condition_grid_shape} with levels in [0, "
                f"{self.condition_grid_levels - 1}]; pass {name}= one grid per "
                f"example ({num_examples}) or one for all."
            )
        grid = to_numpy(condition_grid)
        if grid.shape == self.condition_grid_shape:
            grid = np.broadcast_to(grid, (num_examples, *grid.shape))
        grid = check_images(
            grid,
            "integer",
            shape=(num_examples, *self.condition_grid_shape),
            num_levels=self.condition_grid_levels,
            name=name,
        )
        return np.ascontiguousarray(grid).astype("int32")

    def _check_grid(self, x, name="x"):
        """Data in the model's convention as an int32 ``(B, H, W, C)`` grid."""
        return self.check_x(x, name=name).reshape(-1, *self.grid_shape)

    def _split_data(self, x):
        if isinstance(x, dict):
            known = {self.data_key, "labels", "condition_grid"}
            if self.data_key not in x or set(x) - known:
                raise ValueError(
                    f"{type(self).__name__} takes dict inputs with the keys "
                    f"{sorted(known)} ('{self.data_key}' required); received "
                    f"{sorted(x)}."
                )
            return x[self.data_key], x.get("labels"), x.get("condition_grid")
        return x, None, None

    def check_data(self, x, y=None):
        data, labels, grid = self._split_data(x)
        data = self.check_x(to_numpy(data), name=self.data_key)
        if labels is None:
            labels = y
        self.check_conditions(to_numpy(labels), len(data), name="labels")
        self.check_condition_grid(to_numpy(grid), len(data), name="condition_grid")

    def _labels_into_inputs(self, x, y):
        """``fit(x, labels)`` as ``fit({data_key: x, "labels": labels})``.

        The models read their labels from the inputs, so that ``call``,
        ``log_prob`` and the samplers see them; array labels given as ``y``
        (as for every conditional kgen model) are moved there. An
        unconditional model given labels raises a ``ValueError``.
        """
        if y is None or not _is_array_like(y):
            return x, y
        if self.num_classes is None:
            raise ValueError(
                f"{type(self).__name__} was built without num_classes, so it "
                f"takes no labels; received y of shape {np.shape(to_numpy(y))}. "
                "Build it with num_classes=... for a class-conditional model."
            )
        if isinstance(x, dict):
            if "labels" in x:
                raise ValueError("Received labels twice: in the inputs dict and as y.")
            return {**x, "labels": y}, None
        return {self.data_key: x, "labels": y}, None

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

    def _ensure_built(self):
        if not self.built:
            self.build()

    # ----------------------------------------------------------- likelihoods
    def _log_prob_batch(self, x, labels, condition_grid):
        outputs = self.call_on_grid(x, labels, condition_grid, training=False)
        log_p = self.log_prob_per_subpixel(outputs, x)
        return ops.sum(ops.reshape(log_p, (ops.shape(log_p)[0], -1)), axis=1)

    def log_prob(self, x, conditions=None, *, condition_grid=None, batch_size=64):
        """Exact log-likelihood of integer grids, in nats per example.

        Args:
            x: integer data of the model's shape (``(batch, H, W, C)`` images
                or ``(batch, H, W)`` tokens) in ``[0, num_levels - 1]``.
            conditions: class labels ``(batch,)`` (or one for all) for
                class-conditional models.
            condition_grid: condition grids ``(batch, H', W')`` (or one for
                all) for models built with ``condition_grid_shape``.
            batch_size: examples per network call.

        Returns:
            NumPy float32 array ``(batch,)`` of ``log p(x)`` in nats.

        Raises:
            ValueError: for non-integer or out-of-range values, a wrong shape,
                or missing/invalid conditioning.
        """
        x = self._check_grid(x)
        labels = self.check_conditions(conditions, len(x))
        grid = self.check_condition_grid(condition_grid, len(x))
        self._ensure_built()
        fn = self.compiled_inference("log_prob", self._log_prob_batch)
        return map_batches(fn, [x, labels, grid], batch_size).astype("float32")

    def bits_per_dim(self, x, conditions=None, *, condition_grid=None, batch_size=64):
        """Negative log-likelihood in bits per sub-pixel, per example.

        ``-log2 p(x) / D`` with ``D`` the number of sub-pixels (or tokens)
        of one example; ``.mean()`` is the usual figure of a test set.

        Returns:
            NumPy float32 array ``(batch,)``.
        """
        log_p = self.log_prob(
            x, conditions, condition_grid=condition_grid, batch_size=batch_size
        )
        return nats_to_bits_per_dim(log_p, self.data_convention.num_dims).astype(
            "float32"
        )

    # -------------------------------------------------------------- sampling
    def sample(
        self,
        num_samples,
        *,
        seed=None,
        conditions=None,
        condition_grid=None,
        temperature=1.0,
        method="naive",
        batch_size=16,
    ):
        """Draw grids one sub-pixel at a time.

        Args:
            num_samples: number of examples.
            seed: integer for reproducible samples (on one backend), or None
                for the model's own sampling stream (advanced by every call,
                saved with the model, separate from training noise). Samples
                also depend on ``batch_size``, which fixes how the noise is
                drawn (a short last batch is padded to the full size).
            conditions: class labels ``(num_samples,)`` (or one for all) for
                class-conditional models.
            condition_grid: condition grids ``(num_samples, H', W')`` (or one
                for all) for models built with ``condition_grid_shape``.
            temperature: positive float dividing the logits (or scales).
            method: ``"naive"`` (run the whole network for every sub-pixel) or
                ``"fast"`` (cached, for models with
                ``Capability.FAST_SAMPLING``); both draw the same data for
                the same seed.
            batch_size: examples sampled together.

        Returns:
            NumPy array ``(num_samples, *data_shape)``, uint8 when
            ``num_levels <= 256``, else int32.

        Raises:
            ValueError: for bad arguments or conditioning.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        images = np.zeros((num_samples, *self.grid_shape), "int32")
        return self._sample_from(
            images, 0, seed, conditions, condition_grid, temperature, method, batch_size
        )

    def complete(
        self,
        x,
        num_given_rows,
        *,
        seed=None,
        conditions=None,
        condition_grid=None,
        temperature=1.0,
        method="naive",
        batch_size=16,
    ):
        """Keep the top ``num_given_rows`` rows of ``x`` and sample the rest.

        Args:
            x: integer data of the model's shape.
            num_given_rows: rows kept from ``x`` (0 samples from scratch).
            seed: as in ``sample``.
            conditions: as in ``sample``.
            condition_grid: as in ``sample``.
            temperature: as in ``sample``.
            method: as in ``sample``.
            batch_size: as in ``sample``.

        Returns:
            NumPy array like ``sample``'s.

        Raises:
            ValueError: for bad data, rows or conditioning.
        """
        images = self._check_grid(x)
        height = self.grid_shape[0]
        if (
            isinstance(num_given_rows, bool)
            or not isinstance(num_given_rows, (int, np.integer))
            or not 0 <= num_given_rows <= height
        ):
            raise ValueError(
                f"num_given_rows must be an integer in [0, {height}]; "
                f"received {num_given_rows!r}."
            )
        images = images.copy()
        images[:, num_given_rows:] = 0
        start = int(num_given_rows) * self.grid_shape[1] * self.grid_shape[2]
        return self._sample_from(
            images,
            start,
            seed,
            conditions,
            condition_grid,
            temperature,
            method,
            batch_size,
        )

    def _sample_from(
        self,
        images,
        start,
        seed,
        conditions,
        condition_grid,
        temperature,
        method,
        batch_size,
    ):
        from kgen.sampling import autoregressive as samplers

        if method not in ("naive", "fast"):
            raise ValueError(f"method must be 'naive' or 'fast'; received {method!r}.")
        if method == "fast" and not self.has(Capability.FAST_SAMPLING):
            raise ValueError(
                f"{type(self).__name__} has no fast sampler (it does not declare "
                "Capability.FAST_SAMPLING); use method='naive'."
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
        labels = self.check_conditions(conditions, len(images))
        grid = self.check_condition_grid(condition_grid, len(images))
        generator = self.sampling_seed_generator(seed)
        self._ensure_built()
        sampler = samplers.naive_sample if method == "naive" else samplers.fast_sample

        def sample_batch(batch, batch_labels, batch_grid):
            noise = self.draw_noise(len(batch), generator)
            return sampler(
                self, batch, batch_labels, batch_grid, noise, float(temperature), start
            )

        # Every batch has the same size (a short last one is padded), so a
        # compiled loop is traced once per model and batch size.
        out = map_batches(sample_batch, [images, labels, grid], batch_size)
        out = out.reshape(len(images), *self.data_shape)
        return out.astype("uint8" if self.num_levels <= 256 else "int32")


class CategoricalAutoregressiveModel(AutoregressiveModel):
    """An autoregressive model with a ``num_levels``-way softmax per sub-pixel.

    ``call_network`` returns logits ``(B, H, W, C, num_levels)`` (``C = 1``
    for token grids). Sampling uses the Gumbel-max trick with Gumbel noise
    drawn up front, one vector per sub-pixel. Used by PixelCNN, Gated
    PixelCNN and PixelRNN.
    """

    def log_prob_per_subpixel(self, outputs, x_int):
        return categorical_log_prob(outputs, x_int)

    def draw_noise(self, num_samples, seed):
        return gumbel_noise((num_samples, *self.grid_shape, self.num_levels), seed=seed)

    def sample_subpixel(self, outputs, row, col, channel, noise, temperature):
        logits = ops.cast(take_position(outputs, row, col, channel), "float32")
        gumbel = take_position(noise, row, col, channel)
        return self.sample_from_logits(logits, gumbel, temperature)

    def sample_from_logits(self, logits, gumbel, temperature):
        """Gumbel-max: ``argmax(logits / T + g)`` -> int32 ``(B,)``."""
        return ops.cast(ops.argmax(logits / temperature + gumbel, axis=-1), "int32")

    def logits_from_features(self, logits):
        """Reshape a ``(B, H, W, C * L)`` head output to ``(B, H, W, C, L)``."""
        shape = ops.shape(logits)
        return ops.reshape(
            logits, (-1, shape[1], shape[2], self.grid_shape[-1], self.num_levels)
        )
