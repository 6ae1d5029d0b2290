"""Convolutional encoders and decoders of the VQ-VAEs (van den Oord et al., 2017).

Plain functional ``keras.Model``s, so that they serialize with the model
that owns them. Each halving of the resolution is a 4x4 convolution with
stride 2 (a 4x4 transposed convolution with stride 2 doubles it again), and
a stack of residual blocks ``x + conv1x1(relu(conv3x3(relu(x))))`` follows
the strided part of the encoder and precedes that of the decoder, as in the
paper.
"""

import keras
from keras import layers

from kgen.validation import check_positive_int

__all__ = [
    "hierarchical_vq_networks",
    "residual_stack",
    "vq_decoder",
    "vq_encoder",
]


def _shape(image_shape, name="image_shape"):
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"{name} must be (height, width, channels) with positive sizes; "
            f"received {image_shape!r}."
        )
    return shape


def _check_divisible(shape, halvings, what):
    factor = 2**halvings
    if shape[0] % factor or shape[1] % factor:
        raise ValueError(
            f"{what} halves the resolution {halvings} time(s), so the image's "
            f"height and width must be multiples of {factor}; received "
            f"{shape[0]}x{shape[1]}. Resize the images or use fewer halvings."
        )


def residual_stack(h, filters, residual_filters, num_blocks, name):
    """``num_blocks`` blocks ``h + conv1x1(relu(conv3x3(relu(h))))``, then ReLU."""
    for index in range(num_blocks):
        r = layers.ReLU(name=f"{name}_{index}_relu_a")(h)
        r = layers.Conv2D(
            residual_filters, 3, padding="same", name=f"{name}_{index}_conv3"
        )(r)
        r = layers.ReLU(name=f"{name}_{index}_relu_b")(r)
        r = layers.Conv2D(filters, 1, name=f"{name}_{index}_conv1")(r)
        h = layers.Add(name=f"{name}_{index}_add")([h, r])
    return layers.ReLU(name=f"{name}_out")(h)


def vq_encoder(
    image_shape,
    embedding_dim,
    filters=(32, 64),
    num_residual_blocks=2,
    residual_filters=None,
    name="encoder",
):
    """Images ``(H, W, C)`` -> vectors ``(H / 2^n, W / 2^n, embedding_dim)``.

    Args:
        image_shape: ``(H, W, C)``; ``H`` and ``W`` multiples of ``2^n``,
            ``n = len(filters)``.
        embedding_dim: channels of the output (the quantizer's vectors).
        filters: channels of each strided 4x4 convolution (one halving each).
        num_residual_blocks: residual blocks after the strided convolutions.
        residual_filters: hidden channels of the residual blocks (default
            ``filters[-1] // 2``).
        name: the model's name.

    Returns:
        A functional ``keras.Model``.

    Examples:
        >>> encoder = vq_encoder((8, 8, 1), embedding_dim=4, filters=(8,))
        >>> tuple(encoder.output.shape)
        (None, 4, 4, 4)
    """
    shape = _shape(image_shape)
    filters = tuple(check_positive_int(f, "filters") for f in filters)
    if not filters:
        raise ValueError("filters must name at least one strided convolution.")
    _check_divisible(shape, len(filters), "The encoder")
    embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
    residual_filters = residual_filters or max(1, filters[-1] // 2)
    image = keras.Input(shape=shape, name="image")
    h = image
    for index, width in enumerate(filters):
        h = layers.Conv2D(
            width,
            4,
            strides=2,
            padding="same",
            activation="relu",
            name=f"down_{index}",
        )(h)
    h = layers.Conv2D(filters[-1], 3, padding="same", name="mix")(h)
    h = residual_stack(h, filters[-1], residual_filters, num_residual_blocks, "res")
    z = layers.Conv2D(embedding_dim, 1, name="to_embedding")(h)
    return keras.Model(image, z, name=name)


def vq_decoder(
    latent_shape,
    image_channels,
    filters=(64, 32),
    num_residual_blocks=2,
    residual_filters=None,
    final_activation="sigmoid",
    name="decoder",
):
    """Vectors ``(h, w, D)`` -> images ``(h 2^n, w 2^n, image_channels)``.

    Args:
        latent_shape: ``(h, w, D)`` of the code vectors.
        image_channels: channels of the output images.
        filters: channels of the first 3x3 convolution and of each transposed
            convolution but the last, which gives ``image_channels``; ``n =
            len(filters)`` doublings in all (the encoder's ``filters``
            reversed).
        num_residual_blocks: residual blocks before the transposed
            convolutions.
        residual_filters: hidden channels of the residual blocks.
        final_activation: ``"sigmoid"`` for images in [0, 1].
        name: the model's name.

    Returns:
        A functional ``keras.Model``.

    Examples:
        >>> decoder = vq_decoder((4, 4, 4), image_channels=1, filters=(8,))
        >>> tuple(decoder.output.shape)
        (None, 8, 8, 1)
    """
    shape = _shape(latent_shape, "latent_shape")
    filters = tuple(check_positive_int(f, "filters") for f in filters)
    if not filters:
        raise ValueError("filters must name at least one transposed convolution.")
    residual_filters = residual_filters or max(1, filters[0] // 2)
    codes = keras.Input(shape=shape, name="codes")
    h = layers.Conv2D(filters[0], 3, padding="same", name="mix")(codes)
    h = residual_stack(h, filters[0], residual_filters, num_residual_blocks, "res")
    for index, width in enumerate(filters[1:]):
        h = layers.Conv2DTranspose(
            width, 4, strides=2, padding="same", activation="relu", name=f"up_{index}"
        )(h)
    image = layers.Conv2DTranspose(
        int(image_channels),
        4,
        strides=2,
        padding="same",
        activation=final_activation,
        name="to_image",
        dtype="float32",
    )(h)
    return keras.Model(codes, image, name=name)


def hierarchical_vq_networks(
    image_shape,
    top_embedding_dim=32,
    bottom_embedding_dim=32,
    filters=64,
    bottom_halvings=2,
    top_halvings=1,
    num_residual_blocks=2,
    residual_filters=None,
):
    """The three networks of a two-level VQ-VAE (VQ-VAE-2, Razavi et al.).

    - ``encoder``: image -> ``[bottom_features, top_latent]``; the image is
      halved ``bottom_halvings`` times to the bottom resolution (features),
      then ``top_halvings`` more times to the top resolution, where
      ``top_latent`` (``top_embedding_dim`` channels) is quantized;
    - ``bottom_encoder``: ``[bottom_features, top_codes]`` -> bottom latent:
      the quantized top codes, decoded to the bottom resolution, are
      concatenated with the features (so the bottom codes are conditioned
      on the top codes and store what the top level misses);
    - ``decoder``: ``[bottom_codes, top_codes]`` -> image: the top codes are
      upsampled to the bottom resolution, concatenated with the bottom codes
      and decoded.

    Args:
        image_shape: ``(H, W, C)``, ``H`` and ``W`` multiples of
            ``2^(bottom_halvings + top_halvings)``.
        top_embedding_dim: channels of the top code vectors.
        bottom_embedding_dim: channels of the bottom code vectors.
        filters: channels of every convolution.
        bottom_halvings: halvings from the image to the bottom grid.
        top_halvings: halvings from the bottom grid to the top grid.
        num_residual_blocks: residual blocks per stack.
        residual_filters: hidden channels of the residual blocks.

    Returns:
        ``(encoder, bottom_encoder, decoder)`` functional models.

    Examples:
        >>> encoder, bottom_encoder, decoder = hierarchical_vq_networks(
        ...     (8, 8, 1), 4, 4, filters=8, bottom_halvings=1, top_halvings=1)
        >>> [tuple(o.shape) for o in encoder.outputs]
        [(None, 4, 4, 8), (None, 2, 2, 4)]
    """
    shape = _shape(image_shape)
    filters = check_positive_int(filters, "filters")
    bottom_halvings = check_positive_int(bottom_halvings, "bottom_halvings")
    top_halvings = check_positive_int(top_halvings, "top_halvings")
    _check_divisible(shape, bottom_halvings + top_halvings, "The two-level encoder")
    residual_filters = residual_filters or max(1, filters // 2)
    bottom_shape = (shape[0] >> bottom_halvings, shape[1] >> bottom_halvings)
    top_shape = (bottom_shape[0] >> top_halvings, bottom_shape[1] >> top_halvings)

    def down(h, count, prefix):
        for index in range(count):
            h = layers.Conv2D(
                filters,
                4,
                strides=2,
                padding="same",
                activation="relu",
                name=f"{prefix}_down_{index}",
            )(h)
        return h

    def up(h, count, prefix, last_activation="relu", last_filters=None, dtype=None):
        for index in range(count):
            last = index == count - 1
            h = layers.Conv2DTranspose(
                last_filters if last and last_filters else filters,
                4,
                strides=2,
                padding="same",
                activation=last_activation if last else "relu",
                name=f"{prefix}_up_{index}",
                **({"dtype": dtype} if last and dtype else {}),
            )(h)
        return h

    image = keras.Input(shape=shape, name="image")
    h = down(image, bottom_halvings, "bottom")
    h = layers.Conv2D(filters, 3, padding="same", name="bottom_mix")(h)
    features = residual_stack(
        h, filters, residual_filters, num_residual_blocks, "bottom_res"
    )
    t = down(features, top_halvings, "top")
    t = layers.Conv2D(filters, 3, padding="same", name="top_mix")(t)
    t = residual_stack(t, filters, residual_filters, num_residual_blocks, "top_res")
    top_latent = layers.Conv2D(top_embedding_dim, 1, name="top_to_embedding")(t)
    encoder = keras.Model(image, [features, top_latent], name="encoder")

    features_in = keras.Input(shape=(*bottom_shape, filters), name="bottom_features")
    top_codes = keras.Input(shape=(*top_shape, top_embedding_dim), name="top_codes")
    t = layers.Conv2D(filters, 3, padding="same", name="top_decode_mix")(top_codes)
    t = residual_stack(
        t, filters, residual_filters, num_residual_blocks, "top_decode_res"
    )
    t = up(t, top_halvings, "top_decode")
    h = layers.Concatenate(name="features_and_top")([features_in, t])
    bottom_latent = layers.Conv2D(bottom_embedding_dim, 1, name="bottom_to_embedding")(
        h
    )
    bottom_encoder = keras.Model(
        [features_in, top_codes], bottom_latent, name="bottom_encoder"
    )

    bottom_codes = keras.Input(
        shape=(*bottom_shape, bottom_embedding_dim), name="bottom_codes"
    )
    top_in = keras.Input(shape=(*top_shape, top_embedding_dim), name="top_codes")
    upsampled = up(top_in, top_halvings, "top_upsample")
    h = layers.Concatenate(name="bottom_and_top")([bottom_codes, upsampled])
    h = layers.Conv2D(filters, 3, padding="same", name="decode_mix")(h)
    h = residual_stack(h, filters, residual_filters, num_residual_blocks, "decode_res")
    out = up(
        h,
        bottom_halvings,
        "decode",
        last_activation="sigmoid",
        last_filters=shape[-1],
        dtype="float32",
    )
    decoder = keras.Model([bottom_codes, top_in], out, name="decoder")
    return encoder, bottom_encoder, decoder
