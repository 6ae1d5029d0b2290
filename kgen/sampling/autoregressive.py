"""Samplers for autoregressive models over integer grids.

Both samplers fill a batch of integer grids one sub-pixel at a time, in
raster order and, within a position, channel order. All random numbers come
from ``model.draw_noise`` before the loop, so the two samplers draw the same
data for the same noise.

- ``naive_sample`` runs the whole network for every sub-pixel: ``H * W * C``
  full forward passes.
- ``fast_sample`` runs the model's cached loop, which computes only what
  changed (see ``GatedPixelCNN``), in the manner of Ramachandran et al., 2017,
  "Fast Generation for Convolutional Autoregressive Models".

Both loops are compiled by the model's one compiled-inference cache
(``GenerativeModel.compiled_inference``, with XLA on TensorFlow as well as JAX), once
per model and batch size, and read the model's current weights on every
call.
"""

from keras import ops

from kgen import backend

__all__ = ["fast_sample", "naive_sample"]


def _raster_position(t, width, channels):
    # Sub-pixel t = (row * W + col) * C + channel.
    row = t // (width * channels)
    col = (t // channels) % width
    channel = t % channels
    return row, col, channel


def _loop_arguments(temperature, start):
    # JAX and TensorFlow compile the loop once and take the temperature and
    # first index as tensors; torch runs it in Python and needs Python ints.
    if backend.name() == "torch":
        return float(temperature), int(start)
    return (
        ops.convert_to_tensor(float(temperature), dtype="float32"),
        ops.convert_to_tensor(int(start), dtype="int32"),
    )


def _tensors(images, labels, condition_grid):
    images = ops.convert_to_tensor(images, dtype="int32")
    if labels is not None:
        labels = ops.convert_to_tensor(labels, dtype="int32")
    if condition_grid is not None:
        condition_grid = ops.convert_to_tensor(condition_grid, dtype="int32")
    return images, labels, condition_grid


def naive_sample(model, images, labels, condition_grid, noise, temperature, start=0):
    """Fill sub-pixels ``start, start + 1, ...`` by rerunning the network.

    Args:
        model: an ``AutoregressiveModel``.
        images: int32 ``(B, H, W, C)``; sub-pixels before ``start`` are kept.
        labels: int32 ``(B,)`` or None.
        condition_grid: int32 ``(B, H', W')`` or None.
        noise: ``model.draw_noise(B, seed)``.
        temperature: positive float.
        start: first sub-pixel to sample (raster index).

    Returns:
        int32 tensor ``(B, H, W, C)``.
    """
    height, width, channels = model.grid_shape
    total = height * width * channels

    def loop(images, labels, condition_grid, noise, temperature, start):
        positions = ops.reshape(
            ops.arange(total, dtype="int32"), (1, height, width, channels)
        )
        # The condition grid is given: its map is the same at every step.
        condition_map = None
        if condition_grid is not None:
            condition_map = model.condition_map(condition_grid)

        def body(t, x):
            row, col, channel = _raster_position(t, width, channels)
            outputs = model.call_network(
                model.embed_inputs(x), labels, condition_map, training=False
            )
            value = model.sample_subpixel(
                outputs, row, col, channel, noise, temperature
            )
            # Write the new value at sub-pixel t only.
            return ops.where(
                ops.equal(positions, t), ops.reshape(value, (-1, 1, 1, 1)), x
            )

        return ops.fori_loop(start, total, body, images)

    compiled = model.compiled_inference("naive_sample", loop, xla=True)
    return compiled(
        *_tensors(images, labels, condition_grid),
        noise,
        *_loop_arguments(temperature, start),
    )


def fast_sample(model, images, labels, condition_grid, noise, temperature, start=0):
    """Fill sub-pixels from ``start`` with the model's cached sampler.

    The model provides ``fast_sample_loop(images, labels, condition_grid,
    noise, temperature, start)``, a pure tensor function that computes, for
    each new sub-pixel, only the activations that changed. Arguments and
    result as in ``naive_sample``.
    """
    compiled = model.compiled_inference("fast_sample", model.fast_sample_loop, xla=True)
    return compiled(
        *_tensors(images, labels, condition_grid),
        noise,
        *_loop_arguments(temperature, start),
    )
