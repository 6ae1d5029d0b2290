"""The cached sampler draws exactly the images of the naive one."""

import keras
import numpy as np

from kgen.models.autoregressive import GatedPixelCNN


def _trained(image_shape, num_classes=None, rng=None):
    model = GatedPixelCNN(
        image_shape,
        num_levels=6,
        num_classes=num_classes,
        filters=6,
        num_layers=3,
        first_kernel_size=5,
    )
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    # Smooth images so that the trained model has sharp, varied conditionals.
    x = np.cumsum(rng.integers(0, 2, size=(64, *image_shape)), axis=2) % 6
    y = rng.integers(0, num_classes, size=64) if num_classes else None
    model.fit(x if y is None else {"images": x, "labels": y}, epochs=2, verbose=0)
    return model, x, y


def test_fast_equals_naive_grey(rng):
    model, x, _ = _trained((6, 5, 1), rng=rng)
    naive = model.sample(5, seed=11, method="naive", batch_size=3)
    fast = model.sample(5, seed=11, method="fast", batch_size=3)
    np.testing.assert_array_equal(fast, naive)
    assert len(np.unique(naive)) > 2  # non-trivial images
    # Completions from given rows, and another temperature, agree as well.
    naive = model.complete(x[:3], 2, seed=5, temperature=0.7, method="naive")
    fast = model.complete(x[:3], 2, seed=5, temperature=0.7, method="fast")
    np.testing.assert_array_equal(fast, naive)
    np.testing.assert_array_equal(fast[:, :2], x[:3, :2])


def test_fast_equals_naive_colour_and_conditional(rng):
    model, _, _ = _trained((4, 4, 3), num_classes=3, rng=rng)
    labels = np.array([0, 1, 2, 1])
    naive = model.sample(4, seed=2, conditions=labels, method="naive", batch_size=4)
    fast = model.sample(4, seed=2, conditions=labels, method="fast", batch_size=4)
    np.testing.assert_array_equal(fast, naive)
    other = model.sample(4, seed=3, conditions=labels, method="fast", batch_size=4)
    assert not np.array_equal(other, fast)
