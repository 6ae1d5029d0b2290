import keras
import numpy as np
import pytest
from ar_gradients import gradient_maps as _gradient_maps
from ar_gradients import raster_index as _raster_index

from kgen.layers import GatedPixelCNNBlock
from kgen.models.autoregressive import GatedPixelCNN, PixelCNN


@pytest.mark.parametrize("image_shape", [(7, 7, 1), (5, 5, 3)])
def test_causal_and_no_blind_spot(image_shape, rng):
    """Zero gradient from later sub-pixels; non-zero from every earlier pixel
    inside the receptive field (rows above within reach, pixels to the left)."""
    model = GatedPixelCNN(
        image_shape,
        num_levels=4,
        filters=12 if image_shape[-1] == 3 else 8,
        num_layers=3,
        first_kernel_size=3,
        kernel_size=3,
    )
    model.build()
    height, width, channels = image_shape
    x = rng.uniform(-1, 1, size=(2, *image_shape)).astype("float32")
    targets = [
        (row, col, channel)
        for row, col in [(0, 0), (height - 2, 2), (height - 1, width - 1)]
        for channel in range(channels)
    ]
    maps = _gradient_maps(model, x, targets)
    reach = 3  # three blocks of radius 1
    for (row, col, channel), grad in zip(targets, maps):
        here = _raster_index(image_shape, row, col, channel)
        for y in range(height):
            for z in range(width):
                for g in range(channels):
                    if _raster_index(image_shape, y, z, g) >= here:
                        assert grad[y, z, g] == 0, ((row, col, channel), (y, z, g))
                        continue
                    above = row - reach <= y < row and abs(z - col) <= reach
                    left = y == row and col - reach <= z <= col
                    if above or left:
                        assert grad[y, z, g] > 0, ((row, col, channel), (y, z, g))


def test_gated_sees_what_pixel_cnn_misses(rng):
    """The up-right pixels PixelCNN's stacked masks cannot reach are seen."""
    kwargs = dict(num_levels=4, filters=8, first_kernel_size=3, kernel_size=3)
    gated = GatedPixelCNN((8, 8, 1), num_layers=4, **kwargs)
    plain = PixelCNN((8, 8, 1), num_layers=3, **kwargs)
    gated.build()
    plain.build()
    x = rng.uniform(-1, 1, size=(2, 8, 8, 1)).astype("float32")
    target = [(5, 3, 0)]
    g_map = _gradient_maps(gated, x, target)[0, ..., 0]
    p_map = _gradient_maps(plain, x, target)[0, ..., 0]
    # Both models nominally reach 4 pixels; (2, 7) is 3 rows up, 4 columns right.
    assert p_map[2, 7] == 0 and g_map[2, 7] > 0
    assert p_map[4, 6] == 0 and g_map[4, 6] > 0


def _digits():
    from sklearn.datasets import load_digits

    images = load_digits().images.astype("int32")[..., None]
    return images[:1000], images[1400:]


def test_trained_gated_pixel_cnn_beats_uniform_on_digits():
    train, test = _digits()
    model = GatedPixelCNN(
        (8, 8, 1), num_levels=17, filters=16, num_layers=3, first_kernel_size=5
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(train, epochs=3, batch_size=64, verbose=0)
    assert model.bits_per_dim(test) < np.log2(17) - 1.0


def test_block_validates_arguments():
    with pytest.raises(ValueError, match="odd"):
        GatedPixelCNNBlock(6, kernel_size=4)
    with pytest.raises(ValueError, match="multiple of color_channels"):
        GatedPixelCNNBlock(4, color_channels=3)
    block = GatedPixelCNNBlock(6, mask_type="B")
    with pytest.raises(ValueError, match="residual"):
        block([np.zeros((1, 4, 4, 3), "float32")] * 2)
    with pytest.raises(ValueError, match="num_layers"):
        GatedPixelCNN((4, 4, 1), num_layers=0)


def test_config_round_trip():
    model = GatedPixelCNN(
        (6, 6, 3), num_levels=8, num_classes=4, filters=6, num_layers=2
    )
    clone = GatedPixelCNN.from_config(model.get_config())
    assert (clone.filters, clone.num_layers, clone.num_classes) == (6, 2, 4)
    assert clone.blocks[0].mask_type == "A" and clone.blocks[1].mask_type == "B"
