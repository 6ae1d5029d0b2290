"""The examples' --quick data: local files only, else the stated stand-in.

Cheap (no training): each example's own `load(args, config)` on a machine
without Fashion-MNIST, and on one where the Debian directory holds it.
"""

import importlib.util
import os

import numpy as np
import pytest

from kgen import data

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
# example -> how it converts uint8 images
CONVERSIONS = {
    "gans": data.to_signed_float,
    "autoencoders_and_vaes": data.to_unit_float,
}


def _load_example(name):
    spec = importlib.util.spec_from_file_location(
        f"{name}_example_data", os.path.join(EXAMPLES, f"{name}.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _quick_fashion_mnist(name):
    module = _load_example(name)
    args = module.parse_args(["--quick", "--data", "fashion_mnist"])
    x_train, y_train, x_test = module.load(args, module.settings(args))[:3]
    return x_train, y_train, x_test


@pytest.mark.parametrize("name", sorted(CONVERSIONS))
def test_quick_fashion_mnist_falls_back_to_the_digits(name, no_local_data_sets, capsys):
    x_train, y_train, x_test = _quick_fashion_mnist(name)
    printed = capsys.readouterr().out
    assert (
        "data: the embedded digits (train, 1,497 images) resized to 28x28, a "
        "stand-in: Fashion-MNIST was not found in "
        f"{no_local_data_sets / 'debian' / 'fashion-mnist'} or "
        f"{no_local_data_sets / 'keras' / 'datasets' / 'fashion-mnist'}"
    ) in printed
    digits, labels = data.load("digits", "train", image_size=28)
    test_digits, _ = data.load("digits", "test", image_size=28)
    convert = CONVERSIONS[name]
    np.testing.assert_array_equal(x_train, convert(digits[: len(x_train)]))
    np.testing.assert_array_equal(y_train, labels[: len(x_train)])
    np.testing.assert_array_equal(x_test, convert(test_digits[: len(x_test)]))


@pytest.mark.parametrize("name", sorted(CONVERSIONS))
def test_quick_fashion_mnist_reads_the_debian_directory(
    name, no_local_data_sets, capsys
):
    package = no_local_data_sets / "debian" / "fashion-mnist"
    package.mkdir(parents=True)
    rng = np.random.default_rng(0)
    files = {}
    for part, count in (("train", 5), ("t10k", 3)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count).astype(np.uint8)
        data.write_idx(package / f"{part}-images-idx3-ubyte.gz", images)
        data.write_idx(package / f"{part}-labels-idx1-ubyte.gz", labels)
        files[part] = images[..., None], labels
    x_train, y_train, x_test = _quick_fashion_mnist(name)
    printed = capsys.readouterr().out
    assert f"data: Fashion-MNIST (train, 5 images) from {package}\n" in printed
    convert = CONVERSIONS[name]
    np.testing.assert_array_equal(x_train, convert(files["train"][0]))
    np.testing.assert_array_equal(y_train, files["train"][1])
    np.testing.assert_array_equal(x_test, convert(files["t10k"][0]))
