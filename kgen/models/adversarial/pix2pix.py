"""Pix2Pix: paired image-to-image translation with a conditional GAN."""

import keras
from keras import ops

from kgen import backend
from kgen.api_export import kgen_export
from kgen.losses.adversarial import discriminator_loss, generator_loss
from kgen.models.adversarial.translation import TranslationModel

__all__ = ["Pix2Pix"]

LOSSES = ("non_saturating", "least_squares")


@kgen_export
class Pix2Pix(TranslationModel):
    """Pix2Pix (Isola et al. 2017): a conditional GAN plus an L1 loss.

    A generator ``G`` (a U-Net, `unet_generator`) maps an input image ``a``
    to ``G(a)``; a PatchGAN discriminator ``D`` (`patchgan_discriminator`)
    scores *pairs* ``(a, b)`` patch by patch. Each step updates ``D`` on
    ``-log D(a, b) - log(1 - D(a, G(a)))`` (halved, as in the paper) and then
    ``G`` on ``-log D(a, G(a)) + l1_weight * |b - G(a)|_1`` against the
    updated ``D``. The L1 term carries the low frequencies; the
    discriminator only needs to judge local texture.

    Trains on side-by-side pairs ``input | target`` (``fit(pairs)``, e.g.
    ``kgen.data.load("edges2fashion")``) or ``fit(inputs, targets)``;
    ``translate(x)`` maps inputs to outputs (deterministically: the U-Net's
    dropout acts in training only).

    Args:
        generator: network on ``(batch,) + image_shape`` images, tanh output
            of the same shape.
        discriminator: network on ``[condition, image]`` returning a logit
            grid (or ``(batch, 1)`` logits).
        l1_weight: ``lambda`` of the L1 term (100 in the paper).
        loss: ``"non_saturating"`` (the paper's cGAN loss) or
            ``"least_squares"``.
        **kwargs: base ``keras.Model`` arguments.

    Raises:
        ValueError: for networks whose shapes do not fit or bad options.

    Examples:
        >>> import numpy as np
        >>> from kgen.models import Pix2Pix, patchgan_discriminator, unet_generator
        >>> model = Pix2Pix(unet_generator((8, 8, 1), base_filters=4),
        ...                 patchgan_discriminator((8, 8, 1), (8, 8, 1),
        ...                                        base_filters=4, num_layers=1))
        >>> model.data_shape, model.image_shape
        ((8, 16, 1), (8, 8, 1))
        >>> model.translate(np.zeros((2, 8, 8, 1), "float32")).shape
        (2, 8, 8, 1)

    References:
        Isola, Zhu, Zhou & Efros, "Image-to-Image Translation with
        Conditional Adversarial Networks", CVPR 2017.
    """

    network_names = ("generator", "discriminator")
    config_objects = network_names

    def __init__(
        self, generator, discriminator, l1_weight=100.0, loss="non_saturating", **kwargs
    ):
        super().__init__(**kwargs)
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}; received {loss!r}.")
        if (
            isinstance(l1_weight, bool)
            or not isinstance(l1_weight, (int, float))
            or l1_weight < 0
        ):
            raise ValueError(
                f"l1_weight must be a non-negative number; received {l1_weight!r}."
            )
        self.generator = generator
        self.discriminator = discriminator
        self.l1_weight = float(l1_weight)
        self.adversarial_loss = loss
        shape = tuple(int(s) for s in generator.input_shape[1:])
        output = tuple(int(s) for s in generator.output_shape[1:])
        if output != shape:
            raise ValueError(
                f"Pix2Pix's generator must map images to images of the same shape "
                f"(side-by-side pairs); it maps {shape} to {output}."
            )
        self.set_image_shape(shape)
        # build the discriminator on a pair
        probe = ops.zeros((1, *shape))
        self.discriminator([probe, probe])
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.l1_tracker = keras.metrics.Mean(name="l1_loss")
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [
            self.loss_tracker,
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.l1_tracker,
        ]

    def compile(self, d_optimizer=None, g_optimizer=None, *, optimizers=None, **kwargs):
        """One optimizer per network: ``d_optimizer``/``g_optimizer`` or
        ``optimizers={"generator": ..., "discriminator": ...}`` (default Adam).
        """
        if optimizers is None:
            optimizers = {
                "generator": g_optimizer or "adam",
                "discriminator": d_optimizer or "adam",
            }
        elif d_optimizer is not None or g_optimizer is not None:
            raise ValueError(
                "Pass either optimizers={...} or d_optimizer=/g_optimizer=, not both."
            )
        super().compile(optimizers=optimizers, **kwargs)

    def training_phases(self, data):
        a, b = self.training_pairs(data)
        optimizers = self.network_optimizers

        def d_loss_fn():
            fake = ops.stop_gradient(self.generator(a, training=True))
            real_logits = self.discriminator([a, b], training=True)
            fake_logits = self.discriminator([a, fake], training=True)
            # the paper halves D's objective
            loss = 0.5 * discriminator_loss(
                self.adversarial_loss, real_logits, fake_logits
            )
            return loss, {"d_loss": loss}

        def g_loss_fn():
            fake = self.generator(a, training=True)
            logits = self.discriminator([a, fake], training=True)
            adversarial = generator_loss(self.adversarial_loss, logits)
            l1 = ops.mean(ops.abs(ops.cast(b, "float32") - ops.cast(fake, "float32")))
            loss = adversarial + self.l1_weight * l1
            return loss, {"g_loss": loss, "l1_loss": l1}

        return [
            backend.Phase(
                d_loss_fn,
                self.discriminator.trainable_variables,
                optimizers["discriminator"],
            ),
            backend.Phase(
                g_loss_fn, self.generator.trainable_variables, optimizers["generator"]
            ),
        ]

    def update_training_metrics(self, logs, weights=None):
        logs = dict(logs)
        logs["loss"] = logs["d_loss"] + logs["g_loss"]
        return super().update_training_metrics(logs, weights)

    def _translate_batch(self, x, direction):
        return self.generator(ops.convert_to_tensor(x, "float32"), training=False)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(
                    self.discriminator
                ),
                "l1_weight": self.l1_weight,
                "loss": self.adversarial_loss,
            }
        )
        return config
