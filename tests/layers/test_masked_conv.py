import keras
import numpy as np
import pytest

from kgen import backend
from kgen.layers import MaskedConv2D, causal_conv_mask


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _oracle_mask(k, in_ch, out_ch, mask_type, colors, groups=1):
    """Element by element: is input (dy, dx, i) visible to output channel o?

    With convolution groups, output o reads the input channels of its group:
    kernel input i of output o is the global input channel g(o) * in / G + i.
    """
    per_group = in_ch // groups
    mask = np.zeros((k, k, per_group, out_ch), "float32")
    c = k // 2
    in_group = [i // (in_ch // colors) for i in range(in_ch)]
    out_group = [o // (out_ch // colors) for o in range(out_ch)]
    for dy in range(k):
        for dx in range(k):
            for i in range(per_group):
                for o in range(out_ch):
                    source = (o // (out_ch // groups)) * per_group + i
                    if (dy, dx) < (c, c):  # earlier in raster order
                        mask[dy, dx, i, o] = 1
                    elif (dy, dx) == (c, c):
                        if mask_type == "A":
                            mask[dy, dx, i, o] = in_group[source] < out_group[o]
                        else:
                            mask[dy, dx, i, o] = in_group[source] <= out_group[o]
    return mask


@pytest.mark.parametrize("mask_type", ["A", "B"])
@pytest.mark.parametrize(
    "colors,in_ch,out_ch,groups",
    [(1, 2, 4, 1), (3, 3, 6, 1), (3, 6, 9, 1), (3, 6, 6, 2), (3, 6, 12, 3)],
)
def test_mask_matches_oracle(mask_type, colors, in_ch, out_ch, groups):
    got = causal_conv_mask(5, in_ch, out_ch, mask_type, colors, groups)
    np.testing.assert_array_equal(
        got, _oracle_mask(5, in_ch, out_ch, mask_type, colors, groups)
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
@pytest.mark.parametrize("dilation", [1, 2])
def test_gradient_causality_with_colour_order(mask_type, dilation, rng):
    """Output (i, j, colour c) depends on input (i', j', g) only if earlier,
    and (dilated) exactly on the earlier taps of its kernel."""
    layer = MaskedConv2D(
        6, 3, mask_type=mask_type, color_channels=3, dilation_rate=dilation
    )
    size = 6
    x = rng.normal(size=(1, size, size, 3)).astype("float32")
    layer(x)
    for i, j, c in [(1, 2, 0), (2, 1, 1), (5, 3, 2), (4, 4, 1)]:
        filters = [2 * c, 2 * c + 1]  # output group c

        def fn(v, i=i, j=j, filters=filters):
            return keras.ops.take(layer(v)[0, i, j], filters)

        grad = np.abs(_np(backend.input_gradients(fn, x)))[0]
        for y in range(size):
            for z in range(size):
                for g in range(3):
                    earlier_pixel = (y, z) < (i, j)
                    same = (y, z) == (i, j)
                    on_tap = (
                        (y - i) % dilation == 0
                        and (z - j) % dilation == 0
                        and abs(y - i) <= dilation
                        and abs(z - j) <= dilation
                    )
                    allowed = earlier_pixel and on_tap
                    if same:
                        allowed = g < c if mask_type == "A" else g <= c
                    if allowed:
                        assert grad[y, z, g] > 0, (i, j, c, y, z, g)
                    else:
                        assert grad[y, z, g] == 0, (i, j, c, y, z, g)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="mask_type"):
        MaskedConv2D(4, 3, mask_type="C")
    with pytest.raises(ValueError, match="odd.*centre tap"):
        MaskedConv2D(4, 2)
    with pytest.raises(ValueError, match="odd"):
        MaskedConv2D(4, (3, 4))
    with pytest.raises(ValueError, match="multiple of color_channels"):
        MaskedConv2D(4, 3, color_channels=3)
    with pytest.raises(ValueError, match="padding='same'.*'valid'"):
        MaskedConv2D(4, 3, padding="valid")
    with pytest.raises(ValueError, match="strides=1"):
        MaskedConv2D(4, 3, strides=2)
    layer = MaskedConv2D(6, 3, color_channels=3)
    with pytest.raises(ValueError, match="input channels"):
        layer(np.zeros((1, 4, 4, 2), "float32"))


def test_is_a_keras_conv2d_with_its_arguments(rng):
    """keras-io's PixelCNN spelling works, and Conv2D's arguments are honoured."""
    layer = MaskedConv2D(
        8,
        7,
        mask_type="A",
        padding="same",
        activation="relu",
        kernel_regularizer=keras.regularizers.L2(0.1),
        kernel_constraint=keras.constraints.MaxNorm(0.5, axis=[0, 1, 2]),
    )
    assert isinstance(layer, keras.layers.Conv2D)
    x = rng.normal(size=(2, 9, 9, 1)).astype("float32")
    y = _np(layer(x))
    assert y.shape == (2, 9, 9, 8) and y.min() >= 0.0  # relu
    # the regularizer sees the trainable (unmasked) kernel: 0.1 * sum(k^2)
    (penalty,) = layer.losses
    np.testing.assert_allclose(
        _np(penalty), 0.1 * np.sum(_np(layer.kernel) ** 2), rtol=1e-5
    )
    # the constraint is Keras's own: the optimizer applies it after a step
    optimizer = keras.optimizers.SGD(1.0)
    optimizer.apply(
        [keras.ops.full(layer.kernel.shape, -100.0), keras.ops.zeros((8,))],
        [layer.kernel, layer.bias],
    )
    norms = np.sqrt(np.sum(_np(layer.kernel) ** 2, axis=(0, 1, 2)))
    np.testing.assert_allclose(norms, 0.5, rtol=1e-4)
    y = _np(layer(x))
    config = layer.get_config()
    assert config["mask_type"] == "A" and config["kernel_size"] == (7, 7)
    assert "padding" not in config and "strides" not in config
    clone = MaskedConv2D.from_config(config)
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(_np(clone(x)), y, atol=1e-6)
    # grouped convolution: each output group reads its input group, masked
    grouped = MaskedConv2D(6, 3, mask_type="B", color_channels=3, groups=3)
    z = rng.normal(size=(1, 4, 4, 3)).astype("float32")
    out = _np(grouped(z))
    kernel = _np(grouped.kernel) * causal_conv_mask(3, 3, 6, "B", 3, groups=3)
    padded = np.pad(z, ((0, 0), (1, 1), (1, 1), (0, 0)))
    for i in range(4):
        for j in range(4):
            window = padded[0, i : i + 3, j : j + 3]
            for o in range(6):
                group = o // 2  # one input channel per group
                expected = np.sum(window[..., group] * kernel[..., 0, o])
                np.testing.assert_allclose(
                    out[0, i, j, o], expected + _np(grouped.bias)[o], atol=1e-5
                )


def test_call_on_window_is_the_convolution_at_one_position(rng):
    layer = MaskedConv2D(4, 3, mask_type="B", bias_initializer="random_normal")
    x = rng.normal(size=(2, 5, 5, 2)).astype("float32")
    full = _np(layer(x))
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    window = padded[:, 2:5, 1:4]  # centred on (2, 1)
    np.testing.assert_allclose(
        _np(layer.call_on_window(window)), full[:, 2, 1], atol=1e-5
    )
