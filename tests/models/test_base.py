"""The base model's NaN guard, input-check hook and saved random state."""

import os

import keras
import numpy as np
import pytest

from kgen.callbacks import NonFiniteLossError, StopOnNaN
from kgen.models.base import GenerativeModel


@keras.saving.register_keras_serializable(package="kgen_tests")
class NoisyRegressor(GenerativeModel):
    """Tiny model whose loss uses random noise (to test saved seed states)."""

    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.dense = keras.layers.Dense(1)
        self.seed_generator = keras.random.SeedGenerator(7)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.built = True

    def call(self, x):
        return self.dense(x) * self.scale

    def check_data(self, x, y=None):
        if x.ndim != 2:
            raise ValueError(f"Expected (batch, features); received {x.shape}.")

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        noise = keras.random.normal(keras.ops.shape(y_pred), seed=self.seed_generator)
        loss = keras.ops.mean(keras.ops.square(y_pred - y + noise))
        self.loss_tracker.update_state(loss)
        return loss

    @property
    def metrics(self):
        return [self.loss_tracker]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def test_check_data_runs_before_fit():
    model = NoisyRegressor()
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="Expected \\(batch, features\\)"):
        model.fit(np.zeros((4, 2, 2), "float32"), np.zeros((4, 1)), verbose=0)


def test_nan_loss_stops_training_with_clear_error():
    x, y = _data()
    model = NoisyRegressor(scale=float("nan"))
    model.compile(optimizer="sgd")
    with pytest.raises(NonFiniteLossError, match="epoch 1, batch 1.*loss=nan"):
        model.fit(x, y, batch_size=8, epochs=3, verbose=0)


def test_nan_guard_checks_every_logged_value():
    guard = StopOnNaN(raise_error=False)

    class Holder:
        stop_training = False

    guard.set_model(Holder())
    guard.on_train_batch_end(0, {"loss": 1.0, "g_loss": float("inf")})
    assert guard.model.stop_training


def test_seed_state_is_saved_so_resumed_training_matches(tmp_path):
    x, y = _data()
    model = NoisyRegressor()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = os.path.join(tmp_path, "noisy.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model.seed_generator.state),
        keras.ops.convert_to_numpy(loaded.seed_generator.state),
    )
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.trainable_variables, loaded.trainable_variables):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-6
        )
