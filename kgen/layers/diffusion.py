"""Layers of the diffusion family's denoising networks.

The pieces of a DDPM-style U-Net (Ho et al., 2020; Nichol & Dhariwal, 2021):
a sinusoidal embedding of the timestep, residual blocks with group
normalization into which the (time + class) embedding is added, and
self-attention over the positions of a feature map. ``kgen.models.diffusion.
diffusion_unet`` puts them together.
"""

import math

import keras
from keras import ops

from kgen.api_export import kgen_export
from kgen.validation import check_positive_int

__all__ = ["DiffusionResidualBlock", "SinusoidalTimeEmbedding", "SpatialSelfAttention"]


def _check_groups(channels, num_groups, name):
    if channels % num_groups:
        raise ValueError(
            f"{name}: the {channels} channels must be a multiple of num_groups "
            f"({num_groups}) for group normalization; choose num_groups dividing "
            f"{channels}."
        )


@kgen_export
class SinusoidalTimeEmbedding(keras.layers.Layer):
    """The Transformer's sinusoidal position embedding, of a timestep.

    ``emb(t) = [cos(t w_0), ..., cos(t w_{h-1}), sin(t w_0), ..., sin(t
    w_{h-1})]`` with ``h = dim / 2`` and ``w_k = max_period^(-k / h)``
    (frequencies from 1 down to about ``1 / max_period``), as in DDPM's
    U-Net. No weights: a learned MLP usually follows.

    Args:
        dim: size of the embedding (even).
        max_period: the longest period, in timesteps.
        **kwargs: base layer arguments.

    Call arguments:
        timesteps: ``(batch,)`` integer or float timesteps.

    Returns:
        float tensor ``(batch, dim)``.

    Raises:
        ValueError: for an odd or non-positive ``dim`` or a non-positive
            ``max_period``.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import SinusoidalTimeEmbedding
        >>> emb = SinusoidalTimeEmbedding(4)(np.array([0, 5]))
        >>> np.asarray(emb)[0].tolist()  # cos(0) = 1, sin(0) = 0
        [1.0, 1.0, 0.0, 0.0]

    References:
        Vaswani et al., "Attention Is All You Need", NeurIPS 2017; Ho, Jain &
        Abbeel, "Denoising Diffusion Probabilistic Models", NeurIPS 2020.
    """

    def __init__(self, dim, max_period=10000.0, **kwargs):
        super().__init__(**kwargs)
        dim = check_positive_int(dim, "dim")
        if dim % 2:
            raise ValueError(f"dim must be even (cos and sin halves); received {dim}.")
        if not isinstance(max_period, (int, float)) or not max_period > 0:
            raise ValueError(
                f"max_period must be a positive number; received {max_period!r}."
            )
        self.dim = dim
        self.max_period = float(max_period)

    def call(self, timesteps):
        t = ops.cast(ops.reshape(timesteps, (-1,)), self.compute_dtype)
        half = self.dim // 2
        exponents = ops.arange(half, dtype="float32") / float(half)
        frequencies = ops.cast(
            ops.exp(-math.log(self.max_period) * exponents), self.compute_dtype
        )
        angles = t[:, None] * frequencies[None, :]
        return ops.concatenate([ops.cos(angles), ops.sin(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        config = super().get_config()
        config.update({"dim": self.dim, "max_period": self.max_period})
        return config


@kgen_export
class DiffusionResidualBlock(keras.layers.Layer):
    """A residual block of a diffusion U-Net, conditioned on an embedding.

    ``h = conv(swish(norm(x)))``; ``h = h + dense(swish(emb))`` (one shift per
    channel: the timestep and class enter every block); ``h =
    conv(dropout(swish(norm(h))))``; output ``skip(x) + h``, where ``skip``
    is a 1x1 convolution when the number of channels changes. The last
    convolution starts at zero, so a new block is the identity (Ho et al.'s
    initialisation).

    Args:
        filters: output channels.
        num_groups: groups of the group normalizations (must divide the
            input channels and ``filters``).
        dropout: dropout rate before the second convolution.
        seed: integer seed of the dropout.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: ``[x, embedding]``: feature map ``(batch, H, W, C)`` and
            embedding ``(batch, E)``.
        training: whether dropout is active.

    Returns:
        ``(batch, H, W, filters)``.

    Raises:
        ValueError: for invalid arguments or channels not divisible by
            ``num_groups``.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import DiffusionResidualBlock
        >>> block = DiffusionResidualBlock(8, num_groups=4)
        >>> out = block([np.ones((2, 4, 4, 4), "float32"), np.ones((2, 16), "float32")])
        >>> tuple(out.shape)
        (2, 4, 4, 8)

    References:
        He et al., "Identity Mappings in Deep Residual Networks", ECCV 2016;
        Wu & He, "Group Normalization", ECCV 2018; Ho, Jain & Abbeel, 2020.
    """

    def __init__(self, filters, num_groups=8, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = check_positive_int(filters, "filters")
        self.num_groups = check_positive_int(num_groups, "num_groups")
        if not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); received {dropout!r}.")
        self.dropout = float(dropout)
        self.seed = seed
        _check_groups(self.filters, self.num_groups, "DiffusionResidualBlock")

    def build(self, input_shape):
        x_shape, embedding_shape = input_shape
        channels = int(x_shape[-1])
        _check_groups(channels, self.num_groups, "DiffusionResidualBlock input")
        self.norm_1 = keras.layers.GroupNormalization(self.num_groups, name="norm_1")
        self.norm_1.build(x_shape)
        self.conv_1 = keras.layers.Conv2D(
            self.filters, 3, padding="same", name="conv_1"
        )
        self.conv_1.build(x_shape)
        hidden_shape = (*x_shape[:-1], self.filters)
        self.embedding_projection = keras.layers.Dense(
            self.filters, name="embedding_projection"
        )
        self.embedding_projection.build(embedding_shape)
        self.norm_2 = keras.layers.GroupNormalization(self.num_groups, name="norm_2")
        self.norm_2.build(hidden_shape)
        self.dropout_layer = keras.layers.Dropout(self.dropout, seed=self.seed)
        self.conv_2 = keras.layers.Conv2D(
            self.filters, 3, padding="same", kernel_initializer="zeros", name="conv_2"
        )
        self.conv_2.build(hidden_shape)
        self.skip = None
        if channels != self.filters:
            self.skip = keras.layers.Conv2D(self.filters, 1, name="skip")
            self.skip.build(x_shape)

    def call(self, inputs, training=False):
        x, embedding = inputs
        h = self.conv_1(ops.silu(self.norm_1(x)))
        shift = self.embedding_projection(ops.silu(embedding))
        h = h + shift[:, None, None, :]
        h = ops.silu(self.norm_2(h))
        h = self.conv_2(self.dropout_layer(h, training=training))
        return (x if self.skip is None else self.skip(x)) + h

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "num_groups": self.num_groups,
                "dropout": self.dropout,
                "seed": self.seed,
            }
        )
        return config


@kgen_export
class SpatialSelfAttention(keras.layers.Layer):
    """Self-attention over the positions of a feature map, with a residual.

    ``out = x + proj(attention(q, k, v))`` with ``q, k, v`` 1x1 projections
    of ``norm(x)``, every one of the ``H * W`` positions attending to all
    others (``num_heads`` heads of ``C / num_heads`` channels, softmax of
    ``q k^T / sqrt(d)``). The output projection starts at zero (the layer
    starts as the identity). Used at the low resolutions of a U-Net, where
    ``H * W`` is small.

    Args:
        num_heads: attention heads (must divide the channels).
        num_groups: groups of the group normalization.
        **kwargs: base layer arguments.

    Call arguments:
        x: ``(batch, H, W, C)``.

    Returns:
        ``(batch, H, W, C)``.

    Raises:
        ValueError: for channels not divisible by ``num_heads`` or
            ``num_groups``.

    Examples:
        >>> import numpy as np
        >>> from keras import ops
        >>> from kgen.layers import SpatialSelfAttention
        >>> layer = SpatialSelfAttention(num_heads=2, num_groups=2)
        >>> x = np.random.default_rng(0).normal(size=(1, 3, 3, 4)).astype("float32")
        >>> y = ops.convert_to_numpy(layer(x))
        >>> bool(np.allclose(y, x))  # the output projection starts at zero
        True

    References:
        Vaswani et al., 2017; Ho, Jain & Abbeel, 2020 (attention at 16x16).
    """

    def __init__(self, num_heads=1, num_groups=8, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = check_positive_int(num_heads, "num_heads")
        self.num_groups = check_positive_int(num_groups, "num_groups")

    def build(self, input_shape):
        channels = int(input_shape[-1])
        if channels % self.num_heads:
            raise ValueError(
                f"SpatialSelfAttention: the {channels} channels must be a multiple "
                f"of num_heads ({self.num_heads})."
            )
        _check_groups(channels, self.num_groups, "SpatialSelfAttention")
        self.norm = keras.layers.GroupNormalization(self.num_groups, name="norm")
        self.norm.build(input_shape)
        self.qkv = keras.layers.Dense(3 * channels, name="qkv")
        self.qkv.build(input_shape)
        self.projection = keras.layers.Dense(
            channels, kernel_initializer="zeros", name="projection"
        )
        self.projection.build(input_shape)

    def call(self, x):
        shape = ops.shape(x)
        height, width, channels = shape[1], shape[2], x.shape[-1]
        heads = self.num_heads
        head_dim = channels // heads
        qkv = self.qkv(self.norm(x))
        qkv = ops.reshape(qkv, (-1, height * width, 3, heads, head_dim))
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]  # (B, N, heads, d)
        q = ops.transpose(q, (0, 2, 1, 3))
        k = ops.transpose(k, (0, 2, 3, 1))
        v = ops.transpose(v, (0, 2, 1, 3))
        # softmax(q k^T / sqrt(d)) v, per head
        weights = ops.softmax(ops.matmul(q, k) / math.sqrt(head_dim), axis=-1)
        attended = ops.transpose(ops.matmul(weights, v), (0, 2, 1, 3))
        attended = ops.reshape(attended, (-1, height, width, channels))
        return x + self.projection(attended)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"num_heads": self.num_heads, "num_groups": self.num_groups})
        return config
