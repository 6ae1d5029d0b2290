"""Reflection padding and the image history pool."""

import keras
import numpy as np
import pytest

from kgen.layers import ImagePool, ReflectionPadding2D


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def test_reflection_padding_matches_numpy(rng):
    x = rng.normal(size=(2, 4, 5, 3)).astype("float32")
    out = _np(ReflectionPadding2D(3)(x))
    np.testing.assert_array_equal(
        out, np.pad(x, ((0, 0), (3, 3), (3, 3), (0, 0)), mode="reflect")
    )
    with pytest.raises(ValueError, match="needs more than 4 pixels"):
        ReflectionPadding2D(4)(x)


def _batch(value, size=4):
    return np.full((size, 2, 2, 1), value, "float32")


def test_the_pool_fills_first_and_returns_its_inputs_meanwhile():
    pool = ImagePool(pool_size=6, seed=0)
    np.testing.assert_array_equal(_np(pool(_batch(1.0), training=True)), _batch(1.0))
    assert int(_np(pool.num_stored)) == 4
    # outside training nothing is stored or swapped
    np.testing.assert_array_equal(_np(pool(_batch(9.0), training=False)), _batch(9.0))
    assert int(_np(pool.num_stored)) == 4
    out = _np(pool(_batch(2.0), training=True))[:, 0, 0, 0]
    # two images fill the pool; the other two meet a full pool of 1s and 2s
    np.testing.assert_array_equal(out[:2], [2.0, 2.0])
    assert set(out[2:]) <= {1.0, 2.0}
    stored = sorted(_np(pool.images)[:, 0, 0, 0])
    assert int(_np(pool.num_stored)) == 6 and stored.count(1.0) + stored.count(2.0) == 6


def test_the_full_pool_returns_past_images_with_the_documented_probability():
    pool = ImagePool(pool_size=50, probability=0.5, seed=1)
    pool(np.zeros((50, 1, 1, 1), "float32"), training=True)  # fill with 0s
    returned_past, total, seen = 0, 0, {0.0}
    for step in range(1, 41):
        images = np.full((25, 1, 1, 1), float(step), "float32")
        out = _np(pool(images, training=True))[:, 0, 0, 0]
        past = out != step
        returned_past += int(past.sum())
        total += len(out)
        # a returned past image is one given before
        assert set(out[past]) <= seen
        seen.add(float(step))
    fraction = returned_past / total
    # binomial(1000, 0.5): 4 standard deviations are 0.063
    assert abs(fraction - 0.5) < 0.063, fraction
    never = ImagePool(pool_size=4, probability=0.0, seed=0)
    never(_batch(1.0), training=True)
    np.testing.assert_array_equal(_np(never(_batch(2.0), training=True)), _batch(2.0))


def test_pool_arguments_are_checked():
    with pytest.raises(ValueError, match="pool_size"):
        ImagePool(pool_size=-1)
    with pytest.raises(ValueError, match="probability"):
        ImagePool(probability=1.5)
    # pool_size 0 turns the pool off
    off = ImagePool(pool_size=0)
    np.testing.assert_array_equal(_np(off(_batch(3.0), training=True)), _batch(3.0))
