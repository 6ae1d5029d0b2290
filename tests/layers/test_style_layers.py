"""Style-generator layers against NumPy references and their defining properties."""

import keras
import numpy as np
import pytest

from kgen.layers import (
    EqualizedConv2D,
    EqualizedDense,
    MappingNetwork,
    MinibatchStandardDeviation,
    ModulatedConv2D,
    mix_styles,
    synthesis_resolutions,
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _reference_modulated_conv(x, kernel, styles, demodulate=True, epsilon=1e-8):
    """Per-example modulated (and demodulated) kernels, 'same' padding."""
    batch, height, width, _ = x.shape
    k = kernel.shape[0]
    pad = k // 2
    padded = np.pad(x, ((0, 0), (pad, k - 1 - pad), (pad, k - 1 - pad), (0, 0)))
    out = np.zeros((batch, height, width, kernel.shape[-1]))
    for n in range(batch):
        # w'_ijk = s_i w_ijk; w''_ijk = w'_ijk / sqrt(sum_ik w'^2 + eps)
        weights = kernel * styles[n][None, None, :, None]
        if demodulate:
            weights = weights / np.sqrt(
                np.sum(weights**2, axis=(0, 1, 2), keepdims=True) + epsilon
            )
        for i in range(height):
            for j in range(width):
                out[n, i, j] = np.tensordot(
                    padded[n, i : i + k, j : j + k, :], weights, axes=3
                )
    return out


@pytest.mark.parametrize("demodulate", [True, False])
def test_modulated_convolution_equals_per_example_modulated_kernels(demodulate, rng):
    layer = ModulatedConv2D(3, 3, demodulate=demodulate)
    x = rng.normal(size=(2, 5, 5, 4)).astype("float32")
    w = rng.normal(size=(2, 6)).astype("float32")
    out = _np(layer([x, w]))
    styles = _np(layer.styles(w))
    kernel = _np(layer.kernel) * layer.weight_gain
    expected = _reference_modulated_conv(x, kernel, styles, demodulate)
    np.testing.assert_allclose(out, expected, rtol=2e-4, atol=2e-4)


def test_weight_demodulation_gives_unit_variance_outputs_for_unit_variance_inputs(rng):
    # Each output is sum_{i,k} w''_ijk x_{i,k} with sum_{i,k} w''^2 = 1, so
    # unit-variance i.i.d. inputs give unit-variance outputs, whatever the
    # style; without demodulation the variance follows the style's scale.
    x = rng.normal(size=(64, 12, 12, 8)).astype("float32")
    w = (3.0 * rng.normal(size=(64, 5))).astype("float32")
    interior = (slice(None), slice(1, -1), slice(1, -1))  # away from padding
    demodulated = _np(ModulatedConv2D(6, 3)([x, w]))[interior]
    # (neighbouring outputs share inputs: fewer independent values than
    # the 6400 per channel)
    np.testing.assert_allclose(demodulated.var(axis=(0, 1, 2)), 1.0, atol=0.1)
    np.testing.assert_allclose(demodulated.var(), 1.0, atol=0.04)
    modulated = _np(ModulatedConv2D(6, 3, demodulate=False)([x, w]))[interior]
    assert abs(modulated.var() - 1.0) > 0.5


def test_noise_input_is_scaled_by_its_learned_strength(rng):
    layer = ModulatedConv2D(2, 3, use_noise=True)
    x = rng.normal(size=(2, 4, 4, 3)).astype("float32")
    w = rng.normal(size=(2, 5)).astype("float32")
    noise = rng.normal(size=(2, 4, 4, 1)).astype("float32")
    base = _np(layer([x, w]))
    # strength starts at 0: the noise changes nothing until it is learned
    np.testing.assert_allclose(_np(layer([x, w], noise=noise)), base, atol=1e-6)
    layer.noise_strength.assign(0.5)
    np.testing.assert_allclose(
        _np(layer([x, w], noise=noise)), base + 0.5 * noise, atol=1e-5
    )
    with pytest.raises(ValueError, match="use_noise=False"):
        ModulatedConv2D(2, 3)([x, w], noise=noise)


def test_equalized_layers_scale_their_weights_at_run_time(rng):
    dense = EqualizedDense(3, lr_multiplier=0.01, bias_initializer=1.0)
    x = rng.normal(size=(4, 5)).astype("float32")
    y = _np(dense(x))
    # stored weights ~ N(0, 1 / 0.01^2); effective = stored * 0.01 / sqrt(5)
    expected = x @ (_np(dense.kernel) * 0.01 / np.sqrt(5)) + 1.0 * 0.01
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert 50 < _np(dense.kernel).std() < 200
    conv = EqualizedConv2D(2, 3, activation="leaky_relu")
    images = rng.normal(size=(2, 6, 6, 4)).astype("float32")
    out = _np(conv(images))
    kernel = (_np(conv.kernel) / np.sqrt(3 * 3 * 4)).astype("float32")
    plain = _np(keras.ops.conv(images, kernel, padding="same"))
    np.testing.assert_allclose(
        out, np.sqrt(2) * np.where(plain > 0, plain, 0.2 * plain), rtol=1e-4, atol=1e-5
    )


def test_truncation_with_psi_zero_returns_the_mean_style(rng):
    mapping = MappingNetwork(4, 6, num_layers=2, w_avg_beta=0.5)
    z = rng.normal(size=(32, 4)).astype("float32")
    w = mapping(z, training=True)
    # one training call: w_avg = 0.5 * 0 + 0.5 * mean(w)
    np.testing.assert_allclose(
        _np(mapping.w_avg), 0.5 * _np(w).mean(axis=0), rtol=1e-5, atol=1e-7
    )
    truncated = _np(mapping.truncate(w, 0.0))
    np.testing.assert_allclose(truncated, np.tile(_np(mapping.w_avg), (32, 1)))
    np.testing.assert_allclose(_np(mapping.truncate(w, 1.0)), _np(w), atol=1e-6)
    half = _np(mapping.truncate(w, 0.5))
    np.testing.assert_allclose(
        half, _np(mapping.w_avg) + 0.5 * (_np(w) - _np(mapping.w_avg)), atol=1e-6
    )
    # inference calls leave the average alone
    before = _np(mapping.w_avg).copy()
    mapping(z)
    np.testing.assert_array_equal(_np(mapping.w_avg), before)


def test_style_mixing_uses_the_second_latent_from_the_crossover_layer_on():
    first = np.zeros((3, 5, 2), "float32")
    second = np.ones((3, 2), "float32")
    crossover = np.array([0, 2, 5])
    mixed = _np(mix_styles(first, second, crossover))[..., 0]
    np.testing.assert_array_equal(
        mixed,
        [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [0, 0, 0, 0, 0]],
    )
    with pytest.raises(ValueError, match="per-layer styles"):
        mix_styles(np.zeros((2, 3)), np.zeros((2, 3)), 1)


def test_minibatch_standard_deviation_matches_numpy_over_consecutive_groups(rng):
    x = rng.normal(size=(5, 3, 3, 4)).astype("float32")
    out = _np(MinibatchStandardDeviation(group_size=2, num_features=2)(x))
    assert out.shape == (5, 3, 3, 6)
    np.testing.assert_allclose(out[..., :4], x)
    for members in ([0, 1], [2, 3], [4]):
        group = x[members].astype("float64")
        std = np.sqrt(group.var(axis=0) + 1e-8)  # (3, 3, 4) biased, as StyleGAN
        features = [std[..., :2].mean(), std[..., 2:].mean()]
        for member in members:
            np.testing.assert_allclose(out[member, 0, 0, 4:], features, rtol=1e-4)
            # one constant map per feature
            assert np.ptp(out[member, ..., 4:], axis=(0, 1)).max() < 1e-6
    with pytest.raises(ValueError, match="divisible by num_features"):
        MinibatchStandardDeviation(num_features=3)(x)


def test_synthesis_resolutions_and_their_errors():
    assert synthesis_resolutions((8, 8, 1)) == (4, 8)
    assert synthesis_resolutions((28, 28, 1)) == (7, 14, 28)
    assert synthesis_resolutions((32, 32, 3)) == (4, 8, 16, 32)
    with pytest.raises(ValueError, match="Square"):
        synthesis_resolutions((8, 16, 1))
    with pytest.raises(ValueError, match="halved"):
        synthesis_resolutions((18, 18, 1))


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="lr_multiplier"):
        EqualizedDense(3, lr_multiplier=0)
    with pytest.raises(ValueError, match="activation"):
        ModulatedConv2D(3, 3, activation="relu")
    with pytest.raises(ValueError, match="w_avg_beta"):
        MappingNetwork(4, 4, w_avg_beta=1.0)
    with pytest.raises(ValueError, match="group_size"):
        MinibatchStandardDeviation(group_size=0)
