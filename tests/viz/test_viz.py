import numpy as np
import pytest
from PIL import Image

from kgen import viz


def _read(path):
    return np.asarray(Image.open(path))


def test_image_grid_pixel_exact():
    images = np.stack([np.full((2, 2), v, np.uint8) for v in (10, 20, 30)])
    grid = viz.image_grid(images, num_columns=2, padding=1, pad_value=255)
    expected = np.array(
        [
            [10, 10, 255, 20, 20],
            [10, 10, 255, 20, 20],
            [255, 255, 255, 255, 255],
            [30, 30, 255, 255, 255],
            [30, 30, 255, 255, 255],
        ],
        np.uint8,
    )
    np.testing.assert_array_equal(grid[..., 0], expected)


def test_save_image_grid_scale_and_float_range(tmp_path):
    images = np.array([[[0.0, 1.0]], [[0.5, 0.0]]], np.float32)  # (2, 1, 2)
    with pytest.raises(ValueError, match="without value_range"):
        viz.save_image_grid(tmp_path / "bad.png", images)
    path = viz.save_image_grid(
        tmp_path / "sub" / "g.png", images, padding=0, scale=2, value_range=(0, 1)
    )
    picture = _read(path)
    # 2 images of 1x2 in a 2-column grid -> 1x4, scaled -> 2x8 grey
    assert picture.shape == (2, 8)
    np.testing.assert_array_equal(picture[0], [0, 0, 255, 255, 128, 128, 0, 0])


def test_save_traversal_grid_layout(tmp_path):
    # rows x columns x 1 x 1 x 1, pixel value encodes (row, column)
    values = np.array([[10 * r + c for c in range(3)] for r in range(2)], np.uint8)
    images = values[:, :, None, None, None]
    picture = _read(viz.save_traversal_grid(tmp_path / "t.png", images, padding=0))
    np.testing.assert_array_equal(picture, values)
    with pytest.raises(ValueError, match=r"\(rows, columns, H, W"):
        viz.save_traversal_grid(tmp_path / "bad.png", np.zeros((2, 3, 3)))


def test_save_interpolation_strip_one_row_and_many(tmp_path):
    strip = np.arange(4, dtype=np.uint8)[:, None, None, None] * 50  # (4,1,1,1)
    picture = _read(viz.save_interpolation_strip(tmp_path / "s.png", strip, padding=0))
    np.testing.assert_array_equal(picture, [[0, 50, 100, 150]])
    rgb = np.zeros((5, 2, 2, 3), np.uint8)
    assert _read(viz.save_interpolation_strip(tmp_path / "c.png", rgb)).shape == (
        2,
        14,
        3,
    )
    strips = np.zeros((2, 5, 2, 2), np.uint8)  # two strips of 5 grey images
    assert _read(viz.save_interpolation_strip(tmp_path / "m.png", strips)).shape == (
        5,
        14,
    )


def test_scatter_image_pixel_exact():
    points = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.0], [5.0, 5.0]])
    picture = viz.scatter_image(
        points, size=3, bounds=(0, 1, 0, 1), labels=[0, 1, 2, 3]
    )
    white = np.full((3, 3, 3), 255, np.uint8)
    expected = white.copy()
    expected[2, 0] = viz.PALETTE[0]  # (0, 0): bottom-left
    expected[0, 2] = viz.PALETTE[1]  # (1, 1): top-right
    expected[2, 1] = viz.PALETTE[2]  # (0.5, 0): bottom-middle
    # (5, 5) is outside the bounds and not drawn
    np.testing.assert_array_equal(picture, expected)


def test_save_scatter_png_reference_marks_and_auto_bounds(tmp_path):
    from kgen.data import ring_of_gaussians

    points, centres = ring_of_gaussians(500, seed=0)
    path = viz.save_scatter_png(
        tmp_path / "ring.png", points, reference=centres, size=64
    )
    picture = _read(path)
    assert picture.shape == (64, 64, 3)
    red = np.all(picture == (214, 39, 40), axis=-1)
    blue = np.all(picture == (31, 119, 180), axis=-1)
    assert red.sum() > 8 and blue.sum() > 8
    # the ring leaves the centre of the picture empty
    assert np.all(picture[28:36, 28:36] == 255)


def test_scatter_errors():
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        viz.scatter_image(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="one label per point"):
        viz.scatter_image(np.zeros((4, 2)), labels=[1, 2])
    with pytest.raises(ValueError, match="bounds"):
        viz.scatter_image(np.zeros((4, 2)), bounds=(1, 0, 0, 1))
