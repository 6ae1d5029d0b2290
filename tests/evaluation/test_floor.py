"""The real-vs-real floor of the Fréchet distance, and the line plots of it."""

import numpy as np
import pytest
from PIL import Image

from kgen.evaluation import frechet_distance, frechet_distance_floor, save_floor_plot
from kgen.viz import PALETTE, line_plot_image, save_line_plot_png


def test_floor_falls_with_sample_size_and_matches_a_direct_split():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(6000, 10))
    rows = frechet_distance_floor(
        real, (50, 200, 1000, 3000), num_repeats=2, seed=4, kernel_subsets=5
    )
    floors = [row["frechet_distance"] for row in rows]
    assert all(a > b for a, b in zip(floors, floors[1:]))
    # plug-in bias of Gaussian data: roughly d (d + 1) / (2 n) ... well above 0
    assert floors[0] > 1.0 and floors[-1] < 0.05
    order = np.random.default_rng(4).permutation(6000)
    direct = frechet_distance(real[order[:200]], real[order[200:400]])
    second = np.random.default_rng(4)
    second.permutation(6000)
    order2 = second.permutation(6000)
    direct2 = frechet_distance(real[order2[:200]], real[order2[200:400]])
    assert rows[1]["frechet_distance"] == pytest.approx((direct + direct2) / 2)
    assert rows[1]["frechet_distance_std"] == pytest.approx(abs(direct - direct2) / 2)
    # the kernel distance is unbiased: its floor stays near 0 at every size
    for row in rows:
        assert abs(row["kernel_distance"]) < 0.05 * row["frechet_distance"] + 0.01
        assert (row["num_samples"], row["num_repeats"]) == (row["num_samples"], 2)


def test_floor_bad_inputs():
    with pytest.raises(ValueError, match="2 n <= 100"):
        frechet_distance_floor(np.zeros((100, 2)), (10, 60))
    with pytest.raises(ValueError, match="empty"):
        frechet_distance_floor(np.zeros((100, 2)), ())


def test_line_plot_draws_the_series(tmp_path):
    picture = line_plot_image(
        [1, 10, 100],
        {"a": [3.0, 2.0, 1.0], "b": [1.0, 1.0, 1.0]},
        errors={"a": [0.5, 0.1, 0.0]},
        size=(300, 200),
        log_x=True,
        title="Fréchet",
    )
    assert picture.shape == (200, 300, 3) and picture.dtype == np.uint8
    colours = {tuple(c) for c in picture.reshape(-1, 3)}
    assert tuple(PALETTE[0]) in colours and tuple(PALETTE[1]) in colours
    path = save_line_plot_png(tmp_path / "plot.png", [1, 2], {"a": [1, 2]}, scale=2)
    assert Image.open(path).size == (960, 640)
    with pytest.raises(ValueError, match="2 values for 3 x values"):
        line_plot_image([1, 2, 3], {"a": [1, 2]})
    with pytest.raises(ValueError, match="log_x needs positive"):
        line_plot_image([0, 1], {"a": [1, 2]}, log_x=True)
    with pytest.raises(ValueError, match="not a series"):
        line_plot_image([1, 2], {"a": [1, 2]}, errors={"b": [0, 0]})


def test_floor_plot(tmp_path):
    rows = frechet_distance_floor(
        np.random.default_rng(1).normal(size=(2000, 4)), (50, 500), kernel_subsets=3
    )
    path = save_floor_plot(tmp_path / "floor.png", rows, features_name="test features")
    picture = np.asarray(Image.open(path).convert("RGB"))
    colours = {tuple(c) for c in picture.reshape(-1, 3)}
    assert tuple(PALETTE[0]) in colours and tuple(PALETTE[1]) in colours  # FD, KID
    with pytest.raises(ValueError, match="empty"):
        save_floor_plot(tmp_path / "none.png", [])
