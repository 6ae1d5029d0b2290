"""Network builders: DCGAN (Radford et al.) and small MLPs for toy data."""

import keras
from keras import layers

from kgen.layers.adversarial import ClassProjection
from kgen.validation import check_positive_int

__all__ = ["dcgan", "dcgan_networks", "mlp_networks"]


def _normalization(kind, name, synchronized=False):
    if kind == "batch":
        return layers.BatchNormalization(synchronized=synchronized, name=name)
    if kind == "layer":
        return layers.LayerNormalization(axis=[-3, -2, -1], name=name)
    return layers.Identity(name=name)


def dcgan_networks(
    image_shape,
    latent_dim=100,
    base_filters=64,
    num_classes=None,
    conditioning="projection",
    discriminator_normalization="batch",
    synchronized_batch_norm=False,
):
    """Generator and discriminator following the DCGAN guidelines.

    Strided (transposed) convolutions instead of pooling, batch normalization
    in both networks except the generator's output and the discriminator's
    input layer, ReLU in the generator, LeakyReLU(0.2) in the discriminator,
    tanh output. Two stride-2 stages, so height and width must be divisible by
    4: 28x28 (7 -> 14 -> 28), 32x32 (8 -> 16 -> 32), 8x8 for tests.

    Args:
        image_shape: ``(height, width, channels)``.
        latent_dim: noise size.
        base_filters: filters of the widest-resolution stage (64 in the
            paper's spirit; 4-8 for tests).
        num_classes: if set, build class-conditional networks taking
            ``[z, labels]`` and ``[x, labels]``.
        conditioning: for conditional networks: ``"projection"`` (projection
            discriminator) or ``"concat"`` (label embedding concatenated to the
            image as an extra channel). The generator always concatenates a
            label embedding to ``z``.
        discriminator_normalization: ``"batch"``, ``"layer"`` (for WGAN-GP,
            whose penalty is per example) or ``None``.
        synchronized_batch_norm: batch statistics over the whole batch of
            every replica under a ``tf.distribute`` strategy (TensorFlow
            only; Keras raises on other backends, where the distribution runs
            one global program and the statistics are global anyway). Without
            it each replica normalizes with its own share of the batch.

    Returns:
        ``(generator, discriminator)`` functional ``keras.Model`` objects.

    Raises:
        ValueError: for an image size not divisible by 4 or bad options.

    Examples:
        >>> from kgen.models import dcgan_networks
        >>> g, d = dcgan_networks((8, 8, 1), latent_dim=8, base_filters=4)
        >>> g.output_shape, d.output_shape
        ((None, 8, 8, 1), (None, 1))

    References:
        Radford, Metz & Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR 2016.
    """
    if len(image_shape) != 3:
        raise ValueError(
            f"image_shape must be (height, width, channels); received {image_shape!r}."
        )
    height, width, channels = (int(s) for s in image_shape)
    if height % 4 or width % 4:
        raise ValueError(
            f"DCGAN needs height and width divisible by 4 (two stride-2 stages); "
            f"received image_shape {tuple(image_shape)}."
        )
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    filters = check_positive_int(base_filters, "base_filters")
    if conditioning not in ("projection", "concat"):
        raise ValueError(
            f"conditioning must be 'projection' or 'concat'; received {conditioning!r}."
        )
    if discriminator_normalization not in ("batch", "layer", None):
        raise ValueError(
            "discriminator_normalization must be 'batch', 'layer' or None; "
            f"received {discriminator_normalization!r}."
        )
    conditional = num_classes is not None
    if conditional:
        num_classes = check_positive_int(num_classes, "num_classes")

    # Generator: z -> (h/4, w/4, 2F) -> (h/2, w/2, F) -> (h, w, C).
    z = keras.Input((latent_dim,), name="z")
    g_inputs = [z]
    h = z
    if conditional:
        g_labels = keras.Input((), dtype="int32", name="labels")
        g_inputs.append(g_labels)
        embedded = layers.Embedding(num_classes, latent_dim, name="label_embedding")(
            g_labels
        )
        h = layers.Concatenate(name="concat_label")([z, embedded])
    h = layers.Dense(
        (height // 4) * (width // 4) * 2 * filters, use_bias=False, name="project"
    )(h)
    h = layers.BatchNormalization(
        synchronized=synchronized_batch_norm, name="project_bn"
    )(h)
    h = layers.ReLU()(h)
    h = layers.Reshape((height // 4, width // 4, 2 * filters))(h)
    h = layers.Conv2DTranspose(
        filters, 4, strides=2, padding="same", use_bias=False, name="up1"
    )(h)
    h = layers.BatchNormalization(synchronized=synchronized_batch_norm, name="up1_bn")(
        h
    )
    h = layers.ReLU()(h)
    # No batch norm on the output layer.
    out = layers.Conv2DTranspose(
        channels, 4, strides=2, padding="same", activation="tanh", name="up2"
    )(h)
    generator = keras.Model(g_inputs if conditional else z, out, name="dcgan_generator")

    # Discriminator: (h, w, C) -> (h/2, w/2, F) -> (h/4, w/4, 2F) -> logit.
    x = keras.Input(tuple(image_shape), name="image")
    d_inputs = [x]
    h = x
    if conditional:
        d_labels = keras.Input((), dtype="int32", name="labels")
        d_inputs.append(d_labels)
        if conditioning == "concat":
            label_map = layers.Embedding(num_classes, height * width, name="label_map")(
                d_labels
            )
            label_map = layers.Reshape((height, width, 1))(label_map)
            h = layers.Concatenate(name="concat_label")([x, label_map])
    # No normalization on the input layer.
    h = layers.Conv2D(filters, 4, strides=2, padding="same", name="down1")(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Conv2D(
        2 * filters, 4, strides=2, padding="same", use_bias=False, name="down2"
    )(h)
    h = _normalization(
        discriminator_normalization, "down2_norm", synchronized_batch_norm
    )(h)
    h = layers.LeakyReLU(0.2)(h)
    features = layers.Flatten()(h)
    logit = layers.Dense(1, name="logit")(features)
    if conditional and conditioning == "projection":
        projection = ClassProjection(num_classes, name="projection")(
            [features, d_labels]
        )
        logit = layers.Add(name="projected_logit")([logit, projection])
    discriminator = keras.Model(
        d_inputs if conditional else x, logit, name="dcgan_discriminator"
    )
    return generator, discriminator


def dcgan(image_shape, latent_dim=100, base_filters=64, **gan_kwargs):
    """A DCGAN: ``GAN`` with ``dcgan_networks`` and the non-saturating loss.

    Compile it as in the paper with
    ``compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))``.

    Args:
        image_shape: ``(height, width, channels)``, sides divisible by 4.
        latent_dim: noise size.
        base_filters: width of the networks.
        **gan_kwargs: other ``GAN`` arguments (``loss``, ``ema_decay``, ...).

    Returns:
        An uncompiled ``kgen.models.GAN``.

    Examples:
        >>> from kgen.models import dcgan
        >>> gan = dcgan((8, 8, 1), latent_dim=8, base_filters=4)
        >>> gan.data_shape
        (8, 8, 1)

    References:
        Radford, Metz & Chintala, ICLR 2016.
    """
    from kgen.models.adversarial.gan import GAN

    generator, discriminator = dcgan_networks(image_shape, latent_dim, base_filters)
    return GAN(generator, discriminator, latent_dim, **gan_kwargs)


def mlp_networks(data_dim, latent_dim, hidden_units=64, num_layers=2, num_classes=None):
    """Small MLP generator and discriminator for vector (e.g. 2-D toy) data.

    Args:
        data_dim: size of a data vector.
        latent_dim: noise size.
        hidden_units: width of the hidden layers.
        num_layers: hidden layers per network.
        num_classes: if set, build class-conditional networks taking
            ``[z, labels]`` and ``[x, labels]`` (a label embedding is
            concatenated to each network's input), for ``ConditionalGAN``.

    Returns:
        ``(generator, discriminator)`` ``keras.Model`` objects; the
        generator's output is linear.

    Examples:
        >>> from kgen.models import mlp_networks
        >>> g, d = mlp_networks(data_dim=2, latent_dim=4, hidden_units=8)
        >>> g.output_shape, d.output_shape
        ((None, 2), (None, 1))
    """
    data_dim = check_positive_int(data_dim, "data_dim")
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    hidden_units = check_positive_int(hidden_units, "hidden_units")
    if num_classes is not None:
        num_classes = check_positive_int(num_classes, "num_classes")

    def network(input_dim, output_dim, activation, name):
        x = keras.Input((input_dim,), name="inputs")
        inputs, h = x, x
        if num_classes is not None:
            labels = keras.Input((), dtype="int32", name="labels")
            inputs = [x, labels]
            embedded = layers.Embedding(num_classes, input_dim, name="label_embedding")(
                labels
            )
            h = layers.Concatenate()([x, embedded])
        for _ in range(num_layers):
            h = layers.Dense(hidden_units, activation=activation)(h)
        return keras.Model(inputs, layers.Dense(output_dim)(h), name=name)

    generator = network(latent_dim, data_dim, "relu", "mlp_generator")
    discriminator = network(data_dim, 1, layers.LeakyReLU(0.2), "mlp_discriminator")
    return generator, discriminator
