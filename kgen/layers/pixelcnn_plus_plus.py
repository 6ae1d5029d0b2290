"""PixelCNN++ layers: shifted convolutions and the gated residual block.

PixelCNN++ keeps causality without masks: it runs two streams, one that sees
only the rows above (``u``, built from *down-shifted* convolutions whose
kernel hangs above the output pixel) and one that sees the rows above and the
pixels to the left (``ul``, built from *down-right-shifted* convolutions whose
kernel hangs above and to the left). Padding does the shifting, so no weight
is ever masked and there is no blind spot.
"""

import keras
from keras import ops

from kgen.api_export import kgen_export

__all__ = [
    "DownRightShiftedConv2D",
    "DownRightShiftedConv2DTranspose",
    "DownShiftedConv2D",
    "DownShiftedConv2DTranspose",
    "GatedResNetBlock",
    "concat_elu",
    "down_shift",
    "right_shift",
]


@kgen_export
def concat_elu(x):
    """``elu([x, -x])`` along the channel axis (doubles the channels).

    Keeps the information of both signs that a plain ELU would squash.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import concat_elu
        >>> tuple(concat_elu(np.ones((1, 2, 2, 3), "float32")).shape)
        (1, 2, 2, 6)
    """
    return ops.elu(ops.concatenate([x, -x], axis=-1))


@kgen_export
def down_shift(x):
    """Shift an NHWC map one row down (zeros enter at the top)."""
    return ops.pad(x, [(0, 0), (1, 0), (0, 0), (0, 0)])[:, :-1]


@kgen_export
def right_shift(x):
    """Shift an NHWC map one column right (zeros enter on the left)."""
    return ops.pad(x, [(0, 0), (0, 0), (1, 0), (0, 0)])[:, :, :-1]


def _pair(value, name):
    if isinstance(value, int):
        value = (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2 or min(value) < 1:
        raise ValueError(
            f"{name} must be a positive int or a pair; received {value!r}."
        )
    return value


class _ShiftedConv(keras.layers.Layer):
    """Shared anatomy of the four shifted (transposed) convolutions."""

    transpose = False
    default_kernel_size = (2, 3)
    default_strides = 1

    def __init__(
        self,
        filters,
        kernel_size=None,
        strides=None,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"filters must be a positive int; received {filters!r}.")
        self.filters = filters
        self.kernel_size = _pair(
            self.default_kernel_size if kernel_size is None else kernel_size,
            "kernel_size",
        )
        self.strides = _pair(
            self.default_strides if strides is None else strides, "strides"
        )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self._check_kernel()

    def _check_kernel(self):
        pass

    def build(self, input_shape):
        in_channels = input_shape[-1]
        kh, kw = self.kernel_size
        # conv: (kh, kw, in, out); transposed conv: (kh, kw, out, in)
        shape = (
            (kh, kw, self.filters, in_channels)
            if self.transpose
            else (kh, kw, in_channels, self.filters)
        )
        self.kernel = self.add_weight(
            name="kernel", shape=shape, initializer=self.kernel_initializer
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.filters,), initializer="zeros"
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
            }
        )
        return config


class _ShiftedConv2D(_ShiftedConv):
    def _padding(self):
        raise NotImplementedError

    def call(self, inputs):
        x = ops.pad(inputs, [(0, 0), *self._padding(), (0, 0)])
        return (
            ops.conv(x, self.kernel, strides=self.strides, padding="valid") + self.bias
        )

    def compute_output_shape(self, input_shape):
        (top, bottom), (left, right) = self._padding()
        size = []
        for n, pad, k, s in zip(
            input_shape[1:3],
            (top + bottom, left + right),
            self.kernel_size,
            self.strides,
        ):
            size.append(None if n is None else (n + pad - k) // s + 1)
        return (input_shape[0], *size, self.filters)


@kgen_export
class DownShiftedConv2D(_ShiftedConv2D):
    """A convolution whose output at (i, j) sees rows <= i, columns j +- kw//2.

    The input is padded with ``kh - 1`` rows on top and ``(kw - 1) / 2``
    columns on each side before a valid convolution, so the kernel hangs
    above its output pixel. Followed by ``down_shift`` it sees only the rows
    strictly above.

    Args:
        filters: number of output channels.
        kernel_size: ``(kh, kw)`` with odd ``kw``; default ``(2, 3)``.
        strides: int or pair; 2 halves the resolution (``ceil(n / 2)``).
        kernel_initializer: Keras initializer.

    Call arguments:
        inputs: ``(batch, height, width, channels)`` float tensor.

    Returns:
        ``(batch, ceil(height / s), ceil(width / s), filters)``.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import DownShiftedConv2D
        >>> layer = DownShiftedConv2D(8)
        >>> tuple(layer(np.zeros((2, 6, 6, 3), "float32")).shape)
        (2, 6, 6, 8)

    References:
        Salimans, Karpathy, Chen, Kingma. PixelCNN++: Improving the PixelCNN
        with Discretized Logistic Mixture Likelihood and Other Modifications.
        ICLR 2017.
    """

    default_kernel_size = (2, 3)

    def _check_kernel(self):
        if self.kernel_size[1] % 2 == 0:
            raise ValueError(
                "DownShiftedConv2D needs an odd kernel width to stay centred; "
                f"received kernel_size={self.kernel_size}."
            )

    def _padding(self):
        kh, kw = self.kernel_size
        return (kh - 1, 0), ((kw - 1) // 2, (kw - 1) // 2)


@kgen_export
class DownRightShiftedConv2D(_ShiftedConv2D):
    """A convolution whose output at (i, j) sees rows <= i and columns <= j.

    The input is padded with ``kh - 1`` rows on top and ``kw - 1`` columns on
    the left before a valid convolution, so the kernel hangs above and to the
    left of its output pixel.

    Args:
        filters: number of output channels.
        kernel_size: ``(kh, kw)``; default ``(2, 2)``.
        strides: int or pair; 2 halves the resolution.
        kernel_initializer: Keras initializer.

    Call arguments:
        inputs: ``(batch, height, width, channels)`` float tensor.

    Returns:
        ``(batch, ceil(height / s), ceil(width / s), filters)``.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import DownRightShiftedConv2D
        >>> layer = DownRightShiftedConv2D(8, strides=2)
        >>> tuple(layer(np.zeros((2, 6, 6, 3), "float32")).shape)
        (2, 3, 3, 8)

    References:
        Salimans et al. PixelCNN++. ICLR 2017.
    """

    default_kernel_size = (2, 2)

    def _padding(self):
        kh, kw = self.kernel_size
        return (kh - 1, 0), (kw - 1, 0)


class _ShiftedConv2DTranspose(_ShiftedConv):
    transpose = True
    default_strides = 2

    def _check_kernel(self):
        if any(k < s for k, s in zip(self.kernel_size, self.strides)):
            raise ValueError(
                f"{type(self).__name__} needs kernel_size >= strides in both "
                f"dimensions; received kernel_size={self.kernel_size}, "
                f"strides={self.strides}."
            )

    def _column_offset(self):
        raise NotImplementedError

    def call(self, inputs):
        height, width = inputs.shape[1], inputs.shape[2]
        full = ops.conv_transpose(
            inputs, self.kernel, strides=self.strides, padding="valid"
        )
        # keep the first `s * n` rows: output row r then sees input rows <= r / s
        offset = self._column_offset()
        out = full[
            :,
            : height * self.strides[0],
            offset : offset + width * self.strides[1],
        ]
        return out + self.bias

    def compute_output_shape(self, input_shape):
        size = [
            None if n is None else n * s for n, s in zip(input_shape[1:3], self.strides)
        ]
        return (input_shape[0], *size, self.filters)


@kgen_export
class DownShiftedConv2DTranspose(_ShiftedConv2DTranspose):
    """Upsampling transposed convolution that keeps the down-shifted property.

    A valid transposed convolution cropped to its first ``s * height`` rows
    and a centred window of ``s * width`` columns: output row ``r`` depends on
    input rows ``<= r // s`` only.

    Args:
        filters: number of output channels.
        kernel_size: ``(kh, kw)`` with odd ``kw``, each at least the stride;
            default ``(2, 3)``.
        strides: int or pair; default 2.
        kernel_initializer: Keras initializer.

    Call arguments:
        inputs: ``(batch, height, width, channels)`` float tensor (static
            height and width).

    Returns:
        ``(batch, s * height, s * width, filters)``.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import DownShiftedConv2DTranspose
        >>> layer = DownShiftedConv2DTranspose(8)
        >>> tuple(layer(np.zeros((2, 3, 3, 4), "float32")).shape)
        (2, 6, 6, 8)

    References:
        Salimans et al. PixelCNN++. ICLR 2017.
    """

    default_kernel_size = (2, 3)

    def _check_kernel(self):
        super()._check_kernel()
        if self.kernel_size[1] % 2 == 0:
            raise ValueError(
                "DownShiftedConv2DTranspose needs an odd kernel width; received "
                f"kernel_size={self.kernel_size}."
            )

    def _column_offset(self):
        return (self.kernel_size[1] - 1) // 2


@kgen_export
class DownRightShiftedConv2DTranspose(_ShiftedConv2DTranspose):
    """Upsampling transposed convolution that keeps the down-right property.

    Cropped to the first ``s * height`` rows and ``s * width`` columns: output
    ``(r, c)`` depends on input ``(<= r // s, <= c // s)`` only.

    Args:
        filters: number of output channels.
        kernel_size: ``(kh, kw)``, each at least the stride; default ``(2, 2)``.
        strides: int or pair; default 2.
        kernel_initializer: Keras initializer.

    Call arguments:
        inputs: ``(batch, height, width, channels)`` float tensor.

    Returns:
        ``(batch, s * height, s * width, filters)``.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import DownRightShiftedConv2DTranspose
        >>> layer = DownRightShiftedConv2DTranspose(8)
        >>> tuple(layer(np.zeros((2, 3, 3, 4), "float32")).shape)
        (2, 6, 6, 8)

    References:
        Salimans et al. PixelCNN++. ICLR 2017.
    """

    default_kernel_size = (2, 2)

    def _column_offset(self):
        return 0


@kgen_export
class GatedResNetBlock(keras.layers.Layer):
    """The gated residual block of PixelCNN++.

    ``c1 = conv(concat_elu(x)) [+ nin(concat_elu(a))]``,
    ``c2 = conv(dropout(concat_elu(c1))) [+ W h]``, split ``c2`` into
    ``(p, q)`` and return ``x + p * sigmoid(q)``. The convolutions are
    down-shifted (``u`` stream) or down-right-shifted (``ul`` stream), so the
    block keeps the causality of its input.

    Args:
        shift: ``"down"`` or ``"down_right"``: which shifted convolution to use.
        kernel_size: kernel of both convolutions; default ``(2, 3)`` for
            ``"down"`` and ``(2, 2)`` for ``"down_right"``.
        dropout_rate: dropout between the two convolutions (seeded).
        seed: int seed of the dropout's ``SeedGenerator``.

    Call arguments:
        inputs: ``(batch, height, width, filters)``.
        auxiliary: optional ``(batch, height, width, any)`` map added through
            a 1x1 convolution (the shortcut from the upward pass, or ``u``
            for the ``ul`` stream). It must keep the block's causality.
        condition: optional ``(batch, features)`` vector (e.g. one-hot
            labels) projected and added as a per-channel bias, or a
            ``(batch, height, width, features)`` map (e.g. an embedded
            condition grid) projected by a 1x1 convolution and added as a
            location-dependent bias.
        training: whether dropout is active.

    Returns:
        A tensor shaped like ``inputs``.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import GatedResNetBlock
        >>> block = GatedResNetBlock("down_right")
        >>> x = np.zeros((2, 6, 6, 8), "float32")
        >>> tuple(block(x, auxiliary=x).shape)
        (2, 6, 6, 8)

    References:
        Salimans et al. PixelCNN++. ICLR 2017.
        van den Oord et al. Conditional Image Generation with PixelCNN
        Decoders. NeurIPS 2016 (the gated activation).
    """

    def __init__(
        self, shift="down", kernel_size=None, dropout_rate=0.0, seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        if shift not in ("down", "down_right"):
            raise ValueError(
                f"shift must be 'down' or 'down_right'; received {shift!r}."
            )
        if not 0.0 <= dropout_rate < 1.0:
            raise ValueError(
                f"dropout_rate must be in [0, 1); received {dropout_rate!r}."
            )
        self.shift = shift
        self.kernel_size = None if kernel_size is None else tuple(kernel_size)
        self.dropout_rate = float(dropout_rate)
        self.seed = seed
        self.dropout = keras.layers.Dropout(self.dropout_rate, seed=seed)

    def _conv(self, filters, name, scale=1.0):
        conv_class = (
            DownShiftedConv2D if self.shift == "down" else DownRightShiftedConv2D
        )
        # the second convolution starts small so the block starts near identity
        initializer = keras.initializers.VarianceScaling(scale, "fan_avg", "uniform")
        return conv_class(
            filters,
            kernel_size=self.kernel_size,
            kernel_initializer=initializer,
            name=name,
        )

    def build(self, inputs_shape, auxiliary_shape=None, condition_shape=None):
        filters = inputs_shape[-1]
        doubled = (*inputs_shape[:-1], 2 * filters)
        self.conv_in = self._conv(filters, "conv_in")
        self.conv_in.build(doubled)
        self.conv_out = self._conv(2 * filters, "conv_out", scale=0.1)
        self.conv_out.build(doubled)
        self.auxiliary_projection = None
        if auxiliary_shape is not None:
            self.auxiliary_projection = keras.layers.Dense(
                filters, name="auxiliary_projection"
            )
            self.auxiliary_projection.build(
                (*auxiliary_shape[:-1], 2 * auxiliary_shape[-1])
            )
        self.condition_projection = None
        if condition_shape is not None:
            self.condition_projection = keras.layers.Dense(
                2 * filters, use_bias=False, name="condition_projection"
            )
            self.condition_projection.build(condition_shape)

    def call(self, inputs, auxiliary=None, condition=None, training=False):
        hidden = self.conv_in(concat_elu(inputs))
        if auxiliary is not None:
            hidden = hidden + self.auxiliary_projection(concat_elu(auxiliary))
        hidden = self.dropout(concat_elu(hidden), training=training)
        hidden = self.conv_out(hidden)
        if condition is not None:
            bias = self.condition_projection(ops.cast(condition, hidden.dtype))
            if len(bias.shape) == 2:  # one vector per example
                bias = bias[:, None, None, :]
            hidden = hidden + bias
        value, gate = ops.split(hidden, 2, axis=-1)
        return inputs + value * ops.sigmoid(gate)

    def compute_output_shape(self, inputs_shape, *args, **kwargs):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "shift": self.shift,
                "kernel_size": self.kernel_size,
                "dropout_rate": self.dropout_rate,
                "seed": self.seed,
            }
        )
        return config
