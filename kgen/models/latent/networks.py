"""Small encoder and decoder networks used by the latent-model builders.

Plain functional ``keras.Model``s, so they serialize with the model that
owns them. Conditional variants take a second input, the one-hot label,
concatenated to the flattened image (encoder) or to ``z`` (decoder).
"""

import math

import keras
from keras import layers


def _image_shape(image_shape):
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            "image_shape must be (height, width, channels) with positive sizes; "
            f"received {image_shape!r}."
        )
    return shape


def mlp_encoder(
    image_shape, output_dim, hidden_units=(400,), num_classes=0, name="encoder"
):
    """Flatten -> Dense(ReLU) x len(hidden_units) -> Dense(output_dim)."""
    image_shape = _image_shape(image_shape)
    image = keras.Input(shape=image_shape, name="image")
    inputs = [image]
    h = layers.Flatten()(image)
    if num_classes:
        label = keras.Input(shape=(num_classes,), name="one_hot_label")
        inputs.append(label)
        h = layers.Concatenate()([h, label])
    for units in hidden_units:
        h = layers.Dense(units, activation="relu")(h)
    out = layers.Dense(output_dim, dtype="float32")(h)
    return keras.Model(inputs if num_classes else image, out, name=name)


def mlp_decoder(
    latent_dim,
    image_shape,
    channels_per_pixel=1,
    hidden_units=(400,),
    num_classes=0,
    final_activation=None,
    name="decoder",
):
    """Dense(ReLU) x len(hidden_units) -> Dense(H*W*C*k) -> Reshape(H, W, C*k)."""
    height, width, channels = _image_shape(image_shape)
    z = keras.Input(shape=(latent_dim,), name="z")
    inputs = [z]
    h = z
    if num_classes:
        label = keras.Input(shape=(num_classes,), name="one_hot_label")
        inputs.append(label)
        h = layers.Concatenate()([z, label])
    for units in hidden_units:
        h = layers.Dense(units, activation="relu")(h)
    size = height * width * channels * channels_per_pixel
    h = layers.Dense(size, activation=final_activation, dtype="float32")(h)
    out = layers.Reshape((height, width, channels * channels_per_pixel))(h)
    return keras.Model(inputs if num_classes else z, out, name=name)


def conv_encoder(image_shape, output_dim, filters=(32, 64), name="encoder"):
    """Strided 3x3 convolutions (ReLU), one per entry of ``filters``, then Dense."""
    image_shape = _image_shape(image_shape)
    factor = 2 ** len(filters)
    if image_shape[0] % factor or image_shape[1] % factor:
        raise ValueError(
            f"conv builders halve the image {len(filters)} time(s), so height and "
            f"width must be multiples of {factor}; received image_shape "
            f"{image_shape}. Use fewer filters or the MLP builder."
        )
    image = keras.Input(shape=image_shape, name="image")
    h = image
    for count in filters:
        h = layers.Conv2D(count, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Flatten()(h)
    out = layers.Dense(output_dim, dtype="float32")(h)
    return keras.Model(image, out, name=name)


def conv_decoder(
    latent_dim, image_shape, channels_per_pixel=1, filters=(32, 64), name="decoder"
):
    """Dense -> reshape -> transposed convolutions mirroring ``conv_encoder``."""
    height, width, channels = _image_shape(image_shape)
    factor = 2 ** len(filters)
    small_h, small_w = height // factor, width // factor
    z = keras.Input(shape=(latent_dim,), name="z")
    h = layers.Dense(small_h * small_w * filters[-1], activation="relu")(z)
    h = layers.Reshape((small_h, small_w, filters[-1]))(h)
    for count in reversed(filters):
        h = layers.Conv2DTranspose(
            count, 3, strides=2, padding="same", activation="relu"
        )(h)
    out = layers.Conv2D(
        channels * channels_per_pixel, 3, padding="same", dtype="float32"
    )(h)
    return keras.Model(z, out, name=name)


def num_pixels(image_shape):
    return int(math.prod(image_shape))
