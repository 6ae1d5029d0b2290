"""Kernel distance (KID) against a direct NumPy implementation and its properties."""

import numpy as np
import pytest

from kgen.evaluation import kernel_distance, polynomial_mmd2_unbiased


def _direct_mmd2(x, y):
    """The unbiased estimator written out pair by pair (Gretton et al. 2012)."""
    m, dim = x.shape

    def k(a, b):
        return (float(np.dot(a, b)) / dim + 1.0) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2.0 * xy / (m * m)


def test_unbiased_estimator_matches_the_pairwise_sum():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(25, 3)), rng.normal(size=(25, 3)) + 0.5
    np.testing.assert_allclose(
        polynomial_mmd2_unbiased(x, y), _direct_mmd2(x, y), rtol=1e-12
    )


def test_subset_average_matches_a_direct_implementation():
    # the same subsets, drawn as documented: per subset, m of a then m of b
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(60, 4)), rng.normal(size=(45, 4)) * 1.3
    result = kernel_distance(a, b, num_subsets=7, subset_size=20, seed=5)
    draws = np.random.default_rng(5)
    estimates = []
    for _ in range(7):
        subset_a = a[draws.choice(60, 20, replace=False)]
        subset_b = b[draws.choice(45, 20, replace=False)]
        estimates.append(_direct_mmd2(subset_a, subset_b))
    np.testing.assert_allclose(result.mean, np.mean(estimates), rtol=1e-10)
    np.testing.assert_allclose(result.std, np.std(estimates), rtol=1e-8)
    assert (result.num_subsets, result.subset_size, result.num_a, result.num_b) == (
        7,
        20,
        60,
        45,
    )


def test_one_distribution_averages_near_zero_and_a_shift_does_not():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2000, 16)), rng.normal(size=(2000, 16))
    same = kernel_distance(a, b, num_subsets=50, subset_size=500)
    # unbiased: the mean over subsets is within a few standard errors of 0
    assert abs(same.mean) < 4 * same.std / np.sqrt(50) + 1e-4
    shifted = kernel_distance(a, b + 0.5, num_subsets=50, subset_size=500)
    assert shifted.mean > 20 * same.std


def test_subset_size_is_capped_by_the_smaller_set():
    rng = np.random.default_rng(3)
    result = kernel_distance(
        rng.normal(size=(30, 2)), rng.normal(size=(12, 2)), num_subsets=3
    )
    assert result.subset_size == 12


def test_bad_inputs():
    with pytest.raises(ValueError, match="same size"):
        kernel_distance(np.zeros((10, 3)), np.zeros((10, 4)))
    with pytest.raises(ValueError, match="at least 2 examples"):
        kernel_distance(np.zeros((1, 3)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="positive integer"):
        kernel_distance(np.zeros((5, 3)), np.zeros((5, 3)), num_subsets=0)
    with pytest.raises(ValueError, match="same shape"):
        polynomial_mmd2_unbiased(np.zeros((5, 3)), np.zeros((4, 3)))
