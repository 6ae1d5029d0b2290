"""Conformance cases for AR-2: PixelCNN++ and PixelRNN layers and models."""

import keras
import numpy as np

from conformance import LayerCase, ModelCase
from kgen.layers import (
    DiagonalBiLSTM,
    DownRightShiftedConv2D,
    DownRightShiftedConv2DTranspose,
    DownShiftedConv2D,
    DownShiftedConv2DTranspose,
    GatedResNetBlock,
    RowLSTM,
)
from kgen.models.autoregressive import PixelCNNPlusPlus, PixelRNN


def _floats(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _images(shape, num_levels=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, num_levels, size=shape).astype("int32")


def _labelled(shape, num_classes):
    labels = np.random.default_rng(1).integers(0, num_classes, size=shape[0])
    return {"images": _images(shape), "labels": labels.astype("int32")}, None


def _compiled(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def _conditional_pixel_cnn_plus_plus():
    return _compiled(
        PixelCNNPlusPlus(
            (4, 4, 3),
            num_levels=4,
            num_classes=2,
            num_filters=4,
            num_resnet=1,
            num_scales=1,
            num_logistic_mix=2,
            dropout_rate=0.2,
            seed=5,
        )
    )


def _conditional_diagonal_pixel_rnn():
    return _compiled(
        PixelRNN(
            (3, 3, 3),
            num_levels=4,
            num_classes=2,
            cell="diagonal_bilstm",
            num_layers=1,
            hidden_units=3,
            first_kernel_size=3,
        )
    )


def _conditional_log_prob(model, x, y):
    return model.log_prob(x["images"], conditions=x["labels"])


LAYER_CASES = [
    LayerCase(
        name="DownShiftedConv2D",
        make=lambda: DownShiftedConv2D(4, (2, 3), strides=2),
        inputs=lambda: _floats((2, 4, 4, 3)),
    ),
    LayerCase(
        name="DownRightShiftedConv2D",
        make=lambda: DownRightShiftedConv2D(4),
        inputs=lambda: _floats((2, 4, 4, 3)),
    ),
    LayerCase(
        name="DownShiftedConv2DTranspose",
        make=lambda: DownShiftedConv2DTranspose(4),
        inputs=lambda: _floats((2, 2, 2, 3)),
    ),
    LayerCase(
        name="DownRightShiftedConv2DTranspose",
        make=lambda: DownRightShiftedConv2DTranspose(4),
        inputs=lambda: _floats((2, 2, 2, 3)),
    ),
    LayerCase(
        name="GatedResNetBlock",
        make=lambda: GatedResNetBlock("down_right", dropout_rate=0.5, seed=1),
        inputs=lambda: _floats((2, 4, 4, 4)),
        call_kwargs={
            "auxiliary": _floats((2, 4, 4, 2), seed=1),
            "condition": np.eye(3, dtype="float32")[[0, 2]],
            "training": False,
        },
    ),
    LayerCase(
        name="RowLSTM",
        make=lambda: RowLSTM(3, color_channels=3),
        inputs=lambda: _floats((2, 3, 4, 6)),
    ),
    LayerCase(
        name="DiagonalBiLSTM",
        make=lambda: DiagonalBiLSTM(2, mask_type="A", residual=False),
        inputs=lambda: _floats((2, 3, 4, 2)),
    ),
]

# One case per model with labels, colour and (PixelCNN++) seeded dropout; one
# scale only, to keep the suite fast (the shifted transposed convolutions of
# the other scales have layer cases of their own).
MODEL_CASES = [
    ModelCase(
        name="PixelCNNPlusPlus",
        make=_conditional_pixel_cnn_plus_plus,
        data=lambda: _labelled((16, 4, 4, 3), 2),
        outputs=_conditional_log_prob,
        # its dropout masks are drawn per replica under tf.distribute
        exact_on_several_devices=False,
    ),
    ModelCase(
        name="PixelRNN",
        make=_conditional_diagonal_pixel_rnn,
        data=lambda: _labelled((16, 3, 3, 3), 2),
        outputs=_conditional_log_prob,
    ),
]
