"""Precision/recall and density/coverage against brute force and known layouts."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from kgen.evaluation import density_coverage, knn_radii, precision_recall


def _brute_force(real, fake, k):
    real_radii = np.sort(cdist(real, real), axis=1)[:, k]
    fake_radii = np.sort(cdist(fake, fake), axis=1)[:, k]
    d = cdist(real, fake)  # (real, fake)
    precision = np.mean((d <= real_radii[:, None]).any(axis=0))
    recall = np.mean((d <= fake_radii[None, :]).any(axis=1))
    density = (d <= real_radii[:, None]).sum() / (k * len(fake))
    coverage = np.mean(d.min(axis=1) <= real_radii)
    return precision, recall, density, coverage


def test_matches_brute_force():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 5))
    fake = rng.normal(size=(250, 5)) * 1.2 + 0.3
    precision, recall, density, coverage = _brute_force(real, fake, 3)
    pr = precision_recall(real, fake, k=3)
    dc = density_coverage(real, fake, k=3)
    np.testing.assert_allclose(
        [pr.precision, pr.recall, dc.density, dc.coverage],
        [precision, recall, density, coverage],
        rtol=1e-12,
    )
    assert (pr.k, pr.num_real, pr.num_generated) == (3, 300, 250)


def test_identical_sets_give_one_and_separation_lowers_both():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(400, 3))
    assert precision_recall(real, real)[:2] == (1.0, 1.0)
    values = [precision_recall(real, real + shift)[:2] for shift in (0.5, 1.5, 4.0)]
    precisions, recalls = zip(*values)
    assert 1.0 > precisions[0] > precisions[1] > precisions[2]
    assert 1.0 > recalls[0] > recalls[1] > recalls[2]
    assert precisions[2] < 0.01 and recalls[2] < 0.01


def test_density_and_coverage_on_a_known_layout():
    real = np.arange(10.0)[:, None]  # k=1: every ball has radius 1
    fake = np.array([[0.2], [4.5], [4.6], [20.0]])
    # balls hit: 0.2 -> {0, 1}; 4.5 and 4.6 -> {4, 5}; 20 -> none
    result = density_coverage(real, fake, k=1)
    assert result.density == pytest.approx(6 / 4)
    assert result.coverage == pytest.approx(4 / 10)
    # recall counts the outlier's huge ball (radius 15.4): everything is
    # "covered", the failure density/coverage avoid
    pr = precision_recall(real, fake, k=1)
    assert pr.precision == pytest.approx(3 / 4) and pr.recall == 1.0


def test_density_is_about_one_for_one_distribution():
    rng = np.random.default_rng(2)
    result = density_coverage(rng.normal(size=(3000, 4)), rng.normal(size=(3000, 4)))
    assert result.density == pytest.approx(1.0, abs=0.08)
    assert result.coverage > 0.9


def test_knn_radii():
    points = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    np.testing.assert_allclose(knn_radii(points, 1), [1.0, np.hypot(3, 3), 1.0])
    np.testing.assert_allclose(knn_radii(points, 2), [5.0, 5.0, np.hypot(3, 3)])


def test_bad_inputs():
    with pytest.raises(ValueError, match="same size"):
        precision_recall(np.zeros((10, 3)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="at least 4 examples"):
        precision_recall(np.zeros((3, 2)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="more than k=5"):
        density_coverage(np.zeros((5, 2)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="NaN"):
        density_coverage(np.full((10, 2), np.nan), np.zeros((10, 2)))
