"""The AutoregressiveModel contract, checked through PixelCNN and a stub."""

import itertools
import math

import keras
import numpy as np
import pytest

from kgen.models.autoregressive import PixelCNN


def _tiny(image_shape=(2, 2, 1), num_levels=3, **kwargs):
    model = PixelCNN(
        image_shape,
        num_levels=num_levels,
        filters=6 if image_shape[-1] == 3 else 4,
        num_layers=1,
        first_kernel_size=3,
        **kwargs,
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    return model


def _all_images(image_shape, num_levels):
    size = int(np.prod(image_shape))
    values = itertools.product(range(num_levels), repeat=size)
    return np.array(list(values), "int32").reshape(-1, *image_shape)


@pytest.mark.parametrize("image_shape,num_levels", [((2, 2, 1), 3), ((1, 2, 3), 2)])
def test_probabilities_of_all_images_sum_to_one(image_shape, num_levels):
    # Holds only if every conditional is normalised and causal (raster + RGB).
    model = _tiny(image_shape, num_levels)
    images = _all_images(image_shape, num_levels)
    total = np.exp(model.log_prob(images, batch_size=128).astype("float64")).sum()
    assert abs(total - 1.0) < 1e-4


def test_loss_is_nats_per_subpixel_and_bits_per_dim_agrees(rng):
    model = _tiny((3, 3, 1), 4)
    x = rng.integers(0, 4, size=(8, 3, 3, 1))
    log_p = model.log_prob(x)
    expected_nats = -log_p / 9  # per example, per sub-pixel
    loss = model.compute_loss(x=x, y_pred=model(x))
    np.testing.assert_allclose(
        float(keras.ops.convert_to_numpy(loss)), expected_nats.mean(), rtol=1e-5
    )
    # bits/dim per example
    bits = model.bits_per_dim(x)
    assert bits.shape == (8,) and bits.dtype == np.float32
    np.testing.assert_allclose(bits, expected_nats / math.log(2), rtol=1e-5)
    # evaluate() reports the same figure as its bits_per_dim metric.
    logs = model.evaluate(x, batch_size=8, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["bits_per_dim"], bits.mean(), rtol=1e-4)


def test_sample_weight_weights_the_per_example_loss_as_keras_does(rng):
    model = _tiny((3, 3, 1), 4)
    x = rng.integers(0, 4, size=(4, 3, 3, 1))
    weights = np.array([0.0, 1.0, 2.0, 0.5], "float32")
    per_example = -model.log_prob(x) / 9
    loss = model.compute_loss(x=x, y_pred=model(x), sample_weight=weights)
    # "sum_over_batch_size": sum(w_i l_i) / batch size
    np.testing.assert_allclose(
        float(keras.ops.convert_to_numpy(loss)),
        np.sum(weights * per_example) / 4,
        rtol=1e-5,
    )


def test_log_prob_is_batch_independent(rng):
    model = _tiny((3, 3, 1), 4)
    x = rng.integers(0, 4, size=(7, 3, 3, 1))
    np.testing.assert_allclose(
        model.log_prob(x, batch_size=2), model.log_prob(x, batch_size=64), rtol=1e-5
    )


def test_bad_inputs_raise_clear_errors(rng):
    model = _tiny((3, 3, 1), 4)
    good = rng.integers(0, 4, size=(2, 3, 3, 1))
    with pytest.raises(ValueError, match="integer pixel values"):
        model.log_prob(good.astype("float32") / 3.0)
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        model.log_prob(good + 4)
    with pytest.raises(ValueError, match="shape"):
        model.log_prob(np.zeros((2, 3, 3, 3), "int32"))
    with pytest.raises(ValueError, match="integer pixel values"):
        model.fit(good.astype("float32") + 0.5, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="no num_classes|takes no"):
        model.log_prob(good, conditions=[0, 1])
    with pytest.raises(ValueError, match="temperature"):
        model.sample(1, temperature=0.0)
    with pytest.raises(ValueError, match="method"):
        model.sample(1, method="slow")
    with pytest.raises(ValueError, match="fast sampler"):
        model.sample(1, method="fast")
    with pytest.raises(ValueError, match="num_given_rows"):
        model.complete(good, 4)
    with pytest.raises(ValueError, match="data_shape"):
        PixelCNN((3, 3, 1, 1), num_levels=4)
    with pytest.raises(ValueError, match="num_levels"):
        PixelCNN((3, 3, 1), num_levels=1)
    with pytest.raises(ValueError, match="input_embedding"):
        PixelCNN((3, 3), num_levels=4, input_embedding="one_hot")
    with pytest.raises(ValueError, match="embedding_dim.*neither"):
        PixelCNN((3, 3), num_levels=4, embedding_dim=8)
    with pytest.raises(ValueError, match="go together"):
        PixelCNN((4, 4), num_levels=4, condition_grid_shape=(2, 2))
    with pytest.raises(ValueError, match="whole multiple"):
        PixelCNN(
            (4, 4), num_levels=4, condition_grid_shape=(3, 2), condition_grid_levels=5
        )


def test_condition_grid_is_checked_like_labels(rng):
    model = PixelCNN(
        (4, 4),
        num_levels=4,
        filters=4,
        num_layers=0,
        first_kernel_size=3,
        condition_grid_shape=(2, 2),
        condition_grid_levels=3,
    )
    x = rng.integers(0, 4, size=(2, 4, 4))
    with pytest.raises(ValueError, match=r"conditioned on a grid of shape \(2, 2\)"):
        model.log_prob(x)
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        model.log_prob(x, condition_grid=np.full((2, 2, 2), 3))
    with pytest.raises(ValueError, match="shape"):
        model.log_prob(x, condition_grid=np.zeros((3, 2, 2), "int32"))
    with pytest.raises(ValueError, match="condition_grid"):
        model.fit({"tokens": x}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="keys"):
        model.fit({"images": x, "condition_grid": np.zeros((2, 2, 2))}, verbose=0)
    # one grid for all examples, or one per example
    grid = rng.integers(0, 3, size=(2, 2))
    np.testing.assert_allclose(
        model.log_prob(x, condition_grid=grid),
        model.log_prob(x, condition_grid=np.stack([grid, grid])),
        rtol=1e-6,
    )
    unconditioned = _tiny((3, 3, 1), 4)
    with pytest.raises(ValueError, match="without condition_grid_shape"):
        unconditioned.log_prob(
            np.zeros((1, 3, 3, 1), "int32"), condition_grid=np.zeros((1, 2, 2))
        )


def test_conditional_model_checks_labels(rng):
    model = _tiny((3, 3, 1), 4, num_classes=3)
    x = rng.integers(0, 4, size=(4, 3, 3, 1))
    with pytest.raises(ValueError, match="class-conditional"):
        model.log_prob(x)
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        model.log_prob(x, conditions=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="one label per example"):
        model.sample(2, conditions=[0, 1, 2])
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        model.fit({"images": x, "labels": np.array([0, 1, 5, 1])}, epochs=1, verbose=0)
    assert model.log_prob(x, conditions=[0, 1, 2, 0]).shape == (4,)


def test_sample_is_reproducible_and_complete_keeps_given_rows(rng):
    model = _tiny((3, 3, 1), 4)
    a = model.sample(5, seed=7, batch_size=2)
    b = model.sample(5, seed=7, batch_size=2)
    c = model.sample(5, seed=8, batch_size=2)
    assert a.dtype == np.uint8 and a.shape == (5, 3, 3, 1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 3
    x = rng.integers(0, 4, size=(4, 3, 3, 1))
    done = model.complete(x, 2, seed=1)
    np.testing.assert_array_equal(done[:, :2], x[:, :2])
    # Completing with 0 given rows is sampling from scratch.
    np.testing.assert_array_equal(
        model.complete(x, 0, seed=3, batch_size=4),
        model.sample(4, seed=3, batch_size=4),
    )
