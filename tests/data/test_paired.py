"""Paired and unpaired translation data sets, built offline from real images."""

import warnings

import numpy as np
import pytest

from kgen import data
from kgen.data import paired


@pytest.fixture
def no_fashion(tmp_path, monkeypatch):
    """No Debian package, an empty Keras cache, no network."""
    from kgen.data import datasets

    monkeypatch.setenv("KGEN_DEBIAN_DATASETS_DIR", str(tmp_path / "debian"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def no_download(name):
        raise AssertionError(f"tried to download {name!r}")

    monkeypatch.setattr(datasets, "_keras_load_data", no_download)


def test_edge_maps_mark_the_borders_of_objects():
    square = np.zeros((1, 10, 10, 1), "uint8")
    square[0, 3:7, 3:7] = 200
    edges = paired.edge_map(square)[0, ..., 0]
    assert set(np.unique(edges)) == {0, 255}
    assert edges[5, 5] == 0 and edges[0, 0] == 0  # inside and far outside
    assert edges[5, 3] == 255 and edges[3, 5] == 255  # on the border


def test_grayscale_is_the_luma_in_three_channels():
    rgb = np.array([[[[255, 0, 0], [0, 255, 0], [0, 0, 255]]]], "uint8")
    grey = paired.grayscale(rgb)
    assert grey.shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(grey[0, 0, :, 0], [76, 150, 29])
    assert np.all(grey == grey[..., :1])


def test_gray2color_pairs_hold_the_patch_and_its_greyscale():
    pairs, labels, source = data.load_or_stand_in(
        "gray2color_patches", "test", image_size=8
    )
    patches, patch_labels = data.load("color_patches", "test", image_size=8)
    assert pairs.shape == (512, 8, 16, 3) and not source.stand_in
    np.testing.assert_array_equal(pairs[:, :, 8:], patches)
    np.testing.assert_array_equal(pairs[:, :, :8], paired.grayscale(patches))
    np.testing.assert_array_equal(labels, patch_labels)
    again, _ = data.load("gray2color_patches", "test", image_size=8)
    np.testing.assert_array_equal(again, pairs)


def test_without_fashion_mnist_the_digits_stand_in_and_say_so(no_fashion):
    pairs, labels, source = data.load_or_stand_in("edges2fashion", "test")
    assert source.stand_in and "stand-in" in source and "edges | item" in source
    assert pairs.shape == (300, 28, 56, 1)
    digits, digit_labels, _ = data.load_or_stand_in("fashion_mnist", "test")
    np.testing.assert_array_equal(pairs[:, :, 28:], digits)
    np.testing.assert_array_equal(pairs[:, :, :28], paired.edge_map(digits))
    np.testing.assert_array_equal(labels, digit_labels)
    with pytest.warns(UserWarning, match="stand-in"):
        data.load("edges2fashion", "test")
    unpaired, unpaired_labels, source = data.load_or_stand_in(
        "fashion_tops2bottoms", "train", image_size=16
    )
    assert "digit 0 | digit 1" in source and unpaired.shape[1:] == (16, 32, 1)
    digits, digit_labels, _ = data.load_or_stand_in(
        "fashion_mnist", "train", image_size=16
    )
    tops = {d.tobytes() for d in digits[digit_labels == 0]}
    bottoms = {d.tobytes() for d in digits[digit_labels == 1]}
    assert all(p[:, :16].tobytes() in tops for p in unpaired)
    assert all(p[:, 16:].tobytes() in bottoms for p in unpaired)
    assert len(unpaired) == min(len(tops), len(bottoms))
    np.testing.assert_array_equal(unpaired_labels, 0)


def test_the_names_are_registered_for_load_and_the_command_line():
    for name in paired.PAIRED_DATASETS:
        assert name in data.available() and name in data.DATASETS
    with pytest.raises(ValueError, match="Unknown paired data set"):
        paired.load_paired("edges2shoes")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the local Fashion-MNIST: no warning
        if not data.load_or_stand_in("fashion_mnist", "test")[2].stand_in:
            pairs, labels = data.load("fashion_tops2bottoms", "test")
            fashion, fashion_labels = data.load("fashion_mnist", "test")
            assert len(pairs) == 1000  # 1,000 of each class in the test split
            tops = {f.tobytes() for f in fashion[fashion_labels == 0]}
            assert all(p[:, :28].tobytes() in tops for p in pairs[:50])
