"""What every kgen model shares: the declared contract and the plumbing.

``GenerativeModel`` is the base of every kgen model. It holds

- **the declaration** (see ``kgen.contract``): the class attributes
  ``data_kind`` and ``capabilities``, the instance's ``data_convention`` and
  ``num_classes`` (``None``: unconditional);
- **the plumbing every family needs, once**: input and label checks driven by
  the declaration (`check_conditions`), one compiled-inference cache
  (`compiled_inference`), one batching helper (`map_batches`), the sampling seed
  stream (`sampling_seed_generator`), loss scaling for distribution
  (`scale_loss_for_distribution`), ``sample_weight`` handling, and a NaN
  guard around ``fit``;
- saving of every ``SeedGenerator`` state, so that a reloaded model resumes
  its random streams.

Subclasses set ``data_kind`` and ``capabilities`` as class attributes, set
``self.num_classes`` (when conditional) and provide ``data_shape`` (the
shape of one example) and, for ``"integer"`` data, ``num_levels``.
"""

import copy
import weakref

import keras
import numpy as np
from keras import ops

from kgen import backend
from kgen.callbacks.nan_guard import StopOnNaN
from kgen.contract import Capability, DataConvention
from kgen.validation import check_images, check_labels, check_positive_int, to_numpy

__all__ = [
    "GenerativeModel",
    "is_placeholder_targets",
    "map_batches",
    "placeholder_targets",
]

# Compiled inference functions per model, kept outside the model so Keras does
# not track them: {model: {key: (compiled_fn, variables)}}.
_COMPILED = weakref.WeakKeyDictionary()


def _is_array_like(x):
    if x is None or isinstance(x, (dict, str)):
        return False
    if isinstance(x, (np.ndarray, list, tuple)):
        return True
    # backend tensors (tf.Tensor, jax.Array, torch.Tensor) have a shape and dtype;
    # tf.data.Dataset and PyDataset do not have both.
    return hasattr(x, "shape") and hasattr(x, "dtype")


def _numpy_tree(value):
    if isinstance(value, dict):
        return {k: _numpy_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return tuple(_numpy_tree(v) for v in value)
    return np.asarray(ops.convert_to_numpy(value))


def _concatenate(chunks):
    first = chunks[0]
    if isinstance(first, dict):
        return {k: _concatenate([c[k] for c in chunks]) for k in first}
    if isinstance(first, tuple):
        return tuple(_concatenate([c[i] for c in chunks]) for i in range(len(first)))
    return np.concatenate(chunks, axis=0)


def _take_rows(value, num_rows):
    if isinstance(value, dict):
        return {k: _take_rows(v, num_rows) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_take_rows(v, num_rows) for v in value)
    return value[:num_rows]


def _pad_rows(array, num_rows):
    extra = num_rows - len(array)
    return np.concatenate([array, np.repeat(array[-1:], extra, axis=0)], axis=0)


def placeholder_targets(num_examples):
    """``y`` of shape ``(num_examples, 0)``: carries nothing but the batching.

    Keras packs array data as ``x`` alone when ``y`` is None and drops
    ``sample_weight`` on the way (``pack_x_y_sample_weight`` in Keras's data
    adapters): an unconditional model's weights would be ignored without a
    word. ``GenerativeModel.fit`` passes this empty ``y`` instead, and
    `is_placeholder_targets` lets ``compute_loss`` read it as "no labels".
    """
    return np.zeros((int(num_examples), 0), dtype="float32")


def is_placeholder_targets(y):
    """Whether ``y`` is the empty ``(batch, 0)`` stand-in of `placeholder_targets`."""
    shape = getattr(y, "shape", None)
    return shape is not None and len(shape) == 2 and shape[-1] == 0


def map_batches(fn, arrays, batch_size, *, pad=True):
    """Apply ``fn`` to row-aligned chunks of ``arrays``; concatenate the results.

    The one batching loop of kgen: every verb that runs a network over many
    examples goes through it.

    Args:
        fn: called as ``fn(*chunks)`` with one chunk of each array (``None``
            entries stay ``None``); returns a tensor, an array, or a tuple or
            dict of them, with one row per example.
        arrays: list of arrays with the same number of rows, or ``None``.
        batch_size: rows per call.
        pad: when there is more than one chunk, pad a short last chunk to the
            full batch size (repeating its last row) and drop the extra rows
            of the result, so that every call has one shape and compiled
            functions trace once.

    Returns:
        NumPy results concatenated along the first axis (same structure as
        one call's result).

    Raises:
        ValueError: for an empty batch or a non-positive ``batch_size``.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    num_rows = len(next(a for a in arrays if a is not None))
    if num_rows == 0:
        raise ValueError("Received an empty batch (0 examples).")
    chunks = []
    for start in range(0, num_rows, batch_size):
        part = [None if a is None else a[start : start + batch_size] for a in arrays]
        size = len(next(p for p in part if p is not None))
        if pad and num_rows > batch_size and size < batch_size:
            part = [None if p is None else _pad_rows(p, batch_size) for p in part]
        chunks.append(_take_rows(_numpy_tree(fn(*part)), size))
    return _concatenate(chunks)


class GenerativeModel(keras.Model):
    """Base class of kgen models: the declared contract and shared plumbing.

    Class attributes a subclass sets:

    - ``data_kind``: ``"unit"``, ``"signed"``, ``"integer"`` or ``"real"``
      (see ``kgen.contract.DataConvention``);
    - ``capabilities``: frozenset of ``kgen.contract.Capability``;
    - ``supports_sample_weight``: whether ``fit(..., sample_weight=...)``
      weights the per-example loss (otherwise it raises).
    - ``value_noun``: what messages call the entries of integer data
      (``"pixel values"``; ``"code indices"`` for a model of code grids).

    Instance attributes: ``num_classes`` (``None`` unless conditional),
    ``data_shape`` (one example) and ``num_levels`` (levels of the discrete
    data; ``None`` for continuous data).

    ``fit`` and ``evaluate`` check array inputs against the declaration
    (datasets and generators are passed through and checked in the step) and
    ``fit`` adds a ``StopOnNaN`` callback that stops training the moment any
    logged value becomes NaN or infinite.
    """

    data_kind = "unit"
    capabilities = frozenset()
    supports_sample_weight = False
    value_noun = "pixel values"
    num_classes = None
    num_levels = 256
    # config keys that hold serialized Keras objects (networks, quantizers,
    # tokenizers): `from_config` deserializes them before calling the class
    config_objects = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The stream `sample(seed=None)` draws from: separate from every
        # training noise stream, advanced by each call, saved with the model.
        self.sample_seed_generator = keras.random.SeedGenerator()

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The model from `get_config`'s dict, its `config_objects` deserialized."""
        if not cls.config_objects:
            return super().from_config(config, custom_objects=custom_objects)
        # a deep copy: deserializing a nested object consumes its config,
        # which belongs to the caller
        config = copy.deepcopy(config)
        for key in cls.config_objects:
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    # ------------------------------------------------------------- declaration
    @property
    def data_shape(self):
        """The shape of one example (``image_shape`` for image models)."""
        shape = getattr(self, "_data_shape", None)
        return tuple(self.image_shape) if shape is None else shape

    @data_shape.setter
    def data_shape(self, value):
        self._data_shape = tuple(int(s) for s in value)

    @property
    def data_convention(self):
        """The ``kgen.contract.DataConvention`` of this model's data."""
        return DataConvention(self.data_kind, self.data_shape, self.num_levels)

    @property
    def conditional(self):
        """Whether the model takes class labels (``num_classes`` is set)."""
        return self.num_classes is not None

    def has(self, capability):
        """Whether the model declares ``capability`` (``kgen.contract.Capability``)."""
        return Capability(capability) in self.capabilities

    # ------------------------------------------------------------------ checks
    def check_x(self, x, name="x"):
        """Check data against the declared convention; return NumPy.

        Floats for ``"unit"``/``"signed"``/``"real"``, int32 for ``"integer"``.
        The batch axis may have any size; the example shape must match.
        """
        convention = self.data_convention
        shape = (None, *convention.shape)
        if convention.kind == "real":
            from kgen.validation import check_finite, check_rank_and_shape

            x = check_rank_and_shape(to_numpy(x), shape, name=name)
            check_finite(x, name=name)
            return np.asarray(x, dtype="float32")
        x = check_images(
            x,
            convention.kind,
            shape=shape,
            num_levels=convention.num_levels or 256,
            name=name,
            values=self.value_noun,
        )
        return x.astype("int32" if convention.kind == "integer" else "float32")

    def check_conditions(self, conditions, num_examples, name="conditions"):
        """The one check of class labels, for every verb of every family.

        Unconditional models (``num_classes is None``) take no labels; a
        conditional model needs one integer label per example, or one label
        for all (a scalar).

        Returns:
            int32 NumPy labels ``(num_examples,)``, or ``None``.

        Raises:
            ValueError: naming what was expected and received.
        """
        model = type(self).__name__
        if self.num_classes is None:
            if conditions is not None:
                raise ValueError(
                    f"{model} is unconditional (built without num_classes), so it "
                    f"takes no {name}; received {name} of shape "
                    f"{np.shape(to_numpy(conditions))}. Build it with "
                    "num_classes=... for a class-conditional model."
                )
            return None
        if conditions is None:
            raise ValueError(
                f"{model} is class-conditional (num_classes={self.num_classes}); "
                f"pass {name}= integer labels in [0, {self.num_classes - 1}], one "
                f"per example ({num_examples}) or one for all."
            )
        labels = to_numpy(conditions)
        if labels.ndim == 0:
            labels = np.full((num_examples,), labels)
        return check_labels(
            labels, self.num_classes, num_examples=num_examples, name=name
        )

    def check_data(self, x, y=None):
        """Validate training data (NumPy): the convention, and labels as ``y``.

        Conditional models take their labels as ``fit(x, labels)``;
        unconditional models take no ``y``.
        """
        x = self.check_x(x)
        self.check_conditions(y, len(x), name="labels")

    def _check_fit_data(self, x, y):
        if is_placeholder_targets(y):
            y = None
        if _is_array_like(x):
            y_array = to_numpy(y) if _is_array_like(y) else y
            self.check_data(to_numpy(x), y_array)

    def _check_sample_weight(self, sample_weight):
        if sample_weight is not None and not self.supports_sample_weight:
            raise ValueError(
                f"{type(self).__name__} cannot use sample_weight: its training "
                "objective has no per-example loss to weight. Drop sample_weight, "
                "or resample the data to the weights you want."
            )

    # ---------------------------------------------------------------- training
    @staticmethod
    def _keep_sample_weight(x, y, kwargs):
        # see `placeholder_targets`: without a y, Keras drops sample_weight,
        # for an array x and for a dict of arrays (a conditional model's
        # {"images": ..., "labels": ...}) alike
        if y is not None or kwargs.get("sample_weight") is None:
            return y
        if _is_array_like(x):
            return placeholder_targets(len(x))
        if isinstance(x, dict) and x and all(map(_is_array_like, x.values())):
            return placeholder_targets(len(next(iter(x.values()))))
        return y

    def fit(self, x=None, y=None, *args, callbacks=None, **kwargs):
        self._check_sample_weight(kwargs.get("sample_weight"))
        self._check_fit_data(x, y)
        y = self._keep_sample_weight(x, y, kwargs)
        validation_data = kwargs.get("validation_data")
        if isinstance(validation_data, (tuple, list)) and validation_data:
            self._check_fit_data(
                validation_data[0],
                validation_data[1] if len(validation_data) > 1 else None,
            )
        elif _is_array_like(validation_data):
            self._check_fit_data(validation_data, None)
        callbacks = list(callbacks or [])
        if not any(isinstance(c, StopOnNaN) for c in callbacks):
            callbacks.append(StopOnNaN())
        return super().fit(x, y, *args, callbacks=callbacks, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        self._check_sample_weight(kwargs.get("sample_weight"))
        self._check_fit_data(x, y)
        y = self._keep_sample_weight(x, y, kwargs)
        return super().evaluate(x, y, *args, **kwargs)

    def weighted_mean(self, per_example, sample_weight=None):
        """The batch loss from per-example losses, as Keras's losses reduce.

        ``mean(loss_i)``, or ``mean(w_i * loss_i)`` with ``sample_weight``
        (Keras's ``"sum_over_batch_size"`` reduction). Raises for models that
        declare ``supports_sample_weight = False``.
        """
        self._check_sample_weight(sample_weight)
        if sample_weight is None:
            return ops.mean(per_example)
        weight = ops.reshape(ops.cast(sample_weight, per_example.dtype), (-1,))
        return ops.mean(per_example * weight)

    @staticmethod
    def scale_loss_for_distribution(loss):
        """Divide a replica's loss by the number of replicas (TF strategies).

        ``tf.distribute`` sums the gradients of the replicas, and Keras's own
        ``compute_loss`` divides each replica's loss by their number; a model
        that overrides ``compute_loss`` or writes its own step calls this on
        the loss it returns (Keras's loss tracker multiplies it back for
        display). A no-op on one device, on JAX (one global program) and on
        torch.
        """
        replicas = backend.num_replicas()
        if replicas == 1:
            return loss
        return loss * ops.cast(1.0 / replicas, loss.dtype)

    # ------------------------------------------------------- inference plumbing
    def compiled_inference(self, key, fn, *, xla=False):
        """``fn`` compiled once per model and ``key``, reading current weights.

        Returns a callable with ``fn``'s arguments. The model's variables are
        passed in at every call and mapped with a ``StatelessScope``, so the
        compiled function never sees stale weights after more training. Eager
        JAX would compile every operation for each new shape; one compiled
        function per verb is much faster, and on torch it runs without a
        gradient graph. ``fn`` must not draw random numbers or update
        variables: draw noise before the call and pass it in. ``xla=True``
        compiles with XLA on TensorFlow too (see
        ``kgen.backend.compile_function``).
        """
        cache = _COMPILED.setdefault(self, {})
        if key not in cache:
            variables = list(self.variables)

            def pure(values, *args):
                with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                    return fn(*args)

            cache[key] = (backend.compile_function(pure, xla=xla), variables)
        compiled, variables = cache[key]
        return lambda *args: compiled(
            [ops.convert_to_tensor(v.value) for v in variables], *args
        )

    def sampling_seed_generator(self, seed):
        """The random stream of one sampling call.

        ``seed`` an integer: a fresh ``SeedGenerator(seed)``, so the same seed
        gives the same draws (on one backend). ``seed=None``: the model's own
        sampling stream, which every such call advances (so two calls differ),
        which is saved with the model, and which never touches the noise
        stream of training.
        """
        if seed is None:
            return self.sample_seed_generator
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an integer or None; received {seed!r}.")
        return keras.random.SeedGenerator(int(seed))

    # ------------------------------------------------------------------ saving
    # Keras saves only trainable and non-trainable variables; the states of
    # `SeedGenerator`s are neither, so a reloaded model would restart its random
    # streams and a resumed run would not continue the original one. kgen models
    # store every seed generator state found in the model and its layers.
    _SEED_KEY = "seed_generator_state_"

    def _all_seed_generators(self):
        generators, seen = [], set()
        for layer in [self, *self._flatten_layers(include_self=False)]:
            for generator in getattr(layer, "_seed_generators", []):
                if id(generator) not in seen:
                    seen.add(id(generator))
                    generators.append(generator)
        return generators

    def save_own_variables(self, store):
        super().save_own_variables(store)
        for index, generator in enumerate(self._all_seed_generators()):
            store[f"{self._SEED_KEY}{index}"] = generator.state

    def load_own_variables(self, store):
        own = {k: store[k] for k in store.keys() if not k.startswith(self._SEED_KEY)}
        super().load_own_variables(own)
        for index, generator in enumerate(self._all_seed_generators()):
            key = f"{self._SEED_KEY}{index}"
            if key in store:
                generator.state.assign(store[key])
