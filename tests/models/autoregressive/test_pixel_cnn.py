import keras
import numpy as np
import pytest
from ar_gradients import gradient_maps as _gradient_maps
from ar_gradients import raster_index as _raster_index

from kgen.models.autoregressive import PixelCNN


@pytest.mark.parametrize("image_shape", [(6, 6, 1), (5, 5, 3)])
def test_no_gradient_from_later_subpixels(image_shape, rng):
    model = PixelCNN(
        image_shape, num_levels=4, filters=12, num_layers=2, first_kernel_size=3
    )
    model.build()
    x = rng.uniform(-1, 1, size=(3, *image_shape)).astype("float32")
    height, width, channels = image_shape
    targets = [
        (row, col, channel)
        for row, col in [(0, 0), (2, 3), (height - 1, width - 1)]
        for channel in range(channels)
    ]
    maps = _gradient_maps(model, x, targets)
    for (row, col, channel), grad in zip(targets, maps):
        here = _raster_index(image_shape, row, col, channel)
        later = np.zeros(image_shape, bool)
        for y in range(height):
            for z in range(width):
                for g in range(channels):
                    later[y, z, g] = _raster_index(image_shape, y, z, g) >= here
        assert np.all(grad[later] == 0), (row, col, channel)
        # Within the pixel, earlier colours are seen (R -> G -> B).
        for g in range(channel):
            assert grad[row, col, g] > 0


def test_plain_pixel_cnn_has_a_blind_spot(rng):
    """Stacked 3x3 masks never see some up-right pixels of their nominal field."""
    model = PixelCNN(
        (8, 8, 1), num_levels=4, filters=16, num_layers=3, first_kernel_size=3
    )
    model.build()
    x = rng.uniform(-1, 1, size=(3, 8, 8, 1)).astype("float32")
    row, col, depth = 5, 3, 4  # four 3x3 layers: nominal reach of 4 pixels
    grad = _gradient_maps(model, x, [(row, col, 0)])[0, ..., 0]
    nominal = [
        (y, z)
        for y in range(row - depth, row + 1)
        for z in range(col - depth, col + depth + 1)
        if 0 <= z < 8 and (y, z) < (row, col)
    ]
    blind = {(y, z) for (y, z) in nominal if grad[y, z] == 0}
    seen = {(y, z) for (y, z) in nominal if grad[y, z] > 0}
    assert blind, "expected a blind spot"
    # The blind spot lies to the right of the current column, above the row.
    assert all(z > col and y < row for y, z in blind)
    # Directly above and to the left is seen.
    assert {(row - 1, col), (row, col - 1), (row - 1, col + 1)} <= seen
    # e.g. three rows up, three columns right is inside the 4-layer field but blind.
    assert (row - 1, col + 3) in blind or (row - 2, col + 4) in blind


def _digits():
    from sklearn.datasets import load_digits

    images = load_digits().images.astype("int32")[..., None]  # values 0..16
    return images[:1000], images[1400:]


def test_trained_pixel_cnn_beats_uniform_on_digits():
    train, test = _digits()
    model = PixelCNN(
        (8, 8, 1), num_levels=17, filters=16, num_layers=2, first_kernel_size=5
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    before = model.bits_per_dim(test).mean()
    model.fit(train, epochs=3, batch_size=64, verbose=0)
    after = model.bits_per_dim(test).mean()
    uniform = np.log2(17)
    assert abs(before - uniform) < 0.3  # an untrained model is close to uniform
    assert after < uniform - 1.0, (before, after)


def test_class_labels_change_the_likelihood(rng):
    model = PixelCNN((4, 4, 1), num_levels=4, num_classes=2, filters=8, num_layers=1)
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    # Class 0: all-zero images, class 1: all-three images.
    labels = rng.integers(0, 2, size=256)
    images = np.broadcast_to(labels[:, None, None, None] * 3, (256, 4, 4, 1)).copy()
    # labels as y, as for ConditionalVAE and ConditionalGAN
    model.fit(images, labels, epochs=10, batch_size=64, verbose=0)
    as_dict = model.evaluate({"images": images, "labels": labels}, verbose=0)
    assert model.evaluate(images, labels, verbose=0) == pytest.approx(as_dict)
    right = model.log_prob(images[:32], conditions=labels[:32]).mean()
    wrong = model.log_prob(images[:32], conditions=1 - labels[:32]).mean()
    assert right > wrong + 5.0
    samples = model.sample(8, seed=0, conditions=[0] * 4 + [1] * 4)
    assert samples[:4].mean() < 1.0 and samples[4:].mean() > 2.0


def test_config_round_trip():
    model = PixelCNN((5, 5, 3), num_levels=8, num_classes=3, filters=6, num_layers=2)
    clone = PixelCNN.from_config(model.get_config())
    assert clone.data_shape == (5, 5, 3) and clone.get_config() == model.get_config()
    # a config saved before data_shape named the shape image_shape
    old = dict(model.get_config())
    old["image_shape"] = old.pop("data_shape")
    for key in ("input_embedding", "embedding_dim"):
        old.pop(key)
    assert PixelCNN.from_config(old).get_config() == model.get_config()
    assert (clone.filters, clone.num_layers, clone.num_classes) == (6, 2, 3)


def test_unconditional_model_rejects_labels():
    model = PixelCNN((4, 4, 1), num_levels=4, filters=4, num_layers=1)
    model.compile(optimizer="adam")
    images = np.zeros((8, 4, 4, 1), "int32")
    with pytest.raises(ValueError, match="without num_classes.*received y of shape"):
        model.fit(images, np.zeros(8, "int32"), epochs=1, verbose=0)


def test_embedded_tokens_with_a_condition_grid(rng):
    """Codes with a learned embedding; the grid's map biases every layer at its
    own location, and the tokens stay causal."""
    model = PixelCNN(
        (4, 4),
        num_levels=300,
        filters=8,
        num_layers=2,
        first_kernel_size=3,
        input_embedding="embedding",
        embedding_dim=3,
        condition_grid_shape=(2, 2),
        condition_grid_levels=6,
    )
    model.build()
    assert model.feature_channels == 3
    x = rng.integers(0, 300, size=(2, 4, 4))
    grid = rng.integers(0, 6, size=(2, 2, 2))
    log_p = model.log_prob(x, condition_grid=grid)
    assert log_p.shape == (2,) and np.all(log_p < 0)
    other = (grid + 1) % 6
    assert np.all(np.abs(model.log_prob(x, condition_grid=other) - log_p) > 1e-4)
    samples = model.sample(3, seed=0, condition_grid=grid[0])
    assert samples.shape == (3, 4, 4) and samples.dtype == np.int32  # 300 levels
    assert samples.max() < 300
    features = rng.normal(size=(2, 4, 4, 3)).astype("float32")
    maps = keras.ops.convert_to_numpy(model.condition_map(grid))
    targets = [(0, 0, 0), (1, 2, 0), (3, 3, 0)]
    for (row, col, _), grad in zip(
        targets, _gradient_maps(model, features, targets, condition_map=maps)
    ):
        here = _raster_index(model.grid_shape, row, col, 0)
        for y in range(4):
            for z in range(4):
                if _raster_index(model.grid_shape, y, z, 0) >= here:
                    assert grad[y, z, 0] == 0, ((row, col), (y, z))
    assert _gradient_maps(model, features, [(1, 2, 0)])[0][1, 1, 0] > 0
