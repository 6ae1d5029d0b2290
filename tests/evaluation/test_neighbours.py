"""Nearest neighbours against a brute-force NumPy oracle."""

import numpy as np
import pytest

from kgen.evaluation import nearest_neighbours


def test_matches_brute_force():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(40, 3, 3, 1))
    samples = rng.normal(size=(13, 3, 3, 1))
    result = nearest_neighbours(samples, train, k=4, batch_size=5)
    flat_s, flat_t = samples.reshape(13, -1), train.reshape(40, -1)
    distances = np.linalg.norm(flat_s[:, None] - flat_t[None], axis=-1)
    expected = np.argsort(distances, axis=1)[:, :4]
    np.testing.assert_array_equal(result.indices, expected)
    np.testing.assert_allclose(
        result.distances, np.sort(distances, axis=1)[:, :4], rtol=1e-9
    )
    assert np.all(np.diff(result.distances, axis=1) >= 0)


def test_copied_training_examples_are_found_at_distance_zero():
    rng = np.random.default_rng(1)
    train = rng.uniform(-1, 1, size=(30, 4, 4, 1))
    samples = np.concatenate([train[[7, 21]], rng.uniform(-1, 1, size=(3, 4, 4, 1))])
    result = nearest_neighbours(samples, train)
    np.testing.assert_array_equal(result.indices[:2, 0], [7, 21])
    np.testing.assert_allclose(result.distances[:2, 0], 0.0, atol=1e-6)
    assert np.all(result.distances[2:, 0] > 0.1)


def test_feature_space():
    train = np.array([[0.0, 10.0], [1.0, 0.0]])
    samples = np.array([[0.1, 0.0]])
    assert nearest_neighbours(samples, train).indices[0, 0] == 1
    first_only = nearest_neighbours(
        samples, train, feature_extractor=lambda x: x[:, :1]
    )
    assert first_only.indices[0, 0] == 0


def test_bad_inputs():
    with pytest.raises(ValueError, match="larger than the training set"):
        nearest_neighbours(np.zeros((2, 3)), np.zeros((2, 3)), k=3)
    with pytest.raises(ValueError, match="same size"):
        nearest_neighbours(np.zeros((2, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="positive integer"):
        nearest_neighbours(np.zeros((2, 3)), np.zeros((4, 3)), k=0)
