"""Conformance cases for the masked-convolution autoregressive layers and models.

The first case of each model class (images) is the one the contract tests
use; the token-grid cases after it cover the input embedding, more than 256
levels and the condition grid.
"""

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
    # Conv2D's own arguments travel with the config
    LayerCase(
        name="MaskedConv2D",
        make=lambda: MaskedConv2D(
            6,
            3,
            mask_type="B",
            color_channels=3,
            dilation_rate=2,
            groups=3,
            kernel_regularizer="l2",
            activation="relu",
        ),
        inputs=lambda: (
            np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype("float32")
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

LAYER_CASES.append(
    LayerCase(
        name="GatedPixelCNNBlock",
        make=lambda: GatedPixelCNNBlock(
            4, kernel_size=3, mask_type="A", spatial_conditioning_dim=3
        ),
        inputs=lambda: [
            np.random.default_rng(0).normal(size=(2, 4, 4, 2)).astype("float32"),
            np.random.default_rng(1).normal(size=(2, 4, 4, 2)).astype("float32"),
        ],
        call_kwargs={
            "spatial_conditioning": np.random.default_rng(2)
            .normal(size=(2, 4, 4, 3))
            .astype("float32")
        },
    )
)


def _token_prior(cls, **kwargs):
    # a VQ-VAE-2 style prior: 300 codes (more than uint8 holds), learned
    # embeddings, a half-resolution condition grid of 5 codes
    model = cls(
        (4, 4),
        num_levels=300,
        input_embedding="embedding",
        embedding_dim=3,
        condition_grid_shape=(2, 2),
        condition_grid_levels=5,
        first_kernel_size=3,
        **kwargs,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def _token_data(num_classes=None):
    rng = np.random.default_rng(3)
    x = {
        "tokens": rng.integers(0, 300, size=(16, 4, 4)).astype("int32"),
        "condition_grid": rng.integers(0, 5, size=(16, 2, 2)).astype("int32"),
    }
    if num_classes:
        x["labels"] = rng.integers(0, num_classes, size=16).astype("int32")
    return x, None


def _token_log_prob(model, x, y):
    return model.log_prob(
        x["tokens"], x.get("labels"), condition_grid=x["condition_grid"]
    )


MODEL_CASES += [
    ModelCase(
        name="GatedPixelCNN",
        make=lambda: _token_prior(
            GatedPixelCNN, num_classes=2, filters=4, num_layers=2
        ),
        data=lambda: _token_data(num_classes=2),
        outputs=_token_log_prob,
    ),
    ModelCase(
        name="PixelCNN",
        make=lambda: _token_prior(PixelCNN, filters=4, num_layers=1),
        data=_token_data,
        outputs=_token_log_prob,
    ),
]
