"""Layers for latent-variable models: seeded reparameterized sampling,
the Gumbel-softmax relaxation and a learned mixture-of-Gaussians prior."""

import keras
from keras import ops

from kgen import backend
from kgen.api_export import kgen_export
from kgen.distributions.continuous import diagonal_gaussian_log_prob
from kgen.validation import check_positive_int

__all__ = ["GaussianSampling", "GumbelSoftmaxSampling", "MixtureOfGaussiansPrior"]


@kgen_export
class GaussianSampling(keras.layers.Layer):
    """Draws ``z = mean + exp(log_variance / 2) * epsilon`` with its own seed.

    The reparameterization trick of a variational autoencoder. Unlike the
    ``Sampling`` layer of the Keras VAE example, this layer owns a
    ``keras.random.SeedGenerator``, so it works inside traced JAX functions
    and its random stream is saved with the model.

    Args:
        seed: integer seed of the layer's ``SeedGenerator`` (None: random).
        **kwargs: standard layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: a list ``[mean, log_variance]`` of tensors with equal shapes.
        use_mean: if True, return ``mean`` without noise (deterministic).

    Returns:
        A tensor shaped like ``mean``.

    Examples:
        >>> import numpy as np
        >>> layer = GaussianSampling(seed=1)
        >>> z = layer([np.zeros((2, 3)), np.zeros((2, 3))])
        >>> tuple(z.shape)
        (2, 3)

    References:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    """

    def __init__(self, seed=None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, use_mean=False):
        mean, log_variance = inputs
        mean = ops.cast(mean, "float32")
        if use_mean:
            return mean
        log_variance = ops.cast(log_variance, "float32")
        shape = ops.shape(mean)
        # one replica's rows of the global batch's draw (kgen.backend.replica_draw)
        epsilon = backend.replica_draw(
            lambda rows: keras.random.normal(
                (rows, *shape[1:]), dtype="float32", seed=self.seed_generator
            ),
            shape[0],
        )
        # z = mu + sigma * epsilon, epsilon ~ N(0, I)
        return mean + ops.exp(0.5 * log_variance) * epsilon

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed})
        return config


@kgen_export
class GumbelSoftmaxSampling(keras.layers.Layer):
    """Relaxed one-hot samples from categorical logits (Gumbel-softmax).

    ``y = softmax((logits + g) / temperature)`` with ``g = -log(-log(u))``,
    ``u ~ Uniform(0, 1)``. As the temperature goes to 0 the samples approach
    one-hot vectors. The temperature is a non-trainable weight so that a
    callback (``kgen.models.latent.TemperatureAnnealing``) can anneal it
    during ``fit`` and it is saved with the model.

    Args:
        temperature: initial temperature (positive float).
        hard: if True, the forward value is the one-hot ``argmax`` of ``y``
            while the gradient is that of ``y`` (straight-through estimator).
        seed: integer seed of the layer's ``SeedGenerator``.
        **kwargs: standard layer arguments.

    Call arguments:
        inputs: logits, shape ``(..., num_categories)``.
        use_mode: if True, return ``softmax(logits / temperature)`` without
            noise (deterministic; one-hot of the argmax when ``hard``).

    Returns:
        A tensor shaped like ``inputs`` whose last axis sums to one.

    Raises:
        ValueError: if ``temperature`` is not positive.

    Examples:
        >>> import numpy as np
        >>> layer = GumbelSoftmaxSampling(temperature=0.5, seed=0)
        >>> y = layer(np.zeros((4, 3, 10)))
        >>> tuple(y.shape)
        (4, 3, 10)

    References:
        Jang, Gu and Poole, "Categorical Reparameterization with
        Gumbel-Softmax", ICLR 2017; Maddison, Mnih and Teh, "The Concrete
        Distribution", ICLR 2017.
    """

    def __init__(self, temperature=1.0, hard=False, seed=None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if not temperature > 0:
            raise ValueError(
                f"temperature must be a positive float; received {temperature!r}."
            )
        self.initial_temperature = float(temperature)
        self.hard = bool(hard)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.temperature = self.add_weight(
            name="temperature",
            shape=(),
            initializer=keras.initializers.Constant(self.initial_temperature),
            trainable=False,
            dtype="float32",
        )
        self.built = True

    def call(self, inputs, use_mode=False):
        logits = ops.cast(inputs, "float32")
        if use_mode:
            soft = ops.softmax(logits / self.temperature, axis=-1)
        else:
            shape = ops.shape(logits)
            uniform = backend.replica_draw(
                lambda rows: keras.random.uniform(
                    (rows, *shape[1:]),
                    minval=1e-6,
                    maxval=1.0 - 1e-6,
                    dtype="float32",
                    seed=self.seed_generator,
                ),
                shape[0],
            )
            gumbel = -ops.log(-ops.log(uniform))
            # y = softmax((logits + g) / tau)
            soft = ops.softmax((logits + gumbel) / self.temperature, axis=-1)
        if not self.hard:
            return soft
        hard = ops.one_hot(
            ops.argmax(soft, axis=-1), ops.shape(soft)[-1], dtype="float32"
        )
        # straight-through: forward value `hard`, gradient of `soft`
        return soft + ops.stop_gradient(hard - soft)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "temperature": self.initial_temperature,
                "hard": self.hard,
                "seed": self.seed,
            }
        )
        return config


@kgen_export
class MixtureOfGaussiansPrior(keras.layers.Layer):
    """A learned mixture of diagonal Gaussians, ``p(z) = sum_k pi_k N(z; mu_k, sigma_k^2)``.

    The mixture logits, means and log-variances are trainable weights. Used
    as the prior of ``kgen.models.MixturePriorVAE``; calling the layer gives
    ``log p(z)`` per example.

    Args:
        latent_dim: dimension of ``z``.
        num_components: number of mixture components ``K``.
        mean_initializer_stddev: standard deviation of the random initial
            component means (spreads the components apart).
        seed: integer seed of the layer's ``SeedGenerator`` (for ``sample``)
            and of the mean initializer.
        **kwargs: standard layer arguments.

    Call arguments:
        inputs: latent vectors, shape ``(batch, latent_dim)``.

    Returns:
        ``log p(z)`` in nats, shape ``(batch,)``.

    Raises:
        ValueError: if ``latent_dim`` or ``num_components`` is not a
            positive integer.

    Examples:
        >>> import numpy as np
        >>> prior = MixtureOfGaussiansPrior(latent_dim=2, num_components=3)
        >>> tuple(prior(np.zeros((5, 2))).shape)
        (5,)

    References:
        Tomczak and Welling, "VAE with a VampPrior", AISTATS 2018 (mixture
        priors); Dilokthanakul et al., "Deep Unsupervised Clustering with
        Gaussian Mixture Variational Autoencoders", 2016.
    """

    def __init__(
        self,
        latent_dim,
        num_components=10,
        mean_initializer_stddev=1.0,
        seed=None,
        **kwargs,
    ):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.num_components = check_positive_int(num_components, "num_components")
        self.mean_initializer_stddev = float(mean_initializer_stddev)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape=None):
        self.mixture_logits = self.add_weight(
            name="mixture_logits",
            shape=(self.num_components,),
            initializer="zeros",
            dtype="float32",
        )
        self.means = self.add_weight(
            name="means",
            shape=(self.num_components, self.latent_dim),
            initializer=keras.initializers.RandomNormal(
                stddev=self.mean_initializer_stddev, seed=self.seed
            ),
            dtype="float32",
        )
        self.log_variances = self.add_weight(
            name="log_variances",
            shape=(self.num_components, self.latent_dim),
            initializer="zeros",
            dtype="float32",
        )
        self.built = True

    def call(self, inputs):
        z = ops.cast(inputs, "float32")
        # log N(z; mu_k, sigma_k^2) for every component: (batch, K)
        component = ops.sum(
            diagonal_gaussian_log_prob(
                z[:, None, :], self.means[None], self.log_variances[None]
            ),
            axis=-1,
        )
        log_weights = ops.log_softmax(self.mixture_logits)
        # log p(z) = logsumexp_k (log pi_k + log N(z; mu_k, sigma_k^2))
        return ops.logsumexp(component + log_weights[None], axis=-1)

    def sample(self, num_samples, seed=None):
        """Draw ``num_samples`` latent vectors: a component, then a Gaussian.

        Args:
            num_samples: how many vectors.
            seed: a ``SeedGenerator`` (default: the layer's own).

        Returns:
            A tensor of shape ``(num_samples, latent_dim)``.
        """
        seed = self.seed_generator if seed is None else seed
        logits = ops.broadcast_to(
            self.mixture_logits[None], (num_samples, self.num_components)
        )
        component = ops.reshape(
            keras.random.categorical(logits, 1, seed=seed, dtype="int32"), (-1,)
        )
        mean = ops.take(self.means, component, axis=0)
        log_variance = ops.take(self.log_variances, component, axis=0)
        epsilon = keras.random.normal(
            (num_samples, self.latent_dim), dtype="float32", seed=seed
        )
        return mean + ops.exp(0.5 * log_variance) * epsilon

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "latent_dim": self.latent_dim,
                "num_components": self.num_components,
                "mean_initializer_stddev": self.mean_initializer_stddev,
                "seed": self.seed,
            }
        )
        return config
