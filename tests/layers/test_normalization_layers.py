"""Spectral, conditional batch and instance normalization; self-attention."""

import keras
import numpy as np
import pytest

from kgen import backend
from kgen.layers import (
    ConditionalBatchNormalization,
    InstanceNormalization,
    SelfAttention2D,
    SpectralNorm,
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _top_singular_value(kernel):
    return np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]


@pytest.mark.parametrize(
    "make",
    [
        lambda: keras.layers.Dense(5),
        lambda: keras.layers.Conv2D(4, 3),
        lambda: keras.layers.Embedding(7, 3),
    ],
    ids=["dense", "conv", "embedding"],
)
def test_spectral_normalization_gives_a_unit_top_singular_value(make, rng):
    layer = SpectralNorm(make())
    inputs = {
        "dense": rng.normal(size=(2, 6)).astype("float32"),
        "conv": rng.normal(size=(2, 6, 6, 2)).astype("float32"),
        "embedding": np.array([[0, 3, 6]]),
    }
    name = type(layer.layer).__name__.lower()
    x = inputs[
        "dense" if name == "dense" else "conv" if "conv" in name else "embedding"
    ]
    layer(x)
    layer._kernel.assign(
        5.0 * _np(layer._kernel) / _top_singular_value(_np(layer._kernel))
    )
    for _ in range(40):  # power iteration: one step per training call
        layer(x, training=True)
    raw = _np(layer._kernel)
    np.testing.assert_allclose(_top_singular_value(raw), 5.0, rtol=1e-5)
    normalized = _np(layer.normalized_kernel())
    np.testing.assert_allclose(_top_singular_value(normalized), 1.0, rtol=1e-3)
    # ...and the layer runs with the normalized one, in training and inference
    for training in (True, False):
        out = _np(layer(x, training=training))
        if name == "dense":
            np.testing.assert_allclose(
                out, x @ normalized + _np(layer.layer.bias), rtol=1e-4, atol=1e-5
            )
    # the trainable kernel itself is never written (whose top singular value
    # stays 5)
    np.testing.assert_array_equal(_np(layer._kernel), raw)


def test_spectral_normalization_differentiates_through_sigma(rng):
    # d/dW sum(x @ W / sigma(W)) differs from d/dW sum(x @ W) / sigma: the
    # gradient includes sigma's dependence on W (u and v held constant)
    layer = SpectralNorm(keras.layers.Dense(3, use_bias=False), power_iterations=20)
    x = rng.normal(size=(4, 5)).astype("float32")
    layer(x, training=True)
    kernel = _np(layer.layer.kernel)

    def loss(k):
        # W / sigma(W) for the converged u, v: sigma = v W u^T
        u, _, vt = np.linalg.svd(k)
        sigma = u[:, 0] @ k @ vt[0]
        return np.sum(x @ (k / sigma))

    grads = np.zeros_like(kernel)
    step = 1e-3
    for index in np.ndindex(kernel.shape):
        bump = np.zeros_like(kernel)
        bump[index] = step
        grads[index] = (loss(kernel + bump) - loss(kernel - bump)) / (2 * step)

    u = _np(layer.vector_u)

    def through_layer(k):
        # the layer as a function of its kernel's value
        outputs, _ = layer.stateless_call([k], [u], x)
        return outputs

    measured = _np(backend.input_gradients(through_layer, kernel))
    np.testing.assert_allclose(measured, grads, rtol=2e-2, atol=2e-3)
    assert not np.allclose(grads, x.sum(axis=0)[:, None] / np.linalg.norm(kernel, 2))


def test_keras_spectral_normalization_writes_the_kernel_in_training_calls(rng):
    # Why kgen has its own: keras.layers.SpectralNormalization (3.15)
    # assigns W / sigma to the trainable kernel in every training call. When
    # a Keras release changes this, revisit the SpectralNorm docstring.
    layer = keras.layers.SpectralNormalization(keras.layers.Dense(3))
    x = rng.normal(size=(2, 4)).astype("float32")
    layer(x)
    layer.layer.kernel.assign(3.0 * _np(layer.layer.kernel))
    before = _np(layer.layer.kernel).copy()
    layer(x, training=True)
    after = _np(layer.layer.kernel)
    assert not np.allclose(after, before)
    assert _top_singular_value(after) < _top_singular_value(before) / 2


def test_conditional_batch_norm_uses_each_class_own_scale_and_shift(rng):
    layer = ConditionalBatchNormalization(epsilon=1e-5)
    x = rng.normal(2.0, 3.0, size=(6, 4, 4, 3)).astype("float32")
    labels = np.array([0, 1, 2, 0, 1, 2])
    one_hot = np.eye(3, dtype="float32")[labels]
    layer([x, one_hot], training=True)
    # give each class its own scale and shift (rows of the projections)
    gains = rng.normal(size=(3, 3)).astype("float32")
    shifts = rng.normal(size=(3, 3)).astype("float32")
    layer.gain.kernel.assign(gains)
    layer.shift.kernel.assign(shifts)
    out = _np(layer([x, one_hot], training=True))
    mean = x.mean(axis=(0, 1, 2))
    var = x.var(axis=(0, 1, 2))
    normalized = (x - mean) / np.sqrt(var + 1e-5)
    for i, label in enumerate(labels):
        expected = normalized[i] * (1.0 + gains[label]) + shifts[label]
        np.testing.assert_allclose(out[i], expected, rtol=1e-4, atol=1e-4)
    # in inference the moving statistics are used
    inference = _np(layer([x, one_hot], training=False))
    moving = (x - _np(layer.batch_norm.moving_mean)) / np.sqrt(
        _np(layer.batch_norm.moving_variance) + 1e-5
    )
    np.testing.assert_allclose(
        inference[0], moving[0] * (1 + gains[0]) + shifts[0], rtol=1e-4, atol=1e-4
    )


def test_conditional_batch_norm_starts_as_plain_batch_norm(rng):
    x = rng.normal(size=(4, 2, 2, 3)).astype("float32")
    condition = rng.normal(size=(4, 5)).astype("float32")
    out = _np(
        ConditionalBatchNormalization(epsilon=1e-5)([x, condition], training=True)
    )
    expected = (x - x.mean(axis=(0, 1, 2))) / np.sqrt(x.var(axis=(0, 1, 2)) + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_instance_normalization_normalizes_each_example_and_channel(rng):
    x = rng.normal(3.0, 2.0, size=(2, 5, 5, 3)).astype("float32")
    x[1] *= 10
    y = _np(InstanceNormalization()(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1.0, rtol=1e-3)
    with pytest.raises(ValueError, match="one group per channel"):
        InstanceNormalization(groups=2)


def test_self_attention_starts_as_the_identity_and_attends_everywhere(rng):
    layer = SelfAttention2D(reduction=2, spectral_norm=False)
    x = rng.normal(size=(2, 3, 3, 4)).astype("float32")
    np.testing.assert_allclose(_np(layer(x)), x, atol=1e-6)  # gamma = 0
    layer.gamma.assign(1.0)
    bumped = x.copy()
    bumped[0, 2, 2] += 5.0
    change = np.abs(_np(layer(bumped)) - _np(layer(x)))[0].sum(axis=-1)
    # a change at one position reaches every position (non-local), and not
    # the other example
    assert np.all(change > 1e-5)
    np.testing.assert_allclose(_np(layer(bumped))[1], _np(layer(x))[1], atol=1e-6)
    with pytest.raises(ValueError, match="channels"):
        SelfAttention2D(reduction=8)(x)


def test_spectral_norm_needs_a_kernel():
    with pytest.raises(ValueError, match="'kernel' or 'embeddings'"):
        SpectralNorm(keras.layers.ReLU())(np.ones((1, 2), "float32"))
