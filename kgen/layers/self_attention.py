"""Self-attention over the positions of a feature map (SAGAN, BigGAN)."""

import keras
from keras import ops

from kgen.api_export import kgen_export
from kgen.layers.normalization import SpectralNorm
from kgen.validation import check_positive_int

__all__ = ["SelfAttention2D"]


@kgen_export
class SelfAttention2D(keras.layers.Layer):
    """Self-attention over the ``height * width`` positions of a feature map.

    With 1x1 convolutions ``f, g`` (``channels / reduction`` outputs), ``h``
    (``channels / 2``) and ``o`` (``channels``), position ``i`` attends to
    every position ``j`` with weights ``beta_{ij} = softmax_j(f(x)_i .
    g(x)_j)`` and the layer returns ``x + gamma * o(sum_j beta_{ij} h(x)_j)``.
    ``gamma`` is a learned scalar that starts at 0, so the network first
    relies on its convolutions and learns how much non-local evidence to
    add (Zhang et al.).

    Args:
        reduction: channel reduction of the query and key projections (8).
        spectral_norm: wrap the four projections in `SpectralNorm` (SAGAN
            and BigGAN do, in both networks).
        **kwargs: base layer arguments.

    Call arguments:
        inputs: NHWC tensor with at least ``reduction`` channels.
        training: passed to the spectral normalizations.

    Returns:
        A tensor shaped like ``inputs``.

    Raises:
        ValueError: for fewer channels than ``reduction`` or fewer than 2.

    Examples:
        >>> import numpy as np
        >>> attention = SelfAttention2D(reduction=2)
        >>> tuple(attention(np.ones((2, 4, 4, 8), "float32")).shape)
        (2, 4, 4, 8)

    References:
        Zhang, Goodfellow, Metaxas & Odena, "Self-Attention Generative
        Adversarial Networks", ICML 2019.
    """

    def __init__(self, reduction=8, spectral_norm=True, **kwargs):
        super().__init__(**kwargs)
        self.reduction = check_positive_int(reduction, "reduction")
        self.spectral_norm = bool(spectral_norm)
        self.projections = {}

    def _projection(self, filters, name):
        conv = keras.layers.Conv2D(filters, 1, use_bias=False, name=name)
        return SpectralNorm(conv, name=f"{name}_sn") if self.spectral_norm else conv

    def build(self, input_shape):
        channels = int(input_shape[-1])
        if channels < max(self.reduction, 2):
            raise ValueError(
                f"SelfAttention2D needs at least max(reduction, 2) = "
                f"{max(self.reduction, 2)} channels; received {channels}."
            )
        inner = max(channels // self.reduction, 1)
        self.query = self._projection(inner, "query")
        self.key = self._projection(inner, "key")
        self.value = self._projection(channels // 2, "value")
        self.output_projection = self._projection(channels, "output")
        for layer in (self.query, self.key, self.value):
            layer.build(input_shape)
        self.output_projection.build((*input_shape[:-1], channels // 2))
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")

    def call(self, inputs, training=False):
        shape = ops.shape(inputs)
        batch, height, width = shape[0], shape[1], shape[2]
        positions = height * width

        def flat(layer):
            out = (
                layer(inputs, training=training)
                if self.spectral_norm
                else layer(inputs)
            )
            return ops.reshape(out, (batch, positions, -1))

        query, key, value = flat(self.query), flat(self.key), flat(self.value)
        # beta_ij = softmax_j(f_i . g_j): (batch, positions, positions)
        weights = ops.softmax(ops.matmul(query, ops.transpose(key, (0, 2, 1))), axis=-1)
        attended = ops.reshape(ops.matmul(weights, value), (batch, height, width, -1))
        if self.spectral_norm:
            out = self.output_projection(attended, training=training)
        else:
            out = self.output_projection(attended)
        return inputs + self.gamma * out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"reduction": self.reduction, "spectral_norm": self.spectral_norm}
        )
        return config
