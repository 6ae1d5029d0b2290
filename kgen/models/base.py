"""Shared behaviour of every kgen model."""

import keras
import numpy as np

from kgen.callbacks.nan_guard import StopOnNaN


def _is_array_like(x):
    if x is None or isinstance(x, (dict, str)):
        return False
    if isinstance(x, (np.ndarray, list, tuple)):
        return True
    # backend tensors (tf.Tensor, jax.Array, torch.Tensor) have a shape and dtype;
    # tf.data.Dataset and PyDataset do not have both.
    return hasattr(x, "shape") and hasattr(x, "dtype")


class GenerativeModel(keras.Model):
    """Base class of kgen models: input checks and a NaN guard around ``fit``.

    Subclasses implement ``check_data(x, y=None)``, which receives concrete
    NumPy arrays and raises ``ValueError`` with a clear message when the data
    do not match the model's pixel convention, shape or label range. ``fit``
    and ``evaluate`` call it on array inputs (datasets and generators are
    passed through unchecked) and ``fit`` adds a ``StopOnNaN`` callback that
    stops training the moment any logged value becomes NaN or infinite.
    """

    def check_data(self, x, y=None):
        """Validate a batch of training data; subclasses override."""

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

    def _check_fit_data(self, x, y):
        if _is_array_like(x):
            y_array = np.asarray(y) if _is_array_like(y) else None
            self.check_data(np.asarray(x), y_array)

    def fit(self, x=None, y=None, *args, callbacks=None, **kwargs):
        self._check_fit_data(x, y)
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
        self._check_fit_data(x, y)
        return super().evaluate(x, y, *args, **kwargs)
