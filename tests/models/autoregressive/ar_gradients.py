"""Gradient maps of autoregressive models, shared by their causality tests."""

import keras
import numpy as np

from kgen import backend


def _np(x):
    if hasattr(x, "detach"):  # a torch tensor that requires grad
        x = x.detach()
    return np.asarray(keras.ops.convert_to_numpy(x))


def gradient_maps(model, features, targets, labels=None, condition_map=None):
    """|d logits[row, col, channel] / d input| as (H, W, C), per target.

    ``features`` are network inputs ``(N, H, W, model.feature_channels)``
    (what ``model.embed_inputs`` gives: the scaled pixels, or the learned
    embeddings of tokens); the gradient with respect to the ``F / C``
    features of each channel is summed, so a map entry is non-zero when the
    target depends on that input sub-pixel (or token). Examples in a batch
    are independent, so one gradient call on a batch of copies of the inputs
    gives the map of every target at once. The maps are summed over the
    examples of ``features`` so that a ReLU that happens to be inactive for
    one input does not hide a connection. ``labels`` ``(N,)`` and
    ``condition_map`` ``(N, H, W, D)`` condition every copy.
    """
    grid_shape = model.grid_shape
    num_inputs, num_targets = len(features), len(targets)
    batch = np.repeat(features, num_targets, axis=0)
    index = np.array(
        [raster_index(grid_shape, *target) for target in targets] * num_inputs,
        "int32",
    )
    # Example k * T + t of the batch is input k with target t.
    if labels is not None:
        labels = keras.ops.convert_to_tensor(
            np.repeat(np.asarray(labels, "int32"), num_targets, axis=0)
        )
    if condition_map is not None:
        condition_map = keras.ops.convert_to_tensor(
            np.repeat(np.asarray(condition_map, "float32"), num_targets, axis=0)
        )

    def fn(v):
        logits = model.call_network(v, labels, condition_map)
        flat = keras.ops.reshape(logits, (len(index), -1, logits.shape[-1]))
        return keras.ops.take_along_axis(flat, index[:, None, None], axis=1)

    def gradient(v):
        return backend.input_gradients(fn, v)

    if backend.name() != "torch":  # one compiled program beats op-by-op tracing
        gradient = backend.compile_function(gradient)
    grads = np.abs(_np(gradient(keras.ops.convert_to_tensor(batch))))
    grads = grads.reshape(num_inputs, num_targets, *grid_shape, -1).sum(-1)
    return grads.sum(0)


def raster_index(shape, row, col, channel):
    return (row * shape[1] + col) * shape[2] + channel
