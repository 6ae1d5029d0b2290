"""A label-conditioned VAE: q(z|x, y) and p(x|z, y)."""

import numpy as np

from kgen.api_export import kgen_export
from kgen.models.latent import networks
from kgen.models.latent.vae import VAE, _check_likelihood, channels_per_pixel
from kgen.validation import check_labels, check_positive_int

__all__ = ["ConditionalVAE", "conditional_mlp_vae"]


@kgen_export
class ConditionalVAE(VAE):
    """A VAE whose encoder and decoder both see the class label.

    The label enters as a one-hot vector, as a second input of the encoder
    (``[images, one_hot]``) and of the decoder (``[z, one_hot]``); the
    builder concatenates it to the flattened image and to ``z``. Train with
    ``fit(x, y=labels)``; sample a chosen class with
    ``sample(n, conditions=labels, seed=...)``. The prior stays N(0, I), so
    ``z`` captures what the label does not (style, for digits).

    Args:
        encoder: functional model ``[images, one_hot] -> (batch, 2 * latent_dim)``.
        decoder: functional model ``[z, one_hot] -> decoder parameters``.
        latent_dim: size of ``z``.
        num_classes: number of classes.
        **kwargs: the other ``VAE`` arguments (``likelihood``, ``beta``,
            ``seed``...).

    Call arguments:
        inputs: images (returned unchanged: the loss pass needs the labels
            and runs in ``compute_loss``) or a list ``[images, labels]``
            (returns the reconstruction from the posterior mean).

    Raises:
        ValueError: from ``fit``/``elbo``/``encode``... when labels are
            missing, not integers, or outside ``[0, num_classes - 1]``.

    Example:

    >>> model = conditional_mlp_vae((8, 8, 1), num_classes=10, latent_dim=2)
    >>> model.compile(optimizer="adam")
    >>> history = model.fit(x, y=labels, epochs=1, verbose=0)
    >>> sevens = model.sample(8, conditions=np.full(8, 7), seed=0)

    References:
        Sohn, Lee and Yan, "Learning Structured Output Representation using
        Deep Conditional Generative Models", NeurIPS 2015; Kingma et al.,
        "Semi-Supervised Learning with Deep Generative Models", NeurIPS 2014.
    """

    def __init__(self, encoder, decoder, latent_dim, num_classes, **kwargs):
        super().__init__(encoder, decoder, latent_dim, **kwargs)
        self.num_classes = check_positive_int(num_classes, "num_classes")

    def _conditions_from_y(self, y):
        if y is None:
            raise ValueError(
                "ConditionalVAE needs class labels: call fit(x, y=labels) with "
                f"integer labels in [0, {self.num_classes - 1}]."
            )
        return self._one_hot(y)

    def call(self, inputs, training=False):
        if isinstance(inputs, (list, tuple)) and not training:
            images, labels = inputs
            one_hot = self._one_hot(labels)
            params = self._encode_tensor(images, one_hot)
            return self._decode_mean(self._latent_point(params), one_hot)
        return inputs[0] if isinstance(inputs, (list, tuple)) else inputs

    def check_data(self, x, y=None):
        x = self._check_x(x)
        if y is None:
            raise ValueError(
                "ConditionalVAE needs class labels: call fit(x, y=labels) with "
                f"integer labels in [0, {self.num_classes - 1}]; received y=None."
            )
        check_labels(y, self.num_classes, num_examples=len(x), name="y")

    def _sample_conditions(self, conditions, num_samples):
        # Without conditions, cycle through the classes: 0, 1, ..., 0, 1, ...
        if conditions is None:
            return np.arange(num_samples, dtype="int32") % self.num_classes
        return self._check_conditions(conditions, num_samples)

    def sample(self, num_samples, *, seed=None, conditions=None, **kwargs):
        """Draw ``z ~ N(0, I)`` and decode it with the given labels.

        Args:
            num_samples: number of images.
            seed: integer seed (reproducible on a given backend).
            conditions: one label per image, or a single label for all; None
                cycles through the classes.
            **kwargs: ``batch_size``.

        Returns:
            NumPy images in [0, 1], shape ``(num_samples, *image_shape)``.
        """
        return super().sample(num_samples, seed=seed, conditions=conditions, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update({"num_classes": self.num_classes})
        return config


def conditional_mlp_vae(
    image_shape,
    num_classes,
    latent_dim=20,
    hidden_units=(400,),
    likelihood="bernoulli",
    **kwargs,
):
    """A fully connected conditional VAE (one-hot label concatenated).

    Args:
        image_shape: ``(H, W, C)``.
        num_classes: number of classes.
        latent_dim: size of ``z``.
        hidden_units: hidden widths of the encoder (reversed in the decoder).
        likelihood: see ``VAE``.
        **kwargs: passed to ``ConditionalVAE``.

    Returns:
        An uncompiled ``ConditionalVAE``.
    """
    _check_likelihood(likelihood)
    num_classes = check_positive_int(num_classes, "num_classes")
    hidden_units = tuple(hidden_units)
    encoder = networks.mlp_encoder(
        image_shape, 2 * latent_dim, hidden_units, num_classes=num_classes
    )
    decoder = networks.mlp_decoder(
        latent_dim,
        image_shape,
        channels_per_pixel(likelihood),
        tuple(reversed(hidden_units)),
        num_classes=num_classes,
    )
    return ConditionalVAE(
        encoder,
        decoder,
        latent_dim,
        num_classes,
        likelihood=likelihood,
        image_shape=image_shape,
        **kwargs,
    )
