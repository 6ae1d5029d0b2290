"""A VAE with categorical latent variables (Gumbel-softmax relaxation)."""

import math

import keras
import numpy as np
from keras import ops

from kgen.api_export import kgen_export
from kgen.layers.latent import GumbelSoftmaxSampling
from kgen.models.latent.vae import VAE, mlp_vae_networks
from kgen.validation import check_finite, check_positive_int, to_numpy

__all__ = ["CategoricalVAE", "TemperatureAnnealing", "mlp_categorical_vae"]


@kgen_export
class CategoricalVAE(VAE):
    """A VAE whose latent code is ``num_latents`` categorical variables.

    The encoder outputs ``num_latents * num_categories`` logits of
    ``q(z|x)``, a product of categoricals; the prior is uniform. Training
    replaces the discrete sample by a Gumbel-softmax (concrete) relaxation
    with temperature ``tau`` (a non-trainable weight of the
    ``GumbelSoftmaxSampling`` layer, annealed by ``TemperatureAnnealing``),
    and the KL to the uniform prior is in closed form:
    ``KL = sum_i sum_k q_ik (log q_ik + log K)``.

    The decoder receives the flattened one-hot (or relaxed) codes, shape
    ``(batch, num_latents * num_categories)``. ``sample``, ``elbo``,
    ``iwae_log_likelihood`` and ``bits_per_dim`` use hard one-hot samples,
    so they evaluate the discrete model, not the relaxed one. ``encode``
    returns ``"latent"``, the posterior probabilities (what the model
    decodes for ``reconstruct``), and ``"logits"``, both of shape
    ``(batch, num_latents, num_categories)``; ``traverse`` sets one latent
    variable at a time to each category.

    Args:
        encoder: functional model, images -> ``(batch, num_latents * num_categories)``.
        decoder: functional model, ``(batch, num_latents * num_categories)``
            -> decoder parameters.
        num_latents: number of categorical variables.
        num_categories: categories per variable.
        temperature: initial Gumbel-softmax temperature.
        hard: straight-through one-hot samples during training.
        **kwargs: the other ``VAE`` arguments (``likelihood``,
            ``num_levels``, ``beta``...).

    Call arguments:
        inputs: images (see ``VAE``).

    Raises:
        ValueError: for non-positive sizes or temperature, and as ``VAE``.

    Examples:
        >>> import numpy as np
        >>> from kgen.models.latent import TemperatureAnnealing, mlp_categorical_vae
        >>> x = (np.random.default_rng(0).integers(0, 17, (32, 8, 8, 1)) / 16).astype("float32")
        >>> model = mlp_categorical_vae((8, 8, 1), num_latents=4, num_categories=8,
        ...                             hidden_units=(16,), likelihood="categorical",
        ...                             num_levels=17)
        >>> model.compile(optimizer="adam")
        >>> anneal = TemperatureAnnealing(initial_temperature=1.0, minimum_temperature=0.5)
        >>> history = model.fit(x, epochs=2, callbacks=[anneal], verbose=0)
        >>> model.encode(x[:3])["latent"].shape
        (3, 4, 8)

    References:
        Jang, Gu and Poole, "Categorical Reparameterization with
        Gumbel-Softmax", ICLR 2017; Maddison, Mnih and Teh, "The Concrete
        Distribution", ICLR 2017.
    """

    posterior = "categorical"

    def __init__(
        self,
        encoder,
        decoder,
        num_latents,
        num_categories,
        temperature=1.0,
        hard=False,
        **kwargs,
    ):
        num_latents = check_positive_int(num_latents, "num_latents")
        num_categories = check_positive_int(num_categories, "num_categories")
        kwargs.pop("latent_dim", None)
        super().__init__(encoder, decoder, num_latents * num_categories, **kwargs)
        self.num_latents = num_latents
        self.num_categories = num_categories
        self.initial_temperature = float(temperature)
        self.hard = bool(hard)
        self.sampling = GumbelSoftmaxSampling(
            temperature=self.initial_temperature,
            hard=self.hard,
            seed=self.seed,
            name="sampling",
        )
        self.sampling.build(None)

    @property
    def temperature(self):
        """The current Gumbel-softmax temperature (a float)."""
        return float(ops.convert_to_numpy(self.sampling.temperature))

    # ------------------------------------------------------------------ hooks
    def _encode_tensor(self, x, one_hot=None):
        logits = ops.cast(self.encoder(self._encoder_inputs(x, one_hot)), "float32")
        return ops.reshape(logits, (-1, self.num_latents, self.num_categories))

    def _encoding(self, logits):
        return {"latent": ops.softmax(logits, axis=-1), "logits": logits}

    def _latent_point(self, logits):
        return ops.reshape(ops.softmax(logits, axis=-1), (-1, self.latent_dim))

    def _posterior_sample(self, logits):
        # relaxed (training) sample from the layer's own seed generator
        return ops.reshape(self.sampling(logits), (-1, self.latent_dim))

    def _noise_shape(self, num_samples, batch):
        return (num_samples, batch, self.num_latents, self.num_categories)

    def _draw_noise(self, shape, generator):
        return keras.random.uniform(
            shape, minval=1e-6, maxval=1.0 - 1e-6, dtype="float32", seed=generator
        )

    def _posterior_from_noise(self, logits, noise):
        """Hard one-hot samples by the Gumbel-max trick, shape (K, batch, L, C)."""
        gumbel = -ops.log(-ops.log(noise))
        index = ops.argmax(logits[None] + gumbel, axis=-1)
        return ops.one_hot(index, self.num_categories, dtype="float32")

    def _posterior_log_prob(self, z, logits):
        if len(z.shape) == 2:
            z = ops.reshape(z, (-1, self.num_latents, self.num_categories))
        # log q(z|x) of a one-hot z: sum_i log q_i[z_i]
        return ops.sum(z * ops.log_softmax(logits, axis=-1), axis=(-2, -1))

    def _prior_log_prob(self, z):
        # uniform prior: log p(z) = -num_latents * log K
        return ops.zeros_like(z[:, 0]) - self.num_latents * math.log(
            self.num_categories
        )

    def _prior_sample(self, num_samples, seed):
        logits = ops.zeros((num_samples * self.num_latents, self.num_categories))
        index = ops.reshape(keras.random.categorical(logits, 1, seed=seed), (-1,))
        one_hot = ops.one_hot(index, self.num_categories, dtype="float32")
        return ops.reshape(one_hot, (num_samples, self.latent_dim))

    def _kl(self, logits, z):
        log_q = ops.log_softmax(logits, axis=-1)
        # KL(q || Uniform(K)) = sum_k q_k (log q_k + log K)
        kl = ops.exp(log_q) * (log_q + math.log(self.num_categories))
        return ops.sum(kl, axis=(1, 2))

    # ------------------------------------------------------------------ verbs
    def _check_latents(self, z, name="latents"):
        z = to_numpy(z)
        if z.ndim == 3 and z.shape[1:] == (self.num_latents, self.num_categories):
            z = z.reshape(len(z), self.latent_dim)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"Expected {name} as one-hot (or relaxed) codes with shape (batch, "
                f"{self.num_latents}, {self.num_categories}) or (batch, "
                f"{self.latent_dim}); received shape {tuple(z.shape)}."
            )
        z = np.asarray(z, dtype="float32")
        check_finite(z, name=name)
        return z

    def traverse(self, x=None, z=None, dims=(0, 1), values=None, conditions=None):
        """Set one categorical variable at a time to each category.

        Args:
            x: optional image whose posterior probabilities are the base code.
            z: optional base code, shape ``(num_latents, num_categories)``.
                With neither, every variable is uniform (the prior mean).
            dims: latent variables to vary, one row each.
            values: categories to set, one column each (default: all).
            conditions: one class label (conditional models only).

        Returns:
            NumPy images, shape ``(len(dims), len(values), *image_shape)``.

        Raises:
            ValueError: for variables or categories out of range.

        Examples:
            >>> from kgen.models.latent import mlp_categorical_vae
            >>> model = mlp_categorical_vae((4, 4, 1), num_latents=3, num_categories=4,
            ...                             hidden_units=(8,))
            >>> model.traverse(dims=(0, 2)).shape
            (2, 4, 4, 4, 1)
        """
        values = (
            np.arange(self.num_categories)
            if values is None
            else np.asarray(values).reshape(-1).astype("int64")
        )
        if values.size and (values.min() < 0 or values.max() >= self.num_categories):
            raise ValueError(
                f"values must be categories in [0, {self.num_categories - 1}]; "
                f"received {values.tolist()}."
            )
        dims = [int(d) for d in np.atleast_1d(dims)]
        for d in dims:
            if not 0 <= d < self.num_latents:
                raise ValueError(
                    f"dims must be latent variables in [0, {self.num_latents - 1}]; "
                    f"received {d}."
                )
        labels = self.check_conditions(conditions, 1)
        if x is None and z is None:
            base = np.full(
                (self.num_latents, self.num_categories),
                1.0 / self.num_categories,
                dtype="float32",
            )
        else:
            base = self._base_point(x, z, labels).reshape(
                self.num_latents, self.num_categories
            )
        grid = np.repeat(base[None, None], len(dims), axis=0)
        grid = np.repeat(grid, len(values), axis=1)
        for row, d in enumerate(dims):
            grid[row, :, d] = np.eye(self.num_categories, dtype="float32")[values]
        count = len(dims) * len(values)
        images = self.decode(
            grid.reshape(-1, self.latent_dim),
            None if labels is None else np.repeat(labels[:1], count),
        )
        return images.reshape(len(dims), len(values), *self.image_shape)

    def edit(self, x, changes, conditions=None, *, batch_size=256):
        """Encode, set chosen categorical variables, decode.

        Args:
            x: images, shape ``(batch, *image_shape)``, floats in [0, 1].
            changes: ``{latent_variable: category}``.
            conditions: class labels (conditional models only).
            batch_size: examples per forward pass.

        Returns:
            NumPy images shaped like ``x``.

        Raises:
            ValueError: for variables or categories out of range.

        Examples:
            >>> import numpy as np
            >>> from kgen.models.latent import mlp_categorical_vae
            >>> model = mlp_categorical_vae((4, 4, 1), num_latents=3, num_categories=4,
            ...                             hidden_units=(8,))
            >>> model.edit(np.zeros((2, 4, 4, 1), "float32"), {1: 3}).shape
            (2, 4, 4, 1)
        """
        x = self.check_x(x)
        labels = self.check_conditions(conditions, len(x))
        if not isinstance(changes, dict):
            raise ValueError(
                f"changes must be a dict {{latent: category}}; received {changes!r}."
            )
        codes = np.array(self._latent_points(x, labels, batch_size)).reshape(
            len(x), self.num_latents, self.num_categories
        )
        for latent, category in changes.items():
            if not 0 <= int(latent) < self.num_latents or not (
                0 <= int(category) < self.num_categories
            ):
                raise ValueError(
                    f"changes must map latent variables in [0, {self.num_latents - 1}] "
                    f"to categories in [0, {self.num_categories - 1}]; received "
                    f"{latent!r}: {category!r}."
                )
            codes[:, int(latent)] = np.eye(self.num_categories)[int(category)]
        return self.decode(codes, labels, batch_size=batch_size)

    def get_config(self):
        config = super().get_config()
        config.pop("latent_dim", None)
        config.update(
            {
                "num_latents": self.num_latents,
                "num_categories": self.num_categories,
                "temperature": self.initial_temperature,
                "hard": self.hard,
            }
        )
        return config


class TemperatureAnnealing(keras.callbacks.Callback):
    """Anneal the Gumbel-softmax temperature exponentially to a floor.

    At the start of epoch ``e``:
    ``tau = max(minimum_temperature, initial_temperature * exp(-rate * e))``,
    assigned to every ``GumbelSoftmaxSampling`` layer of the model. The value
    is also logged as ``temperature``.

    Args:
        initial_temperature: temperature of epoch 0.
        minimum_temperature: the floor.
        rate: decay rate per epoch.

    Raises:
        ValueError: for a floor above the initial temperature or a negative
            rate; at the start of ``fit``, for a model without a
            ``GumbelSoftmaxSampling`` layer.

    Examples:
        >>> anneal = TemperatureAnnealing(1.0, minimum_temperature=0.5, rate=0.1)
        >>> [round(anneal.temperature_at(epoch), 3) for epoch in (0, 1, 10)]
        [1.0, 0.905, 0.5]

    References:
        Jang, Gu and Poole, "Categorical Reparameterization with
        Gumbel-Softmax", ICLR 2017 (section 4: exponential schedule).
    """

    def __init__(self, initial_temperature=1.0, minimum_temperature=0.5, rate=0.1):
        super().__init__()
        if not 0 < minimum_temperature <= initial_temperature:
            raise ValueError(
                "Expected 0 < minimum_temperature <= initial_temperature; received "
                f"{minimum_temperature!r} and {initial_temperature!r}."
            )
        if rate < 0:
            raise ValueError(f"rate must be non-negative; received {rate!r}.")
        self.initial_temperature = float(initial_temperature)
        self.minimum_temperature = float(minimum_temperature)
        self.rate = float(rate)
        self.current = self.initial_temperature

    def temperature_at(self, epoch):
        """The scheduled temperature at the start of ``epoch``."""
        return max(
            self.minimum_temperature,
            self.initial_temperature * math.exp(-self.rate * epoch),
        )

    def _layers(self):
        return [
            layer
            for layer in self.model._flatten_layers(include_self=False)
            if isinstance(layer, GumbelSoftmaxSampling)
        ]

    def on_train_begin(self, logs=None):
        if not self._layers():
            raise ValueError(
                "TemperatureAnnealing found no GumbelSoftmaxSampling layer in the "
                f"model {self.model.name!r}."
            )

    def on_epoch_begin(self, epoch, logs=None):
        self.current = self.temperature_at(epoch)
        for layer in self._layers():
            layer.temperature.assign(self.current)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["temperature"] = self.current


def mlp_categorical_vae(
    image_shape,
    num_latents=20,
    num_categories=10,
    hidden_units=(400,),
    likelihood="bernoulli",
    *,
    num_levels=256,
    num_logistic_mix=1,
    num_classes=None,
    **kwargs,
):
    """A fully connected VAE with categorical latents.

    Args:
        image_shape: ``(H, W, C)``.
        num_latents: number of categorical variables.
        num_categories: categories per variable.
        hidden_units: hidden widths of the encoder (reversed in the decoder).
        likelihood: see ``VAE``.
        num_levels: levels of the data (see ``VAE``).
        num_logistic_mix: components of the discretized logistic mixture.
        num_classes: number of classes of a class-conditional VAE, or None.
        **kwargs: passed to ``CategoricalVAE`` (``temperature``, ``hard``...).

    Returns:
        An uncompiled ``CategoricalVAE``.

    Examples:
        >>> model = mlp_categorical_vae((8, 8, 1), num_latents=4, num_categories=8,
        ...                             hidden_units=(16,))
        >>> model.latent_dim
        32
    """
    image_shape = tuple(int(s) for s in image_shape)
    code_size = check_positive_int(num_latents, "num_latents") * check_positive_int(
        num_categories, "num_categories"
    )
    encoder, decoder = mlp_vae_networks(
        image_shape,
        code_size,
        hidden_units,
        likelihood,
        num_levels=num_levels,
        num_logistic_mix=num_logistic_mix,
        num_classes=num_classes,
        encoder_output_dim=code_size,
    )
    return CategoricalVAE(
        encoder,
        decoder,
        num_latents,
        num_categories,
        likelihood=likelihood,
        num_levels=num_levels,
        num_logistic_mix=num_logistic_mix,
        num_classes=num_classes,
        image_shape=image_shape,
        **kwargs,
    )
