"""The pieces of the variational bound against SciPy / float64 NumPy."""

import keras
import numpy as np
import pytest
from scipy import special, stats

from kgen.models.diffusion import discretized_gaussian_log_prob, log_ndtr, normal_kl


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


def test_log_ndtr_matches_scipy_far_into_the_tail():
    z = np.concatenate([np.linspace(-40, 6, 400), [-8.0, -7.999, -8.001]])
    np.testing.assert_allclose(
        _np(log_ndtr(z.astype("float32"))),
        special.log_ndtr(z.astype("float32")),
        rtol=2e-5,
        atol=1e-6,
    )


def _bin_log_prob(low, high, mean, sigma):
    """log(Phi(high) - Phi(low)) in float64 log space, from the side where
    both tails are small (SciPy's logcdf / logsf)."""
    a, b = (low - mean) / sigma, (high - mean) / sigma
    with np.errstate(divide="ignore", invalid="ignore"):
        left = stats.norm.logcdf(b) + np.log1p(
            -np.exp(stats.norm.logcdf(a) - stats.norm.logcdf(b))
        )
        right = stats.norm.logsf(a) + np.log1p(
            -np.exp(stats.norm.logsf(b) - stats.norm.logsf(a))
        )
    return np.where(a > 0, right, left)


@pytest.mark.parametrize("mean, log_scale", [(0.13, -1.0), (-0.9, -5.0), (0.5, 1.5)])
def test_discretized_gaussian_is_a_distribution_over_the_levels(mean, log_scale):
    levels = 2.0 * np.arange(256) / 255.0 - 1.0
    got = _np(discretized_gaussian_log_prob(levels.astype("float32"), mean, log_scale))
    # bins with edges at the midpoints, the outer bins open to +-infinity
    edges = np.concatenate([[-np.inf], (levels[:-1] + levels[1:]) / 2, [np.inf]])
    expected = _bin_log_prob(edges[:-1], edges[1:], mean, np.exp(log_scale))
    # no clamping: bins thousands of nats away keep their log-probabilities
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-4)
    assert np.exp(got).sum() == pytest.approx(1.0, abs=1e-5)


def test_a_clamped_probability_would_not_be_a_bound():
    # the usual implementation clamps the bin's probability at 1e-12 (-27.6
    # nats); 10 sigma away the true value is far lower, and the bound must
    # not report more likelihood than the model has
    x, sigma = np.float32(2 * 140 / 255 - 1), 0.01
    got = float(_np(discretized_gaussian_log_prob(x, 0.0, np.log(sigma))))
    half = 1.0 / 255.0
    expected = float(_bin_log_prob(x - half, x + half, 0.0, sigma))
    assert got == pytest.approx(expected, rel=1e-5)
    assert got < np.log(1e-12) - 15


def test_normal_kl_matches_float64_and_is_never_negative(rng):
    mean_1, mean_2 = rng.normal(size=(2, 2000))
    log_var_1 = rng.normal(scale=3.0, size=2000)
    # many nearly equal variances: where the textbook formula cancels
    log_var_2 = np.where(
        np.arange(2000) % 2 == 0,
        log_var_1 + rng.normal(scale=1e-4, size=2000),
        rng.normal(size=2000),
    )
    mean_2 = np.where(np.arange(2000) % 4 == 0, mean_1, mean_2)
    args = [v.astype("float32") for v in (mean_1, log_var_1, mean_2, log_var_2)]
    got = _np(normal_kl(*args))
    m1, lv1, m2, lv2 = (v.astype("float64") for v in args)
    expected = 0.5 * (
        lv2 - lv1 + np.exp(lv1 - lv2) + (m1 - m2) ** 2 * np.exp(-lv2) - 1.0
    )
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-9)
    assert np.all(got >= 0.0)
    # equal distributions: exactly zero
    assert float(_np(normal_kl(0.3, -2.0, 0.3, -2.0))) == 0.0
