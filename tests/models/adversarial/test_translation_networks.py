"""U-Net skip connections, PatchGAN receptive fields, the ResNet generator."""

import keras
import numpy as np
import pytest

from kgen import backend
from kgen.models import (
    patchgan_discriminator,
    patchgan_receptive_field,
    resnet_generator,
    unet_generator,
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _cut_after_first_layer(model):
    # zero the encoder's second convolution: everything deeper is constant
    layer = model.get_layer("down_1")
    layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])


def _forward(model):
    # one compiled forward pass (JAX would compile every operation eagerly)
    return backend.compile_function(lambda t: model(t))


def _changed(model, x, row, col):
    forward = _forward(model)
    bumped = x.copy()
    bumped[:, row, col] += 1.0
    return np.abs(_np(forward(bumped)) - _np(forward(x)))[0, ..., 0] > 1e-6


def test_unet_skip_connections_carry_the_input_spatial_detail(rng):
    x = rng.uniform(-1, 1, size=(1, 16, 16, 1)).astype("float32")
    kwargs = dict(base_filters=4, num_downsamples=3, normalization=None, dropout=0.0)
    unet = unet_generator((16, 16, 1), **kwargs)
    plain = unet_generator((16, 16, 1), skip_connections=False, **kwargs)
    # With the encoder cut after its first layer, an encoder-decoder loses
    # everything about its input; the U-Net's outermost skip still carries it
    for model in (unet, plain):
        _cut_after_first_layer(model)
    assert not _changed(plain, x, 8, 8).any()
    changed = _changed(unet, x, 8, 8)
    assert changed.any()
    # at full detail: only outputs near the changed pixel move (a 4x4 stride-2
    # convolution, then a 4x4 stride-2 transposed one)
    rows, cols = np.nonzero(changed)
    assert rows.min() >= 8 - 4 and rows.max() <= 8 + 4
    assert cols.min() >= 8 - 4 and cols.max() <= 8 + 4


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_patchgan_grid_matches_its_receptive_field_arithmetic(num_layers, rng):
    size = 32
    field = patchgan_receptive_field(num_layers)
    model = patchgan_discriminator(
        (size, size, 1), base_filters=2, num_layers=num_layers, normalization=None
    )
    grid = -(-size // 2**num_layers)  # sides halve (rounded up), then stay
    assert model.output_shape == (None, grid, grid, 1)
    assert field["jump"] == 2**num_layers
    x = rng.normal(size=(1, size, size, 1)).astype("float32")
    forward = _forward(model)
    base = _np(forward(x))[0, ..., 0]
    for row, col in ((0, 0), (13, 21), (size - 1, size - 2)):
        bumped = x.copy()
        bumped[0, row, col] += 1.0
        changed = np.abs(_np(forward(bumped))[0, ..., 0] - base) > 1e-7
        # logit i sees rows first + jump * i ... first + jump * i + size - 1
        cells = np.arange(grid)
        low = field["first"] + field["jump"] * cells
        sees_row = (low <= row) & (row <= low + field["size"] - 1)
        sees_col = (low <= col) & (col <= low + field["size"] - 1)
        np.testing.assert_array_equal(changed, sees_row[:, None] & sees_col[None, :])
    assert patchgan_receptive_field(3)["size"] == 70  # the paper's patches


def test_patchgan_judges_pairs_when_conditional(rng):
    model = patchgan_discriminator((8, 8, 3), (8, 8, 1), base_filters=2, num_layers=1)
    logits = model([np.zeros((2, 8, 8, 1)), np.zeros((2, 8, 8, 3))])
    assert tuple(logits.shape) == (2, 4, 4, 1)


def test_resnet_generator_shapes_and_errors():
    model = resnet_generator(
        (8, 8, 3), base_filters=2, num_downsamples=2, num_residual_blocks=1
    )
    assert model.output_shape == (None, 8, 8, 3)
    assert sum(isinstance(layer, keras.layers.Add) for layer in model.layers) == 1
    with pytest.raises(ValueError, match="divisible by 8"):
        resnet_generator((12, 12, 1), num_downsamples=3)
    with pytest.raises(ValueError, match="halved at most"):
        unet_generator((12, 12, 1), num_downsamples=3)
    with pytest.raises(ValueError, match="normalization"):
        patchgan_discriminator((8, 8, 1), normalization="layer")


def test_unet_dropout_acts_in_training_only(rng):
    model = unet_generator((8, 8, 1), base_filters=4, num_downsamples=2, dropout=0.5)
    x = rng.uniform(-1, 1, size=(2, 8, 8, 1)).astype("float32")
    forward = _forward(model)
    np.testing.assert_array_equal(_np(forward(x)), _np(forward(x)))
    assert not np.allclose(_np(model(x, training=True)), _np(forward(x)))
