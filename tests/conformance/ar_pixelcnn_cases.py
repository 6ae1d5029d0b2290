"""Conformance cases for AR-1's autoregressive layers and models."""

import keras
import numpy as np

from conformance import LayerCase, ModelCase
from kgen.layers import GatedPixelCNNBlock, MaskedConv2D
from kgen.models.autoregressive import GatedPixelCNN, PixelCNN


def _images(shape=(16, 6, 6, 1), num_levels=4):
    return np.random.default_rng(0).integers(0, num_levels, size=shape).astype("int32")


def _pixel_cnn():
    model = PixelCNN(
        (6, 6, 1), num_levels=4, filters=8, num_layers=1, first_kernel_size=3
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def _conditional_pixel_cnn():
    model = PixelCNN(
        (5, 5, 3),
        num_levels=4,
        num_classes=3,
        filters=6,
        num_layers=1,
        first_kernel_size=3,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def _conditional_data():
    images = _images((16, 5, 5, 3))
    labels = np.random.default_rng(1).integers(0, 3, size=16).astype("int32")
    return {"images": images, "labels": labels}, None


LAYER_CASES = [
    LayerCase(
        name="MaskedConv2D",
        make=lambda: MaskedConv2D(6, 3, mask_type="A", color_channels=3),
        inputs=lambda: (
            np.random.default_rng(0).normal(size=(2, 5, 5, 3)).astype("float32")
        ),
    ),
]

MODEL_CASES = [
    ModelCase(
        name="PixelCNN",
        make=_pixel_cnn,
        data=lambda: (_images(), None),
        outputs=lambda model, x, y: model.log_prob(x),
    ),
    ModelCase(
        name="PixelCNN",
        make=_conditional_pixel_cnn,
        data=_conditional_data,
        outputs=lambda model, x, y: model.log_prob(x["images"], conditions=x["labels"]),
    ),
]


def _gated_pixel_cnn():
    model = GatedPixelCNN(
        (6, 6, 3),
        num_levels=4,
        num_classes=2,
        filters=6,
        num_layers=2,
        first_kernel_size=3,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def _gated_data():
    images = _images((16, 6, 6, 3))
    labels = np.random.default_rng(2).integers(0, 2, size=16).astype("int32")
    return {"images": images, "labels": labels}, None


LAYER_CASES.append(
    LayerCase(
        name="GatedPixelCNNBlock",
        make=lambda: GatedPixelCNNBlock(
            6, kernel_size=3, mask_type="B", color_channels=3, conditioning_dim=2
        ),
        inputs=lambda: [
            np.random.default_rng(0).normal(size=(2, 5, 5, 6)).astype("float32"),
            np.random.default_rng(1).normal(size=(2, 5, 5, 6)).astype("float32"),
        ],
        call_kwargs={"conditioning": np.eye(2, dtype="float32")},
    )
)

MODEL_CASES.append(
    ModelCase(
        name="GatedPixelCNN",
        make=_gated_pixel_cnn,
        data=_gated_data,
        outputs=lambda model, x, y: model.log_prob(x["images"], conditions=x["labels"]),
    )
)
