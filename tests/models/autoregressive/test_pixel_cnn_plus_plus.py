"""PixelCNN++: causality without blind spot, exact likelihood, sampling."""

import itertools
import math

import keras
import numpy as np
import pytest

from kgen import backend
from kgen.models.autoregressive import PixelCNNPlusPlus


def _input_gradients(fn, x):
    """``backend.input_gradients``, compiled on JAX and TensorFlow, where one
    compiled program is faster than running the network op by op."""

    def gradient(v):
        return backend.input_gradients(fn, v)

    if backend.name() != "torch":
        gradient = backend.compile_function(gradient)
    return gradient(keras.ops.convert_to_tensor(x))


def _np(x):
    if hasattr(x, "detach"):  # a torch tensor that requires grad
        x = x.detach()
    return np.asarray(keras.ops.convert_to_numpy(x))


def _tiny(image_shape, num_levels=4, **kwargs):
    options = dict(
        num_filters=4,
        num_resnet=1,
        num_scales=2,
        num_logistic_mix=2,
        dropout_rate=0.0,
    )
    options.update(kwargs)
    return PixelCNNPlusPlus(image_shape, num_levels=num_levels, **options)


def _pixel_dependencies(model, rng):
    """seen[r, c]: (H, W) map of the input pixels whose value changes the
    mixture parameters at pixel (r, c). One batched gradient call."""
    height, width, channels = model.grid_shape
    n = height * width
    x = rng.uniform(-1, 1, size=(n, height, width, channels)).astype("float32")
    select = np.zeros((n, height, width, model.num_parameters), "float32")
    for k in range(n):
        select[k, k // width, k % width] = 1.0
    select = keras.ops.convert_to_tensor(select)
    grad = _np(_input_gradients(lambda v: model.call_network(v) * select, x))
    return (np.abs(grad).sum(-1) > 0).reshape(height, width, height, width)


def test_parameters_never_see_the_pixel_or_later_ones_and_have_no_blind_spot(rng):
    model = _tiny((8, 8, 3))
    model.build()
    seen = _pixel_dependencies(model, rng)
    for r in range(8):
        for c in range(8):
            earlier = np.zeros((8, 8), bool)
            earlier[:r] = True
            earlier[r, :c] = True
            # causal: nothing at or after (r, c) in raster order, not even
            # the pixel's own channels (the mixture couples those)
            assert not np.any(seen[r, c] & ~earlier), (r, c)
    # No blind spot: every row of the field is one unbroken run of columns
    # that reaches the column of the pixel (rows above) or ends just left of
    # it (current row), and the rows form one unbroken block. A plain
    # PixelCNN's field has holes above-right of the pixel (tested there).
    for r in range(8):
        for c in range(8):
            rows = [i for i in range(8) if seen[r, c, i].any()]
            if (r, c) != (0, 0):
                assert rows == list(range(rows[0], r + 1 if c else r)), (r, c)
            for i in rows:
                cols = np.flatnonzero(seen[r, c, i])
                assert np.array_equal(cols, np.arange(cols[0], cols[-1] + 1))
                if i < r:
                    assert cols[0] <= c <= cols[-1], (r, c, i)
                else:
                    assert cols[-1] == c - 1, (r, c)
    # this two-scale network sees the whole image above from row 2 on, and
    # the last pixel sees all but the far end of its own row
    assert seen[3, 5].sum() == 3 * 8 + 5
    assert seen[7, 7, :7].all() and seen[7, 7, 7].sum() == 6


def test_samples_and_completions_follow_the_likelihood(rng):
    # Two rows of one RGB pixel, two levels: 6 sub-pixels, 64 images; every
    # sub-pixel is sampled, and completing row 0 samples all of row 1.
    image_shape, num_levels = (2, 1, 3), 2
    model = _tiny(image_shape, num_levels=num_levels, num_scales=1)
    # a skewed, correlated data set: the channels of both pixels are equal
    bits = rng.integers(0, 2, size=(256, 1, 1, 1))
    data = np.tile(bits, (1, 2, 1, 3))
    data[rng.random(data.shape) < 0.1] ^= 1
    model.compile(optimizer=keras.optimizers.Adam(0.03))
    model.fit(data.astype("int32"), epochs=10, batch_size=64, verbose=0)
    images = np.array(list(itertools.product(range(2), repeat=6)), "int32")
    p = np.exp(model.log_prob(images.reshape(-1, *image_shape)).astype("float64"))
    # the likelihood of every possible image sums to one
    assert abs(p.sum() - 1.0) < 1e-4
    assert p.max() > 0.15  # far from uniform (1/64)
    n = 3000
    samples = model.sample(n, seed=0, batch_size=n).astype("int32")
    codes = samples.reshape(n, 6) @ (2 ** np.arange(5, -1, -1))
    freq = np.bincount(codes, minlength=64) / n
    total_variation = 0.5 * np.abs(freq - p).sum()
    # sampling noise alone gives about 0.05 here
    assert total_variation < 0.1, total_variation
    np.testing.assert_array_equal(model.sample(16, seed=3), model.sample(16, seed=3))
    # complete(): row 0 given, row 1 (three sub-pixels) drawn from
    # p(row 1 | row 0) = p(row 0, row 1) / p(row 0), which the likelihood gives
    p = p.reshape(8, 8)  # [row 0 code, row 1 code]
    for given_code in (0, 7):  # (0, 0, 0) and (1, 1, 1): both likely
        given = np.zeros((n, *image_shape), "int32")
        given[:, 0, 0] = [(given_code >> (2 - k)) & 1 for k in range(3)]
        completed = model.complete(given, 1, seed=given_code, batch_size=n)
        np.testing.assert_array_equal(completed[:, 0], given[:, 0])
        row_codes = completed[:, 1, 0].astype("int32") @ np.array([4, 2, 1])
        freq = np.bincount(row_codes, minlength=8) / n
        conditional = p[given_code] / p[given_code].sum()
        assert conditional.max() > 0.5  # the model learned the correlation
        # sampling noise alone gives about 0.02 here
        assert 0.5 * np.abs(freq - conditional).sum() < 0.05, (freq, conditional)


def test_trained_model_beats_uniform_on_digits():
    from kgen.data import load, quantize

    train, _ = load("digits", "train")
    test, _ = load("digits", "test")
    train, test = quantize(train, 17), quantize(test, 17)
    model = _tiny((8, 8, 1), num_levels=17, num_scales=1, num_filters=8)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    untrained = model.bits_per_dim(test, batch_size=len(test)).mean()
    # 1024 images: whole batches only, so the step is compiled once
    model.fit(train[:1024], epochs=1, batch_size=64, verbose=0)
    trained = model.bits_per_dim(test, batch_size=len(test)).mean()
    uniform = math.log2(17)
    assert trained < uniform - 1.0, (trained, untrained)
    assert trained < untrained - 0.5


def test_log_prob_sums_subpixel_terms_and_uses_labels(rng):
    model = _tiny((4, 4, 3), num_levels=16, num_classes=3)
    x = rng.integers(0, 16, size=(3, 4, 4, 3))
    labels = np.array([1, 2, 1])
    log_p = model.log_prob(x, conditions=labels, batch_size=3)
    outputs = model({"images": x, "labels": labels}, training=False)
    per_subpixel = _np(model.log_prob_per_subpixel(outputs, x))
    assert per_subpixel.shape == (3, 4, 4, 3)
    np.testing.assert_allclose(log_p, per_subpixel.sum(axis=(1, 2, 3)), rtol=1e-5)
    expected = -log_p / (4 * 4 * 3 * math.log(2))
    np.testing.assert_allclose(
        model.bits_per_dim(x, conditions=labels), expected, rtol=1e-5
    )
    other = model.log_prob(x, conditions=[0, 0, 0], batch_size=3)
    assert np.abs(other - log_p).max() > 1e-6
    with pytest.raises(ValueError, match="conditions"):
        model.log_prob(x)
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        model.log_prob(x, conditions=[0, 1, 3])
    with pytest.raises(ValueError, match="conditions"):
        model.sample(2, seed=0)


def test_bad_input_raises_clear_errors(rng):
    model = _tiny((4, 4, 1), num_levels=4)
    x = rng.integers(0, 4, size=(2, 4, 4, 1))
    with pytest.raises(ValueError, match="integer pixel values"):
        model.log_prob(x + 0.5)
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        model.log_prob(x + 4)
    with pytest.raises(ValueError, match="shape"):
        model.log_prob(np.repeat(x, 3, axis=-1))
    with pytest.raises(ValueError, match=r"shape \(batch, 4, 4, 1\)"):
        model.log_prob(rng.integers(0, 4, size=(2, 5, 4, 1)))
    with pytest.raises(ValueError, match="multiples of 4"):
        PixelCNNPlusPlus((6, 8, 1), num_scales=3)
    with pytest.raises(ValueError, match="multiples of 2"):
        PixelCNNPlusPlus((2, 3, 1), num_scales=2)
    with pytest.raises(ValueError, match="num_resnet"):
        PixelCNNPlusPlus((8, 8, 1), num_resnet=0)


def test_config_round_trip():
    model = _tiny((4, 4, 3), num_levels=8, num_classes=2, dropout_rate=0.1, seed=3)
    clone = PixelCNNPlusPlus.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.num_parameters == 2 * 10


def test_condition_grid_biases_every_scale(rng):
    """Class and grid together; the grid's map reaches both scales' blocks."""
    model = _tiny(
        (4, 4),
        num_levels=8,
        num_classes=2,
        condition_grid_shape=(2, 2),
        condition_grid_levels=3,
    )
    x = rng.integers(0, 8, size=(2, 4, 4))
    labels = np.array([0, 1])
    grid = rng.integers(0, 3, size=(2, 2, 2))
    log_p = model.log_prob(x, labels, condition_grid=grid)
    moved = model.log_prob(x, labels, condition_grid=(grid + 1) % 3)
    assert np.all(np.abs(moved - log_p) > 1e-5)
    assert np.all(
        np.abs(model.log_prob(x, 1 - labels, condition_grid=grid) - log_p) > 1e-6
    )
    samples = model.sample(2, seed=0, conditions=labels, condition_grid=grid)
    assert samples.shape == (2, 4, 4) and samples.max() < 8
