"""The variational autoencoder and its fully connected and convolutional builders."""

import math

import keras
import numpy as np
from keras import ops

from kgen.api_export import kgen_export
from kgen.contract import Capability
from kgen.distributions.continuous import (
    bernoulli_log_prob_from_logits,
    diagonal_gaussian_log_prob,
    kl_diagonal_gaussian_standard_normal,
    standard_normal_log_prob,
)
from kgen.layers.latent import GaussianSampling
from kgen.losses.likelihood import nats_to_bits_per_dim
from kgen.models.base import GenerativeModel
from kgen.models.latent import networks
from kgen.models.latent.autoencoder import _input_image_shape
from kgen.models.latent.latent_verbs import (
    DEFAULT_BATCH_SIZE,
    LatentVerbsMixin,
    fresh_seed_generator,
)
from kgen.validation import check_positive_int

__all__ = ["VAE", "conv_vae", "mlp_vae"]

LIKELIHOODS = ("bernoulli", "gaussian", "gaussian_fixed")

# Rows (examples x importance samples) per decoder pass in iwae_log_likelihood.
_IWAE_ROWS_PER_PASS = 4096


def channels_per_pixel(likelihood):
    """Decoder outputs per pixel channel: 2 (mean, log-variance) or 1."""
    return 2 if likelihood == "gaussian" else 1


def _sum_per_example(values):
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=-1)


@kgen_export
class VAE(LatentVerbsMixin, GenerativeModel):
    """A variational autoencoder with a diagonal Gaussian posterior.

    The encoder gives the mean and log-variance of ``q(z|x)``; a seeded
    reparameterized sample ``z = mu + sigma * epsilon`` goes through the
    decoder, whose output parameterizes ``p(x|z)``. Training minimizes the
    negative evidence lower bound (ELBO), per example, averaged over the batch:

    ``loss = -E_q[log p(x|z)] + beta * KL(q(z|x) || N(0, I))``

    with the KL in closed form and the expectation estimated with one sample.
    ``fit`` logs ``loss``, ``reconstruction_loss`` and ``kl_loss`` (nats).

    Decoder likelihoods (``likelihood=``):

    - ``"bernoulli"``: the decoder outputs logits, one per pixel channel.
      Binarized targets give a proper likelihood; continuous targets in
      [0, 1] are accepted (the usual MNIST practice, a cross-entropy that is
      not a normalized density).
    - ``"gaussian"``: the decoder outputs ``2 * C`` channels per pixel, the
      mean (through a sigmoid, so it lies in [0, 1]) and the log-variance of
      a Gaussian with learned diagonal covariance, ``mu_{x|z}`` and
      ``Sigma_{x|z}``. The log-variance is clamped to
      ``[min_log_variance, max_log_variance]``: pixels that are constant in
      the data (image borders) would otherwise push it to minus infinity.
    - ``"gaussian_fixed"``: the decoder outputs the mean (through a
      sigmoid); the variance is the constant ``fixed_variance``.

    Args:
        encoder: functional model, images ``(batch, H, W, C)`` ->
            ``(batch, 2 * latent_dim)`` (mean, then log-variance), or a list
            of two ``(batch, latent_dim)`` outputs.
        decoder: functional model, ``(batch, latent_dim)`` -> decoder
            parameters ``(batch, H, W, C * k)``, ``k = 2`` for
            ``"gaussian"`` and 1 otherwise.
        latent_dim: size of ``z``.
        likelihood: ``"bernoulli"``, ``"gaussian"`` or ``"gaussian_fixed"``.
        beta: weight of the KL term (``beta > 1``: beta-VAE).
        fixed_variance: variance of ``"gaussian_fixed"``.
        min_log_variance: lower clamp of the learned decoder log-variance.
        max_log_variance: upper clamp of the learned decoder log-variance.
        image_shape: ``(H, W, C)``; read from the encoder when omitted.
        seed: integer seed of the training noise.
        **kwargs: standard model arguments.

    Call arguments:
        inputs: images. In training mode the forward pass returns them
            unchanged (the loss pass, with its noise, runs in
            ``compute_loss``); otherwise it returns the reconstruction from
            the posterior mean.

    Raises:
        ValueError: for an unknown ``likelihood`` or a non-positive size.

    Example:

    >>> model = mlp_vae((8, 8, 1), latent_dim=2, hidden_units=(32,))
    >>> model.compile(optimizer="adam")
    >>> history = model.fit(x, epochs=1, verbose=0)  # x: floats in [0, 1]
    >>> sorted(history.history)
    ['kl_loss', 'loss', 'reconstruction_loss']
    >>> samples = model.sample(16, seed=0)

    References:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014;
        Rezende, Mohamed and Wierstra, "Stochastic Backpropagation and
        Approximate Inference in Deep Generative Models", ICML 2014;
        Higgins et al., "beta-VAE", ICLR 2017; Burda, Grosse and
        Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016.
    """

    data_kind = "unit"
    capabilities = frozenset(
        {
            Capability.SAMPLE,
            Capability.LIKELIHOOD_BOUND,
            Capability.ENCODE,
            Capability.DECODE,
            Capability.LATENT_TRAVERSAL,
        }
    )

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim,
        likelihood="bernoulli",
        beta=1.0,
        fixed_variance=0.01,
        min_log_variance=-6.0,
        max_log_variance=2.0,
        image_shape=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"likelihood must be one of {LIKELIHOODS}; received {likelihood!r}."
            )
        if not fixed_variance > 0:
            raise ValueError(
                f"fixed_variance must be positive; received {fixed_variance!r}."
            )
        if not min_log_variance < max_log_variance:
            raise ValueError(
                "min_log_variance must be below max_log_variance; received "
                f"{min_log_variance!r} and {max_log_variance!r}."
            )
        self.seed = seed
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.likelihood = likelihood
        self.beta = float(beta)
        self.fixed_variance = float(fixed_variance)
        self.min_log_variance = float(min_log_variance)
        self.max_log_variance = float(max_log_variance)
        self.image_shape = (
            _input_image_shape(encoder)
            if image_shape is None
            else tuple(int(s) for s in image_shape)
        )
        self.sampling = self._make_sampling_layer()
        self.sampling.build(None)
        self.reconstruction_loss_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.built = True

    def _make_sampling_layer(self):
        return GaussianSampling(seed=self.seed, name="sampling")

    @property
    def num_dims(self):
        """Number of dimensions of one image, ``H * W * C``."""
        return int(math.prod(self.image_shape))

    # ------------------------------------------------------ posterior / prior
    def _encoder_inputs(self, x, one_hot):
        x = ops.cast(x, "float32")
        return x if one_hot is None else [x, one_hot]

    def _encode_tensor(self, x, one_hot=None):
        out = self.encoder(self._encoder_inputs(x, one_hot))
        if isinstance(out, (list, tuple)):
            mean, log_variance = out
        else:
            mean, log_variance = ops.split(out, 2, axis=-1)
        mean = ops.cast(mean, "float32")
        # keeps exp(log_variance) finite early in training
        log_variance = ops.clip(ops.cast(log_variance, "float32"), -20.0, 10.0)
        return mean, log_variance

    def _latent_point(self, params):
        return params[0]

    def _posterior_sample(self, params):
        """A reparameterized training sample of z from the seeded layer."""
        return self.sampling(list(params))

    def _noise_shape(self, num_samples, batch):
        return (num_samples, batch, self.latent_dim)

    def _draw_noise(self, shape, generator):
        return keras.random.normal(shape, dtype="float32", seed=generator)

    def _posterior_from_noise(self, params, noise):
        """z_k = mu + sigma * epsilon_k for noise epsilon of shape (K, batch, D)."""
        mean, log_variance = params
        return mean[None] + ops.exp(0.5 * log_variance)[None] * noise

    def _posterior_log_prob(self, z, params):
        """log q(z|x), summed over the latent axis; z may have leading axes."""
        mean, log_variance = params
        return ops.sum(diagonal_gaussian_log_prob(z, mean, log_variance), axis=-1)

    def _prior_log_prob(self, z):
        return ops.sum(standard_normal_log_prob(z), axis=-1)

    def _prior_sample(self, num_samples, seed):
        return keras.random.normal(
            (num_samples, self.latent_dim), dtype="float32", seed=seed
        )

    def _kl(self, params, z):
        """KL(q(z|x) || p(z)) per example; closed form for the N(0, I) prior."""
        return ops.sum(kl_diagonal_gaussian_standard_normal(*params), axis=-1)

    # ------------------------------------------------------------- likelihood
    def _decoder_inputs(self, z, one_hot):
        z = ops.cast(z, "float32")
        return z if one_hot is None else [z, one_hot]

    def _decoder_distribution(self, z, one_hot=None):
        """Parameters of p(x|z): logits, or (mean, log_variance)."""
        out = ops.cast(self.decoder(self._decoder_inputs(z, one_hot)), "float32")
        if self.likelihood == "bernoulli":
            return out
        if self.likelihood == "gaussian":
            raw_mean, raw_log_variance = ops.split(out, 2, axis=-1)
            log_variance = ops.clip(
                raw_log_variance, self.min_log_variance, self.max_log_variance
            )
            return ops.sigmoid(raw_mean), log_variance
        log_variance = ops.full_like(out, math.log(self.fixed_variance))
        return ops.sigmoid(out), log_variance

    def _log_likelihood(self, x, z, one_hot=None):
        """log p(x|z) per example, summed over pixels (nats)."""
        x = ops.cast(x, "float32")
        params = self._decoder_distribution(z, one_hot)
        if self.likelihood == "bernoulli":
            return _sum_per_example(bernoulli_log_prob_from_logits(x, params))
        mean, log_variance = params
        return _sum_per_example(diagonal_gaussian_log_prob(x, mean, log_variance))

    def _decode_mean(self, z, one_hot=None):
        params = self._decoder_distribution(z, one_hot)
        if self.likelihood == "bernoulli":
            return ops.sigmoid(params)
        return params[0]

    # --------------------------------------------------------------- training
    def _conditions_from_y(self, y):
        return None

    def call(self, inputs, training=False):
        if training:
            return inputs
        params = self._encode_tensor(inputs)
        return self._decode_mean(self._latent_point(params))

    def _negative_elbo_terms(self, x, one_hot, noise=None):
        params = self._encode_tensor(x, one_hot)
        if noise is None:
            z = self._posterior_sample(params)
        else:
            z = ops.reshape(
                self._posterior_from_noise(params, noise), (-1, self.latent_dim)
            )
        reconstruction = -self._log_likelihood(x, z, one_hot)
        kl = self._kl(params, z)
        return reconstruction, kl

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        one_hot = self._conditions_from_y(y)
        reconstruction, kl = self._negative_elbo_terms(x, one_hot)
        reconstruction = ops.mean(reconstruction)
        kl = ops.mean(kl)
        # negative ELBO = -E_q[log p(x|z)] + beta * KL(q(z|x) || p(z))
        loss = reconstruction + self.beta * kl
        self.reconstruction_loss_tracker.update_state(reconstruction)
        self.kl_loss_tracker.update_state(kl)
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return loss

    @property
    def metrics(self):
        # Keras's own list: the `loss` tracker, then the trackers set as
        # attributes (reconstruction_loss, kl_loss).
        return super().metrics

    def check_data(self, x, y=None):
        self._check_x(x)

    # ------------------------------------------------------------------ verbs
    def sample(
        self,
        num_samples,
        *,
        seed=None,
        conditions=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        """Draw ``z`` from the prior and decode it (the mean of ``p(x|z)``).

        Args:
            num_samples: number of images.
            seed: integer seed; the same seed gives the same images on a
                given backend.
            conditions: class labels (conditional models; see there).
            batch_size: images per decoder pass.

        Returns:
            NumPy images in [0, 1], shape ``(num_samples, *image_shape)``.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        labels = self._sample_conditions(conditions, num_samples)
        generator = fresh_seed_generator(seed)
        z = np.concatenate(
            [
                ops.convert_to_numpy(
                    self._prior_sample(min(batch_size, num_samples - start), generator)
                )
                for start in range(0, num_samples, batch_size)
            ]
        )
        return self.decode(z, labels, batch_size=batch_size)

    def _sample_conditions(self, conditions, num_samples):
        return self._check_conditions(conditions, num_samples)

    def elbo(self, x, conditions=None, *, seed=None, batch_size=DEFAULT_BATCH_SIZE):
        """Evidence lower bound per example, in nats (higher is better).

        ``ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z))``, with the
        expectation estimated from one sample of ``z`` per example (so the
        value is noisy but unbiased; average over a batch) and the KL in
        closed form where it has one.

        Args:
            x: images, shape ``(batch, *image_shape)``, floats in [0, 1].
            conditions: class labels (conditional models only).
            seed: integer seed of the sample of ``z``.
            batch_size: examples per forward pass.

        Returns:
            NumPy array of shape ``(batch,)``.
        """
        x = self._check_x(x)
        labels = self._check_conditions(conditions, len(x))
        generator = fresh_seed_generator(seed)

        def terms(xb, one_hot, noise):
            reconstruction, kl = self._negative_elbo_terms(xb, one_hot, noise)
            return -(reconstruction + kl)

        compiled = self._compiled("elbo", terms)

        def batch_elbo(xb, yb):
            noise = self._draw_noise(self._noise_shape(1, len(xb)), generator)
            return compiled(xb, self._one_hot(yb), noise)

        return self._run_batched(batch_elbo, [x, labels], batch_size)

    def _log_weights(self, x, one_hot, noise):
        """Importance log-weights log p(x, z_k) - log q(z_k|x), shape (K, batch).

        ``noise`` has shape ``(K, batch, ...)``; ``z_k`` are computed from it.
        """
        params = self._encode_tensor(x, one_hot)
        z = self._posterior_from_noise(params, noise)  # (K, batch, ...)
        log_q = self._posterior_log_prob(z, params)  # (K, batch)
        flat_z = ops.reshape(z, (-1, self.latent_dim))
        log_p = ops.reshape(self._prior_log_prob(flat_z), ops.shape(log_q))
        # copy x (and the labels) once per sample without knowing the batch size
        ones = ops.ones_like(log_q)[..., None]  # (K, batch, 1)
        flat_x = ops.reshape(
            ops.cast(x, "float32")[None] * ones[..., None, None],
            (-1, *self.image_shape),
        )
        flat_one_hot = None
        if one_hot is not None:
            flat_one_hot = ops.reshape(one_hot[None] * ones, (-1, self.num_classes))
        log_likelihood = ops.reshape(
            self._log_likelihood(flat_x, flat_z, flat_one_hot), ops.shape(log_q)
        )
        return log_likelihood + log_p - log_q

    def iwae_log_likelihood(
        self,
        x,
        num_samples=100,
        conditions=None,
        *,
        seed=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        """Importance-weighted estimate of ``log p(x)`` per example, in nats.

        ``log p(x) ~= log (1/K) sum_k p(x, z_k) / q(z_k|x)``, ``z_k ~ q(z|x)``.
        A lower bound in expectation that tightens as ``K`` grows (Burda et
        al., 2016); ``K = 1`` is the ELBO. The ``K`` samples are processed in
        chunks so memory stays bounded.

        Args:
            x: images, shape ``(batch, *image_shape)``, floats in [0, 1].
            num_samples: ``K``, importance samples per example.
            conditions: class labels (conditional models only).
            seed: integer seed of the samples.
            batch_size: examples per encoder pass.

        Returns:
            NumPy array of shape ``(batch,)``.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        x = self._check_x(x)
        labels = self._check_conditions(conditions, len(x))
        generator = fresh_seed_generator(seed)

        def batch_iwae(xb, yb):
            one_hot = self._one_hot(yb)
            # Every pass draws the same number of samples (one traced shape);
            # the surplus of the last pass is dropped.
            per_pass = min(num_samples, max(1, _IWAE_ROWS_PER_PASS // len(xb)))
            log_weights_fn = self._compiled("iwae", self._log_weights)
            chunks = []
            for start in range(0, num_samples, per_pass):
                count = min(per_pass, num_samples - start)
                noise = self._draw_noise(
                    self._noise_shape(per_pass, len(xb)), generator
                )
                log_weights = log_weights_fn(xb, one_hot, noise)
                chunks.append(
                    np.asarray(ops.convert_to_numpy(log_weights), "float64")[:count]
                )
            # log-mean-exp over the K samples, in float64
            log_weights = np.concatenate(chunks, axis=0)
            top = log_weights.max(axis=0)
            return top + np.log(np.mean(np.exp(log_weights - top), axis=0))

        return self._run_batched(batch_iwae, [x, labels], batch_size)

    def bits_per_dim(
        self,
        x,
        num_samples=100,
        conditions=None,
        *,
        seed=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        """Negative IWAE log-likelihood in bits per dimension, per example.

        ``-log p(x) / (H * W * C * ln 2)`` with ``log p(x)`` from
        ``iwae_log_likelihood``. For the Bernoulli decoder on binarized
        images this is a discrete likelihood; for Gaussian decoders it is a
        density of continuous values (it can be negative).

        Returns:
            NumPy array of shape ``(batch,)``.
        """
        log_likelihood = self.iwae_log_likelihood(
            x, num_samples, conditions, seed=seed, batch_size=batch_size
        )
        return nats_to_bits_per_dim(log_likelihood, self.num_dims)

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "latent_dim": self.latent_dim,
                "likelihood": self.likelihood,
                "beta": self.beta,
                "fixed_variance": self.fixed_variance,
                "min_log_variance": self.min_log_variance,
                "max_log_variance": self.max_log_variance,
                "image_shape": list(self.image_shape),
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)


def _check_likelihood(likelihood):
    if likelihood not in LIKELIHOODS:
        raise ValueError(
            f"likelihood must be one of {LIKELIHOODS}; received {likelihood!r}."
        )


def mlp_vae_networks(image_shape, latent_dim, hidden_units, likelihood):
    """Encoder and decoder of the fully connected VAEs (see ``mlp_vae``)."""
    _check_likelihood(likelihood)
    hidden_units = tuple(hidden_units)
    encoder = networks.mlp_encoder(image_shape, 2 * latent_dim, hidden_units)
    decoder = networks.mlp_decoder(
        latent_dim,
        image_shape,
        channels_per_pixel(likelihood),
        tuple(reversed(hidden_units)),
    )
    return encoder, decoder


def mlp_vae(
    image_shape,
    latent_dim=20,
    hidden_units=(400,),
    likelihood="bernoulli",
    **kwargs,
):
    """The fully connected VAE of Kingma and Welling (784 -> 400 -> 20 on MNIST).

    Encoder ``Flatten -> Dense(ReLU) ... -> Dense(2 * latent_dim)``; decoder
    ``Dense(ReLU) ... -> Dense(H * W * C * k)``, for images of any size.

    Args:
        image_shape: ``(H, W, C)``.
        latent_dim: size of ``z``.
        hidden_units: hidden widths of the encoder (reversed in the decoder).
        likelihood: see ``VAE``.
        **kwargs: passed to ``VAE`` (``beta``, ``seed``...).

    Returns:
        An uncompiled ``VAE``.
    """
    encoder, decoder = mlp_vae_networks(
        image_shape, latent_dim, hidden_units, likelihood
    )
    return VAE(
        encoder,
        decoder,
        latent_dim,
        likelihood=likelihood,
        image_shape=image_shape,
        **kwargs,
    )


def conv_vae(
    image_shape,
    latent_dim=16,
    filters=(32, 64),
    likelihood="bernoulli",
    **kwargs,
):
    """A convolutional VAE: strided convolutions down, transposed ones up.

    Height and width must be multiples of ``2 ** len(filters)``.

    Args:
        image_shape: ``(H, W, C)``.
        latent_dim: size of ``z``.
        filters: channels of each stride-2 convolution of the encoder.
        likelihood: see ``VAE``.
        **kwargs: passed to ``VAE``.

    Returns:
        An uncompiled ``VAE``.
    """
    _check_likelihood(likelihood)
    filters = tuple(filters)
    encoder = networks.conv_encoder(image_shape, 2 * latent_dim, filters)
    decoder = networks.conv_decoder(
        latent_dim, image_shape, channels_per_pixel(likelihood), filters
    )
    return VAE(
        encoder,
        decoder,
        latent_dim,
        likelihood=likelihood,
        image_shape=image_shape,
        **kwargs,
    )
