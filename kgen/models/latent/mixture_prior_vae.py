"""A VAE with a learned mixture-of-Gaussians prior."""

from keras import ops

from kgen.api_export import kgen_export
from kgen.layers.latent import MixtureOfGaussiansPrior
from kgen.models.latent.vae import VAE, mlp_vae_networks
from kgen.validation import check_positive_int

__all__ = ["MixturePriorVAE", "mlp_mixture_prior_vae"]


@kgen_export
class MixturePriorVAE(VAE):
    """A VAE whose prior is a learned mixture of diagonal Gaussians.

    ``p(z) = sum_k pi_k N(z; mu_k, sigma_k^2)`` with trainable mixture
    logits, means and log-variances (a ``MixtureOfGaussiansPrior`` layer).
    The KL term has no closed form, so it is estimated by Monte Carlo with
    the same reparameterized ``z`` as the reconstruction term:
    ``KL ~= log q(z|x) - log p(z)``. ``sample`` draws a component, then ``z``
    from it, then decodes. A multimodal prior lets the aggregate posterior
    form clusters (one per digit class, ideally) instead of being squeezed
    into one Gaussian.

    Args:
        encoder: functional model, images -> ``(batch, 2 * latent_dim)``.
        decoder: functional model, ``z`` -> decoder parameters.
        latent_dim: size of ``z``.
        num_components: number of mixture components.
        **kwargs: the other ``VAE`` arguments (``likelihood``,
            ``num_levels``, ``num_classes``...).

    Call arguments:
        inputs: images (see ``VAE``).

    Raises:
        ValueError: for a bad ``num_components`` and as ``VAE``.

    Examples:
        >>> import numpy as np
        >>> from kgen.models.latent import mlp_mixture_prior_vae
        >>> x = (np.random.default_rng(0).integers(0, 17, (32, 8, 8, 1)) / 16).astype("float32")
        >>> model = mlp_mixture_prior_vae((8, 8, 1), latent_dim=2, num_components=4,
        ...                               hidden_units=(16,), num_levels=17,
        ...                               likelihood="categorical")
        >>> model.compile(optimizer="adam")
        >>> history = model.fit(x, epochs=1, verbose=0)
        >>> model.sample(4, seed=0).shape
        (4, 8, 8, 1)

    References:
        Dilokthanakul et al., "Deep Unsupervised Clustering with Gaussian
        Mixture Variational Autoencoders", 2016; Tomczak and Welling, "VAE
        with a VampPrior", AISTATS 2018.
    """

    def __init__(self, encoder, decoder, latent_dim, num_components=10, **kwargs):
        super().__init__(encoder, decoder, latent_dim, **kwargs)
        self.num_components = check_positive_int(num_components, "num_components")
        self.prior = MixtureOfGaussiansPrior(
            self.latent_dim, self.num_components, seed=self.seed, name="prior"
        )
        self.prior.build((None, self.latent_dim))

    def _prior_log_prob(self, z):
        return self.prior(ops.cast(z, "float32"))

    def _prior_sample(self, num_samples, seed):
        return self.prior.sample(num_samples, seed=seed)

    def _kl(self, params, z):
        # single-sample Monte Carlo estimate: log q(z|x) - log p(z)
        return self._posterior_log_prob(z, params) - self._prior_log_prob(z)

    def get_config(self):
        config = super().get_config()
        config.update({"num_components": self.num_components})
        return config


def mlp_mixture_prior_vae(
    image_shape,
    latent_dim=20,
    num_components=10,
    hidden_units=(400,),
    likelihood="bernoulli",
    *,
    num_levels=256,
    num_logistic_mix=1,
    num_classes=None,
    **kwargs,
):
    """A fully connected VAE with a learned mixture-of-Gaussians prior.

    Args:
        image_shape: ``(H, W, C)``.
        latent_dim: size of ``z``.
        num_components: mixture components of the prior.
        hidden_units: hidden widths of the encoder (reversed in the decoder).
        likelihood: see ``VAE``.
        num_levels: levels of the data (see ``VAE``).
        num_logistic_mix: components of the discretized logistic mixture.
        num_classes: number of classes of a class-conditional VAE, or None.
        **kwargs: passed to ``MixturePriorVAE``.

    Returns:
        An uncompiled ``MixturePriorVAE``.

    Examples:
        >>> model = mlp_mixture_prior_vae((8, 8, 1), latent_dim=2, num_components=3,
        ...                               hidden_units=(8,))
        >>> model.prior.num_components
        3
    """
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
    return MixturePriorVAE(
        encoder,
        decoder,
        latent_dim,
        num_components=num_components,
        likelihood=likelihood,
        num_levels=num_levels,
        num_logistic_mix=num_logistic_mix,
        num_classes=num_classes,
        image_shape=image_shape,
        **kwargs,
    )
