"""PixelCNN++ layers: shifted (transposed) convolutions and the gated block."""

import keras
import numpy as np
import pytest

from kgen import backend
from kgen.layers import (
    DownRightShiftedConv2D,
    DownRightShiftedConv2DTranspose,
    DownShiftedConv2D,
    DownShiftedConv2DTranspose,
    GatedResNetBlock,
    concat_elu,
    down_shift,
    right_shift,
)


def _np(x):
    if hasattr(x, "detach"):  # a torch tensor that requires grad
        x = x.detach()
    return np.asarray(keras.ops.convert_to_numpy(x))


def _receptive_fields(fn, input_shape, output_hw, rng):
    """``seen[r, c]``: (H_in, W_in) map of the input pixels output (r, c) uses.

    One gradient call: batch element n selects output pixel n."""
    out_h, out_w = output_hw
    x = rng.normal(size=(out_h * out_w, *input_shape)).astype("float32")
    out = _np(fn(x[:1]))
    select = np.zeros((out_h * out_w, out_h, out_w, out.shape[-1]), "float32")
    for n in range(out_h * out_w):
        select[n, n // out_w, n % out_w] = 1.0
    select = keras.ops.convert_to_tensor(select)
    grad = _np(backend.input_gradients(lambda v: fn(v) * select, x))
    return (np.abs(grad).sum(-1) > 0).reshape(out_h, out_w, *input_shape[:2])


def _conv_oracle(x, kernel, bias, pad, stride):
    """Direct NumPy cross-correlation after zero padding ((top, bottom), (l, r))."""
    x = np.pad(x, [(0, 0), pad[0], pad[1], (0, 0)])
    kh, kw = kernel.shape[:2]
    out_h = (x.shape[1] - kh) // stride + 1
    out_w = (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], out_h, out_w, kernel.shape[-1]))
    for i in range(out_h):
        for j in range(out_w):
            patch = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, i, j] = np.einsum("bhwc,hwco->bo", patch, kernel)
    return out + bias


@pytest.mark.parametrize("stride", [1, 2])
def test_shifted_convolutions_match_padded_numpy_convolution(stride, rng):
    x = rng.normal(size=(2, 6, 6, 3)).astype("float32")
    for layer, pad in [
        (DownShiftedConv2D(4, (2, 3), strides=stride), ((1, 0), (1, 1))),
        (DownRightShiftedConv2D(4, (2, 2), strides=stride), ((1, 0), (1, 0))),
    ]:
        out = _np(layer(x))
        kernel, bias = (_np(w) for w in layer.weights)
        np.testing.assert_allclose(
            out, _conv_oracle(x, kernel, bias, pad, stride), atol=1e-5
        )
        assert out.shape == layer.compute_output_shape(x.shape)


def test_down_shifted_conv_sees_rows_above_and_centred_columns(rng):
    seen = _receptive_fields(DownShiftedConv2D(2, (2, 3)), (5, 5, 1), (5, 5), rng)
    for r in range(5):
        for c in range(5):
            expected = np.zeros((5, 5), bool)
            expected[max(r - 1, 0) : r + 1, max(c - 1, 0) : c + 2] = True
            np.testing.assert_array_equal(seen[r, c], expected)


def test_down_right_shifted_conv_sees_above_and_left(rng):
    seen = _receptive_fields(DownRightShiftedConv2D(2, (2, 2)), (5, 5, 1), (5, 5), rng)
    for r in range(5):
        for c in range(5):
            expected = np.zeros((5, 5), bool)
            expected[max(r - 1, 0) : r + 1, max(c - 1, 0) : c + 1] = True
            np.testing.assert_array_equal(seen[r, c], expected)


@pytest.mark.parametrize(
    "layer_class", [DownShiftedConv2DTranspose, DownRightShiftedConv2DTranspose]
)
def test_transposed_convolutions_upsample_without_looking_down(layer_class, rng):
    layer = layer_class(3)
    seen = _receptive_fields(layer, (3, 3, 2), (6, 6), rng)
    assert tuple(layer.compute_output_shape((1, 3, 3, 2))) == (1, 6, 6, 3)
    for r in range(6):
        for c in range(6):
            rows, cols = np.nonzero(seen[r, c])
            assert rows.size, (r, c)
            # output row r only reads input rows <= r // 2 (never a later one)
            assert rows.max() == r // 2
            if layer_class is DownRightShiftedConv2DTranspose:
                assert cols.max() == c // 2


def test_transposed_convolution_matches_numpy_scatter(rng):
    x = rng.normal(size=(1, 2, 3, 2)).astype("float32")
    layer = DownShiftedConv2DTranspose(3, (2, 3))
    out = _np(layer(x))
    kernel, bias = (_np(w) for w in layer.weights)  # (kh, kw, out, in)
    full = np.zeros((1, 2 * 2 + 1, 3 * 2 + 2, 3))
    for i in range(2):
        for j in range(3):
            full[0, 2 * i : 2 * i + 2, 2 * j : 2 * j + 3] += np.einsum(
                "hwoc,c->hwo", kernel, x[0, i, j]
            )
    np.testing.assert_allclose(out, full[:, :4, 1:7] + bias, atol=1e-5)


def test_shifts_and_concat_elu():
    x = np.arange(12, dtype="float32").reshape(1, 2, 3, 2) - 5
    down = _np(down_shift(x))
    np.testing.assert_array_equal(down[:, 0], 0)
    np.testing.assert_array_equal(down[:, 1], x[:, 0])
    right = _np(right_shift(x))
    np.testing.assert_array_equal(right[:, :, 0], 0)
    np.testing.assert_array_equal(right[:, :, 1:], x[:, :, :2])
    elu = _np(concat_elu(x))
    expected = np.concatenate([x, -x], -1)
    expected = np.where(expected > 0, expected, np.expm1(np.minimum(expected, 0)))
    np.testing.assert_allclose(elu, expected, rtol=1e-6)


@pytest.mark.parametrize("shift", ["down", "down_right"])
def test_gated_block_keeps_causality_of_its_stream(shift, rng):
    block = GatedResNetBlock(shift)
    seen = _receptive_fields(block, (5, 5, 4), (5, 5), rng)
    for r in range(5):
        for c in range(5):
            rows, cols = np.nonzero(seen[r, c])
            assert rows.max() <= r
            if shift == "down_right":
                assert cols.max() <= c
            else:
                assert cols.max() <= min(c + 2, 4)


def test_gated_block_uses_auxiliary_input_and_condition(rng):
    x = rng.normal(size=(2, 4, 4, 4)).astype("float32")
    aux = rng.normal(size=(2, 4, 4, 6)).astype("float32")
    labels = np.eye(3, dtype="float32")[[0, 2]]
    block = GatedResNetBlock("down_right", seed=0)
    out = _np(block(x, auxiliary=aux, condition=labels))
    assert out.shape == x.shape
    changed = _np(block(x, auxiliary=aux + 1.0, condition=labels))
    assert np.abs(out - changed).max() > 1e-4
    other_label = _np(block(x, auxiliary=aux, condition=labels[::-1]))
    assert np.abs(out - other_label).max() > 1e-6
    # Start near identity (small second kernel), residual form x + gate:
    block.set_weights([np.zeros_like(w) for w in block.get_weights()])
    np.testing.assert_allclose(
        _np(block(x, auxiliary=aux, condition=labels)), x, atol=1e-6
    )


def test_gated_block_takes_a_condition_map_as_a_local_bias(rng):
    x = rng.normal(size=(2, 4, 4, 4)).astype("float32")
    condition = rng.normal(size=(2, 4, 4, 3)).astype("float32")
    block = GatedResNetBlock("down", seed=0)
    out = _np(block(x, condition=condition))
    moved = condition.copy()
    moved[:, 2, 1] += 1.0
    changed = np.abs(_np(block(x, condition=moved)) - out).sum(axis=(0, 3))
    # the map enters at its own location only (after the block's convolutions)
    assert changed[2, 1] > 0
    changed[2, 1] = 0
    assert np.all(changed == 0)


def test_gated_block_dropout_is_seeded_and_only_in_training(rng):
    x = rng.normal(size=(2, 4, 4, 4)).astype("float32")
    block = GatedResNetBlock("down", dropout_rate=0.5, seed=3)
    first = _np(block(x, training=False))
    np.testing.assert_allclose(_np(block(x, training=False)), first)
    trained = _np(block(x, training=True))
    assert np.abs(trained - first).max() > 1e-6


def test_bad_arguments():
    with pytest.raises(ValueError, match="odd kernel width"):
        DownShiftedConv2D(4, (2, 2))
    with pytest.raises(ValueError, match="kernel_size >= strides"):
        DownRightShiftedConv2DTranspose(4, (1, 2))
    with pytest.raises(ValueError, match="shift"):
        GatedResNetBlock("up")
    with pytest.raises(ValueError, match="dropout_rate"):
        GatedResNetBlock("down", dropout_rate=1.0)
