import numpy as np
import pytest

from kgen import data


def test_to_unit_float_exact_values():
    x = np.array([[0, 51, 255]], dtype=np.uint8)
    y = data.to_unit_float(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [[0.0, 0.2, 1.0]], rtol=0, atol=1e-7)


def test_to_signed_float_exact_values():
    y = data.to_signed_float(np.array([0, 255, 51], dtype=np.uint8))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [-1.0, 1.0, 51 / 127.5 - 1], atol=1e-7)


@pytest.mark.parametrize(
    "forward, value_range",
    [(data.to_unit_float, (0, 1)), (data.to_signed_float, (-1, 1))],
)
def test_to_uint8_inverts_every_level(forward, value_range):
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    back = data.to_uint8(forward(levels), value_range=value_range)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, levels)


def test_to_uint8_rounds_to_nearest_level():
    x = np.array([0.0, 0.5 / 255, 0.49 / 255, 1.0], dtype=np.float32)
    np.testing.assert_array_equal(data.to_uint8(x), [0, 1, 0, 255])


def test_to_uint8_rejects_values_outside_range():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        data.to_uint8(np.array([-0.5, 0.5]))
    with pytest.raises(ValueError, match="value_range"):
        data.to_uint8(np.array([0.5]), value_range=(0, 255))


@pytest.mark.parametrize(
    "transform", [data.to_unit_float, data.to_signed_float, data.dequantize]
)
def test_uint8_transforms_reject_floats_and_out_of_range(transform):
    with pytest.raises(ValueError, match="integer pixel values in \\[0, 255\\]"):
        transform(np.array([0.1, 0.9], dtype=np.float32))
    with pytest.raises(ValueError, match="received int64 values in \\[0, 300\\]"):
        transform(np.array([0, 300]))


def test_quantize_floor_formula():
    x = np.array([0, 15, 16, 127, 128, 255], dtype=np.uint8)
    # floor(x * 16 / 256) = x // 16
    np.testing.assert_array_equal(data.quantize(x, 16), x // 16)
    np.testing.assert_array_equal(data.quantize(x, 2), [0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(data.quantize(x, 256), x)
    full = data.quantize(np.arange(256, dtype=np.uint8), 5)
    assert full.min() == 0 and full.max() == 4
    # equal-width bins: every level gets 256 / 5 = 51 or 52 values
    assert set(np.bincount(full)) <= {51, 52}


def test_quantize_rejects_bad_levels():
    for bad in (1, 257, 2.5, True):
        with pytest.raises(ValueError, match="num_levels"):
            data.quantize(np.zeros(3, np.uint8), bad)


def test_binarize_threshold():
    x = np.array([0.0, 0.3, 0.5, 0.51, 1.0], dtype=np.float32)
    np.testing.assert_array_equal(data.binarize(x), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(data.binarize(x, threshold=0.25), [0, 1, 1, 1, 1])
    assert data.binarize(x).dtype == np.float32
    with pytest.raises(ValueError, match="to_unit_float"):
        data.binarize(np.array([0, 255], dtype=np.uint8))


def test_dynamic_binarize_statistics_and_seed():
    probabilities = np.array([0.0, 0.1, 0.5, 0.9, 1.0], dtype=np.float32)
    x = np.tile(probabilities, (20000, 1))
    draws = data.dynamic_binarize(x, seed=3)
    assert draws.dtype == np.float32
    assert set(np.unique(draws)) <= {0.0, 1.0}
    # mean of 20000 Bernoulli(p) draws: standard error <= 0.0036
    np.testing.assert_allclose(draws.mean(axis=0), probabilities, atol=0.015)
    assert draws[:, 0].max() == 0 and draws[:, -1].min() == 1
    np.testing.assert_array_equal(draws, data.dynamic_binarize(x, seed=3))
    assert not np.array_equal(draws, data.dynamic_binarize(x, seed=4))


def test_dequantize_range_mean_and_inverse():
    levels = np.tile(np.arange(256, dtype=np.uint8), 400)
    y = data.dequantize(levels, seed=0)
    assert y.dtype == np.float32
    assert y.min() >= 0.0 and y.max() < 1.0
    # each value stays inside its own bin [x/256, (x+1)/256)
    np.testing.assert_array_equal(np.floor(y.astype(np.float64) * 256), levels)
    # E[(x + u) / 256] = (x + 0.5) / 256
    assert abs(np.mean(y * 256 - levels) - 0.5) < 0.01
    np.testing.assert_array_equal(y, data.dequantize(levels, seed=0))


def test_dequantize_top_level_stays_below_one():
    y = data.dequantize(np.full(100000, 255, np.uint8), seed=1)
    assert y.max() < 1.0
