"""Digits (8x8, floats in [0, 1]) and small trained latent models, shared per module."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="session")
def digits():
    """(x_train, y_train, x_test, y_test): 1400 / 397 digits, NHWC in [0, 1]."""
    data = load_digits()
    x = (data.images / 16.0).astype("float32")[..., None]
    y = data.target.astype("int32")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return x[:1400], y[:1400], x[1400:], y[1400:]


def _train(model, x, y=None, epochs=12, batch_size=56, **kwargs):
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    return model.fit(
        x, y, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0, **kwargs
    )


@pytest.fixture(scope="session")
def train():
    """``train(model, x, y=None, epochs=12, ...)``: compile with Adam and fit."""
    return _train
