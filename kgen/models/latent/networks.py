"""Small encoder and decoder networks used by the latent-model builders.

Plain functional ``keras.Model``s, so they serialize with the model that
owns them. Conditional variants (``num_classes`` set) take a second input,
the one-hot label, concatenated to the flattened image features (encoder)
or to ``z`` (decoder).
"""

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


def _label_input(num_classes, inputs):
    label = keras.Input(shape=(num_classes,), name="one_hot_label")
    inputs.append(label)
    return label


def mlp_encoder(
    image_shape, output_dim, hidden_units=(400,), num_classes=None, name="encoder"
):
    """Flatten -> Dense(ReLU) x len(hidden_units) -> Dense(output_dim)."""
    image_shape = _image_shape(image_shape)
    image = keras.Input(shape=image_shape, name="image")
    inputs = [image]
    h = layers.Flatten()(image)
    if num_classes:
        h = layers.Concatenate()([h, _label_input(num_classes, inputs)])
    for units in hidden_units:
        h = layers.Dense(units, activation="relu")(h)
    out = layers.Dense(output_dim, dtype="float32")(h)
    return keras.Model(inputs if num_classes else image, out, name=name)


def mlp_decoder(
    latent_dim,
    image_shape,
    output_channels=None,
    hidden_units=(400,),
    num_classes=None,
    final_activation=None,
    name="decoder",
):
    """Dense(ReLU) x len(hidden_units) -> Dense(H*W*k) -> Reshape(H, W, k).

    ``k = output_channels`` decoder outputs per pixel (default: the image's
    channels).
    """
    height, width, channels = _image_shape(image_shape)
    output_channels = channels if output_channels is None else int(output_channels)
    z = keras.Input(shape=(latent_dim,), name="z")
    inputs = [z]
    h = z
    if num_classes:
        h = layers.Concatenate()([z, _label_input(num_classes, inputs)])
    for units in hidden_units:
        h = layers.Dense(units, activation="relu")(h)
    size = height * width * output_channels
    h = layers.Dense(size, activation=final_activation, dtype="float32")(h)
    out = layers.Reshape((height, width, output_channels))(h)
    return keras.Model(inputs if num_classes else z, out, name=name)


def conv_encoder(
    image_shape, output_dim, filters=(32, 64), num_classes=None, name="encoder"
):
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
    inputs = [image]
    h = image
    for count in filters:
        h = layers.Conv2D(count, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Flatten()(h)
    if num_classes:
        h = layers.Concatenate()([h, _label_input(num_classes, inputs)])
    out = layers.Dense(output_dim, dtype="float32")(h)
    return keras.Model(inputs if num_classes else image, out, name=name)


def conv_decoder(
    latent_dim,
    image_shape,
    output_channels=None,
    filters=(32, 64),
    num_classes=None,
    name="decoder",
):
    """Dense -> reshape -> transposed convolutions mirroring ``conv_encoder``."""
    height, width, channels = _image_shape(image_shape)
    output_channels = channels if output_channels is None else int(output_channels)
    factor = 2 ** len(filters)
    small_h, small_w = height // factor, width // factor
    z = keras.Input(shape=(latent_dim,), name="z")
    inputs = [z]
    h = z
    if num_classes:
        h = layers.Concatenate()([z, _label_input(num_classes, inputs)])
    h = layers.Dense(small_h * small_w * filters[-1], activation="relu")(h)
    h = layers.Reshape((small_h, small_w, filters[-1]))(h)
    for count in reversed(filters):
        h = layers.Conv2DTranspose(
            count, 3, strides=2, padding="same", activation="relu"
        )(h)
    out = layers.Conv2D(output_channels, 3, padding="same", dtype="float32")(h)
    return keras.Model(inputs if num_classes else z, out, name=name)
