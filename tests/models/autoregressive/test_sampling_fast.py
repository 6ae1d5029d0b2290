"""The cached sampler draws exactly the images of the naive one."""

import keras
import numpy as np

from kgen.backend.loops import TORCH_MIN_CALLS
from kgen.models.autoregressive import GatedPixelCNN


def _sharp_model(data_shape, num_classes=None, num_levels=6, **kwargs):
    model = GatedPixelCNN(
        data_shape,
        num_levels=num_levels,
        num_classes=num_classes,
        filters=6,
        num_layers=3,
        first_kernel_size=5,
        **kwargs,
    )
    model.build()
    # Larger weights than at initialisation give sharp, strongly dependent
    # conditionals, like a trained model's (and exercise every weight).
    rng = np.random.default_rng(0)
    for variable in model.trainable_variables:
        noise = rng.normal(scale=0.3, size=variable.shape).astype("float32")
        variable.assign(keras.ops.convert_to_numpy(variable) * 3.0 + noise)
    return model


def test_fast_equals_naive_grey(rng):
    model = _sharp_model((6, 5, 1))
    naive = model.sample(5, seed=11, method="naive", batch_size=3)
    fast = model.sample(5, seed=11, method="fast", batch_size=3)
    np.testing.assert_array_equal(fast, naive)
    assert len(np.unique(naive)) > 2  # non-trivial images
    # Completions from given rows, at another temperature, agree as well.
    x = rng.integers(0, 6, size=(3, 6, 5, 1))
    naive = model.complete(x, 2, seed=5, temperature=0.7, method="naive")
    fast = model.complete(x, 2, seed=5, temperature=0.7, method="fast")
    np.testing.assert_array_equal(fast, naive)
    np.testing.assert_array_equal(fast[:, :2], x[:, :2])


def test_fast_equals_naive_colour_and_conditional():
    model = _sharp_model((4, 4, 3), num_classes=3)
    labels = np.array([0, 1, 2, 1])
    naive = model.sample(4, seed=2, conditions=labels, method="naive", batch_size=4)
    fast = model.sample(4, seed=2, conditions=labels, method="fast", batch_size=4)
    np.testing.assert_array_equal(fast, naive)
    other = model.sample(4, seed=3, conditions=labels, method="fast", batch_size=4)
    assert not np.array_equal(other, fast)
    # The labels matter: the same noise with other labels gives other images.
    shifted = model.sample(4, seed=2, conditions=(labels + 1) % 3, method="fast")
    assert not np.array_equal(shifted, fast)


def test_fast_equals_naive_for_conditioned_token_grids(rng):
    """Codes with a learned embedding, a class and a half-resolution condition
    grid (a VQ-VAE-2 bottom prior's inputs). 16 x 16 pixels make the torch
    backend compile the per-pixel step (kgen.backend.loops)."""
    assert 16 * 16 >= TORCH_MIN_CALLS
    model = _sharp_model(
        (16, 16),
        num_classes=2,
        num_levels=20,
        input_embedding="embedding",
        embedding_dim=4,
        condition_grid_shape=(8, 8),
        condition_grid_levels=5,
    )
    labels = np.array([0, 1])
    grid = rng.integers(0, 5, size=(2, 8, 8))
    naive = model.sample(2, seed=1, conditions=labels, condition_grid=grid)
    fast = model.sample(
        2, seed=1, conditions=labels, condition_grid=grid, method="fast"
    )
    np.testing.assert_array_equal(fast, naive)
    assert len(np.unique(naive)) > 5
    # the condition grid matters: other codes, other samples for the same noise
    other = model.sample(
        2, seed=1, conditions=labels, condition_grid=(grid + 1) % 5, method="fast"
    )
    assert not np.array_equal(other, fast)
    # completion from given rows, compiled step reused
    x = rng.integers(0, 20, size=(2, 16, 16))
    completed = model.complete(
        x, 9, seed=2, conditions=labels, condition_grid=grid, method="fast"
    )
    np.testing.assert_array_equal(completed[:, :9], x[:, :9])
    np.testing.assert_array_equal(
        completed,
        model.complete(x, 9, seed=2, conditions=labels, condition_grid=grid),
    )
