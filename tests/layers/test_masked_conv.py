import keras
import numpy as np
import pytest

from kgen import backend
from kgen.layers import MaskedConv2D, causal_conv_mask


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _oracle_mask(k, in_ch, out_ch, mask_type, colors):
    """Element by element: is input (dy, dx, i) visible to output channel o?"""
    mask = np.zeros((k, k, in_ch, out_ch), "float32")
    c = k // 2
    in_group = [i // (in_ch // colors) for i in range(in_ch)]
    out_group = [o // (out_ch // colors) for o in range(out_ch)]
    for dy in range(k):
        for dx in range(k):
            for i in range(in_ch):
                for o in range(out_ch):
                    if (dy, dx) < (c, c):  # earlier in raster order
                        mask[dy, dx, i, o] = 1
                    elif (dy, dx) == (c, c):
                        if mask_type == "A":
                            mask[dy, dx, i, o] = in_group[i] < out_group[o]
                        else:
                            mask[dy, dx, i, o] = in_group[i] <= out_group[o]
    return mask


@pytest.mark.parametrize("mask_type", ["A", "B"])
@pytest.mark.parametrize("colors,in_ch,out_ch", [(1, 2, 4), (3, 3, 6), (3, 6, 9)])
def test_mask_matches_oracle(mask_type, colors, in_ch, out_ch):
    got = causal_conv_mask(5, in_ch, out_ch, mask_type, colors)
    np.testing.assert_array_equal(
        got, _oracle_mask(5, in_ch, out_ch, mask_type, colors)
    )


def test_grey_masks_hide_or_show_centre():
    a = causal_conv_mask(3, 1, 1, "A")[..., 0, 0]
    b = causal_conv_mask(3, 1, 1, "B")[..., 0, 0]
    np.testing.assert_array_equal(a, [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(b, [[1, 1, 1], [1, 1, 0], [0, 0, 0]])


def test_output_matches_numpy_convolution(rng):
    layer = MaskedConv2D(4, 3, mask_type="A", bias_initializer="random_normal")
    x = rng.normal(size=(2, 5, 6, 2)).astype("float32")
    y = _np(layer(x))
    kernel = _np(layer.kernel) * causal_conv_mask(3, 2, 4, "A")
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    expected = np.zeros((2, 5, 6, 4), "float32")
    for i in range(5):
        for j in range(6):
            window = padded[:, i : i + 3, j : j + 3, :]
            expected[:, i, j] = np.einsum("bhwc,hwco->bo", window, kernel)
    expected += _np(layer.bias)
    np.testing.assert_allclose(y, expected, atol=1e-5)
    # The trainable kernel itself is never masked in place.
    assert np.all(_np(layer.kernel) != 0)


@pytest.mark.parametrize("mask_type", ["A", "B"])
def test_gradient_causality_with_colour_order(mask_type, rng):
    """Output (i, j, colour c) depends on input (i', j', g) only if earlier."""
    layer = MaskedConv2D(6, 3, mask_type=mask_type, color_channels=3)
    x = rng.normal(size=(1, 4, 4, 3)).astype("float32")
    layer(x)
    for i, j, c in [(1, 2, 0), (2, 1, 1), (3, 3, 2)]:
        filters = [2 * c, 2 * c + 1]  # output group c

        def fn(v, i=i, j=j, filters=filters):
            return keras.ops.take(layer(v)[0, i, j], filters)

        grad = np.abs(_np(backend.input_gradients(fn, x)))[0]
        for y in range(4):
            for z in range(4):
                for g in range(3):
                    earlier_pixel = (y, z) < (i, j)
                    same = (y, z) == (i, j)
                    allowed = earlier_pixel and abs(y - i) <= 1 and abs(z - j) <= 1
                    if same:
                        allowed = g < c if mask_type == "A" else g <= c
                    if allowed:
                        assert grad[y, z, g] > 0, (i, j, c, y, z, g)
                    else:
                        assert grad[y, z, g] == 0, (i, j, c, y, z, g)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="mask_type"):
        MaskedConv2D(4, 3, mask_type="C")
    with pytest.raises(ValueError, match="odd"):
        MaskedConv2D(4, 2)
    with pytest.raises(ValueError, match="multiple of color_channels"):
        MaskedConv2D(4, 3, color_channels=3)
    layer = MaskedConv2D(6, 3, color_channels=3)
    with pytest.raises(ValueError, match="input channels"):
        layer(np.zeros((1, 4, 4, 2), "float32"))
