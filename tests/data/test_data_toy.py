import numpy as np
import pytest

from kgen import data


@pytest.mark.parametrize("name", data.TOY_DENSITIES)
def test_toy_density_shape_dtype_and_seed(name):
    points = data.toy_density(name, 500, seed=1)
    assert points.shape == (500, 2) and points.dtype == np.float32
    assert np.all(np.isfinite(points))
    np.testing.assert_array_equal(points, data.toy_density(name, 500, seed=1))
    assert not np.array_equal(points, data.toy_density(name, 500, seed=2))


def test_ring_of_gaussians_modes():
    points, centres = data.ring_of_gaussians(8000, num_modes=6, radius=3.0, std=0.1)
    assert centres.shape == (6, 2)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 3.0, rtol=1e-6)
    np.testing.assert_allclose(
        centres[1], [3 * np.cos(np.pi / 3), 3 * np.sin(np.pi / 3)], rtol=1e-6
    )
    distances = np.linalg.norm(points[:, None] - centres[None], axis=-1)
    nearest = distances.argmin(axis=1)
    # every mode used about equally (1/6 each)
    np.testing.assert_allclose(np.bincount(nearest) / 8000, 1 / 6, atol=0.02)
    # residuals from the nearest centre have std 0.1 per coordinate
    residual = points - centres[nearest]
    np.testing.assert_allclose(residual.std(axis=0), 0.1, rtol=0.05)


def test_ring_density_is_the_default_ring():
    np.testing.assert_array_equal(
        data.toy_density("ring", 100, seed=5), data.ring_of_gaussians(100, seed=5)[0]
    )


def test_checkerboard_occupies_alternate_cells():
    points = data.toy_density("checkerboard", 4000)
    assert points.min() >= -2 and points.max() <= 2
    cells = np.floor(points).astype(int)
    # occupied cells have an even sum of (column, row) indices
    assert np.all((cells[:, 0] + cells[:, 1]) % 2 == 0)
    assert len({tuple(c) for c in cells}) == 8


def test_two_moons_lie_near_unit_circles():
    points = data.toy_density("two_moons", 2000)
    shifted = points + np.array([0.5, 0.25])
    upper = np.linalg.norm(shifted, axis=1)
    lower = np.linalg.norm(shifted - np.array([1.0, 0.5]), axis=1)
    # each point is within noise of radius 1 around one of the two centres
    assert np.all(np.minimum(abs(upper - 1), abs(lower - 1)) < 0.3)


def test_spiral_arms_are_rotations_of_each_other():
    points = data.toy_density("spiral", 2000)
    first, second = points[:1000], points[1000:]

    def nearest(a, b):
        return np.linalg.norm(a[:, None] - b[None], axis=-1).min(axis=1)

    # rotated by 180 degrees the second arm lies on the first (within jitter)...
    assert np.median(nearest(-second, first)) < 0.25
    # ...while unrotated the arms are apart: a single curve would fail this
    assert np.median(nearest(second, first)) > 0.6


def test_toy_density_errors():
    with pytest.raises(ValueError, match="two_moons, ring, checkerboard, spiral"):
        data.toy_density("moons", 10)
    with pytest.raises(ValueError, match="num_samples"):
        data.toy_density("ring", 0)
