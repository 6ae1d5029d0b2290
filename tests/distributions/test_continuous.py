"""NumPy oracles and Monte-Carlo checks for kgen.distributions.continuous."""

import math

import keras
import numpy as np
import pytest

from kgen.distributions.continuous import (
    bernoulli_log_prob_from_logits,
    diagonal_gaussian_log_prob,
    kl_diagonal_gaussian_standard_normal,
    kl_diagonal_gaussians,
    log_mean_exp,
    reparameterize,
    standard_normal_log_prob,
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


def _gaussian_oracle(x, mean, log_variance):
    variance = np.exp(log_variance)
    return -0.5 * np.log(2 * np.pi * variance) - (x - mean) ** 2 / (2 * variance)


def test_diagonal_gaussian_log_prob_matches_numpy(rng):
    x, mean = rng.normal(size=(2, 5, 7))
    log_variance = rng.uniform(-3, 2, size=(5, 7))
    got = _np(diagonal_gaussian_log_prob(x, mean, log_variance))
    np.testing.assert_allclose(got, _gaussian_oracle(x, mean, log_variance), rtol=1e-5)
    np.testing.assert_allclose(
        _np(standard_normal_log_prob(x)), _gaussian_oracle(x, 0.0, 0.0), rtol=1e-5
    )


def test_bernoulli_log_prob_matches_numpy_and_is_stable(rng):
    logits = rng.normal(scale=3.0, size=(6, 4))
    x = rng.integers(0, 2, size=(6, 4)).astype("float64")
    p = 1.0 / (1.0 + np.exp(-logits))
    oracle = x * np.log(p) + (1 - x) * np.log(1 - p)
    got = _np(bernoulli_log_prob_from_logits(x, logits))
    np.testing.assert_allclose(got, oracle, rtol=1e-5, atol=1e-6)
    # Saturated logits stay finite where log(sigmoid(l)) would give -inf.
    extreme = _np(bernoulli_log_prob_from_logits([1.0, 0.0], [-200.0, 200.0]))
    np.testing.assert_allclose(extreme, [-200.0, -200.0], rtol=1e-6)
    # Continuous targets give minus the binary cross-entropy.
    soft = _np(bernoulli_log_prob_from_logits(0.3, 0.5))
    q = 1.0 / (1.0 + math.exp(-0.5))
    assert soft == pytest.approx(0.3 * math.log(q) + 0.7 * math.log(1 - q), rel=1e-5)


def test_closed_form_kl_matches_monte_carlo(rng):
    mean = np.array([0.5, -1.0, 2.0])
    log_variance = np.array([-1.0, 0.5, 0.0])
    closed = _np(kl_diagonal_gaussian_standard_normal(mean, log_variance))
    # KL = E_q[log q(z) - log p(z)], estimated with 200k samples of q
    z = mean + np.exp(0.5 * log_variance) * rng.normal(size=(200_000, 3))
    estimate = np.mean(
        _gaussian_oracle(z, mean, log_variance) - _gaussian_oracle(z, 0.0, 0.0), axis=0
    )
    np.testing.assert_allclose(closed, estimate, atol=0.02)
    assert np.all(closed >= 0)
    np.testing.assert_allclose(
        _np(kl_diagonal_gaussian_standard_normal([0.0], [0.0])), [0.0], atol=1e-7
    )


def test_general_kl_matches_monte_carlo_and_special_case(rng):
    mean_q, mean_p = np.array([0.3, -0.5]), np.array([1.0, 0.2])
    log_variance_q, log_variance_p = np.array([-0.5, 0.4]), np.array([0.3, -0.2])
    closed = _np(kl_diagonal_gaussians(mean_q, log_variance_q, mean_p, log_variance_p))
    z = mean_q + np.exp(0.5 * log_variance_q) * rng.normal(size=(200_000, 2))
    estimate = np.mean(
        _gaussian_oracle(z, mean_q, log_variance_q)
        - _gaussian_oracle(z, mean_p, log_variance_p),
        axis=0,
    )
    np.testing.assert_allclose(closed, estimate, atol=0.02)
    np.testing.assert_allclose(
        _np(kl_diagonal_gaussians(mean_q, log_variance_q, 0.0, 0.0)),
        _np(kl_diagonal_gaussian_standard_normal(mean_q, log_variance_q)),
        rtol=1e-6,
    )


def test_reparameterize_has_the_right_moments_and_is_seeded():
    mean = np.full((20_000, 2), [1.5, -2.0], dtype="float32")
    log_variance = np.full((20_000, 2), [np.log(0.25), np.log(4.0)], dtype="float32")
    z = _np(reparameterize(mean, log_variance, keras.random.SeedGenerator(0)))
    np.testing.assert_allclose(z.mean(axis=0), [1.5, -2.0], atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), [0.5, 2.0], rtol=0.03)
    again = _np(reparameterize(mean, log_variance, keras.random.SeedGenerator(0)))
    other = _np(reparameterize(mean, log_variance, keras.random.SeedGenerator(1)))
    np.testing.assert_array_equal(z, again)
    assert not np.allclose(z, other)


def test_log_mean_exp_matches_numpy_and_is_stable(rng):
    values = rng.normal(size=(50, 3)) * 5
    oracle = np.log(np.mean(np.exp(values), axis=0))
    np.testing.assert_allclose(_np(log_mean_exp(values, axis=0)), oracle, rtol=1e-5)
    # Values around -1000 underflow exp() but not the stable form.
    shifted = _np(log_mean_exp(values - 1000.0, axis=0))
    np.testing.assert_allclose(shifted, oracle - 1000.0, rtol=1e-6)
