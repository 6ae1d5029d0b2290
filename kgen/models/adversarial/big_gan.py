"""BigGAN: class-conditional GANs at scale (Brock, Donahue & Simonyan 2019).

``biggan_networks`` builds the two networks:

- the generator splits ``z`` into chunks (a *hierarchical latent*): the first
  chunk is projected to the first feature map, and each residual up-block
  gets ``[shared class embedding, its own chunk]`` as the condition of its
  two `kgen.layers.ConditionalBatchNormalization` layers; self-attention
  (`kgen.layers.SelfAttention2D`) at one resolution; spectral normalization
  (`kgen.layers.SpectralNorm`) on every convolution and dense layer;
- the discriminator is a residual down-sampling network with spectral
  normalization, self-attention, global sum pooling, a linear logit and a
  class projection (Miyato & Koyama).

`BigGAN` is a ``GAN`` with the hinge loss, two discriminator steps per
generator step, BigGAN's orthogonal regularization of the generator's
weights, an EMA generator, and the truncation trick at sampling time
(``z`` drawn from a normal truncated at ``truncation``).
"""

import math

import keras
import numpy as np
from keras import layers, ops

from kgen.api_export import kgen_export
from kgen.layers.adversarial import ClassProjection
from kgen.layers.normalization import ConditionalBatchNormalization, SpectralNorm
from kgen.layers.self_attention import SelfAttention2D
from kgen.layers.style import synthesis_resolutions
from kgen.models.adversarial.gan import GAN
from kgen.validation import check_positive_int

__all__ = [
    "BigGAN",
    "biggan_networks",
    "orthogonal_regularization",
    "truncated_normal",
]


def orthogonal_regularization(kernel):
    """BigGAN's orthogonal regularizer ``||W^T W * (1 - I)||_F^2``.

    ``W`` is the kernel reshaped to ``(-1, filters)`` (one column per output
    filter). Only the off-diagonal entries of ``W^T W`` are penalized: the
    filters are pushed towards being orthogonal to each other without
    constraining their norms (Brock et al. 2019, section 3.1), so the
    penalty is zero for every matrix with orthogonal columns.

    Args:
        kernel: a weight tensor whose last axis is the output filters.

    Returns:
        A float32 scalar tensor.

    Examples:
        >>> import numpy as np
        >>> q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(5, 3)))
        >>> round(float(orthogonal_regularization(q * [1.0, 2.0, 3.0])), 6)
        0.0
    """
    kernel = ops.cast(ops.convert_to_tensor(kernel), "float32")
    w = ops.reshape(kernel, (-1, int(kernel.shape[-1])))
    gram = ops.matmul(ops.transpose(w), w)
    off_diagonal = gram * (1.0 - ops.eye(int(gram.shape[0]), dtype=gram.dtype))
    return ops.sum(ops.square(off_diagonal))


def truncated_normal(shape, threshold, seed):
    """Standard normal draws truncated to ``[-threshold, threshold]``.

    Exact inverse-CDF sampling: ``z = sqrt(2) erfinv(u)`` with ``u`` uniform
    in ``(-erf(t / sqrt 2), erf(t / sqrt 2))`` has the standard normal's
    density restricted to ``|z| <= t`` (the truncation trick of BigGAN,
    where out-of-range values are resampled; the same distribution).
    ``threshold=None`` gives plain normal draws.

    Args:
        shape: output shape.
        threshold: positive float, or None.
        seed: a ``keras.random.SeedGenerator`` or int.

    Returns:
        A float32 tensor.

    Examples:
        >>> z = keras.ops.convert_to_numpy(truncated_normal((1000,), 0.5, seed=0))
        >>> bool(abs(z).max() <= 0.5)
        True
    """
    if threshold is None:
        return keras.random.normal(shape, seed=seed)
    limit = math.erf(float(threshold) / math.sqrt(2.0))
    u = keras.random.uniform(shape, minval=-limit, maxval=limit, seed=seed)
    z = math.sqrt(2.0) * ops.erfinv(u)
    return ops.clip(z, -float(threshold), float(threshold))


def _sn(layer, spectral_norm):
    return SpectralNorm(layer, name=f"{layer.name}_sn") if spectral_norm else layer


def _chunk_sizes(total, count):
    base, extra = divmod(total, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def biggan_networks(
    image_shape,
    latent_dim=64,
    num_classes=None,
    base_filters=32,
    max_filters=256,
    embedding_dim=32,
    attention_resolution=None,
    spectral_norm=True,
    synchronized_batch_norm=False,
):
    """BigGAN's generator and discriminator for ``image_shape``.

    Args:
        image_shape: ``(size, size, channels)`` with ``size = s * 2**k``,
            ``4 <= s < 8`` (8, 16, 28, 32, ...); the generator starts at
            ``s`` and doubles (see ``kgen.layers.synthesis_resolutions``).
        latent_dim: size of ``z``; split into one chunk for the first
            projection and one per up-block (at least one unit each).
        num_classes: number of classes (None: an unconditional BigGAN,
            whose batch norms are conditioned on the ``z`` chunks only and
            whose discriminator has no class projection).
        base_filters: channels at the image's resolution; doubled at each
            halving up to ``max_filters``.
        max_filters: channel cap.
        embedding_dim: size of the shared class embedding.
        attention_resolution: side of the feature maps that get
            self-attention in both networks (default: the second-largest
            resolution, e.g. 14 for 28x28 images; 0 turns it off).
        spectral_norm: spectral normalization in both networks.
        synchronized_batch_norm: batch statistics over every replica under
            ``tf.distribute`` (TensorFlow only).

    Returns:
        ``(generator, discriminator)`` ``keras.Model`` objects: the generator
        on ``z`` (and ``labels``), tanh output; the discriminator on images
        (and ``labels``), logits ``(batch, 1)``.

    Raises:
        ValueError: for an unusable image shape or sizes.

    Examples:
        >>> g, d = biggan_networks((8, 8, 1), latent_dim=8, num_classes=3,
        ...                        base_filters=4, embedding_dim=4)
        >>> g.output_shape, d.output_shape
        ((None, 8, 8, 1), (None, 1))

    References:
        Brock, Donahue & Simonyan, "Large Scale GAN Training for High
        Fidelity Natural Image Synthesis", ICLR 2019; Zhang et al., SAGAN,
        2019; Miyato & Koyama, "cGANs with Projection Discriminator", 2018.
    """
    resolutions = synthesis_resolutions(image_shape)
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    base_filters = check_positive_int(base_filters, "base_filters")
    max_filters = check_positive_int(max_filters, "max_filters")
    embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
    conditional = num_classes is not None
    if conditional:
        num_classes = check_positive_int(num_classes, "num_classes")
    num_blocks = len(resolutions) - 1
    if latent_dim < num_blocks + 1:
        raise ValueError(
            f"latent_dim must be at least {num_blocks + 1} (one chunk for the "
            f"projection and one per up-block); received {latent_dim}."
        )
    if attention_resolution is None:
        attention_resolution = resolutions[-2]
    top = resolutions[-1]
    channels = [min(base_filters * top // r, max_filters) for r in resolutions]
    height, width, image_channels = (int(s) for s in image_shape)
    orthogonal = keras.initializers.Orthogonal

    def conv(filters, kernel_size, name):
        return _sn(
            layers.Conv2D(
                filters,
                kernel_size,
                padding="same",
                kernel_initializer=orthogonal(),
                name=name,
            ),
            spectral_norm,
        )

    # ---------------------------------------------------------- generator
    z = keras.Input((latent_dim,), name="z")
    inputs = [z]
    sizes = _chunk_sizes(latent_dim, num_blocks + 1)
    starts = np.cumsum([0] + sizes)
    chunks = [z[:, int(a) : int(b)] for a, b in zip(starts[:-1], starts[1:])]
    if conditional:
        g_labels = keras.Input((), dtype="int32", name="labels")
        inputs.append(g_labels)
        shared = layers.Embedding(num_classes, embedding_dim, name="shared_embedding")(
            g_labels
        )
    start = resolutions[0]
    h = _sn(
        layers.Dense(
            start * start * channels[0],
            kernel_initializer=orthogonal(),
            name="project",
        ),
        spectral_norm,
    )(chunks[0])
    h = layers.Reshape((start, start, channels[0]))(h)
    for block, resolution in enumerate(resolutions[1:], start=1):
        condition = chunks[block]
        if conditional:
            condition = layers.Concatenate(name=f"condition_{resolution}")(
                [shared, condition]
            )
        filters = channels[block]
        # residual up-block: CBN-ReLU-up-conv-CBN-ReLU-conv + up-conv1x1(skip)
        y = ConditionalBatchNormalization(
            momentum=0.9,
            epsilon=1e-5,
            synchronized=synchronized_batch_norm,
            name=f"g_{resolution}_cbn0",
        )([h, condition])
        y = layers.ReLU()(y)
        y = layers.UpSampling2D(2)(y)
        y = conv(filters, 3, f"g_{resolution}_conv0")(y)
        y = ConditionalBatchNormalization(
            momentum=0.9,
            epsilon=1e-5,
            synchronized=synchronized_batch_norm,
            name=f"g_{resolution}_cbn1",
        )([y, condition])
        y = layers.ReLU()(y)
        y = conv(filters, 3, f"g_{resolution}_conv1")(y)
        skip = layers.UpSampling2D(2)(h)
        skip = conv(filters, 1, f"g_{resolution}_skip")(skip)
        h = layers.Add()([y, skip])
        if resolution == attention_resolution:
            h = SelfAttention2D(
                reduction=min(8, filters),
                spectral_norm=spectral_norm,
                name="g_attention",
            )(h)
    h = layers.BatchNormalization(
        momentum=0.9,
        epsilon=1e-5,
        synchronized=synchronized_batch_norm,
        name="g_out_bn",
    )(h)
    h = layers.ReLU()(h)
    out = layers.Activation("tanh", name="tanh")(conv(image_channels, 3, "g_out")(h))
    generator = keras.Model(inputs if conditional else z, out, name="biggan_generator")

    # ------------------------------------------------------ discriminator
    x = keras.Input((height, width, image_channels), name="image")
    d_inputs = [x]
    if conditional:
        d_labels = keras.Input((), dtype="int32", name="labels")
        d_inputs.append(d_labels)
    h = x
    down = list(reversed(resolutions))  # image side first
    attended = False
    reversed_channels = list(reversed(channels))
    for block in range(num_blocks + 1):
        resolution = down[min(block, num_blocks)]
        downsample = block < num_blocks
        filters = reversed_channels[min(block + 1, num_blocks)]
        name = f"d_{resolution}" + ("" if downsample else "_final")
        # residual down-block; the first one without pre-activation
        y = h if block == 0 else layers.ReLU()(h)
        y = conv(filters, 3, f"{name}_conv0")(y)
        y = layers.ReLU()(y)
        y = conv(filters, 3, f"{name}_conv1")(y)
        if downsample:
            y = layers.AveragePooling2D(2)(y)
        skip = h
        if block == 0:
            if downsample:
                skip = layers.AveragePooling2D(2)(skip)
            skip = conv(filters, 1, f"{name}_skip")(skip)
        else:
            skip = conv(filters, 1, f"{name}_skip")(skip)
            if downsample:
                skip = layers.AveragePooling2D(2)(skip)
        h = layers.Add()([y, skip])
        side = down[block + 1] if downsample else resolutions[0]
        if side == attention_resolution and not attended:
            h = SelfAttention2D(
                reduction=min(8, filters),
                spectral_norm=spectral_norm,
                name="d_attention",
            )(h)
            attended = True
    h = layers.ReLU()(h)
    features = layers.GlobalAveragePooling2D(name="pool")(h)
    # global *sum* pooling: the average times the number of positions
    features = layers.Rescaling(float(resolutions[0] ** 2), name="sum_pool")(features)
    logit = _sn(
        layers.Dense(1, kernel_initializer=orthogonal(), name="logit"),
        spectral_norm,
    )(features)
    if conditional:
        projection = _sn(
            ClassProjection(num_classes, name="projection"), spectral_norm
        )([features, d_labels])
        logit = layers.Add(name="projected_logit")([logit, projection])
    discriminator = keras.Model(
        d_inputs if conditional else x, logit, name="biggan_discriminator"
    )
    return generator, discriminator


@kgen_export
class BigGAN(GAN):
    """BigGAN (Brock et al. 2019) trained with ``fit``.

    A ``GAN`` on ``biggan_networks`` with BigGAN's defaults: the hinge loss,
    ``n_critic=2`` discriminator steps per generator step, orthogonal
    regularization ``beta * sum_W ||W^T W * (1 - I)||^2`` over the
    generator's kernels (not its class embedding) added to its loss, and an
    EMA of the generator's weights for sampling. ``sample(...,
    truncation=t)`` draws ``z`` from a normal truncated at ``t`` (smaller:
    less variety, more typical images; None: no truncation).

    Args:
        generator: network on ``[z, labels]`` (or ``z``).
        discriminator: network on ``[x, labels]`` (or ``x``).
        latent_dim: size of ``z``.
        num_classes: number of classes (None: unconditional).
        orthogonal_weight: ``beta`` (1e-4 in the paper).
        loss: GAN loss (``"hinge"``).
        n_critic: discriminator steps per generator step (2).
        ema_decay: EMA of the generator's weights (0.999; None: off).
        **kwargs: other ``GAN`` arguments (``critic_batches``, ``seed``, ...).

    Examples:
        >>> from kgen.models import BigGAN, biggan_networks
        >>> g, d = biggan_networks((8, 8, 1), latent_dim=8, num_classes=3,
        ...                        base_filters=4, embedding_dim=4)
        >>> model = BigGAN(g, d, latent_dim=8, num_classes=3, seed=0)
        >>> model.sample(3, seed=0, conditions=[0, 1, 2], truncation=0.5).shape
        (3, 8, 8, 1)

    References:
        Brock, Donahue & Simonyan, "Large Scale GAN Training for High
        Fidelity Natural Image Synthesis", ICLR 2019.
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        num_classes=None,
        orthogonal_weight=1e-4,
        loss="hinge",
        n_critic=2,
        ema_decay=0.999,
        **kwargs,
    ):
        if (
            isinstance(orthogonal_weight, bool)
            or not isinstance(orthogonal_weight, (int, float))
            or orthogonal_weight < 0
        ):
            raise ValueError(
                f"orthogonal_weight must be a non-negative number; received "
                f"{orthogonal_weight!r}."
            )
        super().__init__(
            generator,
            discriminator,
            latent_dim,
            loss=loss,
            n_critic=n_critic,
            ema_decay=ema_decay,
            num_classes=num_classes,
            **kwargs,
        )
        self.orthogonal_weight = float(orthogonal_weight)
        self.orthogonal_tracker = keras.metrics.Mean(name="orthogonal_penalty")

    def regularized_kernels(self):
        """The generator weights under orthogonal regularization.

        Every trainable weight with two or more axes except embeddings (the
        shared class embedding is excluded, as in BigGAN).
        """
        return [
            v
            for v in self.generator.trainable_variables
            if len(v.shape) >= 2 and "embedding" not in v.path
        ]

    def generator_regularization(self):
        if not self.orthogonal_weight:
            return None
        penalty = sum(orthogonal_regularization(k) for k in self.regularized_kernels())
        return self.orthogonal_weight * penalty, {"orthogonal_penalty": penalty}

    @property
    def metrics(self):
        trackers = super().metrics
        if self.orthogonal_weight:
            trackers.append(self.orthogonal_tracker)
        return trackers

    def get_config(self):
        config = super().get_config()
        config["orthogonal_weight"] = self.orthogonal_weight
        return config

    def sample(
        self,
        num_samples,
        *,
        seed=None,
        conditions=None,
        batch_size=256,
        truncation=None,
    ):
        """Draw images; ``z`` truncated at ``truncation`` (None: no truncation).

        Args:
            num_samples: number of images.
            seed: integer seed, or None for the model's own sampling stream.
            conditions: class labels (one per sample, or one for all) for a
                conditional model.
            batch_size: examples per generator call.
            truncation: threshold ``t > 0`` of the truncated normal, or None.

        Returns:
            NumPy float32 ``(num_samples,) + data_shape`` in [-1, 1].
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        labels = self.check_conditions(conditions, num_samples)
        if truncation is not None and (
            isinstance(truncation, bool)
            or not isinstance(truncation, (int, float))
            or truncation <= 0
        ):
            raise ValueError(
                f"truncation must be None or a positive threshold (e.g. 0.5); "
                f"received {truncation!r}."
            )
        latents = truncated_normal(
            (num_samples, self.latent_dim),
            truncation,
            seed=self.sampling_seed_generator(seed),
        )
        return self.decode(latents, labels, batch_size=batch_size)
