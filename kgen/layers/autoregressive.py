"""Causal convolutions for autoregressive image models.

``MaskedConv2D`` is the masked convolution of PixelCNN (van den Oord et al.,
2016, "Pixel Recurrent Neural Networks"); the gated block of Gated PixelCNN
lives here too.
"""

import keras
import numpy as np
from keras import ops

from kgen.api_export import kgen_export

__all__ = ["GatedPixelCNNBlock", "MaskedConv2D", "causal_conv_mask"]

_MASK_TYPES = ("A", "B")


def _pair(value, name):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2 or any(v < 1 or v % 2 == 0 for v in value):
        raise ValueError(
            f"{name} must be an odd positive integer or a pair of them (a causal "
            "mask needs a centre tap: the pixel the output stands for); "
            f"received {value!r}."
        )
    return value


def _groups(num_channels, color_channels):
    # Channel k belongs to colour group k * C // num_channels: contiguous blocks,
    # so the input RGB channels are groups 0, 1, 2 and a layer with 3 * L
    # filters has the logits of red, green and blue as blocks of L.
    return np.arange(num_channels) * color_channels // num_channels


def causal_conv_mask(
    kernel_size, in_channels, filters, mask_type="B", color_channels=1, groups=1
):
    """The constant 0/1 mask of a masked convolution kernel.

    Positions above the centre row and left of the centre in the centre row
    are visible; positions after the centre are not. At the centre, output
    colour group ``c`` sees input groups ``< c`` (mask ``"A"``) or ``<= c``
    (mask ``"B"``); with ``color_channels=1`` that means "A" hides the centre
    pixel and "B" shows it.

    Args:
        kernel_size: odd int or pair of odd ints.
        in_channels: number of input channels (all groups together).
        filters: number of output channels.
        mask_type: ``"A"`` (first layer) or ``"B"`` (later layers).
        color_channels: number of colour groups that are ordered within a
            pixel (1 for grey, 3 for RGB).
        groups: convolution groups (``keras.layers.Conv2D(groups=...)``):
            output channel ``o`` reads the input channels of its group only,
            so its kernel holds ``in_channels // groups`` of them.

    Returns:
        float32 NumPy array ``(kernel_h, kernel_w, in_channels // groups,
        filters)``, the layout of a Keras ``Conv2D`` kernel.

    Examples:
        >>> from kgen.layers import causal_conv_mask
        >>> causal_conv_mask(3, 1, 1, "A")[..., 0, 0]
        array([[1., 1., 1.],
               [1., 0., 0.],
               [0., 0., 0.]], dtype=float32)
    """
    kernel_h, kernel_w = _pair(kernel_size, "kernel_size")
    per_group = in_channels // groups
    mask = np.zeros((kernel_h, kernel_w, per_group, filters), "float32")
    centre_h, centre_w = kernel_h // 2, kernel_w // 2
    mask[:centre_h] = 1.0
    mask[centre_h, :centre_w] = 1.0
    # the global index of input channel i of output o's convolution group
    conv_group = np.arange(filters) // (filters // groups)
    global_in = conv_group[None, :] * per_group + np.arange(per_group)[:, None]
    group_in = _groups(in_channels, color_channels)[global_in]
    group_out = _groups(filters, color_channels)[None, :]
    visible = group_in < group_out if mask_type == "A" else group_in <= group_out
    mask[centre_h, centre_w] = visible.astype("float32")
    return mask


@kgen_export
class MaskedConv2D(keras.layers.Conv2D):
    """A ``keras.layers.Conv2D`` that only sees earlier pixels (and colours).

    The kernel is multiplied by a constant causal mask in every call (the
    trainable kernel itself is never written), so output pixel ``(i, j)``
    depends only on input pixels before it in raster order. Mask ``"A"``
    (the first layer) also hides the pixel itself; mask ``"B"`` (every later
    layer) shows it. With ``color_channels=3`` the filters and the input
    channels are split into three contiguous groups (R, G, B) and, at the
    centre pixel, output group ``c`` sees input groups ``< c`` ("A") or
    ``<= c`` ("B"), giving the R -> G -> B order.

    Every other argument is ``Conv2D``'s: regularizers, constraints,
    initializers, ``dilation_rate``, ``groups`` (the colour mask is computed
    on the global channel indices), ``data_format``, ``activation``,
    ``use_bias``, LoRA. What a causal mask cannot honour is refused with a
    ``ValueError``:

    - even kernel sizes: there is no centre tap, so which pixel an output
      stands for would depend on the padding convention;
    - ``padding="valid"``: output ``(i, j)`` would be the window centred on
      input ``(i + kh // 2, j + kw // 2)``; outputs no longer line up with
      the pixels they predict, and a stack of such layers is not causal
      with respect to the output positions. ``padding="same"`` (the
      default here) keeps every output on its own pixel;
    - ``strides`` other than 1: the centre of a strided window depends on
      how "same" padding splits between the sides, so it is not defined
      which pixel an output is causal for. Downsample after a stride-1
      layer instead (or use ``DownShiftedConv2D(strides=2)``).

    Args:
        filters: number of output channels (a multiple of ``color_channels``).
        kernel_size: odd int or pair of odd ints.
        mask_type: ``"A"`` or ``"B"``.
        color_channels: number of ordered colour groups (1 or 3).
        **kwargs: ``keras.layers.Conv2D`` arguments (``padding`` defaults to
            ``"same"``, the only value accepted) and standard layer
            arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: float tensor ``(batch, height, width, in_channels)``
            (``channels_last``); ``in_channels`` must be a multiple of
            ``color_channels``.

    Returns:
        Tensor ``(batch, height, width, filters)``.

    Raises:
        ValueError: for an unknown ``mask_type``, an even kernel size,
            ``padding="valid"``, ``strides != 1``, or channel counts that are
            not multiples of ``color_channels``.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import MaskedConv2D
        >>> layer = MaskedConv2D(8, 3, mask_type="A")
        >>> tuple(layer(np.zeros((1, 5, 5, 1), "float32")).shape)
        (1, 5, 5, 8)
        >>> conv = MaskedConv2D(64, 7, mask_type="A", padding="same",
        ...                     kernel_regularizer="l2", dilation_rate=2)
        >>> tuple(conv(np.zeros((1, 9, 9, 1), "float32")).shape)
        (1, 9, 9, 64)

    References:
        van den Oord, Kalchbrenner, Kavukcuoglu. "Pixel Recurrent Neural
        Networks", ICML 2016.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        mask_type="B",
        color_channels=1,
        *,
        padding="same",
        strides=1,
        **kwargs,
    ):
        if mask_type not in _MASK_TYPES:
            raise ValueError(f"mask_type must be 'A' or 'B'; received {mask_type!r}.")
        if (
            isinstance(color_channels, bool)
            or not isinstance(color_channels, (int, np.integer))
            or color_channels < 1
        ):
            raise ValueError(
                f"color_channels must be a positive integer; received "
                f"{color_channels!r}."
            )
        if (
            isinstance(filters, bool)
            or not isinstance(filters, (int, np.integer))
            or filters < 1
        ):
            raise ValueError(
                f"filters must be a positive integer; received {filters!r}."
            )
        if filters % color_channels:
            raise ValueError(
                f"filters ({filters}) must be a multiple of color_channels "
                f"({color_channels}) so that every colour gets the same number "
                "of filters."
            )
        kernel_size = _pair(kernel_size, "kernel_size")
        if str(padding).lower() != "same":
            raise ValueError(
                f"MaskedConv2D needs padding='same'; received padding={padding!r}. "
                "With 'valid' the output at (i, j) is the window centred on input "
                "(i + kh // 2, j + kw // 2), so outputs no longer stand for the "
                "pixels they predict and stacked layers are not causal."
            )
        if tuple(np.broadcast_to(np.asarray(strides), (2,))) != (1, 1):
            raise ValueError(
                f"MaskedConv2D needs strides=1; received strides={strides!r}. The "
                "centre of a strided window depends on how the padding is split, "
                "so it is not defined which pixel an output is causal for. "
                "Downsample after a stride-1 layer (or use DownShiftedConv2D)."
            )
        super().__init__(int(filters), kernel_size, strides=1, padding="same", **kwargs)
        self.mask_type = mask_type
        self.color_channels = int(color_channels)

    def build(self, input_shape):
        channel_axis = -1 if self.data_format == "channels_last" else 1
        in_channels = int(input_shape[channel_axis])
        if in_channels % self.color_channels:
            raise ValueError(
                f"MaskedConv2D with color_channels={self.color_channels} needs a "
                f"multiple of {self.color_channels} input channels; received "
                f"input shape {tuple(input_shape)}."
            )
        super().build(input_shape)
        # A constant, never a weight: the kernel is masked on every call.
        self.kernel_mask = causal_conv_mask(
            self.kernel_size,
            in_channels,
            self.filters,
            self.mask_type,
            self.color_channels,
            self.groups,
        )

    def masked_kernel(self):
        """The kernel multiplied by the causal mask."""
        kernel = self.kernel
        return kernel * ops.convert_to_tensor(self.kernel_mask, dtype=kernel.dtype)

    def convolution_op(self, inputs, kernel):
        # Conv2D.call passes its kernel here: mask it, never assign it.
        mask = ops.convert_to_tensor(self.kernel_mask, dtype=kernel.dtype)
        return super().convolution_op(inputs, kernel * mask)

    def call_on_window(self, window):
        """Output at one position from the input window its kernel covers.

        Used by cached samplers: ``window`` is ``(B, kernel_h, kernel_w,
        in_channels)`` centred on the position (``channels_last``, no
        dilation, one group); returns ``(B, filters)``.
        """
        if self.groups != 1 or tuple(self.dilation_rate) != (1, 1):
            raise ValueError(
                "call_on_window needs groups=1 and dilation_rate=1; this layer has "
                f"groups={self.groups}, dilation_rate={self.dilation_rate}."
            )
        outputs = ops.einsum("bhwc,hwco->bo", window, self.masked_kernel())
        if self.use_bias:
            outputs = outputs + self.bias
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def get_config(self):
        config = super().get_config()
        for key in ("strides", "padding"):
            config.pop(key, None)  # fixed: stride 1, "same"
        config.update(
            {"mask_type": self.mask_type, "color_channels": self.color_channels}
        )
        return config


def _colour_mask(in_groups, out_groups, mask_type):
    in_groups, out_groups = in_groups[:, None], out_groups[None, :]
    visible = in_groups < out_groups if mask_type == "A" else in_groups <= out_groups
    return visible.astype("float32")


def _gate(features, filters):
    # y = tanh(W_f * x) * sigmoid(W_g * x)
    return ops.tanh(features[..., :filters]) * ops.sigmoid(features[..., filters:])


@kgen_export
class GatedPixelCNNBlock(keras.layers.Layer):
    """One layer of Gated PixelCNN: a vertical and a horizontal stack.

    The vertical stack convolves with a ``(k // 2 + 1, k)`` kernel over the
    current row and the ``k // 2`` rows above; the horizontal stack convolves
    with a ``(1, k // 2 + 1)`` kernel over the current pixel and the ``k // 2``
    pixels to its left (colour-masked at the current pixel: ``"A"`` in the
    first block, ``"B"`` after). The vertical features, shifted down one row
    so that they only carry rows above, feed the horizontal stack through a
    1x1 convolution. Both stacks use gated activations
    ``tanh(W_f * x + V_f h + U_f * s) * sigmoid(W_g * x + V_g h + U_g * s)``
    with an optional conditioning vector ``h`` (e.g. a one-hot class) and an
    optional conditioning map ``s`` (a location-dependent bias through a 1x1
    convolution ``U``: the paper's ``s = m(h)``, e.g. embedded codes of a
    coarser grid); the horizontal stack has a residual and a skip
    connection. Together the stacks cover every earlier pixel in the
    receptive field: there is no blind spot.

    Besides ``call`` (whole images), ``sampling_weights``, ``vertical_row``,
    ``horizontal_row_bias`` and ``horizontal_position`` compute one row of
    the vertical stack and one position of the horizontal stack from cached
    input windows, for the fast sampler; they take the block's weights as
    tensors (masks applied) so that a compiled sampling step reads no
    variables.

    Args:
        filters: channels of each stack's output (a multiple of
            ``color_channels``).
        kernel_size: odd kernel size ``k``.
        mask_type: ``"A"`` for the first block (the horizontal stack does not
            see the current sub-pixel), ``"B"`` for the others.
        color_channels: ordered colour groups within a pixel (1 or 3).
        skip_filters: channels of the skip output (multiple of
            ``color_channels``); defaults to ``filters``.
        residual: add the horizontal input to its output (needs ``filters``
            input channels); defaults to ``mask_type == "B"``.
        conditioning_dim: size of the conditioning vector (e.g. the number of
            classes for one-hot labels), or None for none. Its projection
            starts at zero (an unconditional block).
        spatial_conditioning_dim: channels of the conditioning map, or None
            for none.
        horizontal_output: whether to compute the horizontal stack's output;
            the last block of a network needs only its skip output.
        **kwargs: standard layer arguments.

    Call arguments:
        inputs: ``[vertical, horizontal]`` float tensors ``(B, H, W, channels)``.
        conditioning: ``(B, conditioning_dim)`` float tensor when
            ``conditioning_dim`` is set.
        spatial_conditioning: ``(B, H, W, spatial_conditioning_dim)`` float
            tensor when ``spatial_conditioning_dim`` is set.

    Returns:
        ``[vertical_out, horizontal_out, skip]`` with ``filters``, ``filters``
        and ``skip_filters`` channels (``[vertical_out, skip]`` when
        ``horizontal_output=False``).

    Raises:
        ValueError: for invalid arguments or channel counts, or a missing
            conditioning input.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import GatedPixelCNNBlock
        >>> block = GatedPixelCNNBlock(8, kernel_size=3, mask_type="A")
        >>> x = np.zeros((1, 6, 6, 1), "float32")
        >>> tuple(tuple(v.shape) for v in block([x, x]))
        ((1, 6, 6, 8), (1, 6, 6, 8), (1, 6, 6, 8))

    References:
        van den Oord, Kalchbrenner, Vinyals, Espeholt, Graves, Kavukcuoglu.
        "Conditional Image Generation with PixelCNN Decoders", NeurIPS 2016.
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        mask_type="B",
        color_channels=1,
        skip_filters=None,
        residual=None,
        conditioning_dim=None,
        horizontal_output=True,
        spatial_conditioning_dim=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if mask_type not in _MASK_TYPES:
            raise ValueError(f"mask_type must be 'A' or 'B'; received {mask_type!r}.")
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size must be an odd positive integer; received {kernel_size!r}."
            )
        skip_filters = filters if skip_filters is None else skip_filters
        for name, value in (("filters", filters), ("skip_filters", skip_filters)):
            if not isinstance(value, int) or value < 1 or value % color_channels:
                raise ValueError(
                    f"{name} must be a positive multiple of color_channels "
                    f"({color_channels}); received {value!r}."
                )
        for name, value in (
            ("conditioning_dim", conditioning_dim),
            ("spatial_conditioning_dim", spatial_conditioning_dim),
        ):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(
                    f"{name} must be a positive integer or None; received {value!r}."
                )
        self.filters = filters
        self.kernel_size = kernel_size
        self.mask_type = mask_type
        self.color_channels = color_channels
        self.skip_filters = skip_filters
        self.residual = mask_type == "B" if residual is None else bool(residual)
        self.conditioning_dim = conditioning_dim
        self.spatial_conditioning_dim = spatial_conditioning_dim
        self.horizontal_output = bool(horizontal_output)
        self.radius = kernel_size // 2

    def build(self, input_shape):
        vertical_shape, horizontal_shape = input_shape
        in_v, in_h = int(vertical_shape[-1]), int(horizontal_shape[-1])
        if in_h % self.color_channels:
            raise ValueError(
                f"The horizontal input needs a multiple of {self.color_channels} "
                f"channels; received shape {tuple(horizontal_shape)}."
            )
        if self.residual and in_h != self.filters:
            raise ValueError(
                f"A residual block needs {self.filters} horizontal input channels; "
                f"received shape {tuple(horizontal_shape)}."
            )
        r, p, colors = self.radius, self.filters, self.color_channels
        self.vertical_kernel = self.add_weight(
            name="vertical_kernel", shape=(r + 1, 2 * r + 1, in_v, 2 * p)
        )
        self.vertical_bias = self.add_weight(
            name="vertical_bias", shape=(2 * p,), initializer="zeros"
        )
        self.horizontal_kernel = self.add_weight(
            name="horizontal_kernel", shape=(1, r + 1, in_h, 2 * p)
        )
        self.horizontal_bias = self.add_weight(
            name="horizontal_bias", shape=(2 * p,), initializer="zeros"
        )
        self.link_kernel = self.add_weight(name="link_kernel", shape=(2 * p, 2 * p))
        self.link_bias = self.add_weight(
            name="link_bias", shape=(2 * p,), initializer="zeros"
        )
        if self.horizontal_output:
            self.output_kernel = self.add_weight(name="output_kernel", shape=(p, p))
            self.output_bias = self.add_weight(
                name="output_bias", shape=(p,), initializer="zeros"
            )
        self.skip_kernel = self.add_weight(
            name="skip_kernel", shape=(p, self.skip_filters)
        )
        self.skip_bias = self.add_weight(
            name="skip_bias", shape=(self.skip_filters,), initializer="zeros"
        )
        if self.conditioning_dim is not None:
            self.conditioning_kernel = self.add_weight(
                name="conditioning_kernel",
                shape=(self.conditioning_dim, 4 * p),
                initializer="zeros",
            )
        if self.spatial_conditioning_dim is not None:
            # a 1x1 convolution of the map: V_f * s and V_g * s of both stacks
            self.spatial_conditioning_kernel = self.add_weight(
                name="spatial_conditioning_kernel",
                shape=(self.spatial_conditioning_dim, 4 * p),
            )
        # Constant masks. Horizontal: every column left of the current pixel is
        # visible; at the current pixel, colour groups are ordered. The value
        # and gate halves each have `p` channels split into colour groups.
        gate_groups = np.concatenate([_groups(p, colors), _groups(p, colors)])
        mask = np.ones((1, r + 1, in_h, 2 * p), "float32")
        mask[0, r] = _colour_mask(_groups(in_h, colors), gate_groups, self.mask_type)
        self.horizontal_mask = mask
        self.output_mask = _colour_mask(_groups(p, colors), _groups(p, colors), "B")
        self.skip_mask = _colour_mask(
            _groups(p, colors), _groups(self.skip_filters, colors), "B"
        )

    # ---------------------------------------------------------------- pieces
    def _masked(self, kernel, mask):
        return kernel * ops.convert_to_tensor(mask, dtype=kernel.dtype)

    def conditioning_biases(self, conditioning=None, spatial_conditioning=None):
        """The gate biases ``V h + U * s`` of the (vertical, horizontal) stacks.

        Returns:
            Two tensors broadcastable to ``(B, H, W, 2 filters)``: ``(B, 1, 1,
            2p)`` from the vector alone, ``(B, H, W, 2p)`` with a map; or
            ``(None, None)`` for an unconditioned block.
        """
        bias = None
        if self.conditioning_dim is not None:
            if conditioning is None:
                raise ValueError(
                    "This GatedPixelCNNBlock was built with conditioning_dim="
                    f"{self.conditioning_dim}; pass conditioning=."
                )
            bias = ops.matmul(
                ops.cast(conditioning, self.compute_dtype), self.conditioning_kernel
            )[:, None, None, :]
        if self.spatial_conditioning_dim is not None:
            if spatial_conditioning is None:
                raise ValueError(
                    "This GatedPixelCNNBlock was built with spatial_conditioning_dim="
                    f"{self.spatial_conditioning_dim}; pass spatial_conditioning=."
                )
            spatial = ops.matmul(
                ops.cast(spatial_conditioning, self.compute_dtype),
                self.spatial_conditioning_kernel,
            )
            bias = spatial if bias is None else bias + spatial
        if bias is None:
            return None, None
        p = self.filters
        return bias[..., : 2 * p], bias[..., 2 * p :]

    def _horizontal_outputs(self, features, horizontal_input, output_kernel, bias):
        gated = _gate(features, self.filters)
        out = ops.matmul(gated, output_kernel) + bias
        if not self.horizontal_output:
            return None, out
        out, skip = out[..., : self.filters], out[..., self.filters :]
        if self.residual:
            out = out + horizontal_input
        return out, skip

    def _output_weights(self):
        # The output and skip 1x1 convolutions as one matmul: (p, p + skip).
        skip_kernel = self._masked(self.skip_kernel, self.skip_mask)
        if not self.horizontal_output:
            return skip_kernel, self.skip_bias
        output_kernel = self._masked(self.output_kernel, self.output_mask)
        return (
            ops.concatenate([output_kernel, skip_kernel], axis=1),
            ops.concatenate([self.output_bias, self.skip_bias], axis=0),
        )

    # ---------------------------------------------------------- whole images
    def call(self, inputs, conditioning=None, spatial_conditioning=None):
        vertical, horizontal = inputs
        r = self.radius
        bias_v, bias_h = self.conditioning_biases(conditioning, spatial_conditioning)
        # Vertical: rows i - r .. i, columns j - r .. j + r.
        padded = ops.pad(vertical, ((0, 0), (r, 0), (r, r), (0, 0)))
        v_features = (
            ops.conv(padded, self.vertical_kernel, padding="valid") + self.vertical_bias
        )
        # Horizontal: columns j - r .. j of row i.
        padded = ops.pad(horizontal, ((0, 0), (0, 0), (r, 0), (0, 0)))
        kernel = self._masked(self.horizontal_kernel, self.horizontal_mask)
        h_features = ops.conv(padded, kernel, padding="valid") + self.horizontal_bias
        # Shift the vertical features down one row: row i sees rows < i only.
        shifted = ops.pad(v_features, ((0, 0), (1, 0), (0, 0), (0, 0)))[:, :-1]
        h_features = h_features + ops.matmul(shifted, self.link_kernel) + self.link_bias
        if bias_v is not None:
            v_features = v_features + bias_v
            h_features = h_features + bias_h
        v_out = _gate(v_features, self.filters)
        h_out, skip = self._horizontal_outputs(
            h_features, horizontal, *self._output_weights()
        )
        if not self.horizontal_output:
            return [v_out, skip]
        return [v_out, h_out, skip]

    # ------------------------------------------------- cached, for sampling
    def sampling_weights(self):
        """The block's weights for the cached sampler, masks applied.

        Read them once per sampling loop and pass them to ``vertical_row``,
        ``horizontal_row_bias`` and ``horizontal_position``.

        Returns:
            A tuple of tensors.
        """
        output_kernel, output_bias = self._output_weights()
        horizontal = self._masked(self.horizontal_kernel, self.horizontal_mask)[0]
        weights = (
            self.vertical_kernel,
            self.vertical_bias,
            horizontal,
            self.horizontal_bias,
            self.link_kernel,
            self.link_bias,
            output_kernel,
            output_bias,
        )
        return tuple(ops.convert_to_tensor(w) for w in weights)

    def vertical_row(self, weights, window, bias=None):
        """One output row of the vertical stack from its input window.

        Args:
            weights: ``sampling_weights()``.
            window: ``(B, k // 2 + 1, W + 2 (k // 2), in_channels)``: the
                input rows ``i - k // 2 .. i``, zero-padded left and right.
            bias: the vertical conditioning bias of row ``i``, ``(B, W, 2p)``
                or ``(B, 1, 2p)``, or None.

        Returns:
            ``(features, output)``: the pre-activation features ``(B, W, 2p)``
            (without the conditioning bias, as the link to the horizontal
            stack uses them) and the gated output ``(B, W, p)``.
        """
        kernel, vertical_bias = weights[0], weights[1]
        features = ops.conv(window, kernel, padding="valid")[:, 0] + vertical_bias
        gated_input = features if bias is None else features + bias
        return features, _gate(gated_input, self.filters)

    def horizontal_row_bias(self, weights, features_above, bias=None):
        """Everything the horizontal stack adds at each column of a row.

        ``link(vertical features of the row above) + horizontal bias +
        conditioning``, computed once per row.

        Args:
            weights: ``sampling_weights()``.
            features_above: ``(B, W, 2p)`` vertical features of row ``i - 1``
                (zeros for the first row).
            bias: the horizontal conditioning bias of row ``i``, ``(B, W,
                2p)`` or ``(B, 1, 2p)``, or None.

        Returns:
            ``(B, W, 2p)``.
        """
        link_kernel, link_bias = weights[4], weights[5]
        out = ops.matmul(features_above, link_kernel) + link_bias + weights[3]
        return out if bias is None else out + bias

    def horizontal_position(self, weights, window, row_bias):
        """The horizontal stack at one position from its input window.

        Args:
            weights: ``sampling_weights()``.
            window: ``(B, k // 2 + 1, in_channels)``: horizontal inputs at
                columns ``j - k // 2 .. j`` of the current row.
            row_bias: ``(B, 2p)``, ``horizontal_row_bias`` at column ``j``.

        Returns:
            ``(output, skip)`` of shapes ``(B, p)`` and ``(B, skip_filters)``
            (``output`` is None when ``horizontal_output=False``).
        """
        kernel = weights[2]
        batch = ops.shape(window)[0]
        # (B, (r + 1) in) @ ((r + 1) in, 2p): one matmul for the whole window
        flat = ops.reshape(window, (batch, -1))
        features = ops.matmul(flat, ops.reshape(kernel, (-1, 2 * self.filters)))
        features = features + row_bias
        return self._horizontal_outputs(features, window[:, -1], weights[6], weights[7])

    def compute_output_shape(self, input_shape, *args, **kwargs):
        vertical_shape, horizontal_shape = input_shape
        shapes = [
            (*vertical_shape[:-1], self.filters),
            (*horizontal_shape[:-1], self.filters),
            (*horizontal_shape[:-1], self.skip_filters),
        ]
        return shapes if self.horizontal_output else [shapes[0], shapes[2]]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "mask_type": self.mask_type,
                "color_channels": self.color_channels,
                "skip_filters": self.skip_filters,
                "residual": self.residual,
                "conditioning_dim": self.conditioning_dim,
                "spatial_conditioning_dim": self.spatial_conditioning_dim,
                "horizontal_output": self.horizontal_output,
            }
        )
        return config
