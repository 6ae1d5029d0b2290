import numpy as np
import pytest

from kgen.sampling import interpolate, lerp, slerp


def test_lerp_end_points_and_midpoint():
    a, b = np.array([0.0, 2.0]), np.array([4.0, -2.0])
    path = lerp(a, b, 5)
    np.testing.assert_allclose(path[0], a)
    np.testing.assert_allclose(path[-1], b)
    np.testing.assert_allclose(path[2], (a + b) / 2)


def test_slerp_keeps_norm_between_equal_norm_points():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=16), rng.normal(size=16)
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    path = slerp(a, b, 9)
    np.testing.assert_allclose(path[0], a, rtol=1e-5)
    np.testing.assert_allclose(path[-1], b, rtol=1e-5)
    norms = np.linalg.norm(path, axis=-1)
    np.testing.assert_allclose(norms, np.linalg.norm(a), rtol=1e-4)
    # linear interpolation shrinks the midpoint towards the origin
    assert np.linalg.norm(lerp(a, b, 9)[4]) < 0.99 * np.linalg.norm(a)


def test_slerp_equal_angle_steps_and_parallel_fallback():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    path = slerp(a, b, 3)
    np.testing.assert_allclose(path[1], [np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-5)
    same = slerp(a, 2 * a, 3)  # parallel: falls back to linear
    np.testing.assert_allclose(same[1], [1.5, 0.0], rtol=1e-5)


def test_interpolate_errors():
    with pytest.raises(ValueError, match="linear' or 'spherical"):
        interpolate(np.zeros(2), np.ones(2), 3, method="cubic")
    with pytest.raises(ValueError, match="same shape"):
        lerp(np.zeros(2), np.ones(3), 3)
