"""Nearest neighbours against a brute-force NumPy oracle."""

import numpy as np
import pytest
from evaluation_models import GaussianModel, SampleOnlyModel
from PIL import Image

from kgen.contract import DataConvention
from kgen.evaluation import (
    memorization_report,
    nearest_neighbours,
    save_neighbours_grid,
)


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


def test_conventions_compare_in_unit_pixels():
    rng = np.random.default_rng(2)
    levels = DataConvention("integer", (3, 3, 1), 5)
    train = rng.integers(0, 5, (20, 3, 3, 1))
    samples = train[[3]].copy()
    samples[0, 0, 0, 0] = (
        (samples[0, 0, 0, 0] + 1) % 5 if samples[0, 0, 0, 0] < 4 else 3
    )
    result = nearest_neighbours(samples, train, convention=levels)
    assert result.indices[0, 0] == 3
    # one level of four is a quarter of the unit range
    assert result.distances[0, 0] == pytest.approx(0.25)


def test_memorization_report_flags_a_copying_model(tmp_path):
    rng = np.random.default_rng(3)
    train = rng.uniform(-1, 1, (40, 4, 4, 1)).astype("float32")
    held_out = rng.uniform(-1, 1, (30, 4, 4, 1)).astype("float32")
    model = SampleOnlyModel(train)  # returns training images
    path = tmp_path / "neighbours.png"
    report = memorization_report(
        model, train, num_samples=12, k=3, held_out=held_out, path=path
    )
    assert report["nearest_distance_min"] == pytest.approx(0.0, abs=1e-6)
    assert report["nearest_distance_median"] == pytest.approx(0.0, abs=1e-6)
    assert report["held_out_nearest_distance_median"] > 0.5
    assert report["fraction_closer_than_held_out_min"] == 1.0
    assert report["space"] == "pixels in [0, 1]" and report["num_samples"] == 12
    # 12 rows of (sample + 3 neighbours) 4x4 images, 1 pixel apart, scale 2
    assert Image.open(path).size == (2 * (4 * 5 - 1), 2 * (12 * 5 - 1))


def test_memorization_report_on_points_and_bad_inputs(tmp_path):
    model = GaussianModel(np.zeros(2), np.eye(2))
    train = np.random.default_rng(4).normal(size=(100, 2)).astype("float32")
    report = memorization_report(model, train, num_samples=20)
    assert report["space"] == "points" and report["nearest_distance_min"] > 0
    with pytest.raises(ValueError, match="save_scatter_png"):
        memorization_report(model, train, num_samples=5, path=tmp_path / "x.png")

    class NoSampling(GaussianModel):
        capabilities = frozenset()

    with pytest.raises(ValueError, match="'sample' capability"):
        memorization_report(NoSampling(np.zeros(2), np.eye(2)), train)
    with pytest.raises(ValueError, match=r"floats in \[0, 1\]"):
        save_neighbours_grid(
            tmp_path / "y.png",
            -np.ones((2, 2, 2, 1)),
            np.zeros((3, 2, 2, 1)),
            nearest_neighbours(np.zeros((2, 4)), np.zeros((3, 4))),
        )
