"""Gated PixelCNN: vertical and horizontal stacks, gates, and a fast sampler."""

from keras import ops

from kgen.api_export import kgen_export
from kgen.contract import Capability
from kgen.layers.autoregressive import GatedPixelCNNBlock, MaskedConv2D
from kgen.models.autoregressive.base import (
    CategoricalAutoregressiveModel,
    take_position,
)

__all__ = ["GatedPixelCNN"]


def _previous_row(i):
    # max(i - 1, 0) and whether row i has a row above, for Python ints (torch
    # runs the loop in Python) and traced scalars (JAX, TensorFlow).
    if isinstance(i, int):
        return max(i - 1, 0), float(i > 0)
    return ops.maximum(i - 1, 0), ops.cast(ops.greater(i, 0), "float32")


@kgen_export
class GatedPixelCNN(CategoricalAutoregressiveModel):
    """Gated PixelCNN with a categorical output and an exact fast sampler.

    ``num_layers`` ``GatedPixelCNNBlock``s (the first with a
    ``first_kernel_size`` kernel and mask "A", the rest with ``kernel_size``
    and mask "B"); the sum of their skip outputs goes through ReLU, a 1x1
    masked convolution with ``head_filters`` channels, ReLU and a 1x1 masked
    convolution to ``num_levels`` logits per sub-pixel. The vertical stack
    sees the rows above, the horizontal stack the pixels to the left, so
    there is no blind spot. Class labels (``num_classes``) enter as one-hot
    vectors that bias every gate.

    ``sample(method="fast")`` caches every layer's inputs: at the start of a
    row it computes the vertical stack for the row above (one row per layer),
    and for each sub-pixel it computes the horizontal stack and the output
    head at that single position from the cached windows (Ramachandran et
    al., 2017). It draws exactly the images of ``method="naive"`` for the
    same seed.

    Args:
        image_shape: ``(height, width, channels)``.
        num_levels: pixel values per sub-pixel.
        num_classes: number of classes for class-conditional models, or None.
        filters: channels of each stack (a multiple of ``channels``).
        num_layers: number of gated blocks.
        first_kernel_size: odd kernel size of the first block.
        kernel_size: odd kernel size of the other blocks.
        skip_filters: channels of the skip connections (default ``filters``).
        head_filters: hidden channels of the output head (default
            ``skip_filters``).
        **kwargs: standard ``keras.Model`` arguments.

    Call arguments:
        inputs: integer images ``(B, H, W, C)``, or
            ``{"images": ..., "labels": ...}`` when conditional.
        training: unused.

    Returns:
        Logits ``(B, H, W, C, num_levels)`` (float32).

    Raises:
        ValueError: for invalid arguments (see ``AutoregressiveModel``).

    Example:

    >>> import numpy as np
    >>> model = GatedPixelCNN((8, 8, 1), num_levels=4, filters=8, num_layers=3)
    >>> model.compile(optimizer="adam")
    >>> x = np.random.randint(0, 4, size=(16, 8, 8, 1))
    >>> _ = model.fit(x, epochs=1, verbose=0)
    >>> fast = model.sample(2, seed=0, method="fast")
    >>> bool((fast == model.sample(2, seed=0, method="naive")).all())
    True

    References:
        van den Oord, Kalchbrenner, Vinyals, Espeholt, Graves, Kavukcuoglu.
        "Conditional Image Generation with PixelCNN Decoders", NeurIPS 2016.
        Ramachandran, Paine, Khorrami, Babaeizadeh, Chang, Zhang,
        Hasegawa-Johnson, Campbell, Huang. "Fast Generation for Convolutional
        Autoregressive Models", ICLR workshop 2017.
    """

    capabilities = CategoricalAutoregressiveModel.capabilities | {
        Capability.FAST_SAMPLING
    }
    supports_fast_sampling = True

    def __init__(
        self,
        image_shape,
        num_levels=256,
        num_classes=None,
        filters=32,
        num_layers=6,
        first_kernel_size=7,
        kernel_size=3,
        skip_filters=None,
        head_filters=None,
        **kwargs,
    ):
        super().__init__(image_shape, num_levels, num_classes, **kwargs)
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(
                f"num_layers must be a positive integer; received {num_layers!r}."
            )
        channels = self.image_shape[-1]
        self.filters = filters
        self.num_layers = num_layers
        self.first_kernel_size = first_kernel_size
        self.kernel_size = kernel_size
        self.skip_filters = filters if skip_filters is None else skip_filters
        self.head_filters = self.skip_filters if head_filters is None else head_filters
        self.blocks = [
            GatedPixelCNNBlock(
                filters,
                kernel_size=first_kernel_size if index == 0 else kernel_size,
                mask_type="A" if index == 0 else "B",
                color_channels=channels,
                skip_filters=self.skip_filters,
                residual=index > 0,
                conditioning_dim=num_classes,
                # The last block feeds the head through its skip output only.
                horizontal_output=index + 1 < num_layers,
                name=f"gated_block_{index}",
            )
            for index in range(num_layers)
        ]
        self.head_hidden = MaskedConv2D(
            self.head_filters, 1, "B", channels, activation="relu", name="head_hidden"
        )
        self.head_logits = MaskedConv2D(
            channels * self.num_levels, 1, "B", channels, name="logits", dtype="float32"
        )

    def _conditioning(self, labels):
        if labels is None:
            return None
        return ops.one_hot(ops.cast(labels, "int32"), self.num_classes)

    def call_on_float(self, x_float, labels=None, training=False):
        conditioning = self._conditioning(labels)
        vertical, horizontal, skip = x_float, x_float, None
        for block in self.blocks:
            outputs = block([vertical, horizontal], conditioning=conditioning)
            vertical, horizontal, block_skip = (
                outputs if len(outputs) == 3 else (outputs[0], None, outputs[1])
            )
            skip = block_skip if skip is None else skip + block_skip
        logits = self.head_logits(self.head_hidden(ops.relu(skip)))
        channels = self.image_shape[-1]
        return ops.reshape(
            logits,
            (-1, ops.shape(logits)[1], ops.shape(logits)[2], channels, self.num_levels),
        )

    # ------------------------------------------------------ the fast sampler
    def fast_sample_loop(self, images, labels, noise, temperature, start):
        """Cached sampling loop (pure tensor function; see the class doc).

        Args:
            images: int32 ``(B, H, W, C)``; rows before ``start`` are kept.
            labels: int32 ``(B,)`` or None.
            noise: Gumbel noise from ``draw_noise``.
            temperature: positive float.
            start: first sub-pixel to sample; a multiple of ``W * C``.

        Returns:
            int32 images ``(B, H, W, C)``.
        """
        height, width, channels = self.image_shape
        levels = self.num_levels
        start_row = start // (width * channels)
        batch = ops.shape(images)[0]
        conditioning = self._conditioning(labels)
        biases = [block._conditioning_biases(conditioning) for block in self.blocks]
        radii = [block.radius for block in self.blocks]
        in_channels = [channels] + [self.filters] * (self.num_layers - 1)

        # Vertical caches: the input of every block's vertical stack, zero
        # padded (r rows on top, r columns each side). One full pass fills
        # them for the given rows (completion); rows being sampled are
        # overwritten, in order, before they are read.
        x_float = self.preprocess(images)
        vertical, horizontal = x_float, x_float
        vertical_inputs = []
        for block, r in zip(self.blocks[:-1], radii):
            vertical_inputs.append(ops.pad(vertical, ((0, 0), (r, 0), (r, r), (0, 0))))
            vertical, horizontal, _ = block(
                [vertical, horizontal], conditioning=conditioning
            )
        vertical_inputs.append(
            ops.pad(vertical, ((0, 0), (radii[-1], 0), (radii[-1], radii[-1]), (0, 0)))
        )

        def row_step(i, carry):
            images, vertical_inputs = carry
            vertical_inputs = list(vertical_inputs)
            previous, has_previous = _previous_row(i)
            # The row above is final now: run every vertical layer on it.
            row = self.preprocess(
                ops.slice(images, (0, previous, 0, 0), (batch, 1, width, channels))
            )
            vertical_inputs[0] = ops.slice_update(
                vertical_inputs[0], (0, previous + radii[0], radii[0], 0), row
            )
            links = []
            for index, (block, r) in enumerate(zip(self.blocks, radii)):
                window = ops.slice(
                    vertical_inputs[index],
                    (0, previous, 0, 0),
                    (batch, r + 1, width + 2 * r, in_channels[index]),
                )
                features, output = block.vertical_row(window, biases[index][0])
                # Row 0 has no row above: the shifted features are zero.
                links.append(features * has_previous)
                if index + 1 < self.num_layers:
                    r_next = radii[index + 1]
                    vertical_inputs[index + 1] = ops.slice_update(
                        vertical_inputs[index + 1],
                        (0, previous + r_next, r_next, 0),
                        output[:, None],
                    )

            # Horizontal caches for row i: each block's input, left padded.
            current = self.preprocess(
                ops.slice(images, (0, i, 0, 0), (batch, 1, width, channels))
            )[:, 0]
            horizontal_inputs = [ops.pad(current, ((0, 0), (radii[0], 0), (0, 0)))]
            for r in radii[1:]:
                horizontal_inputs.append(
                    ops.zeros((batch, width + r, self.filters), dtype=current.dtype)
                )

            def subpixel_step(t, inner):
                images, horizontal_inputs = inner
                horizontal_inputs = list(horizontal_inputs)
                j, c = t // channels, t % channels
                skip = None
                for index, (block, r) in enumerate(zip(self.blocks, radii)):
                    window = ops.slice(
                        horizontal_inputs[index],
                        (0, j, 0),
                        (batch, r + 1, in_channels[index]),
                    )
                    link = ops.take(links[index], j, axis=1)
                    output, block_skip = block.horizontal_position(
                        window, link, biases[index][1]
                    )
                    skip = block_skip if skip is None else skip + block_skip
                    if index + 1 < self.num_layers:
                        horizontal_inputs[index + 1] = ops.slice_update(
                            horizontal_inputs[index + 1],
                            (0, j + radii[index + 1], 0),
                            output[:, None],
                        )
                hidden = self.head_hidden.call_on_window(ops.relu(skip)[:, None, None])
                logits = self.head_logits.call_on_window(hidden[:, None, None])
                logits = ops.take(
                    ops.reshape(logits, (-1, channels, levels)), c, axis=1
                )
                gumbel = take_position(noise, i, j, c)
                value = self.sample_from_logits(
                    ops.cast(logits, "float32"), gumbel, temperature
                )
                images = ops.slice_update(
                    images, (0, i, j, c), ops.reshape(value, (-1, 1, 1, 1))
                )
                horizontal_inputs[0] = ops.slice_update(
                    horizontal_inputs[0],
                    (0, j + radii[0], c),
                    ops.reshape(self.preprocess(value), (-1, 1, 1)),
                )
                return images, tuple(horizontal_inputs)

            images, _ = ops.fori_loop(
                0, width * channels, subpixel_step, (images, tuple(horizontal_inputs))
            )
            return images, tuple(vertical_inputs)

        images, _ = ops.fori_loop(
            start_row, height, row_step, (images, tuple(vertical_inputs))
        )
        return images

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "num_layers": self.num_layers,
                "first_kernel_size": self.first_kernel_size,
                "kernel_size": self.kernel_size,
                "skip_filters": self.skip_filters,
                "head_filters": self.head_filters,
            }
        )
        return config
