"""A label-conditioned VAE, q(z|x, y) and p(x|z, y): ``VAE`` with ``num_classes``."""

from kgen.api_export import kgen_export
from kgen.models.latent.vae import VAE, mlp_vae_networks

__all__ = ["ConditionalVAE", "conditional_mlp_vae"]


@kgen_export
class ConditionalVAE(VAE):
    """A VAE whose encoder and decoder both see the class label.

    The same model as ``VAE(..., num_classes=...)``, with ``num_classes``
    required: the label enters as a one-hot vector, as a second input of the
    encoder (``[images, one_hot]``) and of the decoder (``[z, one_hot]``);
    the builders concatenate it to the flattened image and to ``z``. Train
    with ``fit(x, labels)``; every verb takes ``conditions=`` (one label per
    example, or one for all), and ``conditions=None`` raises. The prior
    stays N(0, I), so ``z`` captures what the label does not (style, for
    digits).

    Args:
        encoder: functional model ``[images, one_hot] -> (batch, 2 * latent_dim)``.
        decoder: functional model ``[z, one_hot] -> decoder parameters``.
        latent_dim: size of ``z``.
        num_classes: number of classes.
        **kwargs: the other ``VAE`` arguments (``likelihood``,
            ``num_levels``, ``beta``, ``seed``...).

    Call arguments:
        inputs: ``[images, labels]`` (returns the reconstruction from the
            posterior mean), or images alone (returned unchanged: the loss
            pass needs the labels and runs in ``compute_loss``).

    Raises:
        ValueError: for ``num_classes=None`` (use ``VAE``); from ``fit``,
            ``elbo``, ``encode``... when labels are missing, not integers, or
            outside ``[0, num_classes - 1]``.

    Examples:
        >>> import numpy as np
        >>> from kgen.models.latent import conditional_mlp_vae
        >>> rng = np.random.default_rng(0)
        >>> x = (rng.integers(0, 17, size=(40, 8, 8, 1)) / 16).astype("float32")
        >>> labels = rng.integers(0, 10, size=40)
        >>> model = conditional_mlp_vae((8, 8, 1), num_classes=10, latent_dim=2,
        ...                             hidden_units=(16,), num_levels=17,
        ...                             likelihood="discretized_logistic")
        >>> model.compile(optimizer="adam")
        >>> history = model.fit(x, labels, epochs=1, verbose=0)
        >>> model.sample(8, conditions=7, seed=0).shape
        (8, 8, 8, 1)

    References:
        Sohn, Lee and Yan, "Learning Structured Output Representation using
        Deep Conditional Generative Models", NeurIPS 2015; Kingma et al.,
        "Semi-Supervised Learning with Deep Generative Models", NeurIPS 2014.
    """

    def __init__(self, encoder, decoder, latent_dim, num_classes, **kwargs):
        if num_classes is None:
            raise ValueError(
                "ConditionalVAE needs num_classes (a positive integer); for an "
                "unconditional model use VAE."
            )
        super().__init__(
            encoder, decoder, latent_dim, num_classes=num_classes, **kwargs
        )


def conditional_mlp_vae(
    image_shape,
    num_classes,
    latent_dim=20,
    hidden_units=(400,),
    likelihood="bernoulli",
    *,
    num_levels=256,
    num_logistic_mix=1,
    **kwargs,
):
    """A fully connected conditional VAE (one-hot label concatenated).

    The networks of ``mlp_vae(..., num_classes=num_classes)`` in a
    ``ConditionalVAE``.

    Args:
        image_shape: ``(H, W, C)``.
        num_classes: number of classes.
        latent_dim: size of ``z``.
        hidden_units: hidden widths of the encoder (reversed in the decoder).
        likelihood: see ``VAE``.
        num_levels: levels of the data (see ``VAE``).
        num_logistic_mix: components of the discretized logistic mixture.
        **kwargs: passed to ``ConditionalVAE`` (``beta``, ``seed``...).

    Returns:
        An uncompiled ``ConditionalVAE``.

    Examples:
        >>> model = conditional_mlp_vae((8, 8, 1), num_classes=3, latent_dim=2,
        ...                             hidden_units=(8,), num_levels=17)
        >>> type(model).__name__, model.num_classes
        ('ConditionalVAE', 3)
    """
    if num_classes is None:
        raise ValueError("conditional_mlp_vae needs num_classes; received None.")
    image_shape = tuple(int(s) for s in image_shape)
    encoder, decoder = mlp_vae_networks(
        image_shape,
        latent_dim,
        hidden_units,
        likelihood,
        num_levels=num_levels,
        num_logistic_mix=num_logistic_mix,
        num_classes=num_classes,
    )
    return ConditionalVAE(
        encoder,
        decoder,
        latent_dim,
        num_classes,
        likelihood=likelihood,
        num_levels=num_levels,
        num_logistic_mix=num_logistic_mix,
        image_shape=image_shape,
        **kwargs,
    )
