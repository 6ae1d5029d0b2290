"""A text-conditional GAN with a matching-aware discriminator (Reed et al.).

Both networks read a caption through their own `kgen.text.TextEncoder`
(token ids from a `kgen.text.WordTokenizer`, whose vocabulary is saved with
the model). The discriminator is *matching-aware* (GAN-CLS): besides real
images with their captions (real) and generated images with the captions
they were made for (fake), it sees real images with *mismatched* captions
and must call them fake too, so it learns whether an image fits its text,
not only whether it looks real:

``L_D = -log D(x, h) - (1 - m) log(1 - D(G(z, h), h)) - m log(1 - D(x, h'))``

with ``h'`` the caption of another example (``m = 1/2`` in the paper).

This is a small-scale demonstration of the method: kgen trains it on
captions written from class labels and attributes measured on the images
(``kgen.text.attribute_captions``: "small dark trouser"), with a text
encoder trained from scratch, not on human-written descriptions with a
pretrained encoder.

A fraction ``caption_dropout`` of the training captions is replaced by the
empty caption (all padding), so that the empty caption stands for "any
image": ``sample(n)`` without captions draws from the model's marginal.
"""

import keras
import numpy as np
from keras import layers, ops

from kgen import backend
from kgen.api_export import kgen_export
from kgen.models.adversarial.gan import GAN
from kgen.models.base import map_batches
from kgen.text.encoder import TextEncoder
from kgen.text.tokenizer import WordTokenizer
from kgen.validation import (
    check_finite,
    check_positive_int,
    check_rank_and_shape,
    to_numpy,
)

__all__ = ["TextConditionalGAN", "mismatched_captions", "text_gan_networks"]

_FIXED = (
    "loss",
    "n_critic",
    "gradient_penalty_weight",
    "r1_weight",
    "clip_value",
    "update",
    "critic_batches",
    "num_classes",
)


def mismatched_captions(tokens):
    """Each example's neighbour's caption, and whether it is a mismatch.

    Example ``i`` takes the caption of ``i + 1`` if ``i`` is even and of
    ``i - 1`` if it is odd (0<->1, 2<->3, ...; a last odd-one-out keeps its
    own), so that the pairs stay on one replica when ``tf.distribute`` gives
    each replica an even, consecutive share of the batch. A pair is a real
    mismatch unless the two captions are the same or either is empty.

    Args:
        tokens: int token ids ``(batch, max_length)``.

    Returns:
        ``(wrong, valid)``: the neighbours' token ids and a float32
        ``(batch,)`` mask, 1 for a real mismatch.

    Examples:
        >>> import numpy as np
        >>> tokens = np.array([[2, 3], [4, 0], [2, 3], [2, 3], [0, 0]])
        >>> wrong, valid = mismatched_captions(tokens)
        >>> keras.ops.convert_to_numpy(valid).tolist()
        [1.0, 1.0, 0.0, 0.0, 0.0]
    """
    tokens = ops.convert_to_tensor(tokens, "int32")
    batch = ops.shape(tokens)[0]
    index = ops.arange(batch, dtype="int32")
    partner = index + 1 - 2 * (index % 2)
    partner = ops.where(partner < batch, partner, index)
    wrong = ops.take(tokens, partner, axis=0)
    empty = ops.all(ops.equal(tokens, 0), axis=1)
    valid = ops.logical_and(
        ops.any(ops.not_equal(wrong, tokens), axis=1),
        ops.logical_not(ops.logical_or(empty, ops.take(empty, partner, axis=0))),
    )
    return wrong, ops.cast(valid, "float32")


def _normalization(kind, name, synchronized):
    if kind == "batch":
        return layers.BatchNormalization(synchronized=synchronized, name=name)
    if kind == "layer":
        return layers.LayerNormalization(axis=[-3, -2, -1], name=name)
    return layers.Identity(name=name)


def text_gan_networks(
    image_shape,
    vocabulary_size,
    max_length,
    latent_dim=32,
    text_dim=32,
    base_filters=32,
    discriminator_normalization="batch",
    synchronized_batch_norm=False,
):
    """DCGAN-style networks conditioned on a caption (Reed et al. 2016).

    The generator encodes the caption (`kgen.text.TextEncoder`, leaky ReLU),
    concatenates it with ``z`` and upsamples twice (DCGAN); the
    discriminator downsamples the image twice, replicates its own encoding
    of the caption over the ``(h/4, w/4)`` feature map, concatenates, and
    scores with a 1x1 convolution and a dense layer.

    Args:
        image_shape: ``(height, width, channels)``, sides divisible by 4.
        vocabulary_size: token ids (``WordTokenizer.vocabulary_size``).
        max_length: token ids per caption.
        latent_dim: size of ``z``.
        text_dim: size of the caption encodings.
        base_filters: width of the networks.
        discriminator_normalization: ``"batch"``, ``"layer"`` or ``None``.
        synchronized_batch_norm: batch statistics over all replicas
            (TensorFlow strategies only).

    Returns:
        ``(generator, discriminator)``: the generator on ``[z, tokens]``
        (tanh output), the discriminator on ``[image, tokens]`` (logits).

    Examples:
        >>> g, d = text_gan_networks((8, 8, 1), vocabulary_size=10, max_length=3,
        ...                          latent_dim=4, text_dim=4, base_filters=4)
        >>> g.output_shape, d.output_shape
        ((None, 8, 8, 1), (None, 1))

    References:
        Reed et al., "Generative Adversarial Text to Image Synthesis", ICML
        2016.
    """
    if len(image_shape) != 3:
        raise ValueError(
            f"image_shape must be (height, width, channels); received {image_shape!r}."
        )
    height, width, channels = (int(s) for s in image_shape)
    if height % 4 or width % 4:
        raise ValueError(
            f"text_gan_networks needs height and width divisible by 4; received "
            f"{tuple(image_shape)}."
        )
    vocabulary_size = check_positive_int(vocabulary_size, "vocabulary_size")
    max_length = check_positive_int(max_length, "max_length")
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    text_dim = check_positive_int(text_dim, "text_dim")
    filters = check_positive_int(base_filters, "base_filters")
    sync = synchronized_batch_norm

    z = keras.Input((latent_dim,), name="z")
    g_tokens = keras.Input((max_length,), dtype="int32", name="tokens")
    text = TextEncoder(vocabulary_size, text_dim, name="text_encoder")(g_tokens)
    text = layers.LeakyReLU(0.2)(text)
    h = layers.Concatenate()([z, text])
    h = layers.Dense((height // 4) * (width // 4) * 2 * filters, use_bias=False)(h)
    h = layers.BatchNormalization(synchronized=sync, name="project_bn")(h)
    h = layers.ReLU()(h)
    h = layers.Reshape((height // 4, width // 4, 2 * filters))(h)
    h = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(h)
    h = layers.BatchNormalization(synchronized=sync, name="up1_bn")(h)
    h = layers.ReLU()(h)
    out = layers.Conv2DTranspose(
        channels, 4, strides=2, padding="same", activation="tanh", name="up2"
    )(h)
    generator = keras.Model([z, g_tokens], out, name="text_generator")

    x = keras.Input((height, width, channels), name="image")
    d_tokens = keras.Input((max_length,), dtype="int32", name="tokens")
    h = layers.Conv2D(filters, 4, strides=2, padding="same")(x)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Conv2D(2 * filters, 4, strides=2, padding="same", use_bias=False)(h)
    h = _normalization(discriminator_normalization, "down2_norm", sync)(h)
    h = layers.LeakyReLU(0.2)(h)
    text = TextEncoder(vocabulary_size, text_dim, name="text_encoder")(d_tokens)
    text = layers.LeakyReLU(0.2)(text)
    text = layers.Reshape((1, 1, text_dim))(text)
    text = layers.UpSampling2D((height // 4, width // 4))(text)
    h = layers.Concatenate()([h, text])
    h = layers.Conv2D(2 * filters, 1)(h)
    h = layers.LeakyReLU(0.2)(h)
    logit = layers.Dense(1, name="logit")(layers.Flatten()(h))
    discriminator = keras.Model([x, d_tokens], logit, name="text_discriminator")
    return generator, discriminator


@kgen_export
class TextConditionalGAN(GAN):
    """A GAN conditioned on captions, with a matching-aware discriminator.

    Train with ``fit(x, captions)``: images in [-1, 1] and captions as
    strings (tokenized with the model's tokenizer) or token ids. Every verb
    that generates takes ``captions=`` (one per example, or one string for
    all); without captions it uses the empty caption, which stands for any
    image when the model was trained with ``caption_dropout > 0``. The model
    is not class-conditional (``num_classes`` is None; ``conditions`` must be
    None).

    Args:
        generator: network on ``[z, tokens]`` (``text_gan_networks``).
        discriminator: network on ``[image, tokens]``.
        latent_dim: size of ``z``.
        tokenizer: the `kgen.text.WordTokenizer` of the captions (saved with
            the model; its ``max_length`` must be the networks' token length).
        caption_dropout: fraction of training captions replaced by the empty
            caption (0.1; 0 trains on captions only and makes captions
            required when sampling).
        mismatch_weight: ``m``, the share of the discriminator's "fake" term
            given to real images with mismatched captions (0.5 as in Reed et
            al.; 0: a plain conditional GAN).
        ema_decay: EMA of the generator's weights (None: off).
        seed: integer seed of the training noise stream.
        **kwargs: base ``keras.Model`` arguments.

    Raises:
        ValueError: for a tokenizer that does not fit the networks or bad
            hyperparameters.

    Examples:
        >>> from kgen.models import TextConditionalGAN, text_gan_networks
        >>> from kgen.text import WordTokenizer
        >>> tokenizer = WordTokenizer.from_texts(["small dark boot", "large bright bag"])
        >>> g, d = text_gan_networks((8, 8, 1), tokenizer.vocabulary_size,
        ...                          tokenizer.max_length, latent_dim=4,
        ...                          text_dim=4, base_filters=4)
        >>> model = TextConditionalGAN(g, d, 4, tokenizer, seed=0)
        >>> model.sample(2, seed=0, captions="small dark boot").shape
        (2, 8, 8, 1)

    References:
        Reed et al., "Generative Adversarial Text to Image Synthesis", ICML
        2016; Zhang et al., "StackGAN", ICCV 2017.
    """

    config_objects = ("generator", "discriminator", "tokenizer")

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        tokenizer,
        caption_dropout=0.1,
        mismatch_weight=0.5,
        ema_decay=None,
        seed=None,
        **kwargs,
    ):
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        if not isinstance(tokenizer, WordTokenizer):
            raise ValueError(
                f"tokenizer must be a kgen.text.WordTokenizer; received "
                f"{type(tokenizer).__name__}."
            )
        for name, value in (
            ("caption_dropout", caption_dropout),
            ("mismatch_weight", mismatch_weight),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0.0 <= value < 1.0
            ):
                raise ValueError(
                    f"{name} must be a number in [0, 1); received {value!r}."
                )
        super().__init__(
            generator,
            discriminator,
            latent_dim,
            loss="non_saturating",
            ema_decay=ema_decay,
            seed=seed,
            **kwargs,
        )
        length = self._token_length()
        if tokenizer.max_length != length:
            raise ValueError(
                f"The networks take {length} token ids per caption; the tokenizer "
                f"gives {tokenizer.max_length} (max_length). Build them with the "
                "tokenizer's max_length."
            )
        self.tokenizer = tokenizer
        self.caption_dropout = float(caption_dropout)
        self.mismatch_weight = float(mismatch_weight)
        self.mismatch_tracker = keras.metrics.Mean(name="mismatch_loss")

    # -- captions -----------------------------------------------------------

    def _token_length(self):
        return int(self.generator.input_shape[1][1])

    def _with_labels(self, tensor, tokens):
        # the captions take the place of class labels in GAN's plumbing;
        # None is the empty caption
        if tokens is None:
            tokens = ops.zeros((ops.shape(tensor)[0], self._token_length()), "int32")
        return [tensor, ops.cast(tokens, "int32")]

    def tokenize(self, captions, num_examples=None, name="captions"):
        """Token ids ``(num, max_length)`` of strings or ids; one string for all.

        ``None`` is the empty caption (allowed when ``caption_dropout > 0``).
        """
        if captions is None:
            if not self.caption_dropout:
                raise ValueError(
                    f"{type(self).__name__} was trained without caption_dropout, so "
                    f"the empty caption means nothing to it; pass {name}= (strings "
                    "or token ids)."
                )
            return np.zeros((num_examples, self.tokenizer.max_length), "int32")
        if isinstance(captions, str) and num_examples is not None:
            captions = [captions] * num_examples
        ids = self.tokenizer.to_ids(captions, name=name)
        if num_examples is not None and len(ids) != num_examples:
            raise ValueError(
                f"Expected one caption per example ({num_examples}) or one string "
                f"for all; received {len(ids)} {name}."
            )
        return ids

    def check_data(self, x, y=None):
        x = self.check_x(x)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} trains on images with captions: "
                "fit(x, captions) with strings or token ids (one per image)."
            )
        self.tokenizer.check_ids(y, name="captions")
        if len(y) != len(x):
            raise ValueError(
                f"Expected one caption per image ({len(x)}); received {len(y)}."
            )

    def fit(self, x=None, y=None, *args, **kwargs):
        if isinstance(y, (str, list, tuple)) or (
            isinstance(y, np.ndarray) and y.dtype.kind in ("U", "S", "O")
        ):
            y = self.tokenizer.to_ids(y)
        return super().fit(x, y, *args, **kwargs)

    def _training_batch(self, data):
        x, y = self.unpack_batch(data)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} trains on (images, captions) batches; "
                "received images only."
            )
        return ops.cast(x, self.compute_dtype), ops.cast(y, "int32")

    # -- training -----------------------------------------------------------

    def training_phases(self, data):
        """The matching-aware discriminator phase, then the generator phase."""
        x, captions = self._training_batch(data)
        batch = ops.shape(x)[0]
        seed = self.training_seed_generator

        def draw(fn):
            return backend.replica_draw(fn, batch)

        def training_captions():
            """The batch's captions after caption dropout (drawn in each
            phase: random draws belong inside a phase on JAX)."""
            if not self.caption_dropout:
                return captions
            dropped = draw(lambda n: keras.random.uniform((n,), seed=seed))
            dropped = dropped < self.caption_dropout
            return ops.where(dropped[:, None], ops.zeros_like(captions), captions)

        def noise():
            return draw(lambda n: keras.random.normal((n, self.latent_dim), seed=seed))

        def d_loss_fn():
            tokens = training_captions()
            wrong, valid = mismatched_captions(tokens)
            fake = ops.stop_gradient(self._generate(noise(), tokens, training=True))
            real_logits = ops.cast(self._discriminate(x, tokens, True), "float32")
            fake_logits = ops.cast(self._discriminate(fake, tokens, True), "float32")
            wrong_logits = ops.cast(self._discriminate(x, wrong, True), "float32")
            m = self.mismatch_weight
            # averaged over the batch, pairs that are no mismatch counting 0
            # (a mean, so that replicas' shares add up to the whole batch's)
            mismatch = ops.mean(ops.softplus(wrong_logits[:, 0]) * valid)
            # -log D(x, h) - (1 - m) log(1 - D(G(z), h)) - m log(1 - D(x, h'))
            loss = (
                ops.mean(ops.softplus(-real_logits))
                + (1.0 - m) * ops.mean(ops.softplus(fake_logits))
                + m * mismatch
            )
            return loss, {"d_loss": loss, "mismatch_loss": mismatch}

        def g_loss_fn():
            tokens = training_captions()
            fake = self._generate(noise(), tokens, training=True)
            logits = ops.cast(self._discriminate(fake, tokens, True), "float32")
            loss = ops.mean(ops.softplus(-logits))
            return loss, {"g_loss": loss}

        def update_ema():
            decay = self.ema_decay
            for ema, variable in zip(
                self.ema_variables, self.generator.trainable_variables
            ):
                ema.assign(decay * ema + (1.0 - decay) * variable)

        return [
            backend.Phase(
                d_loss_fn, self.discriminator.trainable_variables, self.d_optimizer
            ),
            backend.Phase(
                g_loss_fn,
                self.generator.trainable_variables,
                self.g_optimizer,
                after=update_ema if self.ema_decay is not None else None,
            ),
        ]

    @property
    def metrics(self):
        return [
            self.loss_tracker,
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.mismatch_tracker,
        ]

    # -- inference ----------------------------------------------------------

    def decode(self, latents, conditions=None, *, captions=None, batch_size=256):
        """Images from latents and captions.

        Args:
            latents: ``(num, latent_dim)``.
            conditions: must be None (not class-conditional).
            captions: strings, token ids, or one string for all (None: the
                empty caption).
            batch_size: examples per generator call.

        Returns:
            NumPy float32 ``(num,) + data_shape`` in [-1, 1].
        """
        latents = check_rank_and_shape(
            np.asarray(to_numpy(latents), dtype="float32"),
            (None, self.latent_dim),
            name="latents",
        )
        check_finite(latents, name="latents")
        self.check_conditions(conditions, len(latents))
        tokens = self.tokenize(captions, len(latents))
        batch_size = check_positive_int(batch_size, "batch_size")
        decode = self.compiled_inference("decode", self._decode_batch)
        return np.asarray(map_batches(decode, [latents, tokens], batch_size), "float32")

    def sample(
        self, num_samples, *, seed=None, conditions=None, captions=None, batch_size=256
    ):
        """Draw images for captions (``z ~ N(0, I)``).

        Args:
            num_samples: number of images.
            seed: integer seed, or None for the model's own sampling stream.
            conditions: must be None.
            captions: one caption per image, or one string for all; None: the
                empty caption (the model's marginal, after caption dropout).
            batch_size: examples per generator call.

        Returns:
            NumPy float32 ``(num_samples,) + data_shape`` in [-1, 1].
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        self.check_conditions(conditions, num_samples)
        tokens = self.tokenize(captions, num_samples)
        latents = keras.random.normal(
            (num_samples, self.latent_dim), seed=self.sampling_seed_generator(seed)
        )
        return self.decode(
            ops.convert_to_numpy(latents), captions=tokens, batch_size=batch_size
        )

    def discriminate(self, x, conditions=None, *, captions=None, batch_size=256):
        """Discriminator logits ``(num, 1)`` of images with captions."""
        x = self.check_x(x)
        self.check_conditions(conditions, len(x))
        tokens = self.tokenize(captions, len(x))
        fn = self.compiled_inference("discriminate", self._discriminate_batch)
        return np.asarray(map_batches(fn, [x, tokens], batch_size), "float32")

    # -- saving -------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        for key in _FIXED:
            config.pop(key, None)
        config.update(
            {
                "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
                "caption_dropout": self.caption_dropout,
                "mismatch_weight": self.mismatch_weight,
            }
        )
        return config

    def save_assets(self, dir_path):
        """Writes the tokenizer's vocabulary as ``vocabulary.txt`` (one word a line)."""
        import os

        self.tokenizer.save_vocabulary(os.path.join(dir_path, "vocabulary.txt"))

    def load_assets(self, dir_path):
        """Reads ``vocabulary.txt`` back (the saved vocabulary is the model's)."""
        import os

        path = os.path.join(dir_path, "vocabulary.txt")
        if os.path.isfile(path):
            self.tokenizer = WordTokenizer.from_vocabulary_file(
                path,
                max_length=self.tokenizer.max_length,
                lowercase=self.tokenizer.lowercase,
            )
