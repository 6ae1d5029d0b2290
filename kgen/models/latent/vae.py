"""The variational autoencoder and its fully connected and convolutional builders."""

import math

import keras
import numpy as np
from keras import ops

from kgen import backend
from kgen.api_export import kgen_export
from kgen.contract import Capability
from kgen.distributions.categorical import (
    categorical_log_prob,
    categorical_sample,
    gumbel_noise,
)
from kgen.distributions.continuous import (
    bernoulli_log_prob_from_logits,
    diagonal_gaussian_log_prob,
    kl_diagonal_gaussian_standard_normal,
    standard_normal_log_prob,
)
from kgen.distributions.logistic_mixture import (
    discretized_logistic_mixture_log_prob,
    discretized_logistic_mixture_mean,
    discretized_logistic_mixture_sample,
    logistic_mixture_num_parameters,
)
from kgen.layers.latent import GaussianSampling
from kgen.losses.likelihood import nats_to_bits_per_dim
from kgen.models.base import GenerativeModel, is_placeholder_targets, map_batches
from kgen.models.latent import networks
from kgen.models.latent.autoencoder import _input_image_shape
from kgen.models.latent.latent_verbs import DEFAULT_BATCH_SIZE, LatentVerbsMixin
from kgen.validation import check_positive_int

__all__ = [
    "LIKELIHOODS",
    "VAE",
    "check_on_grid",
    "conv_vae",
    "decoder_channels",
    "mlp_vae",
    "mlp_vae_networks",
]

#: Decoder likelihoods of ``VAE(likelihood=...)``.
LIKELIHOODS = (
    "bernoulli",
    "gaussian",
    "gaussian_fixed",
    "discretized_logistic",
    "categorical",
)
#: Decoders of the discrete data themselves: ``P(x|z)`` sums to one over the
#: ``num_levels ** D`` possible images.
DISCRETE_LIKELIHOODS = ("discretized_logistic", "categorical")
#: Densities of continuous values: bits/dim through uniform dequantization.
CONTINUOUS_LIKELIHOODS = ("gaussian", "gaussian_fixed")

# Rows (examples x importance samples) per network pass in iwae_log_likelihood.
_IWAE_ROWS_PER_PASS = 4096
# How far (in levels) a float may sit from the grid k / (L - 1): float32
# rounding of k / 16 or k / 255 is ~1e-5 levels.
_GRID_TOLERANCE = 1e-3


def check_likelihood(likelihood):
    """Raise unless ``likelihood`` is one of `LIKELIHOODS`."""
    if likelihood not in LIKELIHOODS:
        raise ValueError(
            f"likelihood must be one of {LIKELIHOODS}; received {likelihood!r}."
        )
    return likelihood


def decoder_channels(likelihood, num_channels, num_levels=256, num_logistic_mix=1):
    """Decoder outputs per pixel for a likelihood and an image's channels.

    ``"bernoulli"`` and ``"gaussian_fixed"``: ``C`` (logits or means);
    ``"gaussian"``: ``2 C`` (means, then log-variances); ``"categorical"``:
    ``C * num_levels`` logits (channel-major); ``"discretized_logistic"``:
    ``logistic_mixture_num_parameters(C, num_logistic_mix)``, the layout of
    ``kgen.distributions.logistic_mixture`` (3 per component for greyscale).

    Args:
        likelihood: one of `LIKELIHOODS`.
        num_channels: channels of the image, ``C``.
        num_levels: levels of the discrete decoders.
        num_logistic_mix: logistic components of ``"discretized_logistic"``.

    Returns:
        An int.

    Raises:
        ValueError: for an unknown likelihood.

    Examples:
        >>> decoder_channels("categorical", 1, num_levels=17)
        17
        >>> decoder_channels("discretized_logistic", 3, num_logistic_mix=2)
        20
    """
    check_likelihood(likelihood)
    num_channels = check_positive_int(num_channels, "num_channels")
    if likelihood == "gaussian":
        return 2 * num_channels
    if likelihood == "categorical":
        return num_channels * int(num_levels)
    if likelihood == "discretized_logistic":
        return logistic_mixture_num_parameters(num_channels, int(num_logistic_mix))
    return num_channels


def check_on_grid(x, num_levels, *, name="x", purpose="This model"):
    """Raise unless every float of ``x`` is a level ``k / (num_levels - 1)``.

    Args:
        x: NumPy floats in [0, 1].
        num_levels: number of levels ``L``.
        name: what to call ``x`` in the message.
        purpose: who needs the grid, for the message.

    Returns:
        ``x``.

    Raises:
        ValueError: naming an off-grid value and how to convert the data.

    Examples:
        >>> import numpy as np
        >>> check_on_grid(np.array([0.0, 0.5, 1.0], "float32"), 3).tolist()
        [0.0, 0.5, 1.0]
    """
    x = np.asarray(x)
    if x.size == 0:
        return x
    levels = x.astype("float64") * (num_levels - 1)
    distance = np.abs(levels - np.round(levels))
    worst = int(np.argmax(distance))
    if distance.flat[worst] > _GRID_TOLERANCE:
        raise ValueError(
            f"{purpose} models discrete data with {num_levels} levels, floats "
            f"k / {num_levels - 1} for k = 0..{num_levels - 1}; received {name} "
            f"with values off that grid (e.g. {x.flat[worst]:.6g}, level "
            f"{levels.flat[worst]:.4g}). Convert 8-bit images with "
            "model.data_convention.from_uint8(images), or build the model with "
            "the num_levels of your data."
        )
    return x


def _sum_per_example(values):
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=-1)


def _log_mean_exp(log_weights):
    """``log mean_k exp(w_k)`` over axis 0, stably, in float64."""
    log_weights = np.asarray(log_weights, dtype="float64")
    top = log_weights.max(axis=0)
    return top + np.log(np.mean(np.exp(log_weights - top), axis=0))


def _check_network_inputs(network, num_classes, name):
    """A conditional model's networks take ``[input, one_hot]``; others one input."""
    inputs = getattr(network, "inputs", None)
    if not inputs:
        return
    expected = 1 if num_classes is None else 2
    if len(inputs) != expected:
        what = (
            "one input"
            if num_classes is None
            else f"two inputs, [{'images' if name == 'encoder' else 'z'}, one_hot]"
        )
        raise ValueError(
            f"The {name} has {len(inputs)} input(s); a VAE with num_classes="
            f"{num_classes} needs {what}. The builders (mlp_vae, conv_vae...) "
            "make matching networks when given num_classes."
        )


def _check_decoder_outputs(
    decoder, likelihood, image_shape, num_levels, num_logistic_mix
):
    """The decoder's outputs per pixel match the likelihood (when readable)."""
    outputs = getattr(decoder, "outputs", None)
    if not outputs or outputs[0].shape[-1] is None:
        return
    expected = decoder_channels(
        likelihood, image_shape[-1], num_levels, num_logistic_mix
    )
    if int(outputs[0].shape[-1]) != expected:
        raise ValueError(
            f"The decoder outputs {outputs[0].shape[-1]} values per pixel; "
            f"likelihood={likelihood!r} for {image_shape[-1]} channel(s) with "
            f"num_levels={num_levels} and num_logistic_mix={num_logistic_mix} "
            f"needs {expected} (kgen.models.latent.decoder_channels)."
        )


@kgen_export
class VAE(LatentVerbsMixin, GenerativeModel):
    """A variational autoencoder with a diagonal Gaussian posterior.

    The encoder gives the mean and log-variance of ``q(z|x)``; a seeded
    reparameterized sample ``z = mu + sigma * epsilon`` goes through the
    decoder, whose output parameterizes ``p(x|z)``. Training minimizes the
    negative evidence lower bound (ELBO), per example, averaged over the batch
    (weighted by ``fit(..., sample_weight=...)`` when given):

    ``loss = -E_q[log p(x|z)] + beta * KL(q(z|x) || N(0, I))``

    with the KL in closed form and the expectation estimated with one sample.
    ``fit`` logs ``loss``, ``reconstruction_loss`` and ``kl_loss`` (nats).

    **Data.** Floats in [0, 1] (``data_kind = "unit"``) standing for
    ``num_levels`` discrete levels ``k / (num_levels - 1)``; convert 8-bit
    images with ``model.data_convention.from_uint8(images)``.

    **Decoder likelihoods** (``likelihood=``) and what ``bits_per_dim``
    means for each (``likelihood_estimator`` names it):

    - ``"discretized_logistic"``: per sub-pixel a discretized logistic over
      the ``num_levels`` bins of [0, 1] (a mixture of ``num_logistic_mix``
      components, with the colour coupling of PixelCNN++: the distribution of
      ``kgen.distributions.logistic_mixture``). A distribution of the
      discrete data: ``bits_per_dim`` is the IWAE upper bound on
      ``-log P(x) / (D ln 2)``, comparable with the exact bits/dim of the
      autoregressive models at the same ``num_levels``.
    - ``"categorical"``: a ``num_levels``-way softmax per sub-pixel (the
      decoder outputs ``C * num_levels`` logits per pixel). Discrete, as
      above.
    - ``"gaussian"``: a Gaussian density per sub-pixel with learned mean
      (through a sigmoid, in [0, 1]) and log-variance (clamped to
      ``[min_log_variance, max_log_variance]``: constant border pixels would
      otherwise push it to minus infinity); ``"gaussian_fixed"``: the
      variance is ``fixed_variance``. These are densities of continuous
      values, so ``bits_per_dim`` goes through uniform dequantization (see
      ``bits_per_dim``); train with ``dequantize=True`` for a tight bound.
    - ``"bernoulli"``: a logit per sub-pixel. A likelihood only of binarized
      (0/1) data: ``bits_per_dim`` on data that are all 0/1 is the IWAE bound
      for the binarized data, and on grey levels it raises (the number would
      be a cross-entropy, not a likelihood). ``elbo`` and
      ``iwae_log_likelihood`` still work on grey levels, as the usual MNIST
      cross-entropy practice.

    **Conditioning.** With ``num_classes`` set the model is class-conditional:
    the encoder takes ``[images, one_hot]`` and the decoder ``[z, one_hot]``;
    train with ``fit(x, labels)`` and pass ``conditions=`` to every verb.

    Args:
        encoder: functional model, images ``(batch, H, W, C)`` (and the
            one-hot labels when conditional) -> ``(batch, 2 * latent_dim)``
            (mean, then log-variance), or a list of two ``(batch, latent_dim)``
            outputs.
        decoder: functional model, ``z`` (and the one-hot labels) -> decoder
            parameters ``(batch, H, W, k)`` with ``k = decoder_channels(
            likelihood, C, num_levels, num_logistic_mix)``.
        latent_dim: size of ``z``.
        likelihood: one of `LIKELIHOODS` (see above).
        num_levels: levels of the discrete data, ``L`` (17 for the embedded
            digits, 256 for 8-bit images): the bins of the discrete decoders
            and the ``L`` of dequantization.
        num_classes: number of classes of a class-conditional model, or None.
        num_logistic_mix: components of the discretized logistic mixture.
        dequantize: train on ``(k + u) / L``, ``u ~ U[0, 1)`` drawn each step
            from the model's training seed stream, instead of on the grid
            values (continuous decoders only). A density trained on the exact
            grid values piles up on them, and the dequantized bound of such a
            model is loose.
        beta: weight of the KL term (``beta > 1``: beta-VAE).
        fixed_variance: variance of ``"gaussian_fixed"``.
        min_log_variance: lower clamp of the learned decoder log-variance.
        max_log_variance: upper clamp of the learned decoder log-variance.
        image_shape: ``(H, W, C)``; read from the encoder when omitted.
        seed: integer seed of the training noise.
        **kwargs: standard model arguments.

    Call arguments:
        inputs: images (unconditional) or ``[images, labels]``. In training
            mode, or for a conditional model given images alone, the forward
            pass returns the images unchanged (the loss pass, with its noise,
            runs in ``compute_loss``); otherwise it returns the
            reconstruction from the posterior mean.

    Raises:
        ValueError: for an unknown ``likelihood``, a bad size, networks whose
            inputs or outputs do not match ``num_classes`` and the
            likelihood, or ``dequantize=True`` with a decoder of discrete
            data.

    Examples:
        >>> import numpy as np
        >>> from kgen.models.latent import mlp_vae
        >>> levels = np.random.default_rng(0).integers(0, 17, size=(64, 8, 8, 1))
        >>> x = (levels / 16).astype("float32")            # 17 grey levels
        >>> model = mlp_vae((8, 8, 1), latent_dim=2, hidden_units=(32,),
        ...                 likelihood="discretized_logistic", num_levels=17)
        >>> model.compile(optimizer="adam")
        >>> history = model.fit(x, epochs=1, verbose=0)
        >>> sorted(history.history)
        ['kl_loss', 'loss', 'reconstruction_loss']
        >>> model.bits_per_dim(x, num_samples=10, seed=0).shape
        (64,)
        >>> model.likelihood_estimator(10)
        'IWAE bound (K=10), discretized logistic decoder (17 levels)'
        >>> model.sample(16, seed=0).shape
        (16, 8, 8, 1)

    References:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014;
        Rezende, Mohamed and Wierstra, "Stochastic Backpropagation and
        Approximate Inference in Deep Generative Models", ICML 2014;
        Higgins et al., "beta-VAE", ICLR 2017; Burda, Grosse and
        Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016;
        Salimans et al., "PixelCNN++", ICLR 2017 (discretized logistic);
        Theis, van den Oord and Bethge, "A note on the evaluation of
        generative models", ICLR 2016 (uniform dequantization).
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
    supports_sample_weight = True
    # The posterior family; CategoricalVAE sets "categorical" and makes its own
    # sampling layer after this constructor.
    posterior = "gaussian"

    config_objects = ("encoder", "decoder")

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim,
        likelihood="bernoulli",
        num_levels=256,
        num_classes=None,
        num_logistic_mix=1,
        dequantize=False,
        beta=1.0,
        fixed_variance=0.01,
        min_log_variance=-6.0,
        max_log_variance=2.0,
        image_shape=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_likelihood(likelihood)
        if (
            isinstance(num_levels, bool)
            or not isinstance(num_levels, (int, np.integer))
            or num_levels < 2
        ):
            raise ValueError(
                f"num_levels must be an integer >= 2; received {num_levels!r}."
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
        if dequantize and likelihood not in CONTINUOUS_LIKELIHOODS:
            raise ValueError(
                f"dequantize=True trains a density of continuous values; the "
                f"{likelihood!r} decoder models the levels themselves. Use "
                f"dequantize with likelihood in {CONTINUOUS_LIKELIHOODS}."
            )
        self.seed = seed
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.likelihood = likelihood
        self.num_levels = int(num_levels)
        self.num_classes = (
            None
            if num_classes is None
            else check_positive_int(num_classes, "num_classes")
        )
        self.num_logistic_mix = check_positive_int(num_logistic_mix, "num_logistic_mix")
        self.dequantize = bool(dequantize)
        self.beta = float(beta)
        self.fixed_variance = float(fixed_variance)
        self.min_log_variance = float(min_log_variance)
        self.max_log_variance = float(max_log_variance)
        self.image_shape = (
            _input_image_shape(encoder)
            if image_shape is None
            else tuple(int(s) for s in image_shape)
        )
        _check_network_inputs(encoder, self.num_classes, "encoder")
        _check_network_inputs(decoder, self.num_classes, "decoder")
        _check_decoder_outputs(
            decoder,
            likelihood,
            self.image_shape,
            self.num_levels,
            self.num_logistic_mix,
        )
        if self.posterior == "gaussian":
            self.sampling = GaussianSampling(seed=seed, name="sampling")
            self.sampling.build(None)
        if self.dequantize:
            # its own training stream: the uniforms of dequantization
            self.dequantization_seed_generator = keras.random.SeedGenerator(
                None if seed is None else seed + 1
            )
        self.reconstruction_loss_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.built = True

    @property
    def num_dims(self):
        """Number of sub-pixels of one image, ``D = H * W * C``."""
        return int(math.prod(self.image_shape))

    # ------------------------------------------------------------------ checks
    def check_x(self, x, name="x"):
        """Check data against the model's convention; return float32 NumPy.

        Floats in [0, 1] of shape ``(batch, *image_shape)``; for the discrete
        decoders and for dequantized training, also on the level grid
        ``k / (num_levels - 1)``.

        Args:
            x: the data.
            name: what to call them in messages.

        Returns:
            ``x`` as float32 NumPy.

        Raises:
            ValueError: naming what was expected, what was received and how
                to convert it.

        Examples:
            >>> import numpy as np
            >>> from kgen.models.latent import mlp_vae
            >>> model = mlp_vae((2, 2, 1), latent_dim=1, hidden_units=(4,),
            ...                 likelihood="categorical", num_levels=3)
            >>> model.check_x(np.array([[[[0.0], [0.5]], [[1.0], [0.5]]]])).dtype
            dtype('float32')
        """
        x = super().check_x(x, name=name)
        if self.likelihood in DISCRETE_LIKELIHOODS:
            check_on_grid(
                x,
                self.num_levels,
                name=name,
                purpose=f"The {self.likelihood!r} decoder",
            )
        elif self.dequantize:
            check_on_grid(x, self.num_levels, name=name, purpose="Dequantized training")
        return x

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

    def _encoding(self, params):
        mean, log_variance = params
        return {"latent": mean, "mean": mean, "log_variance": log_variance}

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

    def _decoder_parameters(self, z, one_hot=None):
        """Parameters of p(x|z): logits, (mean, log_variance), mixture
        parameters ``(B, H, W, P)`` or level logits ``(B, H, W, C, L)``."""
        out = ops.cast(self.decoder(self._decoder_inputs(z, one_hot)), "float32")
        if self.likelihood in ("bernoulli", "discretized_logistic"):
            return out
        if self.likelihood == "categorical":
            return ops.reshape(out, (-1, *self.image_shape, self.num_levels))
        if self.likelihood == "gaussian":
            raw_mean, raw_log_variance = ops.split(out, 2, axis=-1)
            log_variance = ops.clip(
                raw_log_variance, self.min_log_variance, self.max_log_variance
            )
            return ops.sigmoid(raw_mean), log_variance
        log_variance = ops.full_like(out, math.log(self.fixed_variance))
        return ops.sigmoid(out), log_variance

    def _levels(self, x):
        """Integer levels ``round(x (L - 1))`` of grid data, as float32."""
        return ops.round(ops.cast(x, "float32") * (self.num_levels - 1))

    def _log_likelihood(self, x, z, one_hot=None):
        """log p(x|z) per example, summed over sub-pixels (nats).

        A probability of the levels for the discrete decoders, a density at
        ``x`` for the Gaussian ones, a Bernoulli log-probability (a negative
        cross-entropy for grey levels) for ``"bernoulli"``.
        """
        x = ops.cast(x, "float32")
        params = self._decoder_parameters(z, one_hot)
        if self.likelihood == "bernoulli":
            return _sum_per_example(bernoulli_log_prob_from_logits(x, params))
        if self.likelihood == "discretized_logistic":
            return _sum_per_example(
                discretized_logistic_mixture_log_prob(
                    params,
                    self._levels(x),
                    num_levels=self.num_levels,
                    num_mixtures=self.num_logistic_mix,
                )
            )
        if self.likelihood == "categorical":
            return _sum_per_example(categorical_log_prob(params, self._levels(x)))
        mean, log_variance = params
        return _sum_per_example(diagonal_gaussian_log_prob(x, mean, log_variance))

    def _decode_mean(self, z, one_hot=None):
        """The mean of p(x|z), floats in [0, 1]."""
        params = self._decoder_parameters(z, one_hot)
        if self.likelihood == "bernoulli":
            return ops.sigmoid(params)
        top = float(self.num_levels - 1)
        if self.likelihood == "discretized_logistic":
            levels = discretized_logistic_mixture_mean(
                params,
                self.image_shape[-1],
                num_levels=self.num_levels,
                num_mixtures=self.num_logistic_mix,
            )
            return levels / top
        if self.likelihood == "categorical":
            values = ops.cast(ops.arange(self.num_levels), "float32")
            return ops.sum(ops.softmax(params, axis=-1) * values, axis=-1) / top
        return params[0]

    def _draw_decoder_noise(self, batch, generator):
        """The noise of one draw x ~ p(x|z) for ``batch`` latents (a tuple)."""
        shape = (batch, *self.image_shape)
        if self.likelihood == "categorical":
            return (gumbel_noise((*shape, self.num_levels), seed=generator),)
        if self.likelihood == "discretized_logistic":
            components = (*shape[:-1], self.num_logistic_mix)
            return (
                keras.random.uniform(components, dtype="float32", seed=generator),
                keras.random.uniform(shape, dtype="float32", seed=generator),
            )
        if self.likelihood == "bernoulli":
            return (keras.random.uniform(shape, dtype="float32", seed=generator),)
        return (keras.random.normal(shape, dtype="float32", seed=generator),)

    def _decoder_sample(self, z, one_hot, *noise):
        """One draw x ~ p(x|z) from pre-drawn noise, on the data's level grid."""
        params = self._decoder_parameters(z, one_hot)
        top = float(self.num_levels - 1)
        if self.likelihood == "bernoulli":
            return ops.cast(noise[0] < ops.sigmoid(params), "float32")
        if self.likelihood == "categorical":
            return ops.cast(categorical_sample(params, noise=noise[0]), "float32") / top
        if self.likelihood == "discretized_logistic":
            levels = discretized_logistic_mixture_sample(
                params,
                noise[0],
                noise[1],
                num_levels=self.num_levels,
                num_mixtures=self.num_logistic_mix,
            )
            return ops.cast(levels, "float32") / top
        # a continuous value y, then its bin: level floor(y L), the discrete
        # model that the dequantized bits/dim bound is about
        mean, log_variance = params
        y = mean + ops.exp(0.5 * log_variance) * noise[0]
        levels = ops.clip(ops.floor(y * self.num_levels), 0.0, top)
        return levels / top

    # --------------------------------------------------------------- training
    def _training_conditions(self, y):
        """One-hot labels from ``fit``'s ``y`` (checked again for datasets)."""
        name = type(self).__name__
        if is_placeholder_targets(y):
            y = None
        if self.num_classes is None:
            if y is not None:
                raise ValueError(
                    f"{name} is unconditional (built without num_classes) and "
                    "takes no labels; call fit(x) without y, or build the model "
                    "with num_classes=... for a class-conditional VAE."
                )
            return None
        if y is None:
            raise ValueError(
                f"{name} is class-conditional (num_classes={self.num_classes}): "
                f"call fit(x, labels) with integer labels in "
                f"[0, {self.num_classes - 1}]."
            )
        return self._one_hot(y)

    def _dequantize(self, x, uniforms):
        """``(k + u) / L`` for grid data ``x = k / (L - 1)``."""
        return (self._levels(x) + uniforms) / float(self.num_levels)

    def call(self, inputs, training=False):
        if isinstance(inputs, (list, tuple)):
            images, labels = inputs
            one_hot = self._one_hot(labels) if self.num_classes else None
        else:
            images, one_hot = inputs, None
            if self.num_classes is not None:
                # fit/evaluate pass the images alone; the loss pass needs the
                # labels and runs in compute_loss
                return images
        if training:
            return images
        params = self._encode_tensor(images, one_hot)
        return self._decode_mean(self._latent_point(params), one_hot)

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
        one_hot = self._training_conditions(y)
        x = ops.cast(x, "float32")
        if self.dequantize:
            shape = ops.shape(x)
            uniforms = backend.replica_draw(
                lambda rows: keras.random.uniform(
                    (rows, *shape[1:]),
                    dtype="float32",
                    seed=self.dequantization_seed_generator,
                ),
                shape[0],
            )
            x = self._dequantize(x, uniforms)
        reconstruction, kl = self._negative_elbo_terms(x, one_hot)
        # negative ELBO per example = -E_q[log p(x|z)] + beta * KL(q(z|x) || p(z))
        loss = self.weighted_mean(reconstruction + self.beta * kl, sample_weight)
        batch = ops.shape(x)[0]
        self.reconstruction_loss_tracker.update_state(
            self.weighted_mean(reconstruction, sample_weight), sample_weight=batch
        )
        self.kl_loss_tracker.update_state(
            self.weighted_mean(kl, sample_weight), sample_weight=batch
        )
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return self.scale_loss_for_distribution(loss)

    @property
    def metrics(self):
        # Keras's own list: the `loss` tracker, then the trackers set as
        # attributes (reconstruction_loss, kl_loss).
        return super().metrics

    # ------------------------------------------------------------------ verbs
    def sample(
        self,
        num_samples,
        *,
        seed=None,
        conditions=None,
        batch_size=DEFAULT_BATCH_SIZE,
        decoder_output="mean",
    ):
        """Draw ``z`` from the prior and decode it.

        Args:
            num_samples: number of images.
            seed: integer seed (the same seed gives the same images on a
                given backend), or None for the model's own sampling stream
                (saved with the model; it never touches the training noise).
            conditions: class labels, one per image or one for all
                (conditional models: required).
            batch_size: images per decoder pass.
            decoder_output: ``"mean"``, the mean of ``p(x|z)`` (the usual
                picture of a VAE sample), or ``"sample"``, one draw
                ``x ~ p(x|z)``: levels ``k / (num_levels - 1)`` of the
                discrete data (for the Gaussian decoders, the bin of the
                continuous draw; for ``"bernoulli"``, 0 or 1), i.e. a sample
                of the model whose likelihood ``bits_per_dim`` bounds.

        Returns:
            NumPy float32 images in [0, 1], shape
            ``(num_samples, *image_shape)``.

        Raises:
            ValueError: for a bad ``num_samples``, ``decoder_output`` or
                conditions (a conditional model needs them).

        Examples:
            >>> from kgen.models.latent import mlp_vae
            >>> model = mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(8,),
            ...                 likelihood="categorical", num_levels=5)
            >>> means = model.sample(3, seed=0)
            >>> draws = model.sample(3, seed=0, decoder_output="sample")
            >>> sorted(set((draws * 4).round().ravel().tolist())) <= [0, 1, 2, 3, 4]
            True
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        if decoder_output not in ("mean", "sample"):
            raise ValueError(
                "decoder_output must be 'mean' or 'sample'; received "
                f"{decoder_output!r}."
            )
        labels = self.check_conditions(conditions, num_samples)
        generator = self.sampling_seed_generator(seed)
        z = np.asarray(
            ops.convert_to_numpy(self._prior_sample(num_samples, generator)),
            "float32",
        )
        if decoder_output == "mean":
            return self.decode(z, labels, batch_size=batch_size)
        draw = self.compiled_inference("decoder_sample", self._decoder_sample)

        def batch_sample(zb, yb):
            noise = self._draw_decoder_noise(len(zb), generator)
            return draw(zb, self._one_hot(yb), *noise)

        return map_batches(batch_sample, [z, labels], batch_size)

    def elbo(self, x, conditions=None, *, seed=None, batch_size=DEFAULT_BATCH_SIZE):
        """Evidence lower bound per example, in nats (higher is better).

        ``ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z))``, with the
        expectation estimated from one sample of ``z`` per example (so the
        value is noisy but unbiased; average over a batch) and the KL in
        closed form where it has one. A bound on the log-probability of the
        levels for the discrete decoders, on the log-density at ``x`` for the
        Gaussian ones (not a bits/dim: see ``bits_per_dim``).

        Args:
            x: images, shape ``(batch, *image_shape)``, floats in [0, 1].
            conditions: class labels (conditional models only).
            seed: integer seed of the sample of ``z``; None: the model's
                sampling stream.
            batch_size: examples per forward pass.

        Returns:
            NumPy array of shape ``(batch,)``.

        Raises:
            ValueError: for data outside the model's convention or bad
                conditions.

        Examples:
            >>> import numpy as np
            >>> from kgen.models.latent import mlp_vae
            >>> model = mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(8,))
            >>> model.elbo(np.full((3, 4, 4, 1), 0.5, "float32"), seed=0).shape
            (3,)
        """
        x = self.check_x(x)
        labels = self.check_conditions(conditions, len(x))
        generator = self.sampling_seed_generator(seed)

        def terms(xb, one_hot, noise):
            reconstruction, kl = self._negative_elbo_terms(xb, one_hot, noise)
            return -(reconstruction + kl)

        compiled = self.compiled_inference("elbo", terms)

        def batch_elbo(xb, yb):
            noise = self._draw_noise(self._noise_shape(1, len(xb)), generator)
            return compiled(xb, self._one_hot(yb), noise)

        return map_batches(batch_elbo, [x, labels], batch_size)

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

    def _dequantized_log_weights(self, x, one_hot, noise, uniforms):
        """Log-weights of the discrete data under uniform dequantization.

        ``log w_k = log p(y_k, z_k) - log q(z_k|y_k) - D log L`` with
        ``y_k = (k + u_k) / L``, ``u_k ~ U[0, 1)^D`` (``uniforms``, shape
        ``(K, batch, H, W, C)``) and ``z_k ~ q(z|y_k)`` (from ``noise``): an
        importance sample of ``P(k) = L^-D E_u[p((k + u) / L)]``.
        """
        y = self._dequantize(x[None], uniforms)  # (K, batch, H, W, C)
        shape = ops.shape(uniforms)
        flat_y = ops.reshape(y, (-1, *self.image_shape))
        flat_one_hot = None
        if one_hot is not None:
            ones = ops.ones(shape[:2], dtype="float32")[..., None]
            flat_one_hot = ops.reshape(one_hot[None] * ones, (-1, self.num_classes))
        params = self._encode_tensor(flat_y, flat_one_hot)  # rows: K * batch
        flat_noise = ops.reshape(noise, (1, -1, *noise.shape[2:]))
        z = self._posterior_from_noise(params, flat_noise)  # (1, K * batch, ...)
        log_q = self._posterior_log_prob(z, params)[0]
        flat_z = ops.reshape(z, (-1, self.latent_dim))
        log_p = self._prior_log_prob(flat_z)
        log_likelihood = self._log_likelihood(flat_y, flat_z, flat_one_hot)
        log_bin_width = self.num_dims * math.log(self.num_levels)
        log_weights = log_likelihood + log_p - log_q - log_bin_width
        return ops.reshape(log_weights, shape[:2])

    def _importance_weighted(
        self, x, labels, num_samples, generator, batch_size, *, dequantized
    ):
        """Per-example ``log (1/K) sum_k w_k`` in float64 (see the two weights)."""
        if dequantized:
            log_weights_fn = self.compiled_inference(
                "iwae_dequantized", self._dequantized_log_weights
            )
        else:
            log_weights_fn = self.compiled_inference("iwae", self._log_weights)

        def batch_iwae(xb, yb):
            one_hot = self._one_hot(yb)
            # Every pass draws the same number of samples (one traced shape);
            # the surplus of the last pass is dropped.
            per_pass = min(num_samples, max(1, _IWAE_ROWS_PER_PASS // len(xb)))
            chunks = []
            for start in range(0, num_samples, per_pass):
                count = min(per_pass, num_samples - start)
                arguments = [
                    xb,
                    one_hot,
                    self._draw_noise(self._noise_shape(per_pass, len(xb)), generator),
                ]
                if dequantized:
                    arguments.append(
                        keras.random.uniform(
                            (per_pass, *xb.shape), dtype="float32", seed=generator
                        )
                    )
                log_weights = log_weights_fn(*arguments)
                chunks.append(
                    np.asarray(ops.convert_to_numpy(log_weights), "float64")[:count]
                )
            return _log_mean_exp(np.concatenate(chunks, axis=0))

        return map_batches(batch_iwae, [x, labels], batch_size)

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
        chunks so memory stays bounded. Like ``elbo``: the log-probability of
        the levels for the discrete decoders, the log-density at ``x`` for
        the Gaussian ones.

        Args:
            x: images, shape ``(batch, *image_shape)``, floats in [0, 1].
            num_samples: ``K``, importance samples per example.
            conditions: class labels (conditional models only).
            seed: integer seed of the samples; None: the model's sampling
                stream.
            batch_size: examples per encoder pass.

        Returns:
            NumPy float64 array of shape ``(batch,)``.

        Raises:
            ValueError: for a bad ``num_samples``, data outside the model's
                convention or bad conditions.

        Examples:
            >>> import numpy as np
            >>> from kgen.models.latent import mlp_vae
            >>> model = mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(8,))
            >>> x = np.full((3, 4, 4, 1), 0.5, "float32")
            >>> model.iwae_log_likelihood(x, num_samples=10, seed=0).shape
            (3,)
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        x = self.check_x(x)
        labels = self.check_conditions(conditions, len(x))
        generator = self.sampling_seed_generator(seed)
        return self._importance_weighted(
            x, labels, num_samples, generator, batch_size, dequantized=False
        )

    def bits_per_dim(
        self,
        x,
        conditions=None,
        *,
        num_samples=100,
        seed=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        """An upper bound on the discrete data's ``-log2 P(x) / D``, per example.

        Always the negative log-likelihood of the *discrete* data (levels
        ``k = x (L - 1)``, ``L = num_levels``) in bits per sub-pixel, bounded
        from above by an importance-weighted estimate with ``K =
        num_samples``; ``likelihood_estimator(K)`` names it.

        - Discrete decoders (``"discretized_logistic"``, ``"categorical"``):
          ``-IWAE_K(x) / (D ln 2)``, comparable with the exact bits/dim of an
          autoregressive model at the same ``num_levels``.
        - Gaussian decoders, through uniform dequantization: the level ``k``
          owns the bin ``[k / L, (k + 1) / L)^D`` of the continuous space, so
          ``P(k) = integral_bin p(y) dy = L^-D E_u[p((k + u) / L)]``,
          ``u ~ U[0, 1)^D``. By Jensen's inequality (log is concave)
          ``log P(k) >= E_u[log p((k + u) / L)] - D log L``, so
          ``-E_u[log p((k + u) / L)] + D log L`` bounds the discrete NLL from
          above; each ``log p(y)`` is bounded again by its ELBO. This method
          importance-samples the pair ``(u, z)``: with ``K = 1`` it is
          exactly that Jensen bound (one ``u`` and one ``z`` per example),
          and it tightens towards ``-log P(k)`` as ``K`` grows. Density that
          the Gaussian puts outside [0, 1] is lost, which only loosens the
          bound. A model trained on the grid values themselves is judged on
          values it never saw; train with ``dequantize=True``.
        - ``"bernoulli"``: for binarized data (every value 0 or 1) the IWAE
          bound on the binarized data's NLL (bits per binary sub-pixel). On
          grey levels the Bernoulli "likelihood" is a cross-entropy, not a
          likelihood, and this raises.

        Args:
            x: data in the model's convention, shape ``(batch, *image_shape)``:
                floats ``k / (num_levels - 1)`` (0 or 1 for ``"bernoulli"``).
            conditions: class labels (conditional models only).
            num_samples: ``K``, importance samples per example.
            seed: integer seed; None: the model's sampling stream.
            batch_size: examples per encoder pass.

        Returns:
            NumPy float64 array of shape ``(batch,)``.

        Raises:
            ValueError: for data off the level grid, grey levels with the
                Bernoulli decoder, bad ``num_samples`` or conditions.

        Examples:
            >>> import numpy as np
            >>> from kgen.models.latent import mlp_vae
            >>> model = mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(8,),
            ...                 likelihood="gaussian", num_levels=17, dequantize=True)
            >>> x = np.full((3, 4, 4, 1), 0.5, "float32")       # level 8 of 17
            >>> model.bits_per_dim(x, num_samples=10, seed=0).shape
            (3,)
            >>> model.likelihood_estimator(10)
            'dequantized IWAE bound (K=10), Gaussian decoder, uniform dequantization to 17 levels'
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        x = self.check_x(x)
        labels = self.check_conditions(conditions, len(x))
        if self.likelihood == "bernoulli":
            grey = (x != 0.0) & (x != 1.0)
            if np.any(grey):
                raise ValueError(
                    "bits_per_dim of a Bernoulli decoder is a likelihood only of "
                    f"binarized data (every value 0 or 1); x holds {int(grey.sum())} "
                    "grey level(s), for which the Bernoulli number is a "
                    "cross-entropy, not a likelihood. Use "
                    "likelihood='discretized_logistic' or 'categorical' (with "
                    "num_levels of your data), or binarize the data "
                    "(kgen.data.binarize / dynamic_binarize). elbo() and "
                    "iwae_log_likelihood() still give the cross-entropy bound in "
                    "nats."
                )
        continuous = self.likelihood in CONTINUOUS_LIKELIHOODS
        if continuous:
            check_on_grid(
                x,
                self.num_levels,
                purpose="bits_per_dim (a likelihood of the discrete data, through "
                "dequantization)",
            )
        generator = self.sampling_seed_generator(seed)
        log_p = self._importance_weighted(
            x, labels, num_samples, generator, batch_size, dequantized=continuous
        )
        return nats_to_bits_per_dim(log_p, self.num_dims)

    def likelihood_estimator(self, num_samples=100):
        """How ``bits_per_dim(x, num_samples=K)`` is obtained, in words.

        Args:
            num_samples: ``K``.

        Returns:
            A short string, e.g. ``"IWAE bound (K=100), categorical decoder
            (17 levels)"``.

        Examples:
            >>> from kgen.models.latent import mlp_vae
            >>> mlp_vae((4, 4, 1), hidden_units=(8,)).likelihood_estimator(5)
            'IWAE bound (K=5), Bernoulli decoder on binarized data'
        """
        k = check_positive_int(num_samples, "num_samples")
        levels = self.num_levels
        if self.likelihood == "bernoulli":
            return f"IWAE bound (K={k}), Bernoulli decoder on binarized data"
        if self.likelihood == "categorical":
            return f"IWAE bound (K={k}), categorical decoder ({levels} levels)"
        if self.likelihood == "discretized_logistic":
            mixture = (
                f", {self.num_logistic_mix} logistic components"
                if self.num_logistic_mix > 1
                else ""
            )
            return (
                f"IWAE bound (K={k}), discretized logistic decoder "
                f"({levels} levels{mixture})"
            )
        decoder = (
            "Gaussian" if self.likelihood == "gaussian" else "fixed-variance Gaussian"
        )
        return (
            f"dequantized IWAE bound (K={k}), {decoder} decoder, uniform "
            f"dequantization to {levels} levels"
        )

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "latent_dim": self.latent_dim,
                "likelihood": self.likelihood,
                "num_levels": self.num_levels,
                "num_classes": self.num_classes,
                "num_logistic_mix": self.num_logistic_mix,
                "dequantize": self.dequantize,
                "beta": self.beta,
                "fixed_variance": self.fixed_variance,
                "min_log_variance": self.min_log_variance,
                "max_log_variance": self.max_log_variance,
                "image_shape": list(self.image_shape),
                "seed": self.seed,
            }
        )
        return config


def mlp_vae_networks(
    image_shape,
    latent_dim,
    hidden_units,
    likelihood,
    *,
    num_levels=256,
    num_logistic_mix=1,
    num_classes=None,
    encoder_output_dim=None,
):
    """Encoder and decoder of the fully connected VAEs (see ``mlp_vae``).

    Args:
        image_shape: ``(H, W, C)``.
        latent_dim: size of the decoder's input ``z``.
        hidden_units: hidden widths of the encoder (reversed in the decoder).
        likelihood: one of `LIKELIHOODS` (sets the decoder's outputs).
        num_levels: levels of the discrete decoders.
        num_logistic_mix: components of the discretized logistic mixture.
        num_classes: conditional networks (a one-hot second input) when set.
        encoder_output_dim: the encoder's outputs (default ``2 *
            latent_dim``: mean and log-variance).

    Returns:
        ``(encoder, decoder)`` functional models.

    Examples:
        >>> encoder, decoder = mlp_vae_networks((8, 8, 1), 2, (16,), "categorical",
        ...                                     num_levels=5)
        >>> tuple(decoder.outputs[0].shape)
        (None, 8, 8, 5)
    """
    check_likelihood(likelihood)
    hidden_units = tuple(hidden_units)
    encoder = networks.mlp_encoder(
        image_shape,
        2 * latent_dim if encoder_output_dim is None else encoder_output_dim,
        hidden_units,
        num_classes=num_classes,
    )
    decoder = networks.mlp_decoder(
        latent_dim,
        image_shape,
        decoder_channels(likelihood, image_shape[-1], num_levels, num_logistic_mix),
        tuple(reversed(hidden_units)),
        num_classes=num_classes,
    )
    return encoder, decoder


def mlp_vae(
    image_shape,
    latent_dim=20,
    hidden_units=(400,),
    likelihood="bernoulli",
    *,
    num_levels=256,
    num_logistic_mix=1,
    num_classes=None,
    **kwargs,
):
    """The fully connected VAE of Kingma and Welling (784 -> 400 -> 20 on MNIST).

    Encoder ``Flatten -> Dense(ReLU) ... -> Dense(2 * latent_dim)``; decoder
    ``Dense(ReLU) ... -> Dense(H * W * k)``, for images of any size. With
    ``num_classes`` the one-hot label is concatenated to the flattened image
    and to ``z``.

    Args:
        image_shape: ``(H, W, C)``.
        latent_dim: size of ``z``.
        hidden_units: hidden widths of the encoder (reversed in the decoder).
        likelihood: see ``VAE``.
        num_levels: levels of the data (see ``VAE``).
        num_logistic_mix: components of the discretized logistic mixture.
        num_classes: number of classes of a class-conditional VAE, or None.
        **kwargs: passed to ``VAE`` (``beta``, ``dequantize``, ``seed``...).

    Returns:
        An uncompiled ``VAE``.

    Examples:
        >>> model = mlp_vae((8, 8, 1), latent_dim=2, hidden_units=(16,),
        ...                 likelihood="categorical", num_levels=17, num_classes=10)
        >>> model.num_classes, model.data_convention.num_levels
        (10, 17)
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
    return VAE(
        encoder,
        decoder,
        latent_dim,
        likelihood=likelihood,
        num_levels=num_levels,
        num_logistic_mix=num_logistic_mix,
        num_classes=num_classes,
        image_shape=image_shape,
        **kwargs,
    )


def conv_vae(
    image_shape,
    latent_dim=16,
    filters=(32, 64),
    likelihood="bernoulli",
    *,
    num_levels=256,
    num_logistic_mix=1,
    num_classes=None,
    **kwargs,
):
    """A convolutional VAE: strided convolutions down, transposed ones up.

    Height and width must be multiples of ``2 ** len(filters)``.

    Args:
        image_shape: ``(H, W, C)``.
        latent_dim: size of ``z``.
        filters: channels of each stride-2 convolution of the encoder.
        likelihood: see ``VAE``.
        num_levels: levels of the data (see ``VAE``).
        num_logistic_mix: components of the discretized logistic mixture.
        num_classes: number of classes of a class-conditional VAE, or None.
        **kwargs: passed to ``VAE``.

    Returns:
        An uncompiled ``VAE``.

    Raises:
        ValueError: for sides that are not multiples of ``2 ** len(filters)``.

    Examples:
        >>> model = conv_vae((8, 8, 1), latent_dim=2, filters=(4, 4),
        ...                  likelihood="discretized_logistic", num_levels=17)
        >>> tuple(model.decoder.outputs[0].shape)
        (None, 8, 8, 3)
    """
    check_likelihood(likelihood)
    image_shape = tuple(int(s) for s in image_shape)
    filters = tuple(filters)
    encoder = networks.conv_encoder(
        image_shape, 2 * latent_dim, filters, num_classes=num_classes
    )
    decoder = networks.conv_decoder(
        latent_dim,
        image_shape,
        decoder_channels(likelihood, image_shape[-1], num_levels, num_logistic_mix),
        filters,
        num_classes=num_classes,
    )
    return VAE(
        encoder,
        decoder,
        latent_dim,
        likelihood=likelihood,
        num_levels=num_levels,
        num_logistic_mix=num_logistic_mix,
        num_classes=num_classes,
        image_shape=image_shape,
        **kwargs,
    )
