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
    if isinstance(value, int):
        value = (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2 or any(v < 1 or v % 2 == 0 for v in value):
        raise ValueError(
            f"{name} must be an odd positive integer or a pair of them; "
            f"received {value!r}."
        )
    return value


def _groups(num_channels, color_channels):
    # Channel k belongs to colour group k * C // num_channels: contiguous blocks,
    # so the input RGB channels are groups 0, 1, 2 and a layer with 3 * L
    # filters has the logits of red, green and blue as blocks of L.
    return np.arange(num_channels) * color_channels // num_channels


def causal_conv_mask(
    kernel_size, in_channels, filters, mask_type="B", color_channels=1
):
    """The constant 0/1 mask of a masked convolution kernel.

    Positions above the centre row and left of the centre in the centre row
    are visible; positions after the centre are not. At the centre, output
    colour group ``c`` sees input groups ``< c`` (mask ``"A"``) or ``<= c``
    (mask ``"B"``); with ``color_channels=1`` that means "A" hides the centre
    pixel and "B" shows it.

    Args:
        kernel_size: odd int or pair of odd ints.
        in_channels: number of input channels.
        filters: number of output channels.
        mask_type: ``"A"`` (first layer) or ``"B"`` (later layers).
        color_channels: number of colour groups that are ordered within a
            pixel (1 for grey, 3 for RGB).

    Returns:
        float32 NumPy array ``(kernel_h, kernel_w, in_channels, filters)``.
    """
    kernel_h, kernel_w = _pair(kernel_size, "kernel_size")
    mask = np.zeros((kernel_h, kernel_w, in_channels, filters), "float32")
    centre_h, centre_w = kernel_h // 2, kernel_w // 2
    mask[:centre_h] = 1.0
    mask[centre_h, :centre_w] = 1.0
    group_in = _groups(in_channels, color_channels)[:, None]
    group_out = _groups(filters, color_channels)[None, :]
    visible = group_in < group_out if mask_type == "A" else group_in <= group_out
    mask[centre_h, centre_w] = visible.astype("float32")
    return mask


@kgen_export
class MaskedConv2D(keras.layers.Layer):
    """2-D convolution that only sees earlier pixels (and earlier colours).

    The kernel is multiplied by a constant causal mask in every call, so
    output pixel ``(i, j)`` depends only on input pixels before it in raster
    order. Mask ``"A"`` (the first layer) also hides the pixel itself; mask
    ``"B"`` (every later layer) shows it. With ``color_channels=3`` the
    filters and the input channels are split into three contiguous groups
    (R, G, B) and, at the centre pixel, output group ``c`` sees input groups
    ``< c`` ("A") or ``<= c`` ("B"), giving the R -> G -> B order.

    Args:
        filters: number of output channels (a multiple of ``color_channels``).
        kernel_size: odd int or pair of odd ints.
        mask_type: ``"A"`` or ``"B"``.
        color_channels: number of ordered colour groups (1 or 3).
        activation: optional activation applied after the bias.
        use_bias: whether to add a bias.
        kernel_initializer: initializer of the kernel.
        bias_initializer: initializer of the bias.
        **kwargs: standard layer arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: float tensor ``(batch, height, width, in_channels)``;
            ``in_channels`` must be a multiple of ``color_channels``.

    Returns:
        Tensor ``(batch, height, width, filters)`` ("same" zero padding).

    Raises:
        ValueError: for an unknown ``mask_type``, an even kernel size, or
            channel counts that are not multiples of ``color_channels``.

    Example:

    >>> layer = MaskedConv2D(8, 3, mask_type="A")
    >>> layer(np.zeros((1, 5, 5, 1), "float32")).shape
    (1, 5, 5, 8)

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
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if mask_type not in _MASK_TYPES:
            raise ValueError(f"mask_type must be 'A' or 'B'; received {mask_type!r}.")
        if not isinstance(color_channels, int) or color_channels < 1:
            raise ValueError(
                f"color_channels must be a positive integer; received "
                f"{color_channels!r}."
            )
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(
                f"filters must be a positive integer; received {filters!r}."
            )
        if filters % color_channels:
            raise ValueError(
                f"filters ({filters}) must be a multiple of color_channels "
                f"({color_channels}) so that every colour gets the same number "
                "of filters."
            )
        self.filters = filters
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.mask_type = mask_type
        self.color_channels = color_channels
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        if in_channels % self.color_channels:
            raise ValueError(
                f"MaskedConv2D with color_channels={self.color_channels} needs a "
                f"multiple of {self.color_channels} input channels; received "
                f"input shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, in_channels, self.filters),
            initializer=self.kernel_initializer,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer
            )
        else:
            self.bias = None
        # A constant, never a weight: the kernel is masked on every call.
        self.mask = causal_conv_mask(
            self.kernel_size,
            in_channels,
            self.filters,
            self.mask_type,
            self.color_channels,
        )

    def masked_kernel(self):
        """The kernel multiplied by the causal mask."""
        return self.kernel * ops.convert_to_tensor(self.mask, dtype=self.kernel.dtype)

    def call(self, inputs):
        outputs = ops.conv(inputs, self.masked_kernel(), strides=1, padding="same")
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def call_on_window(self, window):
        """Output at one position from the input window its kernel covers.

        Used by cached samplers: ``window`` is ``(B, kernel_h, kernel_w,
        in_channels)`` centred on the position; returns ``(B, filters)``.
        """
        outputs = ops.einsum("bhwc,hwco->bo", window, self.masked_kernel())
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "mask_type": self.mask_type,
                "color_channels": self.color_channels,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
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
    ``tanh(W_f * x + V_f c) * sigmoid(W_g * x + V_g c)`` with an optional
    conditioning vector ``c``; the horizontal stack has a residual and a skip
    connection. Together the stacks cover every earlier pixel in the receptive
    field: there is no blind spot.

    Besides ``call`` (whole images), ``vertical_row`` and
    ``horizontal_position`` compute one row of the vertical stack and one
    position of the horizontal stack from cached input windows, for the fast
    sampler.

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
            classes for one-hot labels), or None for none.
        horizontal_output: whether to compute the horizontal stack's output;
            the last block of a network needs only its skip output.
        **kwargs: standard layer arguments.

    Call arguments:
        inputs: ``[vertical, horizontal]`` float tensors ``(B, H, W, channels)``.
        conditioning: ``(B, conditioning_dim)`` float tensor when
            ``conditioning_dim`` is set.

    Returns:
        ``[vertical_out, horizontal_out, skip]`` with ``filters``, ``filters``
        and ``skip_filters`` channels (``[vertical_out, skip]`` when
        ``horizontal_output=False``).

    Raises:
        ValueError: for invalid arguments or channel counts.

    Example:

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
        self.filters = filters
        self.kernel_size = kernel_size
        self.mask_type = mask_type
        self.color_channels = color_channels
        self.skip_filters = skip_filters
        self.residual = mask_type == "B" if residual is None else bool(residual)
        self.conditioning_dim = conditioning_dim
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

    def _conditioning_biases(self, conditioning):
        """(vertical, horizontal) gate biases ``V c``, each ``(B, 2p)``."""
        if self.conditioning_dim is None:
            return None, None
        if conditioning is None:
            raise ValueError(
                "This GatedPixelCNNBlock was built with conditioning_dim="
                f"{self.conditioning_dim}; pass conditioning=."
            )
        bias = ops.matmul(
            ops.cast(conditioning, self.compute_dtype), self.conditioning_kernel
        )
        p = self.filters
        return bias[:, : 2 * p], bias[:, 2 * p :]

    def _link(self, vertical_features):
        # 1x1 convolution from the (shifted) vertical features.
        return ops.matmul(vertical_features, self.link_kernel) + self.link_bias

    def _horizontal_outputs(self, features, horizontal_input):
        gated = _gate(features, self.filters)
        skip = (
            ops.matmul(gated, self._masked(self.skip_kernel, self.skip_mask))
            + self.skip_bias
        )
        if not self.horizontal_output:
            return None, skip
        out = (
            ops.matmul(gated, self._masked(self.output_kernel, self.output_mask))
            + self.output_bias
        )
        if self.residual:
            out = out + horizontal_input
        return out, skip

    # ---------------------------------------------------------- whole images
    def call(self, inputs, conditioning=None):
        vertical, horizontal = inputs
        r = self.radius
        bias_v, bias_h = self._conditioning_biases(conditioning)
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
        h_features = h_features + self._link(shifted)
        if bias_v is not None:
            v_features = v_features + bias_v[:, None, None, :]
            h_features = h_features + bias_h[:, None, None, :]
        v_out = _gate(v_features, self.filters)
        h_out, skip = self._horizontal_outputs(h_features, horizontal)
        if not self.horizontal_output:
            return [v_out, skip]
        return [v_out, h_out, skip]

    # ------------------------------------------------- cached, for sampling
    def vertical_row(self, window, conditioning_bias=None):
        """One output row of the vertical stack from its input window.

        Args:
            window: ``(B, k // 2 + 1, W + 2 (k // 2), in_channels)``: the
                input rows ``i - k // 2 .. i``, zero-padded left and right.
            conditioning_bias: the vertical half of ``V c``, or None.

        Returns:
            ``(features, output)``: the pre-activation features ``(B, W, 2p)``
            (without the conditioning bias, as the link to the horizontal
            stack uses them) and the gated output ``(B, W, p)``.
        """
        features = ops.conv(window, self.vertical_kernel, padding="valid")[:, 0]
        features = features + self.vertical_bias
        gated_input = features
        if conditioning_bias is not None:
            gated_input = features + conditioning_bias[:, None, :]
        return features, _gate(gated_input, self.filters)

    def horizontal_position(self, window, vertical_features, conditioning_bias=None):
        """The horizontal stack at one position from its input window.

        Args:
            window: ``(B, k // 2 + 1, in_channels)``: horizontal inputs at
                columns ``j - k // 2 .. j`` of the current row.
            vertical_features: ``(B, 2p)`` vertical features at ``(i - 1, j)``
                (zeros on the first row).
            conditioning_bias: the horizontal half of ``V c``, or None.

        Returns:
            ``(output, skip)`` of shapes ``(B, p)`` and ``(B, skip_filters)``
            (``output`` is None when ``horizontal_output=False``).
        """
        kernel = self._masked(self.horizontal_kernel, self.horizontal_mask)[0]
        features = ops.einsum("bwc,wco->bo", window, kernel) + self.horizontal_bias
        features = features + self._link(vertical_features)
        if conditioning_bias is not None:
            features = features + conditioning_bias
        return self._horizontal_outputs(features, window[:, -1])

    def compute_output_shape(self, input_shape):
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
                "horizontal_output": self.horizontal_output,
            }
        )
        return config
