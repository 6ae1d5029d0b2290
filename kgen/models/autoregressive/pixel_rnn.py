"""PixelRNN (van den Oord, Kalchbrenner and Kavukcuoglu, 2016)."""

import keras
from keras import ops

from kgen.api_export import kgen_export
from kgen.layers.autoregressive import MaskedConv2D
from kgen.layers.pixel_rnn import DiagonalBiLSTM, RowLSTM
from kgen.models.autoregressive.base import CategoricalAutoregressiveModel

__all__ = ["PixelRNN"]

_CELLS = {"row_lstm": RowLSTM, "diagonal_bilstm": DiagonalBiLSTM}


@kgen_export
class PixelRNN(CategoricalAutoregressiveModel):
    """PixelRNN: two-dimensional LSTMs with a softmax over pixel values.

    A masked 7x7 convolution (mask "A": a pixel never sees itself) maps the
    image to ``2 * hidden_units`` features; ``num_layers`` Row LSTM or
    Diagonal BiLSTM layers with residual connections follow; two masked 1x1
    convolutions (mask "B") give ``num_levels`` logits for every sub-pixel.
    The colour channels of a pixel are modelled in the order R -> G -> B by
    splitting every feature map into contiguous colour groups. A class label
    (``num_classes`` set) adds a learned bias to the input features; a
    condition grid (``condition_grid_shape``) adds a learned
    location-dependent bias (a 1x1 projection of the condition map) to the
    input of every layer. Images ``(H, W, C)`` and token grids ``(H, W)``
    (with ``input_embedding="embedding"`` for codes) are both modelled.

    The Row LSTM sees a triangle above each pixel (its receptive field is
    unbounded upwards but has gaps to the side); the Diagonal BiLSTM sees
    every earlier sub-pixel except one: the last sub-pixel of the row above
    is invisible to the pixels left of column ``W - (k + 1) / 2`` (``k`` the
    input kernel size), because the type-A input convolution puts it only
    into the next row's features (as in the paper's architecture). Both run their recurrence with a Python loop over
    rows (Row LSTM) or skewed columns (Diagonal BiLSTM), unrolled when the
    network is traced. Sampling is the base class's naive sampler (the
    recurrence makes receptive-field cropping pointless for the Row LSTM).

    Args:
        data_shape: ``(height, width, channels)`` or ``(height, width)``.
        num_levels: values per sub-pixel (256 for 8-bit images).
        num_classes: number of classes of a class-conditional model, or None.
        cell: ``"row_lstm"`` or ``"diagonal_bilstm"``.
        num_layers: number of LSTM layers.
        hidden_units: LSTM units per layer (a multiple of the channel count);
            the residual stream has ``2 * hidden_units`` features.
        first_kernel_size: odd size of the type-A input convolution (7).
        row_kernel_size: odd width of the Row LSTM convolutions (3).
        **kwargs: ``input_embedding``, ``embedding_dim``,
            ``condition_grid_shape``, ``condition_grid_levels`` (see
            ``AutoregressiveModel``) and standard ``keras.Model`` arguments.

    Call arguments:
        inputs: integer data ``(B, *data_shape)`` in ``[0, num_levels - 1]``,
            or a dict ``{"images" (or "tokens"): ..., "labels": ...,
            "condition_grid": ...}`` when conditional.
        training: unused (no dropout).

    Returns:
        Logits ``(B, H, W, C, num_levels)`` (float32; ``C = 1`` for tokens).

    Raises:
        ValueError: for an unknown ``cell`` or bad sizes.

    Examples:
        >>> import numpy as np
        >>> from kgen.models import PixelRNN
        >>> model = PixelRNN((6, 6, 1), num_levels=4, hidden_units=4, num_layers=1)
        >>> model.compile(optimizer="adam")
        >>> x = np.random.default_rng(0).integers(0, 4, size=(8, 6, 6, 1))
        >>> model.log_prob(x).shape
        (8,)
        >>> model.sample(2, seed=0).shape
        (2, 6, 6, 1)

    References:
        van den Oord, Kalchbrenner, Kavukcuoglu. Pixel Recurrent Neural
        Networks. ICML 2016.
    """

    def __init__(
        self,
        data_shape,
        num_levels=256,
        num_classes=None,
        cell="diagonal_bilstm",
        num_layers=2,
        hidden_units=16,
        first_kernel_size=7,
        row_kernel_size=3,
        **kwargs,
    ):
        super().__init__(data_shape, num_levels, num_classes, **kwargs)
        if cell not in _CELLS:
            raise ValueError(
                f"cell must be one of {sorted(_CELLS)}; received {cell!r}."
            )
        if (
            isinstance(num_layers, bool)
            or not isinstance(num_layers, int)
            or num_layers < 1
        ):
            raise ValueError(
                f"num_layers must be a positive integer; received {num_layers!r}."
            )
        channels = self.grid_shape[-1]
        if (
            isinstance(hidden_units, bool)
            or not isinstance(hidden_units, int)
            or hidden_units % channels
            or (hidden_units < 1)
        ):
            raise ValueError(
                f"hidden_units must be a positive multiple of the {channels} image "
                f"channel(s); received {hidden_units!r}."
            )
        self.cell = cell
        self.num_layers = num_layers
        self.hidden_units = hidden_units
        self.first_kernel_size = first_kernel_size
        self.row_kernel_size = row_kernel_size
        features = 2 * hidden_units
        self.input_conv = MaskedConv2D(
            features, first_kernel_size, "A", channels, name="input_conv"
        )
        cell_kwargs = {"kernel_size": row_kernel_size} if cell == "row_lstm" else {}
        self.lstm_layers = [
            _CELLS[cell](
                hidden_units,
                color_channels=channels,
                residual=True,
                name=f"{cell}_{i}",
                **cell_kwargs,
            )
            for i in range(num_layers)
        ]
        self.output_hidden = MaskedConv2D(
            features, 1, "B", channels, activation="relu", name="output_hidden"
        )
        self.output_logits = MaskedConv2D(
            channels * self.num_levels, 1, "B", channels, name="logits", dtype="float32"
        )
        self.class_embedding = (
            keras.layers.Embedding(num_classes, features, name="class_bias")
            if num_classes is not None
            else None
        )
        # one 1x1 projection of the condition map per LSTM layer's input
        self.condition_projections = [
            keras.layers.Dense(features, use_bias=False, name=f"condition_bias_{i}")
            for i in range(num_layers)
            if self.condition_grid_shape is not None
        ]

    def call_network(self, features, labels=None, condition_map=None, training=False):
        h = self.input_conv(features)
        if labels is not None:
            h = h + self.class_embedding(labels)[:, None, None, :]
        for index, layer in enumerate(self.lstm_layers):
            if condition_map is not None:
                h = h + self.condition_projections[index](condition_map)
            h = layer(h)
        logits = self.output_logits(self.output_hidden(ops.relu(h)))
        return self.logits_from_features(logits)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "cell": self.cell,
                "num_layers": self.num_layers,
                "hidden_units": self.hidden_units,
                "first_kernel_size": self.first_kernel_size,
                "row_kernel_size": self.row_kernel_size,
            }
        )
        return config
