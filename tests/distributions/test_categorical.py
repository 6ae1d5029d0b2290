import keras
import numpy as np
import pytest

from kgen.distributions import (
    categorical_log_prob,
    categorical_probabilities,
    categorical_sample,
    gumbel_noise,
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def test_log_prob_matches_numpy_oracle(rng):
    logits = rng.normal(size=(3, 4, 5)).astype("float32") * 3
    x = rng.integers(0, 5, size=(3, 4))
    expected = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = np.take_along_axis(expected, x[..., None], -1)[..., 0]
    np.testing.assert_allclose(
        _np(categorical_log_prob(logits, x)), expected, atol=1e-5
    )


def test_probabilities_sum_to_one_and_log_probs_agree(rng):
    logits = rng.normal(size=(6, 7)).astype("float32") * 4
    for temperature in (0.5, 1.0, 2.0):
        p = _np(categorical_probabilities(logits, temperature))
        np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-5)
    # exp(log p(k)) over every value k sums to 1 as well.
    total = sum(
        np.exp(_np(categorical_log_prob(logits, np.full((6,), k)))) for k in range(7)
    )
    np.testing.assert_allclose(total, 1.0, atol=1e-5)


def test_gumbel_max_samples_follow_softmax():
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4], "float32"))
    n = 20000
    seed = keras.random.SeedGenerator(3)
    draws = _np(categorical_sample(np.tile(logits, (n, 1)), seed=seed))
    freq = np.bincount(draws, minlength=4) / n
    # Four standard errors of a proportion at n=20000 is below 0.015.
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=0.015)


def test_temperature_sharpens_and_zero_is_argmax():
    logits = np.log(np.array([[0.2, 0.3, 0.5]], "float32"))
    n = 10000
    tiled = np.tile(logits, (n, 1))
    seed = keras.random.SeedGenerator(4)
    cold = _np(categorical_sample(tiled, temperature=0.25, seed=seed))
    expected = np.array([0.2, 0.3, 0.5]) ** 4
    expected /= expected.sum()
    np.testing.assert_allclose(np.bincount(cold, minlength=3) / n, expected, atol=0.02)
    assert np.all(_np(categorical_sample(tiled, temperature=0)) == 2)
    with pytest.raises(ValueError, match="temperature"):
        categorical_sample(logits, temperature=-1.0)


def test_same_noise_gives_same_sample(rng):
    logits = rng.normal(size=(5, 9)).astype("float32")
    noise = gumbel_noise((5, 9), seed=keras.random.SeedGenerator(0))
    a = _np(categorical_sample(logits, noise=noise))
    b = _np(categorical_sample(logits, noise=noise))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.argmax(logits + _np(noise), -1))
    assert np.all(np.isfinite(_np(noise)))
