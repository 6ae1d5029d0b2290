"""PixelCNN: a stack of masked convolutions with a softmax per sub-pixel."""

import keras
from keras import ops

from kgen.api_export import kgen_export
from kgen.layers.autoregressive import MaskedConv2D
from kgen.models.autoregressive.base import CategoricalAutoregressiveModel
from kgen.validation import check_positive_int

__all__ = ["PixelCNN"]


@kgen_export
class PixelCNN(CategoricalAutoregressiveModel):
    """PixelCNN with masked convolutions and a categorical output.

    A ``first_kernel_size`` mask-"A" convolution, ``num_layers`` residual
    blocks ``x + MaskedConv2D_B(relu(x))``, then two 1x1 mask-"B"
    convolutions give ``num_levels`` logits for every sub-pixel. The colour
    masks order R -> G -> B within a pixel. Stacked masked convolutions have a
    *blind spot*: pixels above and to the right of the current one that are
    inside the nominal receptive field but never reach it (the Gated
    PixelCNN removes it).

    The same class models images ``(H, W, C)`` and grids of tokens ``(H, W)``
    (e.g. VQ-VAE codes, with ``input_embedding="embedding"``); class labels
    (``num_classes``) add a learned per-class bias and a condition grid
    (``condition_grid_shape``) a learned location-dependent bias (a 1x1
    projection of the condition map) to every hidden layer.

    Args:
        data_shape: ``(height, width, channels)`` or ``(height, width)``.
        num_levels: values per sub-pixel (256 for 8-bit images).
        num_classes: number of classes for class-conditional training, or
            None.
        filters: hidden channels (a multiple of ``channels``).
        num_layers: residual masked-convolution blocks.
        first_kernel_size: kernel size of the mask-"A" layer.
        kernel_size: kernel size of the residual blocks.
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
        ValueError: for invalid arguments (see ``AutoregressiveModel``).

    Examples:
        >>> import numpy as np
        >>> from kgen.models import PixelCNN
        >>> model = PixelCNN((8, 8, 1), num_levels=4, filters=8, num_layers=2)
        >>> model.compile(optimizer="adam")
        >>> x = np.random.default_rng(0).integers(0, 4, size=(16, 8, 8, 1))
        >>> _ = model.fit(x, epochs=1, verbose=0)
        >>> model.log_prob(x).shape
        (16,)
        >>> model.sample(2, seed=0).shape
        (2, 8, 8, 1)

    References:
        van den Oord, Kalchbrenner, Kavukcuoglu. "Pixel Recurrent Neural
        Networks", ICML 2016.
    """

    def __init__(
        self,
        data_shape,
        num_levels=256,
        num_classes=None,
        filters=64,
        num_layers=5,
        first_kernel_size=7,
        kernel_size=3,
        **kwargs,
    ):
        super().__init__(data_shape, num_levels, num_classes, **kwargs)
        channels = self.grid_shape[-1]
        if (
            isinstance(num_layers, bool)
            or not isinstance(num_layers, int)
            or num_layers < 0
        ):
            raise ValueError(
                f"num_layers must be a non-negative integer; received {num_layers!r}."
            )
        self.filters = check_positive_int(filters, "filters")
        self.num_layers = num_layers
        self.first_kernel_size = first_kernel_size
        self.kernel_size = kernel_size
        self.input_conv = MaskedConv2D(
            filters, first_kernel_size, "A", channels, name="input_conv"
        )
        self.hidden_convs = [
            MaskedConv2D(filters, kernel_size, "B", channels, name=f"masked_conv_{i}")
            for i in range(num_layers)
        ]
        self.output_hidden = MaskedConv2D(
            filters, 1, "B", channels, activation="relu", name="output_hidden"
        )
        self.output_logits = MaskedConv2D(
            channels * self.num_levels, 1, "B", channels, name="logits", dtype="float32"
        )
        # One per-class bias vector for each hidden layer.
        self.class_embeddings = [
            keras.layers.Embedding(num_classes, filters, name=f"class_bias_{i}")
            for i in range(num_layers + 1)
            if num_classes is not None
        ]
        # One 1x1 projection of the condition map for each hidden layer.
        self.condition_projections = [
            keras.layers.Dense(filters, use_bias=False, name=f"condition_bias_{i}")
            for i in range(num_layers + 1)
            if self.condition_grid_shape is not None
        ]

    def call_network(self, features, labels=None, condition_map=None, training=False):
        def condition(h, index):
            if labels is not None:
                bias = self.class_embeddings[index](labels)
                h = h + ops.reshape(bias, (-1, 1, 1, self.filters))
            if condition_map is not None:
                h = h + self.condition_projections[index](condition_map)
            return h

        h = condition(self.input_conv(features), 0)
        for index, conv in enumerate(self.hidden_convs):
            h = h + condition(conv(ops.relu(h)), index + 1)
        logits = self.output_logits(self.output_hidden(ops.relu(h)))
        return self.logits_from_features(logits)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "num_layers": self.num_layers,
                "first_kernel_size": self.first_kernel_size,
                "kernel_size": self.kernel_size,
            }
        )
        return config
