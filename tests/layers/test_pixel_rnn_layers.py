"""Row LSTM and Diagonal BiLSTM: skew oracle, causality by gradients."""

import keras
import numpy as np
import pytest

from kgen import backend
from kgen.layers import DiagonalBiLSTM, RowLSTM, skew, unskew


def _np(x):
    if hasattr(x, "detach"):  # a torch tensor that requires grad
        x = x.detach()
    return np.asarray(keras.ops.convert_to_numpy(x))


def _dependencies(layer, image_shape, num_groups, rng):
    """``dep[r, c, g]``: (H, W, C) bool map of the inputs output group g at
    (r, c) depends on. One gradient call: copy n of the batch selects the
    output of target n, and examples are independent."""
    height, width, channels = image_shape
    targets = [
        (r, c, g)
        for r in range(height)
        for c in range(width)
        for g in range(num_groups)
    ]
    x = rng.normal(size=(len(targets), *image_shape)).astype("float32")
    layer(x[:1])
    out_channels = layer.compute_output_shape((1, *image_shape))[-1]
    per_group = out_channels // num_groups
    select = np.zeros((len(targets), height, width, out_channels), "float32")
    for n, (r, c, g) in enumerate(targets):
        select[n, r, c, g * per_group : (g + 1) * per_group] = 1.0
    select = keras.ops.convert_to_tensor(select)
    grad = _np(backend.input_gradients(lambda v: layer(v) * select, x))
    return (np.abs(grad) > 0).reshape(height, width, num_groups, *image_shape)


def _skew_oracle(x):
    batch, height, width, channels = x.shape
    out = np.zeros((batch, height, width + height - 1, channels), x.dtype)
    for i in range(height):
        out[:, i, i : i + width] = x[:, i]
    return out


@pytest.mark.parametrize("shape", [(2, 5, 3, 2), (1, 3, 7, 1), (1, 1, 4, 3)])
def test_skew_and_unskew_match_loop_oracle(shape, rng):
    x = rng.normal(size=shape).astype("float32")
    skewed = _np(skew(x))
    np.testing.assert_array_equal(skewed, _skew_oracle(x))
    np.testing.assert_array_equal(_np(unskew(skewed, shape[2])), x)
    # diagonal i + j = s of the input is column s of the skewed map
    s = 3
    diagonal = [x[0, i, s - i] for i in range(shape[1]) if 0 <= s - i < shape[2]]
    column = [skewed[0, i, s] for i in range(shape[1]) if 0 <= s - i < shape[2]]
    np.testing.assert_array_equal(diagonal, column)


def test_unskew_rejects_wrong_width():
    with pytest.raises(ValueError, match="columns"):
        unskew(np.zeros((1, 3, 5, 1), "float32"), 4)


def _allowed(image_shape, num_groups, mask_type):
    """allowed[r, c, g, i, j, k]: raster order, colour groups at the pixel."""
    height, width, channels = image_shape
    allowed = np.zeros((height, width, num_groups, *image_shape), bool)
    for r in range(height):
        for c in range(width):
            allowed[r, c, :, :r] = True
            allowed[r, c, :, r, :c] = True
            for g in range(num_groups):
                for k in range(channels):
                    group_in = k * num_groups // channels
                    ok = group_in < g if mask_type == "A" else group_in <= g
                    allowed[r, c, g, r, c, k] = ok
    return allowed


@pytest.mark.parametrize("cell", ["row_lstm", "diagonal_bilstm"])
@pytest.mark.parametrize("mask_type", ["A", "B"])
def test_state_never_sees_later_subpixels(cell, mask_type, rng):
    image_shape = (4, 4, 3)
    kwargs = {"color_channels": 3, "mask_type": mask_type, "residual": False}
    layer = RowLSTM(6, **kwargs) if cell == "row_lstm" else DiagonalBiLSTM(6, **kwargs)
    dep = _dependencies(layer, image_shape, 3, rng)
    allowed = _allowed(image_shape, 3, mask_type)
    assert not np.any(dep & ~allowed)
    # the colour order is really used: the blue group sees red and green
    assert dep[2, 2, 2, 2, 2, :2].all()
    assert not dep[2, 2, 0, 2, 2, 1:].any()
    assert dep[2, 2, 1, 2, 2, 1] == (mask_type == "B")
    if cell == "diagonal_bilstm" and mask_type == "B":
        # no blind spot: every allowed input sub-pixel is seen (with mask
        # "A" no state ever reads the last colour group, which is why the
        # model puts mask "A" on its input convolution, not on an LSTM)
        np.testing.assert_array_equal(dep, allowed)
    elif cell == "diagonal_bilstm":
        assert not dep[..., 2].any()
    else:
        # The Row LSTM's field is a triangle: row r - d is seen from column
        # c - d - 1 to c + d (k = 3), the current row at columns c - 1, c.
        r, c = 3, 0
        seen = dep[r, c, 2].any(axis=-1)
        expected = np.zeros((4, 4), bool)
        expected[r, max(c - 1, 0) : c + 1] = True
        for d in range(1, r + 1):
            expected[r - d, max(c - d - 1, 0) : c + d + 1] = True
        np.testing.assert_array_equal(seen, expected)
        assert not seen[2, 2] and not seen[1, 3]


def test_residual_keeps_channels_and_adds_input(rng):
    x = rng.normal(size=(2, 4, 4, 6)).astype("float32")
    layer = RowLSTM(3, color_channels=3)
    out = _np(layer(x))
    assert out.shape == x.shape
    # zero every weight: the output is exactly the input
    layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    np.testing.assert_allclose(_np(layer(x)), x, atol=1e-6)


def test_forget_gate_bias_starts_at_one():
    layer = DiagonalBiLSTM(4)
    layer(np.zeros((1, 3, 3, 2), "float32"))
    bias = _np(layer.forward_bias)
    np.testing.assert_array_equal(bias[4:8], 1.0)
    assert np.all(bias[:4] == 0) and np.all(bias[8:] == 0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="multiple of color_channels"):
        RowLSTM(4, color_channels=3)
    with pytest.raises(ValueError, match="odd"):
        RowLSTM(3, kernel_size=2)
    with pytest.raises(ValueError, match="mask_type"):
        DiagonalBiLSTM(3, mask_type="C")
    with pytest.raises(ValueError, match="input channels"):
        RowLSTM(3, color_channels=3)(np.zeros((1, 3, 3, 4), "float32"))
