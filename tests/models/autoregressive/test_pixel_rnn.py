"""PixelRNN: causality with colours, exact likelihood, sampling, training."""

import itertools
import math

import keras
import numpy as np
import pytest

from kgen import backend
from kgen.models.autoregressive import PixelRNN


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


def _subpixel_dependencies(model, rng, repeats=3):
    """seen[r, c, k]: (H, W, C) map of the input sub-pixels the logits of
    sub-pixel (r, c, k) depend on. One batched gradient call, each target
    ``repeats`` times with different inputs (a ReLU can zero a gradient for
    one input)."""
    height, width, channels = model.grid_shape
    targets = list(itertools.product(range(height), range(width), range(channels)))
    n = len(targets) * repeats
    x = rng.uniform(-1, 1, size=(n, *model.grid_shape)).astype("float32")
    select = np.zeros((n, *model.grid_shape, model.num_levels), "float32")
    for index in range(n):
        select[(index, *targets[index % len(targets)])] = 1.0
    select = keras.ops.convert_to_tensor(select)
    grad = _np(_input_gradients(lambda v: model.call_network(v) * select, x))
    seen = (np.abs(grad) > 0).reshape(repeats, len(targets), -1).any(axis=0)
    return seen.reshape(*model.grid_shape, *model.grid_shape)


@pytest.mark.parametrize("cell", ["row_lstm", "diagonal_bilstm"])
def test_logits_never_see_the_subpixel_or_later_ones(cell, rng):
    model = PixelRNN(
        (4, 4, 3),
        num_levels=2,
        cell=cell,
        num_layers=1,
        hidden_units=6,
        first_kernel_size=3,
    )
    model.build()
    seen = _subpixel_dependencies(model, rng)
    order = np.arange(4 * 4 * 3).reshape(4, 4, 3)  # raster, then R -> G -> B
    for target in itertools.product(range(4), range(4), range(3)):
        later = order >= order[target]
        assert not np.any(seen[target] & later), target
    # the colour order is used: blue sees red and green of its own pixel
    assert seen[2, 2, 2][2, 2, :2].all() and seen[2, 2, 1][2, 2, 0]
    if cell == "diagonal_bilstm":
        # The Diagonal BiLSTM sees every earlier sub-pixel but one: the last
        # sub-pixel of the row above, for pixels left of the last two
        # columns. The type-A input convolution puts it into the features of
        # the next row only, which the left-to-right LSTM reads no further
        # left than column W - 2 (3x3 kernel), and the shifted right-to-left
        # LSTM reads the row above, whose features do not hold it.
        for target in itertools.product(range(4), range(4), range(3)):
            expected = order < order[target]
            row, col, _ = target
            if row > 0 and col <= 4 - 3:
                expected[row - 1, 3, 2] = False
            np.testing.assert_array_equal(seen[target], expected, str(target))
    else:
        # the Row LSTM's triangle misses the far right of the rows above
        assert not seen[3, 0, 0][1, 3].any()


def test_likelihood_sums_to_one_and_samples_follow_it(rng):
    image_shape, num_levels = (2, 2, 1), 3
    model = PixelRNN(
        image_shape,
        num_levels=num_levels,
        cell="diagonal_bilstm",
        num_layers=1,
        hidden_units=4,
        first_kernel_size=3,
    )
    bits = rng.integers(0, 2, size=(256, 1, 1, 1))
    data = np.clip(
        np.tile(bits, (1, 2, 2, 1)) * 2 - (rng.random((256, 2, 2, 1)) < 0.2), 0, 2
    )
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    model.fit(data.astype("int32"), epochs=8, batch_size=64, verbose=0)
    images = np.array(list(itertools.product(range(3), repeat=4)), "int32")
    p = np.exp(model.log_prob(images.reshape(-1, *image_shape)).astype("float64"))
    assert abs(p.sum() - 1.0) < 1e-4
    assert p.max() > 0.1
    n = 3000
    samples = model.sample(n, seed=0, batch_size=n).astype("int32")
    codes = samples.reshape(n, 4) @ (3 ** np.arange(3, -1, -1))
    freq = np.bincount(codes, minlength=81) / n
    total_variation = 0.5 * np.abs(freq - p).sum()
    assert total_variation < 0.08, total_variation
    np.testing.assert_array_equal(model.sample(16, seed=2), model.sample(16, seed=2))


def test_trained_row_lstm_beats_uniform_on_digits():
    from kgen.data import load, quantize

    train, _ = load("digits", "train")
    test, _ = load("digits", "test")
    train, test = quantize(train, 17), quantize(test, 17)
    model = PixelRNN(
        (8, 8, 1),
        num_levels=17,
        cell="row_lstm",
        num_layers=1,
        hidden_units=8,
        first_kernel_size=5,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    untrained = model.bits_per_dim(test, batch_size=len(test)).mean()
    # 1024 images: whole batches only, so the step is compiled once
    model.fit(train[:1024], epochs=2, batch_size=64, verbose=0)
    trained = model.bits_per_dim(test, batch_size=len(test)).mean()
    assert trained < math.log2(17) - 1.0, (trained, untrained)
    assert trained < untrained - 0.5


def test_log_prob_sums_subpixel_terms_labels_and_bad_input(rng):
    model = PixelRNN(
        (3, 3, 3),
        num_levels=4,
        num_classes=2,
        cell="row_lstm",
        num_layers=1,
        hidden_units=3,
        first_kernel_size=3,
    )
    x = rng.integers(0, 4, size=(2, 3, 3, 3))
    labels = np.array([0, 1])
    log_p = model.log_prob(x, conditions=labels)
    logits = model({"images": x, "labels": labels})
    per_subpixel = _np(model.log_prob_per_subpixel(logits, x))
    np.testing.assert_allclose(log_p, per_subpixel.sum(axis=(1, 2, 3)), rtol=1e-5)
    expected = -log_p / (3 * 3 * 3 * math.log(2))
    np.testing.assert_allclose(
        model.bits_per_dim(x, conditions=labels), expected, rtol=1e-5
    )
    assert np.abs(model.log_prob(x, conditions=[1, 1]) - log_p).max() > 1e-6
    with pytest.raises(ValueError, match="conditions"):
        model.log_prob(x)
    with pytest.raises(ValueError, match="integer pixel values"):
        model.log_prob(x / 2.0, conditions=[0, 1])
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        model.log_prob(x + 1, conditions=[0, 1])
    with pytest.raises(ValueError, match="shape"):
        model.log_prob(x[..., :1], conditions=[0, 1])
    with pytest.raises(ValueError, match="cell"):
        PixelRNN((3, 3, 1), cell="gru")
    with pytest.raises(ValueError, match="multiple"):
        PixelRNN((3, 3, 3), hidden_units=4)
    # a condition grid moves the likelihood (a bias before every LSTM layer)
    gridded = PixelRNN(
        (4, 4),
        num_levels=5,
        cell="diagonal_bilstm",
        num_layers=2,
        hidden_units=3,
        first_kernel_size=3,
        condition_grid_shape=(2, 2),
        condition_grid_levels=3,
    )
    tokens = rng.integers(0, 5, size=(2, 4, 4))
    grid = rng.integers(0, 3, size=(2, 2, 2))
    log_p = gridded.log_prob(tokens, condition_grid=grid)
    moved = gridded.log_prob(tokens, condition_grid=(grid + 1) % 3)
    assert np.all(np.abs(moved - log_p) > 1e-5)


def test_config_round_trip():
    model = PixelRNN(
        (4, 4, 3),
        num_levels=8,
        num_classes=2,
        cell="row_lstm",
        num_layers=2,
        hidden_units=6,
    )
    clone = PixelRNN.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
