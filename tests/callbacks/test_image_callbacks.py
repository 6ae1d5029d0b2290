import os

import keras
import numpy as np
import pytest
from PIL import Image

from kgen import callbacks, viz
from kgen.contract import Capability
from kgen.models import GenerativeModel


class FakeGenerativeModel(GenerativeModel):
    """A tiny trainable model that declares the verbs the callbacks call."""

    capabilities = frozenset(
        {Capability.SAMPLE, Capability.ENCODE, Capability.LATENT_TRAVERSAL}
    )

    def __init__(self, num_levels=None, num_classes=None):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.latent_dim = 2
        self.image_shape = (3, 3, 1)
        self.num_classes = num_classes
        if num_levels:
            self.num_levels = num_levels
        self.calls = []

    @property
    def data_kind(self):
        return "integer" if self.num_levels != 256 else "unit"

    def check_data(self, x, y=None):
        pass  # the callbacks' tests fit a regression on dummy data

    def call(self, x):
        return self.dense(x)

    def sample(self, num_samples, *, seed=None, **kwargs):
        self.calls.append(("sample", num_samples, seed, kwargs))
        rng = np.random.default_rng(seed)
        if self.num_levels != 256:
            return rng.integers(0, self.num_levels, (num_samples, 3, 3, 1))
        return rng.random((num_samples, 3, 3, 1)).astype("float32")

    def reconstruct(self, x, conditions=None):
        self.calls.append(("reconstruct", x.shape))
        return 1.0 - x

    def traverse(self, x=None, dims=(0, 1), values=None):
        self.calls.append(("traverse", tuple(dims), tuple(values)))
        grid = np.zeros((len(dims), len(values), 2, 2, 1), "float32")
        for row in range(len(dims)):
            grid[row] = (row + 1) / (len(dims) + 1)
        return grid


def _fit(model, callback_list, epochs):
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 2), "float32")
    model.fit(x, np.zeros((4, 1)), epochs=epochs, verbose=0, callbacks=callback_list)


def _read(path):
    return np.asarray(Image.open(path))


def test_sample_grid_every_n_epochs_and_content(tmp_path):
    model = FakeGenerativeModel()
    callback = callbacks.SampleGrid(
        tmp_path, every_n_epochs=2, num_samples=4, seed=7, temperature=0.5
    )
    _fit(model, [callback], epochs=5)
    assert sorted(os.listdir(tmp_path)) == [
        "samples_epoch_002.png",
        "samples_epoch_004.png",
    ]
    assert model.calls == [("sample", 4, 7, {"temperature": 0.5})] * 2
    expected = viz.image_grid(
        FakeGenerativeModel().sample(4, seed=7), value_range=(0, 1)
    )[..., 0]
    np.testing.assert_array_equal(_read(tmp_path / "samples_epoch_004.png"), expected)


def test_sample_grid_of_a_conditional_model_has_one_class_per_column(tmp_path):
    model = FakeGenerativeModel(num_classes=3)
    _fit(model, [callbacks.SampleGrid(tmp_path, num_samples=7, seed=1)], epochs=1)
    (_, num_samples, _, kwargs) = model.calls[0]
    # 7 samples with 3 classes: two full rows of classes 0, 1, 2
    assert num_samples == 6
    np.testing.assert_array_equal(kwargs["conditions"], [0, 1, 2, 0, 1, 2])
    assert _read(tmp_path / "samples_epoch_001.png").shape == (2 * 3 + 1, 3 * 3 + 2)


def test_sample_grid_uses_the_declared_levels_for_integer_samples(tmp_path):
    model = FakeGenerativeModel(num_levels=4)
    _fit(model, [callbacks.SampleGrid(tmp_path, num_samples=9, seed=1)], epochs=1)
    samples = FakeGenerativeModel(num_levels=4).sample(9, seed=1)
    expected = viz.image_grid(samples, value_range=(0, 3))[..., 0]
    picture = _read(tmp_path / "samples_epoch_001.png")
    np.testing.assert_array_equal(picture, expected)
    # level 3 of 4 is white, not the maximum of this particular draw
    assert picture.max() == 255


def test_reconstruction_grid_originals_above_reconstructions(tmp_path):
    x = np.array([[[[0.0]]], [[[0.2]]], [[[1.0]]]], "float32")  # (3, 1, 1, 1)
    model = FakeGenerativeModel()
    callback = callbacks.ReconstructionGrid(x, tmp_path)
    _fit(model, [callback], epochs=1)
    picture = _read(tmp_path / "reconstructions_epoch_001.png")
    # rows: originals [0, 0.2, 1], reconstructions 1 - x, one pixel padding
    expected = np.array(
        [[0, 255, 51, 255, 255], [255] * 5, [255, 255, 204, 255, 0]], np.uint8
    )
    np.testing.assert_array_equal(picture, expected)
    assert callback.paths == [str(tmp_path / "reconstructions_epoch_001.png")]


def test_latent_traversal_rows_and_dims_clipped_to_latent_size(tmp_path):
    model = FakeGenerativeModel()
    callback = callbacks.LatentTraversal(tmp_path, dims=(0, 1, 2, 3), values=[-1, 0, 1])
    _fit(model, [callback], epochs=1)
    assert model.calls == [("traverse", (0, 1), (-1, 0, 1))]
    picture = _read(tmp_path / "traversal_epoch_001.png")
    assert picture.shape == (2 * 2 + 1, 3 * 2 + 2)
    # row values 1/3 and 2/3 of white
    assert picture[0, 0] == 85 and picture[3, 0] == 170


def test_an_undeclared_capability_is_a_clear_error(tmp_path):
    class SampleOnly(FakeGenerativeModel):
        # it has a traverse method, but does not declare the capability
        capabilities = frozenset({Capability.SAMPLE})

    with pytest.raises(ValueError, match="'latent_traversal' capability"):
        _fit(SampleOnly(), [callbacks.LatentTraversal(tmp_path)], epochs=1)
    with pytest.raises(ValueError, match="every_n_epochs"):
        callbacks.SampleGrid(tmp_path, every_n_epochs=0)
