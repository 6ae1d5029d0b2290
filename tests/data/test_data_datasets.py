import urllib.error

import numpy as np
import pytest
from sklearn.datasets import load_digits

from kgen import data
from kgen.data import datasets


def test_digits_shapes_dtypes_and_split_sizes():
    train_x, train_y = data.load("digits")
    test_x, test_y = data.load("digits", "test")
    all_x, all_y = data.load("digits", "all")
    assert train_x.shape == (1497, 8, 8, 1) and test_x.shape == (300, 8, 8, 1)
    assert all_x.shape == (1797, 8, 8, 1)
    for x, y in ((train_x, train_y), (test_x, test_y), (all_x, all_y)):
        assert x.dtype == np.uint8 and y.dtype == np.int64
        assert x.min() == 0 and x.max() == 255
        assert set(np.unique(y)) == set(range(10))


def test_digits_split_is_fixed_disjoint_and_stratified():
    train, test = datasets._digits_split_indices()
    again_train, again_test = datasets._digits_split_indices()
    np.testing.assert_array_equal(test, again_test)
    assert len(np.intersect1d(train, test)) == 0
    assert len(train) + len(test) == 1797
    labels = load_digits().target
    # each class keeps its share of the whole set, within one example
    expected = 300 * np.bincount(labels) / 1797
    assert np.all(np.abs(np.bincount(labels[test]) - expected) < 1)
    # the split images are the corresponding rows of split="all"
    all_x, _ = data.load("digits", "all")
    np.testing.assert_array_equal(data.load("digits", "test")[0], all_x[test])


def test_digits_round_trip_through_quantize():
    images, labels = data.load("digits", "all")
    original = load_digits()
    np.testing.assert_array_equal(data.quantize(images, 17)[..., 0], original.images)
    np.testing.assert_array_equal(labels, original.target)


def test_digits_resize_keeps_uint8_and_content():
    small, _ = data.load("digits", "test")
    large, _ = data.load("digits", "test", image_size=16)
    assert large.shape == (300, 16, 16, 1) and large.dtype == np.uint8
    # bilinear upsampling preserves the mean brightness closely
    np.testing.assert_allclose(large.mean(), small.mean(), rtol=0.05)
    rect, _ = data.load("digits", "test", image_size=(12, 10))
    assert rect.shape == (300, 12, 10, 1)


def test_bad_arguments_give_clear_errors():
    with pytest.raises(ValueError, match="split must be one of"):
        data.load("digits", "validation")
    with pytest.raises(ValueError, match="image_size"):
        data.load("digits", image_size=0)
    with pytest.raises(ValueError, match="8, 16 or 32"):
        data.load("color_patches", image_size=12)


def test_color_patches_shapes_labels_and_disjoint_regions():
    train_x, train_y = data.load("color_patches")
    test_x, test_y = data.load("color_patches", "test", image_size=8)
    assert train_x.shape == (2048, 16, 16, 3) and train_x.dtype == np.uint8
    assert test_x.shape == (512, 8, 8, 3)
    np.testing.assert_array_equal(np.bincount(train_y), [1024, 1024])
    np.testing.assert_array_equal(np.bincount(test_y), [256, 256])
    # reproducible
    np.testing.assert_array_equal(train_x, data.load("color_patches")[0])
    # the 32x32 patches equal crops of the photographs, train left of
    # column 480 and test right of it
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images
    big_train, _ = data.load("color_patches", image_size=32)
    big_test, _ = data.load("color_patches", "test", image_size=32)

    def find_column(patch, photo):
        # candidate corners: where the photo equals the patch's top-left pixel
        rows, cols = np.nonzero(np.all(photo == patch[0, 0], axis=-1))
        for row, col in zip(rows, cols):
            if np.array_equal(photo[row : row + 32, col : col + 32], patch):
                return col
        raise AssertionError("patch not found in the photograph")

    assert find_column(big_train[0], photos[0]) + 32 <= 480
    assert find_column(big_test[-1], photos[1]) >= 480
    # the photographs differ in colour: labels are learnable
    assert abs(train_x[train_y == 0].mean() - train_x[train_y == 1].mean()) > 5


def _write_fashion_files(directory, num_train=5, num_test=3, gz=True):
    rng = np.random.default_rng(0)
    arrays = {}
    for part, count in (("train", num_train), ("t10k", num_test)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count).astype(np.uint8)
        suffix = ".gz" if gz else ""
        data.write_idx(directory / f"{part}-images-idx3-ubyte{suffix}", images)
        data.write_idx(directory / f"{part}-labels-idx1-ubyte{suffix}", labels)
        arrays[part] = (images, labels)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_from_data_dir(tmp_path, gz):
    arrays = _write_fashion_files(tmp_path, gz=gz)
    x, y = data.load("fashion_mnist", data_dir=tmp_path)
    assert x.shape == (5, 28, 28, 1) and x.dtype == np.uint8 and y.dtype == np.int64
    np.testing.assert_array_equal(x[..., 0], arrays["train"][0])
    np.testing.assert_array_equal(y, arrays["train"][1])
    x, y = data.load("fashion_mnist", "test", data_dir=tmp_path, image_size=14)
    assert x.shape == (3, 14, 14, 1)
    x, y = data.load("fashion_mnist", "all", data_dir=tmp_path)
    assert len(x) == 8
    np.testing.assert_array_equal(y[5:], arrays["t10k"][1])


def test_fashion_mnist_missing_data_dir_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        data.load("fashion_mnist", data_dir=tmp_path)
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "data_dir" in message and str(tmp_path) in message


def test_fashion_mnist_corrupt_file_is_reported(tmp_path):
    _write_fashion_files(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x00\x00\x08\x03junk")
    with pytest.raises(ValueError, match="truncated or corrupt"):
        data.load("fashion_mnist", data_dir=tmp_path)


def test_fashion_mnist_offline_everywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("KGEN_DEBIAN_DATASETS_DIR", str(tmp_path / "no"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def offline(name):
        raise Exception("URL fetch failure: [Errno -3] Temporary failure")

    monkeypatch.setattr(datasets, "_keras_load_data", offline)
    with pytest.raises(
        FileNotFoundError, match="apt-get install dataset-fashion-mnist"
    ):
        data.load("fashion_mnist")


def test_fashion_mnist_found_in_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KGEN_DEBIAN_DATASETS_DIR", str(tmp_path / "no"))
    cache = tmp_path / "keras" / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    arrays = _write_fashion_files(cache)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    x, _ = data.load("fashion_mnist", "test")
    np.testing.assert_array_equal(x[..., 0], arrays["t10k"][0])


def test_online_keras_dataset_offline_error(monkeypatch):
    def offline(name):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(datasets, "_keras_load_data", offline)
    with pytest.raises(RuntimeError, match="(?s)'mnist'.*network") as info:
        data.load("mnist")
    assert "digits" in str(info.value)


def test_online_keras_dataset_conversion(monkeypatch):
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    y_train = np.arange(4, dtype=np.uint8).reshape(4, 1)  # cifar-style (N, 1)
    x_test, y_test = x_train[:2], y_train[:2]
    monkeypatch.setattr(
        datasets,
        "_keras_load_data",
        lambda name: ((x_train, y_train), (x_test, y_test)),
    )
    x, y = data.load("cifar10", "all")
    assert x.shape == (6, 32, 32, 3) and y.shape == (6,) and y.dtype == np.int64
    np.testing.assert_array_equal(y, [0, 1, 2, 3, 0, 1])


def test_unknown_name_without_tensorflow_datasets(monkeypatch):
    def missing():
        raise ImportError("No module named 'tensorflow_datasets'")

    monkeypatch.setattr(datasets, "_import_tfds", missing)
    with pytest.raises(RuntimeError, match=r"kgen\[datasets\]") as info:
        data.load("celeb_a")
    assert "digits" in str(info.value) and "fashion_mnist" in str(info.value)


def test_tfds_name_offline_error(monkeypatch):
    class FakeTfds:
        @staticmethod
        def load(*args, **kwargs):
            raise OSError("Could not connect to storage.googleapis.com")

        @staticmethod
        def as_numpy(tree):
            return tree

    monkeypatch.setattr(datasets, "_import_tfds", lambda: FakeTfds)
    with pytest.raises(RuntimeError, match="(?s)'svhn_cropped'.*network"):
        data.load("svhn_cropped")


def test_available_lists_loadable_names():
    names = data.available()
    assert {"digits", "fashion_mnist", "color_patches", "mnist"} <= set(names)


def test_returned_arrays_are_fresh_copies():
    images, labels = data.load("digits", "all")
    images[:] = 0
    labels[:] = -1
    again_images, again_labels = data.load("digits", "all")
    assert again_images.max() == 255 and again_labels.min() == 0


# ------------------------------------- Debian directory, local or stand-in


@pytest.fixture
def fresh_machine(tmp_path, monkeypatch):
    """No Debian package, an empty Keras cache, and any download fails."""
    monkeypatch.setenv("KGEN_DEBIAN_DATASETS_DIR", str(tmp_path / "debian"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def no_download(name):
        raise AssertionError(f"tried to download {name!r}")

    monkeypatch.setattr(datasets, "_keras_load_data", no_download)
    return tmp_path


def test_debian_dir_comes_from_the_environment(fresh_machine, monkeypatch):
    monkeypatch.delenv("KGEN_DEBIAN_DATASETS_DIR")
    assert data.debian_datasets_dir() == "/usr/share/datasets"
    assert data.FASHION_MNIST_DEBIAN_DIR == "/usr/share/datasets/fashion-mnist"
    monkeypatch.setenv("KGEN_DEBIAN_DATASETS_DIR", "")  # empty: the default
    assert data.debian_datasets_dir() == "/usr/share/datasets"
    # the package's folder is looked for under the variable's directory
    package = fresh_machine / "debian" / "fashion-mnist"
    package.mkdir(parents=True)
    arrays = _write_fashion_files(package)
    monkeypatch.setenv("KGEN_DEBIAN_DATASETS_DIR", str(fresh_machine / "debian"))
    assert data.debian_datasets_dir() == str(fresh_machine / "debian")
    x, y = data.load("fashion_mnist", "test")
    np.testing.assert_array_equal(x[..., 0], arrays["t10k"][0])
    np.testing.assert_array_equal(y, arrays["t10k"][1])


def test_missing_message_names_the_directory_looked_in(fresh_machine):
    with pytest.raises(FileNotFoundError) as info:
        data.load("fashion_mnist")
    message = str(info.value)
    assert str(fresh_machine / "debian" / "fashion-mnist") in message
    assert str(fresh_machine / "keras" / "datasets" / "fashion-mnist") in message
    assert "tried to download 'fashion_mnist'" in message  # load() may download


@pytest.mark.parametrize("split", ["train", "test", "all"])
def test_stand_in_when_fashion_mnist_is_absent(fresh_machine, split):
    images, labels, source = data.load_or_stand_in("fashion_mnist", split)
    digits, digit_labels = data.load("digits", split, image_size=28)
    # the stand-in is the same split of the digits at Fashion-MNIST's size
    assert images.shape == (len(digits), 28, 28, 1) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, digits)
    np.testing.assert_array_equal(labels, digit_labels)
    assert labels.dtype == np.int64 and set(np.unique(labels)) == set(range(10))
    assert isinstance(source, str) and "\n" not in source
    assert source.stand_in and source.name == "digits"
    assert source.startswith(
        f"the embedded digits ({split}, {len(digits):,} images) resized to 28x28, "
        "a stand-in: Fashion-MNIST was not found in "
        f"{fresh_machine / 'debian' / 'fashion-mnist'} or "
        f"{fresh_machine / 'keras' / 'datasets' / 'fashion-mnist'}"
    ), source


def test_stand_in_takes_image_size(fresh_machine):
    images, _, source = data.load_or_stand_in("fashion_mnist", "test", image_size=14)
    assert images.shape == (300, 14, 14, 1) and source.stand_in
    assert "resized to 14x14, a stand-in" in source


def test_local_fashion_mnist_is_preferred_to_the_stand_in(fresh_machine):
    cache = fresh_machine / "keras" / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    arrays = _write_fashion_files(cache)
    images, labels, source = data.load_or_stand_in("fashion_mnist", "train")
    np.testing.assert_array_equal(images[..., 0], arrays["train"][0])
    np.testing.assert_array_equal(labels, arrays["train"][1])
    assert not source.stand_in and source.name == "fashion_mnist"
    assert source == f"Fashion-MNIST (train, 5 images) from {cache}"
    images, _, source = data.load_or_stand_in("fashion_mnist", "test", image_size=7)
    assert images.shape == (3, 7, 7, 1)
    assert source == f"Fashion-MNIST (test, 3 images) resized to 7x7 from {cache}"


def test_data_dir_is_the_only_place_looked_at(fresh_machine):
    cache = fresh_machine / "keras" / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    _write_fashion_files(cache)
    elsewhere = fresh_machine / "elsewhere"
    elsewhere.mkdir()
    _, _, source = data.load_or_stand_in("fashion_mnist", data_dir=elsewhere)
    assert source.stand_in and f"was not found in {elsewhere} (" in source
    arrays = _write_fashion_files(elsewhere, num_train=4)
    images, _, source = data.load_or_stand_in("fashion_mnist", data_dir=elsewhere)
    np.testing.assert_array_equal(images[..., 0], arrays["train"][0])
    assert source == f"Fashion-MNIST (train, 4 images) from {elsewhere}"


def test_corrupt_local_file_is_an_error_not_a_stand_in(fresh_machine):
    _write_fashion_files(fresh_machine)
    (fresh_machine / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x00\x00\x08\x01")
    with pytest.raises(ValueError, match="truncated or corrupt"):
        data.load_or_stand_in("fashion_mnist", "test", data_dir=fresh_machine)


def test_embedded_sets_load_as_they_are(fresh_machine):
    images, labels, source = data.load_or_stand_in("digits", "test")
    np.testing.assert_array_equal(images, data.load("digits", "test")[0])
    assert source == "the embedded digits (test, 300 images)"
    assert not source.stand_in and source.name == "digits"
    images, _, source = data.load_or_stand_in("color_patches", image_size=8)
    assert images.shape == (2048, 8, 8, 3)
    assert source == "the embedded colour patches (train, 2,048 images) resized to 8x8"


def test_load_or_stand_in_rejects_what_it_cannot_do_offline(fresh_machine):
    with pytest.raises(ValueError, match=r"(?s)local files only.*load\('mnist'\)"):
        data.load_or_stand_in("mnist")
    with pytest.raises(ValueError, match="stand_in must be one of 'digits'"):
        data.load_or_stand_in("fashion_mnist", stand_in="color_patches")
    with pytest.raises(ValueError, match="split must be one of"):
        data.load_or_stand_in("fashion_mnist", "validation")
    with pytest.raises(ValueError, match="image_size"):
        data.load_or_stand_in("fashion_mnist", image_size=0)
