"""Causal convolutions for autoregressive image models.

``MaskedConv2D`` is the masked convolution of PixelCNN (van den Oord et al.,
2016, "Pixel Recurrent Neural Networks"); the gated block of Gated PixelCNN
lives here too.
"""

import keras
import numpy as np
from keras import ops

from kgen.api_export import kgen_export

__all__ = ["MaskedConv2D", "causal_conv_mask"]

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
