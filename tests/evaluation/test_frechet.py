"""Fréchet distance against closed forms and an independent matrix square root."""

import numpy as np
import pytest
import scipy.linalg

from kgen.contract import DataConvention
from kgen.evaluation import (
    FeatureStatistics,
    extract_features,
    feature_statistics,
    frechet_distance,
    frechet_distance_from_statistics,
)


def _random_cov(rng, dim):
    a = rng.normal(size=(dim, dim))
    return a @ a.T / dim + 0.1 * np.eye(dim)


def test_diagonal_gaussians_closed_form():
    # Commuting covariances: d^2 = ||mu_a - mu_b||^2 + sum (sigma_a - sigma_b)^2
    mean_a, mean_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    sigma_a, sigma_b = np.array([1.0, 2.0, 0.5]), np.array([3.0, 1.0, 0.5])
    expected = np.sum((mean_a - mean_b) ** 2) + np.sum((sigma_a - sigma_b) ** 2)
    value = frechet_distance_from_statistics(
        mean_a, np.diag(sigma_a**2), mean_b, np.diag(sigma_b**2)
    )
    np.testing.assert_allclose(value, expected, rtol=1e-10)


def test_general_covariances_match_scipy_sqrtm():
    rng = np.random.default_rng(0)
    for dim in (1, 2, 5, 16):
        cov_a, cov_b = _random_cov(rng, dim), _random_cov(rng, dim)
        mean_a, mean_b = rng.normal(size=dim), rng.normal(size=dim)
        root = np.real(scipy.linalg.sqrtm(cov_a @ cov_b))
        expected = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2.0 * root)
        value = frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b)
        np.testing.assert_allclose(value, expected, rtol=1e-7, atol=1e-9)


def test_distance_properties():
    rng = np.random.default_rng(1)
    cov_a, cov_b = _random_cov(rng, 4), _random_cov(rng, 4)
    mean = rng.normal(size=4)
    assert frechet_distance_from_statistics(mean, cov_a, mean, cov_a) == pytest.approx(
        0.0, abs=1e-9
    )
    ab = frechet_distance_from_statistics(mean, cov_a, mean + 1, cov_b)
    ba = frechet_distance_from_statistics(mean + 1, cov_b, mean, cov_a)
    assert ab == pytest.approx(ba, rel=1e-9)
    # Rank-deficient covariances still give a real, finite value.
    singular = np.zeros((4, 4))
    singular[0, 0] = 1.0
    value = frechet_distance_from_statistics(mean, singular, mean, cov_a)
    assert np.isfinite(value) and value > 0


def test_sample_estimate_approaches_the_gaussian_value():
    rng = np.random.default_rng(2)
    cov_a, cov_b = _random_cov(rng, 3), _random_cov(rng, 3)
    mean_a, mean_b = np.zeros(3), np.array([0.5, -0.5, 1.0])
    a = rng.multivariate_normal(mean_a, cov_a, size=20000)
    b = rng.multivariate_normal(mean_b, cov_b, size=20000)
    exact = frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b)
    np.testing.assert_allclose(frechet_distance(a, b), exact, rtol=0.05)


def test_feature_extractor_is_applied_in_batches():
    rng = np.random.default_rng(3)
    images_a = rng.normal(size=(50, 4, 4, 1))
    images_b = rng.normal(size=(60, 4, 4, 1)) + 2.0
    calls = []

    def extractor(batch):
        calls.append(len(batch))
        return batch.reshape(len(batch), -1)[:, :3] * 2.0

    value = frechet_distance(
        images_a, images_b, feature_extractor=extractor, batch_size=16
    )
    flat_a = images_a.reshape(50, -1)[:, :3] * 2.0
    flat_b = images_b.reshape(60, -1)[:, :3] * 2.0
    np.testing.assert_allclose(value, frechet_distance(flat_a, flat_b), rtol=1e-10)
    assert max(calls) == 16 and sum(calls) == 110


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least two examples"):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="same size"):
        frechet_distance(np.zeros((4, 3)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.full((4, 3), np.nan), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="same dim"):
        frechet_distance_from_statistics(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_a_set_is_at_distance_zero_from_itself():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(a, a[::-1]) == pytest.approx(0.0, abs=1e-8)


def test_two_gaussians_match_the_closed_form():
    # N(0, I) and N(m, s^2 I) in d dimensions: |m|^2 + d (1 - s)^2
    rng = np.random.default_rng(5)
    dim, shift, scale = 4, 0.7, 2.0
    a = rng.normal(size=(40000, dim))
    b = shift + scale * rng.normal(size=(40000, dim))
    expected = dim * shift**2 + dim * (1 - scale) ** 2
    assert frechet_distance(a, b) == pytest.approx(expected, rel=0.02)


def test_statistics_are_float64_and_can_stand_for_a_set():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(500, 5)).astype("float32")
    b = rng.normal(size=(400, 5)).astype("float32") + 0.5
    stats = feature_statistics(a)
    assert stats.mean.dtype == np.float64 and stats.num_examples == 500
    np.testing.assert_allclose(stats.covariance, np.cov(a.astype("float64").T))
    assert isinstance(stats, FeatureStatistics)
    assert frechet_distance(stats, b) == pytest.approx(
        frechet_distance(a, b), rel=1e-12
    )
    with pytest.raises(ValueError, match="at least two examples"):
        feature_statistics(np.zeros((1, 5)))
    with pytest.raises(ValueError, match="same size"):
        frechet_distance(stats, np.zeros((5, 4)))


def test_conventions_give_one_common_space():
    rng = np.random.default_rng(7)
    unit = rng.random((20, 3, 3, 1)).astype("float32")
    signed = DataConvention("signed", (3, 3, 1), 256)
    np.testing.assert_allclose(
        extract_features(unit * 2 - 1, convention=signed),
        unit.reshape(20, -1),
        atol=1e-6,
    )
    points = DataConvention("real", (2,))
    np.testing.assert_array_equal(
        extract_features(np.array([[-5.0, 7.0]]), convention=points), [[-5.0, 7.0]]
    )
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        extract_features(unit * 3, convention=signed)
