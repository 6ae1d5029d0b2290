"""Denoising networks: a small U-Net for images, an MLP for vectors.

Both are functional ``keras.Model``s with inputs ``[x_t, timestep]`` (and
``label`` when ``num_classes`` is set) and an output shaped like ``x_t``
(twice its channels with ``learned_variance=True``: the prediction, then
the variance interpolation ``v`` in [-1, 1] of Nichol & Dhariwal). A
class-conditional network embeds ``num_classes + 1`` labels: the last one,
``num_classes``, is the *null label* of classifier-free guidance, fed when
a label is dropped in training and for the unconditional branch when
sampling.
"""

import keras

from kgen.layers.diffusion import (
    DiffusionResidualBlock,
    SinusoidalTimeEmbedding,
    SpatialSelfAttention,
)
from kgen.validation import check_positive_int

__all__ = ["diffusion_mlp", "diffusion_unet"]


def _positive_ints(values, name):
    if not isinstance(values, (tuple, list)) or not values:
        raise ValueError(
            f"{name} must be a non-empty tuple of positive integers; received "
            f"{values!r}."
        )
    return tuple(check_positive_int(v, name) for v in values)


def _inputs(data_shape, num_classes):
    x = keras.Input(tuple(data_shape), name="x_t")
    t = keras.Input((), dtype="int32", name="timestep")
    inputs = [x, t]
    if num_classes is not None:
        inputs.append(keras.Input((), dtype="int32", name="label"))
    return inputs


def _embedding(inputs, frequencies_dim, embedding_dim, num_classes):
    """Time MLP (sinusoidal -> dense -> swish -> dense) plus a class embedding."""
    emb = SinusoidalTimeEmbedding(frequencies_dim, name="time_frequencies")(inputs[1])
    emb = keras.layers.Dense(embedding_dim, activation="silu", name="time_dense_1")(emb)
    emb = keras.layers.Dense(embedding_dim, name="time_dense_2")(emb)
    if num_classes is not None:
        # num_classes + 1 rows: the last is the null label (dropped labels)
        label = keras.layers.Embedding(
            num_classes + 1, embedding_dim, name="label_embedding"
        )(inputs[2])
        emb = keras.layers.Add(name="time_plus_label")([emb, label])
    return emb


def diffusion_unet(
    data_shape,
    *,
    base_filters=32,
    channel_multipliers=(1, 2, 2),
    num_res_blocks=1,
    attention_resolutions=None,
    num_heads=1,
    num_groups=8,
    dropout=0.0,
    num_classes=None,
    learned_variance=False,
    seed=None,
    name="diffusion_unet",
):
    """A DDPM-style U-Net sized by its arguments.

    ``len(channel_multipliers)`` resolutions (each after the first halves the
    height and width with a stride-2 convolution), ``num_res_blocks``
    `DiffusionResidualBlock` s per resolution on the way down and one more on
    the way up (each taking the matching skip connection),
    `SpatialSelfAttention` after the blocks at ``attention_resolutions`` and
    in the middle, group normalization throughout, and a zero-initialised
    output convolution. The timestep enters as a sinusoidal embedding
    through a two-layer MLP of ``4 * base_filters`` units, plus a learned
    label embedding when ``num_classes`` is set.

    Args:
        data_shape: ``(height, width, channels)``; height and width must be
            divisible by ``2 ** (len(channel_multipliers) - 1)``.
        base_filters: channels at the first resolution.
        channel_multipliers: channels per resolution, in multiples of
            ``base_filters`` (``(1, 2, 2)``: 28 -> 14 -> 7 for 28x28).
        num_res_blocks: residual blocks per resolution going down.
        attention_resolutions: sizes (height) at which to add self-attention
            besides the middle block's; default the lowest resolution; ``()``
            for the middle block only.
        num_heads: attention heads.
        num_groups: groups of every group normalization (must divide every
            channel count).
        dropout: dropout rate in the residual blocks.
        num_classes: number of classes for a class-conditional network (it
            then takes a ``label`` input in ``[0, num_classes]``, the last
            being the null label).
        learned_variance: output ``2 * channels``: the prediction and the
            variance interpolation.
        seed: integer seed of the dropout layers.
        name: the model's name.

    Returns:
        A ``keras.Model`` ``[x_t, timestep(, label)] -> prediction``.

    Raises:
        ValueError: for invalid sizes.

    Examples:
        >>> import numpy as np
        >>> from kgen.models.diffusion import diffusion_unet
        >>> unet = diffusion_unet((8, 8, 1), base_filters=8, channel_multipliers=(1, 2),
        ...                       num_groups=4)
        >>> out = unet([np.zeros((2, 8, 8, 1), "float32"), np.array([0, 5])])
        >>> tuple(out.shape)
        (2, 8, 8, 1)

    References:
        Ronneberger, Fischer & Brox, "U-Net", MICCAI 2015; Ho, Jain & Abbeel,
        NeurIPS 2020 (appendix B); Nichol & Dhariwal, ICML 2021.
    """
    if not isinstance(data_shape, (tuple, list)) or len(data_shape) != 3:
        raise ValueError(
            f"data_shape must be (height, width, channels); received {data_shape!r}."
        )
    height, width, channels = (check_positive_int(s, "data_shape") for s in data_shape)
    base_filters = check_positive_int(base_filters, "base_filters")
    multipliers = _positive_ints(channel_multipliers, "channel_multipliers")
    num_res_blocks = check_positive_int(num_res_blocks, "num_res_blocks")
    num_groups = check_positive_int(num_groups, "num_groups")
    if num_classes is not None:
        num_classes = check_positive_int(num_classes, "num_classes")
    factor = 2 ** (len(multipliers) - 1)
    if height % factor or width % factor:
        raise ValueError(
            f"A U-Net with {len(multipliers)} resolutions halves the size "
            f"{len(multipliers) - 1} times: height and width must be multiples of "
            f"{factor}; received {height}x{width}. Use fewer channel_multipliers."
        )
    if base_filters % num_groups:
        raise ValueError(
            f"base_filters ({base_filters}) must be a multiple of num_groups "
            f"({num_groups})."
        )
    lowest = height // factor
    if attention_resolutions is None:
        attention = {lowest}
    elif isinstance(attention_resolutions, (tuple, list)) and not attention_resolutions:
        attention = set()  # the middle block's attention only
    else:
        attention = set(_positive_ints(attention_resolutions, "attention_resolutions"))

    def block_seed(index):
        return None if seed is None else int(seed) + index

    inputs = _inputs((height, width, channels), num_classes)
    emb = _embedding(inputs, base_filters, 4 * base_filters, num_classes)
    h = keras.layers.Conv2D(base_filters, 3, padding="same", name="input_conv")(
        inputs[0]
    )
    skips = [h]
    size, blocks = height, 0

    def residual(h, filters, label):
        nonlocal blocks
        blocks += 1
        return DiffusionResidualBlock(
            filters, num_groups, dropout, seed=block_seed(blocks), name=label
        )([h, emb])

    for level, multiplier in enumerate(multipliers):
        for index in range(num_res_blocks):
            h = residual(h, base_filters * multiplier, f"down_{level}_block_{index}")
            if size in attention:
                h = SpatialSelfAttention(
                    num_heads, num_groups, name=f"down_{level}_attention_{index}"
                )(h)
            skips.append(h)
        if level < len(multipliers) - 1:
            h = keras.layers.Conv2D(
                h.shape[-1], 3, strides=2, padding="same", name=f"down_{level}_sample"
            )(h)
            size //= 2
            skips.append(h)
    filters = h.shape[-1]
    h = residual(h, filters, "middle_block_0")
    h = SpatialSelfAttention(num_heads, num_groups, name="middle_attention")(h)
    h = residual(h, filters, "middle_block_1")
    for level in reversed(range(len(multipliers))):
        for index in range(num_res_blocks + 1):
            h = keras.layers.Concatenate(name=f"up_{level}_skip_{index}")(
                [h, skips.pop()]
            )
            h = residual(
                h, base_filters * multipliers[level], f"up_{level}_block_{index}"
            )
            if size in attention:
                h = SpatialSelfAttention(
                    num_heads, num_groups, name=f"up_{level}_attention_{index}"
                )(h)
        if level > 0:
            h = keras.layers.UpSampling2D(
                2, interpolation="nearest", name=f"up_{level}_sample"
            )(h)
            h = keras.layers.Conv2D(
                h.shape[-1], 3, padding="same", name=f"up_{level}_sample_conv"
            )(h)
            size *= 2
    h = keras.layers.GroupNormalization(num_groups, name="output_norm")(h)
    h = keras.layers.Activation("silu", name="output_silu")(h)
    outputs = keras.layers.Conv2D(
        channels * (2 if learned_variance else 1),
        3,
        padding="same",
        kernel_initializer="zeros",
        name="output_conv",
    )(h)
    return keras.Model(inputs, outputs, name=name)


def diffusion_mlp(
    data_dim,
    *,
    hidden_units=(128, 128, 128),
    time_embedding_dim=32,
    num_classes=None,
    learned_variance=False,
    name="diffusion_mlp",
):
    """An MLP denoiser for vector data (2-D toy densities).

    Each hidden layer adds a learned projection of the (time + class)
    embedding before its swish: ``h = silu(dense(h) + dense(emb))``.

    Args:
        data_dim: size of one example.
        hidden_units: units of each hidden layer.
        time_embedding_dim: size of the sinusoidal embedding and of the
            embedding MLP.
        num_classes: number of classes for a class-conditional network (label
            input in ``[0, num_classes]``, the last being the null label).
        learned_variance: output ``2 * data_dim``.
        name: the model's name.

    Returns:
        A ``keras.Model`` ``[x_t, timestep(, label)] -> prediction``.

    Examples:
        >>> import numpy as np
        >>> from kgen.models.diffusion import diffusion_mlp
        >>> mlp = diffusion_mlp(2, hidden_units=(16,))
        >>> tuple(mlp([np.zeros((3, 2), "float32"), np.array([0, 1, 2])]).shape)
        (3, 2)
    """
    data_dim = check_positive_int(data_dim, "data_dim")
    units = _positive_ints(hidden_units, "hidden_units")
    time_embedding_dim = check_positive_int(time_embedding_dim, "time_embedding_dim")
    if num_classes is not None:
        num_classes = check_positive_int(num_classes, "num_classes")
    inputs = _inputs((data_dim,), num_classes)
    emb = _embedding(inputs, time_embedding_dim, time_embedding_dim, num_classes)
    h = inputs[0]
    for index, width in enumerate(units):
        h = keras.layers.Add(name=f"hidden_{index}_sum")(
            [
                keras.layers.Dense(width, name=f"hidden_{index}")(h),
                keras.layers.Dense(width, name=f"hidden_{index}_embedding")(emb),
            ]
        )
        h = keras.layers.Activation("silu", name=f"hidden_{index}_silu")(h)
    outputs = keras.layers.Dense(
        data_dim * (2 if learned_variance else 1), name="output"
    )(h)
    return keras.Model(inputs, outputs, name=name)
