"""Gated PixelCNN: vertical and horizontal stacks, gates, and a fast sampler."""

from keras import ops

from kgen.api_export import kgen_export
from kgen.backend.loops import compile_loop_body
from kgen.contract import Capability
from kgen.layers.autoregressive import GatedPixelCNNBlock, MaskedConv2D
from kgen.models.autoregressive.base import CategoricalAutoregressiveModel
from kgen.validation import check_positive_int

__all__ = ["GatedPixelCNN"]


def _set_last_column(window, column):
    # window (B, n, C) with its last column replaced by column (B, C)
    return ops.concatenate([window[:, :-1], column[:, None]], axis=1)


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
    vectors that bias every gate; a condition grid (``condition_grid_shape``,
    e.g. the top codes of a VQ-VAE-2 for its bottom prior) enters as a
    location-dependent bias of every gate (``V * s`` with ``s`` the embedded,
    upsampled grid).

    The same class models images ``(H, W, C)`` of ``num_levels`` intensities
    and grids of tokens ``(H, W)`` (VQ-VAE codes: use
    ``input_embedding="embedding"``, a learned vector per code).

    ``sample(method="fast")`` caches every layer's inputs (Ramachandran et
    al., 2017): at the start of a row it computes the vertical stack for the
    row above (one row per layer) and everything the horizontal stack adds
    along the row (the link from the vertical stack, biases, conditioning);
    then, pixel by pixel, it computes the horizontal stack and the output
    head at that single position from a rolling window of the last ``k // 2
    + 1`` inputs of each layer. The per-pixel step is a pure function of
    tensors (compiled with the whole loop on JAX and TensorFlow, with
    ``torch.compile`` on torch, see ``kgen.backend.loops``). It draws exactly
    the data of ``method="naive"`` for the same seed.

    Args:
        data_shape: ``(height, width, channels)`` or ``(height, width)``.
        num_levels: values per sub-pixel.
        num_classes: number of classes for class-conditional models, or None.
        filters: channels of each stack (a multiple of ``channels``).
        num_layers: number of gated blocks.
        first_kernel_size: odd kernel size of the first block.
        kernel_size: odd kernel size of the other blocks.
        skip_filters: channels of the skip connections (default ``filters``).
        head_filters: hidden channels of the output head (default
            ``skip_filters``).
        **kwargs: ``input_embedding``, ``embedding_dim``,
            ``condition_grid_shape``, ``condition_grid_levels`` (see
            ``AutoregressiveModel``) and standard ``keras.Model`` arguments.

    Call arguments:
        inputs: integer data ``(B, *data_shape)``, or a dict
            ``{"images" (or "tokens"): ..., "labels": ..., "condition_grid":
            ...}`` when conditional.
        training: unused.

    Returns:
        Logits ``(B, H, W, C, num_levels)`` (float32; ``C = 1`` for tokens).

    Raises:
        ValueError: for invalid arguments (see ``AutoregressiveModel``).

    Examples:
        A prior over 4x4 grids of 16 codes, conditioned on a class and on a 2x2
        grid of coarser codes:

        >>> import numpy as np
        >>> from kgen.models import GatedPixelCNN
        >>> rng = np.random.default_rng(0)
        >>> codes = rng.integers(0, 16, size=(32, 4, 4))
        >>> top = rng.integers(0, 8, size=(32, 2, 2))
        >>> labels = rng.integers(0, 3, size=32)
        >>> model = GatedPixelCNN((4, 4), num_levels=16, num_classes=3,
        ...                       filters=8, num_layers=3, first_kernel_size=3,
        ...                       input_embedding="embedding", embedding_dim=8,
        ...                       condition_grid_shape=(2, 2), condition_grid_levels=8)
        >>> model.compile(optimizer="adam")
        >>> _ = model.fit({"tokens": codes, "condition_grid": top}, labels, verbose=0)
        >>> model.bits_per_dim(codes, labels, condition_grid=top).shape
        (32,)
        >>> fast = model.sample(2, seed=0, conditions=[0, 1], condition_grid=top[:2],
        ...                     method="fast")
        >>> naive = model.sample(2, seed=0, conditions=[0, 1], condition_grid=top[:2])
        >>> fast.shape, bool((fast == naive).all())
        ((2, 4, 4), True)

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

    def __init__(
        self,
        data_shape,
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
        super().__init__(data_shape, num_levels, num_classes, **kwargs)
        if (
            isinstance(num_layers, bool)
            or not isinstance(num_layers, int)
            or num_layers < 1
        ):
            raise ValueError(
                f"num_layers must be a positive integer; received {num_layers!r}."
            )
        channels = self.grid_shape[-1]
        self.filters = check_positive_int(filters, "filters")
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
                spatial_conditioning_dim=self.condition_channels,
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

    def _class_vector(self, labels):
        if labels is None:
            return None
        return ops.one_hot(ops.cast(labels, "int32"), self.num_classes)

    def call_network(self, features, labels=None, condition_map=None, training=False):
        conditioning = self._class_vector(labels)
        vertical, horizontal, skip = features, features, None
        for block in self.blocks:
            outputs = block(
                [vertical, horizontal],
                conditioning=conditioning,
                spatial_conditioning=condition_map,
            )
            vertical, horizontal, block_skip = (
                outputs if len(outputs) == 3 else (outputs[0], None, outputs[1])
            )
            skip = block_skip if skip is None else skip + block_skip
        logits = self.head_logits(self.head_hidden(ops.relu(skip)))
        return self.logits_from_features(logits)

    # ------------------------------------------------------ the fast sampler
    # The cached sampler is a loop over rows and, inside, over pixels. Both
    # bodies (`_sampler_row_step`, `_sampler_pixel_step`) are pure functions
    # of tensors, row and column indices included, so that on torch, where
    # `fori_loop` is a Python loop, `kgen.backend.loops` can compile each
    # once; JAX and TensorFlow compile them with the whole loop.

    def _sampler_weights(self, labels, condition_grid, noise):
        """Every tensor the cached sampler reads, each read once."""
        conditioning = self._class_vector(labels)
        condition_map = None
        if condition_grid is not None:
            condition_map = self.condition_map(condition_grid)
        biases = tuple(
            block.conditioning_biases(conditioning, condition_map)
            for block in self.blocks
        )
        head = (
            self.head_hidden.masked_kernel()[0, 0],
            ops.convert_to_tensor(self.head_hidden.bias),
            self.head_logits.masked_kernel()[0, 0],
            ops.convert_to_tensor(self.head_logits.bias),
        )
        return {
            "blocks": tuple(block.sampling_weights() for block in self.blocks),
            "biases": biases,
            "head": head,
            "table": self.input_embedding_table(),
            "noise": noise,
        }

    def _sampler_row_step(self, weights, images, windows, i):
        """Start row ``i``: run the vertical stacks on row ``i - 1``.

        Args:
            weights: ``_sampler_weights(...)``.
            images: int32 ``(B, H, W, C)``, final above row ``i``.
            windows: per block, its vertical input rows ``i - 2 - r ..
                i - 2``, zero padded: ``(B, r + 1, W + 2 r, channels)``.
            i: int32 scalar tensor.

        Returns:
            ``(windows, row_bias, row_noise)``: the windows moved down one
            row (unchanged for ``i = 0``), what each block's horizontal stack
            adds along row ``i`` ``(B, W, num_layers, 2 filters)`` and the
            noise of row ``i`` ``(B, W, C, num_levels)``.
        """
        width = self.grid_shape[1]
        previous = ops.maximum(i - 1, 0)
        has_previous = ops.greater(i, 0)
        row = ops.take(images, previous, axis=1)  # (B, W, C)
        new = self.embed_values(row, weights["table"])  # (B, W, C, F / C)
        new = ops.reshape(new, (-1, width, self.feature_channels))
        new = ops.cast(new, windows[0].dtype)

        def row_of(bias, y):
            # (B, W, 2p) of a map's row, or (B, 1, 2p) from the class alone
            if bias is None:
                return None
            if bias.shape[1] == 1:
                return bias[:, 0]
            return ops.take(bias, y, axis=1)

        pushed, row_bias = [], []
        for index, block in enumerate(self.blocks):
            r = block.radius
            block_weights = weights["blocks"][index]
            bias_v, bias_h = weights["biases"][index]
            # zero padding by concatenation: ops.pad creates a named Keras
            # operation per call, which torch.compile would recompile for
            margin = ops.zeros_like(new[:, :r])
            padded = ops.concatenate([margin, new, margin], axis=1)
            window = ops.concatenate([windows[index][:, 1:], padded[:, None]], axis=1)
            above, new = block.vertical_row(
                block_weights, window, row_of(bias_v, previous)
            )
            # Row 0 has no row above: its windows stay zero, its link reads zeros.
            pushed.append(ops.where(has_previous, window, windows[index]))
            above = ops.where(has_previous, above, ops.zeros_like(above))
            row_bias.append(
                block.horizontal_row_bias(block_weights, above, row_of(bias_h, i))
            )
        row_noise = ops.take(weights["noise"], i, axis=1)
        return tuple(pushed), ops.stack(row_bias, axis=2), row_noise

    def _sampler_pixel_step(
        self, weights, windows, row_bias, row_noise, row_values, j, temperature
    ):
        """Sample pixel ``j`` of the current row (all its channels).

        Args:
            weights: ``_sampler_weights(...)``.
            windows: per block, its horizontal inputs ``(B, k // 2 + 1, ch)``
                at columns ``j - 1 - k // 2 .. j - 1``.
            row_bias, row_noise: from ``_sampler_row_step``.
            row_values: int32 ``(B, W, C)``, the row sampled so far.
            j: int32 scalar tensor.
            temperature: float32 scalar tensor.

        Returns:
            ``(windows, row_values)``, both moved on by pixel ``j``.
        """
        channels, levels = self.grid_shape[-1], self.num_levels
        group = self.feature_channels // channels
        block_weights, head, table = (
            weights["blocks"],
            weights["head"],
            weights["table"],
        )
        bias = ops.take(row_bias, j, axis=1)  # (B, num_layers, 2p)
        gumbel = ops.take(row_noise, j, axis=1)  # (B, C, levels)
        # Each window moves one column right; the new column is filled below
        # (its later colours stay masked until they are known).
        windows = [
            ops.concatenate([w[:, 1:], ops.zeros_like(w[:, :1])], axis=1)
            for w in windows
        ]
        values = []
        for c in range(channels):
            skip = None
            for index, block in enumerate(self.blocks):
                output, block_skip = block.horizontal_position(
                    block_weights[index], windows[index], bias[:, index]
                )
                skip = block_skip if skip is None else skip + block_skip
                if index + 1 < self.num_layers:
                    windows[index + 1] = _set_last_column(windows[index + 1], output)
            hidden = ops.relu(ops.matmul(ops.relu(skip), head[0]) + head[1])
            logits = ops.matmul(hidden, head[2]) + head[3]
            logits = ops.reshape(logits, (-1, channels, levels))[:, c]
            value = self.sample_from_logits(
                ops.cast(logits, "float32"), gumbel[:, c], temperature
            )
            values.append(value)
            last = windows[0][:, -1]
            embedded = ops.cast(self.embed_values(value, table), last.dtype)
            last = ops.concatenate(
                [last[:, : c * group], embedded, last[:, (c + 1) * group :]], axis=1
            )
            windows[0] = _set_last_column(windows[0], last)
        here = ops.equal(ops.arange(ops.shape(row_values)[1], dtype="int32"), j)
        row_values = ops.where(
            here[None, :, None], ops.stack(values, axis=1)[:, None, :], row_values
        )
        return tuple(windows), row_values

    def fast_sample_loop(
        self, images, labels, condition_grid, noise, temperature, start
    ):
        """Cached sampling loop (pure tensor function; see the class doc).

        Args:
            images: int32 ``(B, H, W, C)``; rows before ``start`` are kept.
            labels: int32 ``(B,)`` or None.
            condition_grid: int32 ``(B, H', W')`` or None.
            noise: Gumbel noise from ``draw_noise``.
            temperature: positive float (a scalar tensor on JAX/TensorFlow).
            start: first sub-pixel to sample; a multiple of ``W * C``.

        Returns:
            int32 ``(B, H, W, C)``.
        """
        height, width, channels = self.grid_shape
        start_row = start // (width * channels)
        batch = ops.shape(images)[0]
        temperature = ops.convert_to_tensor(temperature, dtype="float32")
        weights = self._sampler_weights(labels, condition_grid, noise)
        dtype = self.compute_dtype
        # torch: compile both bodies when the loop is long enough to pay
        row_step = compile_loop_body(self._sampler_row_step, loop_steps=height * width)
        pixel_step = compile_loop_body(
            self._sampler_pixel_step, loop_steps=height * width
        )

        def index(k):
            return ops.convert_to_tensor(k, dtype="int32")

        def given_row(i, windows):
            # a given row (completion) only feeds the vertical stacks
            windows, _, _ = row_step(weights, images, windows, index(i))
            return windows

        def sample_row(i, carry):
            images, windows = carry
            windows, row_bias, row_noise = row_step(weights, images, windows, index(i))
            horizontal = tuple(
                ops.zeros((batch, block.radius + 1, ch), dtype=dtype)
                for block, ch in zip(
                    self.blocks,
                    [self.feature_channels] + [self.filters] * (self.num_layers - 1),
                )
            )

            def pixel(j, inner):
                horizontal, row_values = inner
                return pixel_step(
                    weights,
                    horizontal,
                    row_bias,
                    row_noise,
                    row_values,
                    index(j),
                    temperature,
                )

            row_values = ops.zeros((batch, width, channels), dtype="int32")
            _, row_values = ops.fori_loop(0, width, pixel, (horizontal, row_values))
            images = ops.slice_update(images, (0, i, 0, 0), row_values[:, None])
            return images, windows

        windows = tuple(
            ops.zeros((batch, block.radius + 1, width + 2 * block.radius, ch), dtype)
            for block, ch in zip(
                self.blocks,
                [self.feature_channels] + [self.filters] * (self.num_layers - 1),
            )
        )
        windows = ops.fori_loop(0, start_row, given_row, windows)
        images, _ = ops.fori_loop(start_row, height, sample_row, (images, windows))
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
