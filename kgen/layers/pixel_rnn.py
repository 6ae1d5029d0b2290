"""PixelRNN layers: Row LSTM and Diagonal BiLSTM (van den Oord et al., 2016).

Both are two-dimensional LSTMs whose state at pixel ``(i, j)`` depends only on
pixels before it in raster order:

- ``RowLSTM`` processes the image one row at a time; the state of row ``i``
  comes from a masked ``1 x k`` convolution of the input along row ``i``
  (input-to-state) and a ``1 x k`` convolution of the states of row ``i - 1``
  (state-to-state). Its receptive field is a triangle above the pixel.
- ``DiagonalBiLSTM`` skews the image so that diagonals become columns, then
  processes one column at a time with a ``2 x 1`` state-to-state convolution,
  in two directions; the right-to-left one runs on the mirrored image and is
  shifted one row down so that it never sees the current row. Its receptive
  field covers every earlier pixel.

The hidden features are split into ``color_channels`` contiguous groups (R, G,
B) as in ``kgen.layers.MaskedConv2D``; a group sees the input groups up to its
own at the current pixel (mask "B"), which keeps the colour order.
"""

import keras
import numpy as np
from keras import ops

from kgen.api_export import kgen_export
from kgen.layers.autoregressive import causal_conv_mask

__all__ = ["DiagonalBiLSTM", "RowLSTM", "skew", "unskew"]

_NUM_GATES = 4  # input, forget, output, candidate


@kgen_export
def skew(x):
    """Shift row ``i`` of an NHWC map ``i`` columns right.

    ``(B, H, W, C) -> (B, H, W + H - 1, C)`` with zeros filling the gaps, so
    that the diagonals ``i + j = s`` of the input become the columns ``s`` of
    the output.

    Examples:
        >>> import numpy as np
        >>> from keras import ops
        >>> from kgen.layers import skew
        >>> x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
        >>> ops.convert_to_numpy(skew(x))[0, :, :, 0]
        array([[0., 1., 0.],
               [0., 2., 3.]], dtype=float32)
    """
    height, width, channels = x.shape[1], x.shape[2], x.shape[3]
    # Row i of the (H, W + H) padded map starts at flat index i (W + H) =
    # i (W + H - 1) + i: read back with rows of W + H - 1, it moved i right.
    padded = ops.pad(x, [(0, 0), (0, 0), (0, height), (0, 0)])
    flat = ops.reshape(padded, (-1, height * (width + height), channels))
    flat = flat[:, : height * (width + height - 1)]
    return ops.reshape(flat, (-1, height, width + height - 1, channels))


@kgen_export
def unskew(x, width):
    """Invert ``skew``: ``(B, H, W + H - 1, C) -> (B, H, W, C)``.

    Args:
        x: a skewed map.
        width: the original width ``W``.
    """
    height, skewed_width, channels = x.shape[1], x.shape[2], x.shape[3]
    if skewed_width != width + height - 1:
        raise ValueError(
            f"unskew expects width + height - 1 = {width + height - 1} columns for "
            f"width {width} and height {height}; received shape {tuple(x.shape)}."
        )
    flat = ops.reshape(x, (-1, height * skewed_width, channels))
    flat = ops.pad(flat, [(0, 0), (0, height), (0, 0)])
    rows = ops.reshape(flat, (-1, height, width + height, channels))
    return rows[:, :, :width]


def _lstm_update(gates, cell, units):
    """One LSTM step from pre-activations ``[i, f, o, g]``."""
    input_gate = ops.sigmoid(gates[..., :units])
    forget_gate = ops.sigmoid(gates[..., units : 2 * units])
    output_gate = ops.sigmoid(gates[..., 2 * units : 3 * units])
    candidate = ops.tanh(gates[..., 3 * units :])
    # c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
    cell = forget_gate * cell + input_gate * candidate
    return output_gate * ops.tanh(cell), cell


class _PixelLSTM(keras.layers.Layer):
    """Shared arguments, weights and residual connection of the two layers."""

    def __init__(self, hidden_units, color_channels=1, residual=True, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(hidden_units, int) or hidden_units < 1:
            raise ValueError(
                f"hidden_units must be a positive integer; received {hidden_units!r}."
            )
        if not isinstance(color_channels, int) or color_channels < 1:
            raise ValueError(
                f"color_channels must be a positive integer; received "
                f"{color_channels!r}."
            )
        if hidden_units % color_channels:
            raise ValueError(
                f"hidden_units ({hidden_units}) must be a multiple of "
                f"color_channels ({color_channels})."
            )
        self.hidden_units = hidden_units
        self.color_channels = color_channels
        self.residual = bool(residual)

    def _check_input_channels(self, input_shape):
        in_channels = int(input_shape[-1])
        if in_channels % self.color_channels:
            raise ValueError(
                f"{type(self).__name__} with color_channels={self.color_channels} "
                f"needs a multiple of {self.color_channels} input channels; "
                f"received input shape {tuple(input_shape)}."
            )
        return in_channels

    def _gate_mask(self, kernel_size, in_channels, mask_type):
        # The same colour-group mask for each of the four gates.
        mask = causal_conv_mask(
            kernel_size, in_channels, self.hidden_units, mask_type, self.color_channels
        )
        return np.concatenate([mask] * _NUM_GATES, axis=-1)

    def _add_gate_bias(self, name):
        bias = self.add_weight(
            name=name, shape=(_NUM_GATES * self.hidden_units,), initializer="zeros"
        )
        # forget gate bias 1: remember by default at the start of training
        initial = np.zeros(_NUM_GATES * self.hidden_units, "float32")
        initial[self.hidden_units : 2 * self.hidden_units] = 1.0
        bias.assign(initial)
        return bias

    def _build_residual(self, in_channels):
        if self.residual:
            # h -> input channels by a masked 1x1 convolution ("B": a group sees
            # its own and earlier groups), added to the input.
            self.residual_kernel = self.add_weight(
                name="residual_kernel",
                shape=(self.hidden_units, in_channels),
                initializer="glorot_uniform",
            )
            self.residual_bias = self.add_weight(
                name="residual_bias", shape=(in_channels,), initializer="zeros"
            )
            self.residual_mask = causal_conv_mask(
                1, self.hidden_units, in_channels, "B", self.color_channels
            )[0, 0]

    def _output(self, inputs, hidden):
        if not self.residual:
            return hidden
        kernel = self.residual_kernel * ops.convert_to_tensor(
            self.residual_mask, dtype=self.residual_kernel.dtype
        )
        return inputs + ops.matmul(hidden, kernel) + self.residual_bias

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1] if self.residual else self.hidden_units
        return (*input_shape[:-1], channels)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_units": self.hidden_units,
                "color_channels": self.color_channels,
                "residual": self.residual,
            }
        )
        return config


@kgen_export
class RowLSTM(_PixelLSTM):
    """The Row LSTM of PixelRNN: an LSTM that runs down the image row by row.

    Gates of row ``i``: ``K_is * x_i + K_ss * h_{i-1}`` where ``K_is`` is a
    ``1 x k`` convolution along the row, masked so that pixel ``(i, j)`` sees
    input columns ``< j`` and, at column ``j``, the colour groups allowed by
    ``mask_type``; ``K_ss`` is an unmasked ``1 x k`` convolution of the
    previous row's states (all earlier pixels). With ``residual=True`` a
    masked 1x1 convolution maps the states back to the input width and adds
    the input.

    Args:
        hidden_units: LSTM units (a multiple of ``color_channels``).
        kernel_size: odd width ``k`` of both row convolutions (default 3).
        mask_type: ``"B"`` (input already causal, e.g. after a type-A
            convolution) or ``"A"`` (the layer sees raw pixels).
        color_channels: ordered colour groups (1 or 3).
        residual: add the input back (output keeps the input's channels).
        **kwargs: standard layer arguments.

    Call arguments:
        inputs: ``(batch, height, width, channels)`` float tensor with static
            height; ``channels`` a multiple of ``color_channels``.

    Returns:
        ``(batch, height, width, channels)`` with ``residual=True``, else
        ``(batch, height, width, hidden_units)``.

    Raises:
        ValueError: for bad sizes or channel counts.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import RowLSTM
        >>> layer = RowLSTM(6, color_channels=3)
        >>> tuple(layer(np.zeros((2, 5, 5, 12), "float32")).shape)
        (2, 5, 5, 12)

    References:
        van den Oord, Kalchbrenner, Kavukcuoglu. Pixel Recurrent Neural
        Networks. ICML 2016.
    """

    def __init__(
        self,
        hidden_units,
        kernel_size=3,
        mask_type="B",
        color_channels=1,
        residual=True,
        **kwargs,
    ):
        super().__init__(hidden_units, color_channels, residual, **kwargs)
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size must be an odd positive integer; received {kernel_size!r}."
            )
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type must be 'A' or 'B'; received {mask_type!r}.")
        self.kernel_size = kernel_size
        self.mask_type = mask_type

    def build(self, input_shape):
        in_channels = self._check_input_channels(input_shape)
        units = _NUM_GATES * self.hidden_units
        self.input_kernel = self.add_weight(
            name="input_kernel",
            shape=(1, self.kernel_size, in_channels, units),
            initializer="glorot_uniform",
        )
        self.input_mask = self._gate_mask(
            (1, self.kernel_size), in_channels, self.mask_type
        )
        self.state_kernel = self.add_weight(
            name="state_kernel",
            shape=(1, self.kernel_size, self.hidden_units, units),
            initializer="orthogonal",
        )
        self.bias = self._add_gate_bias("bias")
        self._build_residual(in_channels)

    def call(self, inputs):
        input_kernel = self.input_kernel * ops.convert_to_tensor(
            self.input_mask, dtype=self.input_kernel.dtype
        )
        # input-to-state for the whole map at once
        gates_in = ops.conv(inputs, input_kernel, padding="same") + self.bias
        units = self.hidden_units
        hidden = ops.zeros_like(gates_in[:, 0, :, :units])
        cell = hidden
        rows = []
        for row in range(inputs.shape[1]):
            # state-to-state: 1 x k convolution of the previous row's states
            from_above = ops.conv(hidden[:, None], self.state_kernel, padding="same")
            hidden, cell = _lstm_update(
                gates_in[:, row] + from_above[:, 0], cell, units
            )
            rows.append(hidden)
        return self._output(inputs, ops.stack(rows, axis=1))

    def get_config(self):
        config = super().get_config()
        config.update({"kernel_size": self.kernel_size, "mask_type": self.mask_type})
        return config


@kgen_export
class DiagonalBiLSTM(_PixelLSTM):
    """The Diagonal BiLSTM of PixelRNN: two LSTMs that sweep the diagonals.

    Each direction skews its input (``skew``), computes the input-to-state
    with a masked 1x1 convolution, then runs over the skewed columns with a
    ``2 x 1`` state-to-state convolution, so the state at ``(i, j)`` reads the
    states at ``(i, j - 1)`` and ``(i - 1, j)``. The right-to-left direction
    runs on the mirrored input, is mirrored back and shifted one row down (its
    state at ``(i - 1, j)`` has seen row ``i - 1`` from column ``j`` on, but
    never row ``i``). The two outputs are added; with ``residual=True`` a
    masked 1x1 convolution maps them back to the input width and adds the
    input.

    Args:
        hidden_units: LSTM units per direction (a multiple of
            ``color_channels``).
        mask_type: ``"B"`` (input already causal) or ``"A"``.
        color_channels: ordered colour groups (1 or 3).
        residual: add the input back.
        **kwargs: standard layer arguments.

    Call arguments:
        inputs: ``(batch, height, width, channels)`` float tensor with static
            height and width.

    Returns:
        ``(batch, height, width, channels)`` with ``residual=True``, else
        ``(batch, height, width, hidden_units)``.

    Raises:
        ValueError: for bad sizes or channel counts.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import DiagonalBiLSTM
        >>> layer = DiagonalBiLSTM(4)
        >>> tuple(layer(np.zeros((2, 5, 5, 8), "float32")).shape)
        (2, 5, 5, 8)

    References:
        van den Oord, Kalchbrenner, Kavukcuoglu. Pixel Recurrent Neural
        Networks. ICML 2016.
    """

    def __init__(
        self, hidden_units, mask_type="B", color_channels=1, residual=True, **kwargs
    ):
        super().__init__(hidden_units, color_channels, residual, **kwargs)
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type must be 'A' or 'B'; received {mask_type!r}.")
        self.mask_type = mask_type

    def build(self, input_shape):
        in_channels = self._check_input_channels(input_shape)
        units = _NUM_GATES * self.hidden_units
        self.input_mask = self._gate_mask(1, in_channels, self.mask_type)[0, 0]
        for direction in ("forward", "backward"):
            kernel = self.add_weight(
                name=f"{direction}_input_kernel",
                shape=(in_channels, units),
                initializer="glorot_uniform",
            )
            # [0]: state at row i - 1 of the previous column, [1]: at row i
            state_kernel = self.add_weight(
                name=f"{direction}_state_kernel",
                shape=(2, self.hidden_units, units),
                initializer="orthogonal",
            )
            bias = self._add_gate_bias(f"{direction}_bias")
            setattr(self, f"{direction}_input_kernel", kernel)
            setattr(self, f"{direction}_state_kernel", state_kernel)
            setattr(self, f"{direction}_bias", bias)
        self._build_residual(in_channels)

    def _sweep(self, inputs, direction):
        input_kernel = getattr(self, f"{direction}_input_kernel")
        state_kernel = getattr(self, f"{direction}_state_kernel")
        bias = getattr(self, f"{direction}_bias")
        mask = ops.convert_to_tensor(self.input_mask, dtype=input_kernel.dtype)
        width = inputs.shape[2]
        skewed = skew(inputs)
        gates_in = ops.matmul(skewed, input_kernel * mask) + bias
        units = self.hidden_units
        hidden = ops.zeros_like(gates_in[:, :, 0, :units])  # (B, H, units)
        cell = hidden
        columns = []
        for column in range(skewed.shape[2]):
            # 2 x 1 convolution over the previous column: row i reads rows i-1, i
            above = ops.pad(hidden, [(0, 0), (1, 0), (0, 0)])[:, :-1]
            from_previous = ops.matmul(above, state_kernel[0]) + ops.matmul(
                hidden, state_kernel[1]
            )
            hidden, cell = _lstm_update(
                gates_in[:, :, column] + from_previous, cell, units
            )
            columns.append(hidden)
        return unskew(ops.stack(columns, axis=2), width)

    def call(self, inputs):
        forward = self._sweep(inputs, "forward")
        backward = ops.flip(self._sweep(ops.flip(inputs, axis=2), "backward"), axis=2)
        # one row down: (i, j) reads the right-to-left state of (i - 1, j)
        backward = ops.pad(backward, [(0, 0), (1, 0), (0, 0), (0, 0)])[:, :-1]
        return self._output(inputs, forward + backward)

    def get_config(self):
        config = super().get_config()
        config.update({"mask_type": self.mask_type})
        return config
