"""StyleGAN2: a style-based generator with lazy regularization.

A ``GAN`` whose generator is a `StyleGenerator` (mapping network ``z -> w``,
synthesis network with modulated convolutions and per-pixel noise) and whose
discriminator is a `StyleDiscriminator`. One training step is four phases
(``kgen.backend.Phase``), as in Karras et al. (2020):

1. discriminator: the logistic (non-saturating) loss on real images and on
   generated ones;
2. discriminator, every ``r1_every`` steps: the R1 penalty
   ``gamma / 2 * E||grad D(x)||^2`` on real images, multiplied by
   ``r1_every`` (lazy regularization: the same average strength, computed
   on one step in ``r1_every``);
3. generator: the non-saturating loss (its mapping network updates its
   running mean style here), then the EMA of its weights;
4. generator, every ``path_length_every`` steps (if
   ``path_length_weight > 0``): path-length regularization
   ``E(||J_w^T y|| - a)^2`` with ``y`` random images and ``a`` a running
   mean, multiplied by ``path_length_every``.

Generated images in phases 1, 3 and 4 use style mixing: with probability
``style_mixing`` an example takes a second latent's styles from a random
crossover layer on. Sampling draws fresh per-pixel noise, ``decode`` uses the
generator's fixed noise maps (deterministic), and both take the truncation
trick's ``truncation`` (``psi``): ``w = w_avg + psi * (w - w_avg)``.
"""

import keras
import numpy as np
from keras import ops

from kgen import backend
from kgen.api_export import kgen_export
from kgen.layers.style import mix_styles
from kgen.losses.adversarial import discriminator_loss, generator_loss, r1_penalty
from kgen.models.adversarial.gan import GAN
from kgen.models.adversarial.style_networks import StyleGenerator
from kgen.models.base import map_batches
from kgen.validation import check_finite, check_positive_int, check_rank_and_shape

__all__ = ["StyleGAN2", "path_length_penalty"]

# GAN arguments that StyleGAN2 fixes (so its config does not carry them).
_FIXED = (
    "latent_dim",
    "loss",
    "n_critic",
    "gradient_penalty_weight",
    "clip_value",
    "update",
    "critic_batches",
    "num_classes",
)
NOISE_MODES = ("random", "fixed", "none")


def path_length_penalty(synthesize, styles, noise_seed, path_length_mean):
    """StyleGAN2's path-length regularizer on one batch.

    For images ``g(w)`` of shape ``(H, W, C)`` and ``y ~ N(0, I) / sqrt(H W)``,
    the per-example length is ``L = sqrt(mean_i ||d(g(w) . y) / d w_i||^2)``
    (averaged over the per-layer styles ``w_i``); the penalty is
    ``mean((L - a)^2)`` with ``a`` the running mean of ``L``.

    Args:
        synthesize: callable ``styles -> images``.
        styles: ``(batch, num_ws, style_dim)``.
        noise_seed: ``SeedGenerator`` for ``y``.
        path_length_mean: the current running mean ``a`` (scalar).

    Returns:
        ``(penalty, lengths)``: the scalar penalty and the per-example
        lengths ``(batch,)``, differentiable with respect to the generator.

    Examples:
        >>> import keras
        >>> import numpy as np
        >>> from keras import ops
        >>> from kgen.models import path_length_penalty
        >>> def synthesize(styles):  # (2, 3, 4) styles -> (2, 4, 4, 1) images
        ...     return ops.reshape(ops.tile(ops.sum(styles, axis=1), (1, 4)), (-1, 4, 4, 1))
        >>> styles = np.ones((2, 3, 4), "float32")
        >>> penalty, lengths = path_length_penalty(
        ...     synthesize, styles, keras.random.SeedGenerator(0), 0.0)
        >>> tuple(lengths.shape), bool(float(penalty) > 0)
        ((2,), True)
    """
    images = synthesize(styles)
    height, width = int(images.shape[1]), int(images.shape[2])
    y = backend.replica_draw(
        lambda rows: keras.random.normal(
            (rows, *images.shape[1:]), seed=noise_seed, dtype=images.dtype
        ),
        ops.shape(images)[0],
    ) / np.sqrt(height * width)
    grads = backend.input_gradients(lambda s: synthesize(s) * y, styles)
    lengths = ops.sqrt(ops.mean(ops.sum(ops.square(grads), axis=2), axis=1) + 1e-8)
    penalty = ops.mean(ops.square(lengths - path_length_mean))
    return penalty, lengths


@kgen_export
class StyleGAN2(GAN):
    """StyleGAN2 (Karras et al. 2020) trained with ``fit``.

    Args:
        generator: a `StyleGenerator` (``stylegan2_networks``).
        discriminator: a network on images returning logits ``(batch, 1)``
            (``StyleDiscriminator``).
        r1_weight: ``gamma`` of the R1 penalty ``gamma / 2 * E||grad D||^2``
            (10 in the paper at 1024x1024; ~0.1-1 for small images).
        r1_every: run the R1 phase every this many steps (16), scaled by it.
        path_length_weight: weight of path-length regularization (2 in the
            paper; 0 turns it off).
        path_length_every: run it every this many steps (4), scaled by it.
        path_length_decay: decay of its running mean length (0.01).
        path_length_batch_shrink: the regularization uses
            ``batch // shrink`` examples (2).
        style_mixing: probability that a generated training example mixes
            two latents' styles (0.9).
        ema_decay: EMA of the generator's weights used by ``sample`` and
            ``decode`` (None: the raw weights).
        seed: integer seed of the training noise stream.
        **kwargs: base ``keras.Model`` arguments.

    Raises:
        ValueError: for a generator that is not a `StyleGenerator` or bad
            hyperparameters.

    Examples:
        >>> from kgen.models import StyleGAN2, stylegan2_networks
        >>> generator, discriminator = stylegan2_networks(
        ...     (8, 8, 1), latent_dim=8, mapping_layers=1, base_filters=4)
        >>> model = StyleGAN2(generator, discriminator, seed=0)
        >>> model.sample(2, seed=0, truncation=0.7).shape
        (2, 8, 8, 1)

    References:
        Karras et al., "Analyzing and Improving the Image Quality of
        StyleGAN", CVPR 2020; Karras, Laine & Aila, "A Style-Based Generator
        Architecture for Generative Adversarial Networks", CVPR 2019.
    """

    def __init__(
        self,
        generator,
        discriminator,
        r1_weight=1.0,
        r1_every=16,
        path_length_weight=2.0,
        path_length_every=4,
        path_length_decay=0.01,
        path_length_batch_shrink=2,
        style_mixing=0.9,
        ema_decay=None,
        seed=None,
        **kwargs,
    ):
        if not isinstance(generator, StyleGenerator):
            raise ValueError(
                "StyleGAN2 needs a kgen StyleGenerator (mapping + synthesis "
                "networks; see kgen.models.stylegan2_networks); received "
                f"{type(generator).__name__}."
            )
        for name, value in (
            ("path_length_weight", path_length_weight),
            ("path_length_decay", path_length_decay),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or value < 0
            ):
                raise ValueError(
                    f"{name} must be a non-negative number; received {value!r}."
                )
        if (
            isinstance(style_mixing, bool)
            or not isinstance(style_mixing, (int, float))
            or not 0.0 <= style_mixing <= 1.0
        ):
            raise ValueError(
                f"style_mixing must be a probability in [0, 1]; received "
                f"{style_mixing!r}."
            )
        super().__init__(
            generator,
            discriminator,
            generator.latent_dim,
            loss="non_saturating",
            r1_weight=r1_weight,
            ema_decay=ema_decay,
            seed=seed,
            **kwargs,
        )
        self.r1_every = check_positive_int(r1_every, "r1_every")
        self.path_length_weight = float(path_length_weight)
        self.path_length_every = check_positive_int(
            path_length_every, "path_length_every"
        )
        self.path_length_decay = float(path_length_decay)
        self.path_length_batch_shrink = check_positive_int(
            path_length_batch_shrink, "path_length_batch_shrink"
        )
        self.style_mixing = float(style_mixing)
        self.path_length_mean = self.add_weight(
            name="path_length_mean",
            shape=(),
            initializer="zeros",
            trainable=False,
            aggregation="mean",
        )
        self.path_length_tracker = keras.metrics.Mean(name="path_length_penalty")

    # -- configuration ------------------------------------------------------

    @property
    def num_ws(self):
        """Per-layer styles of one image (see ``StyleSynthesis``)."""
        return self.generator.num_ws

    def get_config(self):
        config = super().get_config()
        for key in _FIXED:
            config.pop(key, None)
        config.update(
            {
                "r1_every": self.r1_every,
                "path_length_weight": self.path_length_weight,
                "path_length_every": self.path_length_every,
                "path_length_decay": self.path_length_decay,
                "path_length_batch_shrink": self.path_length_batch_shrink,
                "style_mixing": self.style_mixing,
            }
        )
        return config

    @property
    def metrics(self):
        trackers = [self.loss_tracker, self.d_loss_tracker, self.g_loss_tracker]
        if self.r1_weight:
            trackers.append(self.r1_tracker)
        if self.path_length_weight:
            trackers.append(self.path_length_tracker)
        return trackers

    # -- training -----------------------------------------------------------

    def _noise_maps(self, rows, seed_generator, mode="random"):
        """Per-pixel noise for every synthesis convolution."""
        maps = []
        for shape in self.generator.synthesis.noise_shapes:
            if mode == "none":
                maps.append(ops.zeros((rows, *shape)))
            else:
                maps.append(
                    backend.replica_draw(
                        lambda n, s=shape: keras.random.normal(
                            (n, *s), seed=seed_generator
                        ),
                        rows,
                    )
                )
        return maps

    def _training_styles(self, rows, update_average=False):
        """Per-layer styles of ``rows`` generated examples, with style mixing."""
        seed = self.training_seed_generator

        def draw(shape_fn):
            return backend.replica_draw(shape_fn, rows)

        z = draw(lambda n: keras.random.normal((n, self.latent_dim), seed=seed))
        w = self.generator.mapping(z, training=update_average)
        styles = self.generator.broadcast_styles(w)
        if self.style_mixing > 0 and self.num_ws > 1:
            z2 = draw(lambda n: keras.random.normal((n, self.latent_dim), seed=seed))
            w2 = self.generator.mapping(z2)
            crossover = draw(
                lambda n: keras.random.randint(
                    (n,), 1, self.num_ws, dtype="int32", seed=seed
                )
            )
            mix = draw(lambda n: keras.random.uniform((n,), seed=seed))
            # no mixing: a crossover past the last layer
            crossover = ops.where(mix < self.style_mixing, crossover, self.num_ws)
            styles = mix_styles(styles, w2, crossover)
        return styles

    def _synthesize(self, styles, noise):
        return self.generator.synthesis(styles, noise=noise)

    def training_phases(self, data):
        """The four phases of a StyleGAN2 step (see the module docstring)."""
        x, _ = self._training_batch(data)
        batch = ops.shape(x)[0]
        seed = self.training_seed_generator

        def generated(rows, update_average=False):
            styles = self._training_styles(rows, update_average)
            return self._synthesize(styles, self._noise_maps(rows, seed))

        def d_main():
            fake = ops.stop_gradient(generated(batch))
            loss = discriminator_loss(
                "non_saturating",
                self.discriminator(x, training=True),
                self.discriminator(fake, training=True),
            )
            return loss, {"d_loss": loss}

        def d_r1():
            penalty = r1_penalty(lambda t: self.discriminator(t, training=True), x)
            # lazy regularization: r1_every times the per-step strength
            loss = self.r1_every * 0.5 * self.r1_weight * penalty
            return loss, {"r1_penalty": penalty}

        def g_main():
            logits = self.discriminator(
                generated(batch, update_average=True), training=True
            )
            loss = generator_loss("non_saturating", logits)
            return loss, {"g_loss": loss}

        def g_path_length():
            shrink = self.path_length_batch_shrink
            rows = (
                max(batch // shrink, 1)
                if isinstance(batch, int)
                else ops.maximum(batch // shrink, 1)
            )
            styles = self._training_styles(rows)
            noise = self._noise_maps(rows, seed)
            penalty, lengths = path_length_penalty(
                lambda s: self._synthesize(s, noise),
                styles,
                seed,
                ops.stop_gradient(self.path_length_mean),
            )
            # a <- a + decay * (mean(L) - a)
            mean = ops.stop_gradient(ops.mean(lengths))
            self.path_length_mean.assign(
                self.path_length_mean
                + self.path_length_decay * (mean - self.path_length_mean)
            )
            loss = self.path_length_every * self.path_length_weight * penalty
            return loss, {"path_length_penalty": penalty}

        def update_ema():
            decay = self.ema_decay
            for ema, variable in zip(
                self.ema_variables, self.generator.trainable_variables
            ):
                ema.assign(decay * ema + (1.0 - decay) * variable)

        d_variables = self.discriminator.trainable_variables
        g_variables = self.generator.trainable_variables
        phases = [backend.Phase(d_main, d_variables, self.d_optimizer)]
        if self.r1_weight:
            phases.append(
                backend.Phase(d_r1, d_variables, self.d_optimizer, every=self.r1_every)
            )
        phases.append(
            backend.Phase(
                g_main,
                g_variables,
                self.g_optimizer,
                after=update_ema if self.ema_decay is not None else None,
            )
        )
        if self.path_length_weight:
            phases.append(
                backend.Phase(
                    g_path_length,
                    g_variables,
                    self.g_optimizer,
                    every=self.path_length_every,
                )
            )
        return phases

    # -- inference ----------------------------------------------------------

    def _with_ema(self, fn):
        """Run ``fn`` with the generator's EMA weights (if kept)."""
        if not self.ema_variables:
            return fn()
        mapping = list(
            zip(
                self.generator.trainable_variables,
                [ops.convert_to_tensor(v) for v in self.ema_variables],
            )
        ) + [
            (v, ops.convert_to_tensor(v))
            for v in self.generator.non_trainable_variables
        ]
        with keras.StatelessScope(state_mapping=mapping):
            return fn()

    def _mapped(self, z, psi):
        w = self.generator.mapping(ops.convert_to_tensor(z, "float32"))
        return self.generator.mapping.truncate(w, psi)

    def _styles_batch(self, z, psi):
        return self._with_ema(lambda: self._mapped(z, psi))

    def _images_batch(self, z, psi, *noise):
        """z -> truncated styles -> images, in one compiled function."""

        def run():
            styles = self.generator.broadcast_styles(self._mapped(z, psi))
            images = self._synthesize(styles, list(noise) or None)
            return ops.clip(images, -1.0, 1.0)

        return self._with_ema(run)

    def _synthesis_batch(self, styles, *noise):
        def run():
            images = self._synthesize(
                ops.convert_to_tensor(styles, "float32"), list(noise) or None
            )
            return ops.clip(images, -1.0, 1.0)

        return self._with_ema(run)

    def _check_truncation(self, truncation):
        if isinstance(truncation, bool) or not isinstance(truncation, (int, float)):
            raise ValueError(
                f"truncation (psi) must be a number, 1.0 for none; received "
                f"{truncation!r}."
            )
        return float(truncation)

    def styles(self, latents, *, truncation=1.0, batch_size=256):
        """Styles ``w`` of latents ``z`` (the EMA mapping), truncated.

        Args:
            latents: ``(num, latent_dim)``.
            truncation: ``psi`` of ``w_avg + psi * (w - w_avg)``; 1.0 leaves
                ``w`` as it is, 0.0 gives the mean style ``w_avg``.
            batch_size: examples per call.

        Returns:
            NumPy ``(num, style_dim)``.
        """
        latents = check_rank_and_shape(
            np.asarray(latents, dtype="float32"), (None, self.latent_dim), "latents"
        )
        check_finite(latents, "latents")
        psi = ops.convert_to_tensor(np.float32(self._check_truncation(truncation)))
        fn = self.compiled_inference("styles", lambda z, p: self._styles_batch(z, p))
        return map_batches(lambda z: fn(z, psi), [latents], batch_size)

    def synthesize(self, styles, *, noise="fixed", seed=None, batch_size=256):
        """Images from styles: one ``(num, style_dim)`` or per layer.

        Args:
            styles: ``(num, style_dim)`` (every layer the same) or
                ``(num, num_ws, style_dim)`` (e.g. from ``mix_styles``).
            noise: ``"fixed"`` (the generator's fixed noise maps:
                deterministic), ``"random"`` (fresh noise from ``seed``) or
                ``"none"``.
            seed: integer seed, or None for the model's sampling stream.
            batch_size: examples per call.

        Returns:
            NumPy float32 images in [-1, 1].
        """
        if noise not in NOISE_MODES:
            raise ValueError(f"noise must be one of {NOISE_MODES}; received {noise!r}.")
        styles = np.asarray(styles, dtype="float32")
        if styles.ndim == 2:
            styles = np.repeat(styles[:, None], self.num_ws, axis=1)
        check_rank_and_shape(
            styles, (None, self.num_ws, self.generator.style_dim), "styles"
        )
        check_finite(styles, "styles")
        if noise == "fixed":
            fn = self.compiled_inference(
                "synthesize_fixed", lambda s: self._synthesis_batch(s)
            )
            return np.asarray(map_batches(fn, [styles], batch_size), "float32")
        maps = self._noise_maps(len(styles), self.sampling_seed_generator(seed), noise)
        maps = [np.asarray(ops.convert_to_numpy(m)) for m in maps]
        fn = self.compiled_inference("synthesize_noise", self._synthesis_batch)
        return np.asarray(map_batches(fn, [styles, *maps], batch_size), "float32")

    def decode(self, latents, conditions=None, *, batch_size=256, truncation=1.0):
        """Images from latents ``z`` with the fixed noise maps (deterministic).

        Args:
            latents: ``(num, latent_dim)``.
            conditions: must be None (StyleGAN2 here is unconditional).
            batch_size: examples per call.
            truncation: ``psi`` of the truncation trick (1.0: none).

        Returns:
            NumPy float32 ``(num,) + data_shape`` in [-1, 1].
        """
        latents = check_rank_and_shape(
            np.asarray(latents, dtype="float32"), (None, self.latent_dim), "latents"
        )
        check_finite(latents, "latents")
        self.check_conditions(conditions, len(latents))
        psi = ops.convert_to_tensor(np.float32(self._check_truncation(truncation)))
        batch_size = check_positive_int(batch_size, "batch_size")
        fn = self.compiled_inference("decode", self._images_batch)
        return np.asarray(
            map_batches(lambda z: fn(z, psi), [latents], batch_size), "float32"
        )

    def sample(
        self,
        num_samples,
        *,
        seed=None,
        conditions=None,
        batch_size=256,
        truncation=1.0,
        noise="random",
    ):
        """Draw images: ``z ~ N(0, I)``, truncated styles, fresh noise.

        Args:
            num_samples: number of images.
            seed: integer seed, or None for the model's own sampling stream.
            conditions: must be None.
            batch_size: examples per call.
            truncation: ``psi`` (1.0: none; 0.5-0.7 trades variety for
                typical-looking images; 0.0 gives the mean style's image).
            noise: ``"random"`` (default), ``"fixed"`` or ``"none"``.

        Returns:
            NumPy float32 ``(num_samples,) + data_shape`` in [-1, 1].
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        self.check_conditions(conditions, num_samples)
        if noise not in NOISE_MODES:
            raise ValueError(f"noise must be one of {NOISE_MODES}; received {noise!r}.")
        psi = ops.convert_to_tensor(np.float32(self._check_truncation(truncation)))
        batch_size = check_positive_int(batch_size, "batch_size")
        generator = self.sampling_seed_generator(seed)
        latents = keras.random.normal((num_samples, self.latent_dim), seed=generator)
        latents = np.asarray(ops.convert_to_numpy(latents))
        if noise == "fixed":
            return self.decode(latents, batch_size=batch_size, truncation=truncation)
        maps = self._noise_maps(num_samples, generator, noise)
        maps = [np.asarray(ops.convert_to_numpy(m)) for m in maps]
        fn = self.compiled_inference("sample", self._images_batch)
        return np.asarray(
            map_batches(lambda z, *n: fn(z, psi, *n), [latents, *maps], batch_size),
            "float32",
        )

    def mix(self, first, second, crossover, *, truncation=1.0, batch_size=256):
        """Style mixing: ``first``'s styles before layer ``crossover``, then
        ``second``'s (fixed noise).

        Args:
            first: latents ``(num, latent_dim)`` of the coarse layers.
            second: latents ``(num, latent_dim)`` from ``crossover`` on.
            crossover: an int layer index in ``[0, num_ws]``.
            truncation: ``psi`` for both.
            batch_size: examples per call.

        Returns:
            NumPy float32 images.
        """
        if (
            isinstance(crossover, bool)
            or not isinstance(crossover, (int, np.integer))
            or not 0 <= crossover <= self.num_ws
        ):
            raise ValueError(
                f"crossover must be an integer layer index in [0, {self.num_ws}]; "
                f"received {crossover!r}."
            )
        a = self.styles(first, truncation=truncation, batch_size=batch_size)
        b = self.styles(second, truncation=truncation, batch_size=batch_size)
        if a.shape != b.shape:
            raise ValueError(
                f"first and second need the same number of latents; received "
                f"{len(a)} and {len(b)}."
            )
        a = np.repeat(a[:, None], self.num_ws, axis=1)
        styles = np.asarray(ops.convert_to_numpy(mix_styles(a, b, int(crossover))))
        return self.synthesize(styles, noise="fixed", batch_size=batch_size)

    def discriminate(self, x, conditions=None, *, batch_size=256):
        """Discriminator logits ``(num, 1)`` for images (inference mode)."""
        return super().discriminate(x, conditions, batch_size=batch_size)
