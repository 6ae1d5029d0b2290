"""Gradient maps of autoregressive models, shared by their causality tests."""

import keras
import numpy as np

from kgen import backend


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def gradient_maps(model, x_float, targets):
    """|d logits[row, col, channel] / d input| as (H, W, C), per target.

    Examples in a batch are independent, so one gradient call on a batch of
    copies of the inputs gives the map of every target at once. The maps are
    summed over the examples of ``x_float`` so that a ReLU that happens to be
    inactive for one input does not hide a connection.
    """
    num_inputs, num_targets = len(x_float), len(targets)
    batch = np.repeat(x_float, num_targets, axis=0)
    index = np.array(
        [raster_index(x_float.shape[1:], *target) for target in targets] * num_inputs,
        "int32",
    )
    # Example k * T + t of the batch is input k with target t.

    def fn(v):
        logits = model.call_on_float(v)
        flat = keras.ops.reshape(logits, (len(index), -1, logits.shape[-1]))
        return keras.ops.take_along_axis(flat, index[:, None, None], axis=1)

    def gradient(v):
        return backend.input_gradients(fn, v)

    if backend.name() != "torch":  # one compiled program beats op-by-op tracing
        gradient = backend.compile_function(gradient)
    grads = np.abs(_np(gradient(keras.ops.convert_to_tensor(batch))))
    return grads.reshape(num_inputs, num_targets, *x_float.shape[1:]).sum(0)


def raster_index(shape, row, col, channel):
    return (row * shape[1] + col) * shape[2] + channel
