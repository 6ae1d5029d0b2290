"""The adversarial training core: ``GAN`` and its variants.

A ``GAN`` owns a generator, a discriminator (critic) and two optimizers. Its
training step alternates ``n_critic`` discriminator updates with one
generator update; the step itself lives in ``kgen.backend`` (one per Keras
backend), the losses in ``kgen.losses.adversarial`` (backend-neutral).

The two optimizers sit inside an ``OptimizerGroup`` set as ``model.optimizer``
so that JAX's ``fit``, which threads only ``model.optimizer.variables``
through its state, carries both optimizers' state.
"""

import keras
import numpy as np
from keras import ops

from kgen import backend
from kgen.api_export import kgen_export
from kgen.contract import Capability
from kgen.losses.adversarial import (
    LOSS_NAMES,
    clip_weights,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    r1_penalty,
)
from kgen.models.base import GenerativeModel
from kgen.validation import (
    check_finite,
    check_images,
    check_labels,
    check_positive_int,
    check_rank_and_shape,
    to_numpy,
)

__all__ = ["GAN", "WGAN", "WGANGP", "ConditionalGAN", "OptimizerGroup"]


class OptimizerGroup(keras.optimizers.Optimizer):
    """Holds several optimizers so that ``fit`` carries all of their state.

    Its ``variables`` are its own ``iterations`` (one per training step)
    followed by every member's variables. It never applies gradients itself:
    the multi-optimizer step (``kgen.backend.multi_optimizer_train_step``)
    applies each member to its own variables, which the model assigns by
    object identity (not by variable path, which changes after a ``.keras``
    reload). It saves only its own counter; each member is saved as the model
    attribute that refers to it (``d_optimizer``, ``g_optimizer``).

    Args:
        optimizers: list of built or unbuilt ``keras.optimizers.Optimizer``.
        name: optimizer name.
    """

    def __init__(self, optimizers, name="optimizer_group"):
        super().__init__(learning_rate=0.0, name=name)
        self._members = list(optimizers)

    @property
    def optimizers(self):
        return list(self._members)

    @property
    def variables(self):
        variables = self._variables[:]
        for optimizer in self._members:
            variables.extend(optimizer.variables)
        return variables

    def build(self, var_list):
        if self.built:
            return
        # Members are built by the model on their own variables.
        super().build([])

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError(
            "OptimizerGroup does not apply gradients; apply each member "
            "optimizer to its own variables (see "
            "kgen.backend.multi_optimizer_train_step)."
        )

    def finalize_variable_values(self, var_list):
        pass

    def save_own_variables(self, store):
        for i, variable in enumerate(self._variables):
            store[str(i)] = ops.convert_to_numpy(variable)

    def load_own_variables(self, store):
        if len(store.keys()) != len(self._variables):
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])


def _unwrap(optimizer):
    return getattr(optimizer, "inner_optimizer", optimizer)


@kgen_export
class GAN(GenerativeModel):
    """A generative adversarial network trained with ``fit``.

    Each training step makes ``n_critic`` discriminator updates on the same
    batch of real data (fresh noise each time), then one generator update
    with fresh noise against the updated discriminator (``update=
    "simultaneous"`` instead updates both from one batch of samples).
    Logged metrics: ``d_loss`` (the full discriminator objective, penalties
    included), ``g_loss``, ``loss`` (``d_loss + g_loss``, for tools that read
    ``loss``) and, when enabled, ``gradient_penalty`` and ``r1_penalty``.
    Real data are floats in [-1, 1] for images (rank 3 per example); vector
    data (e.g. 2-D points) are only checked for shape and finiteness.

    Args:
        generator: ``keras.Model`` mapping ``(batch, latent_dim)`` noise to
            data (tanh output for images).
        discriminator: ``keras.Model`` mapping data to logits ``(batch, 1)``.
        latent_dim: size of the Gaussian noise vector.
        loss: ``"non_saturating"`` (default), ``"minimax"``,
            ``"wasserstein"``, ``"hinge"`` or ``"least_squares"``.
        n_critic: discriminator updates per generator update.
        gradient_penalty_weight: weight of the WGAN-GP penalty (0: off).
        r1_weight: weight ``gamma`` of the R1 penalty, applied as
            ``gamma / 2 * E||grad D(x)||^2`` (0: off).
        clip_value: if set, clip every discriminator weight into
            ``[-clip_value, clip_value]`` after each update (WGAN).
        ema_decay: if set (e.g. 0.999), keep an exponential moving average of
            the generator's trainable weights, used by ``sample``/``generate``.
        update: ``"alternating"`` (default; Goodfellow et al.'s algorithm 1:
            update D, then draw new samples and update G against the updated
            D) or ``"simultaneous"`` (both networks from the same samples in
            one forward pass, as in most tutorial loops: about a third less
            computation per step; needs ``n_critic=1``).
        seed: integer seed of the model's noise stream.
        **kwargs: base ``keras.Model`` arguments (``name``, ``dtype``).

    Raises:
        ValueError: for an unknown loss or an invalid hyperparameter.

    Example:

    >>> import numpy as np
    >>> generator, discriminator = mlp_networks(data_dim=2, latent_dim=4)
    >>> gan = GAN(generator, discriminator, latent_dim=4)
    >>> gan.compile(d_optimizer="adam", g_optimizer="adam")
    >>> x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    >>> history = gan.fit(x, batch_size=32, epochs=1, verbose=0)
    >>> gan.sample(5, seed=0).shape
    (5, 2)

    References:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
    """

    conditional = False
    capabilities = frozenset({Capability.SAMPLE, Capability.DECODE})

    @property
    def data_kind(self):
        """``"signed"`` for images (tanh generators), ``"real"`` for vectors."""
        return "signed" if len(self.data_shape) == 3 else "real"

    @property
    def num_levels(self):
        """256 for 8-bit images; ``None`` for continuous vector data."""
        return 256 if len(self.data_shape) == 3 else None

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        loss="non_saturating",
        n_critic=1,
        gradient_penalty_weight=0.0,
        r1_weight=0.0,
        clip_value=None,
        ema_decay=None,
        update="alternating",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if update not in ("alternating", "simultaneous"):
            raise ValueError(
                f"update must be 'alternating' or 'simultaneous'; received {update!r}."
            )
        if update == "simultaneous" and n_critic != 1:
            raise ValueError(
                "update='simultaneous' makes one update of each network per "
                f"step; it needs n_critic=1, received n_critic={n_critic!r}."
            )
        if loss not in LOSS_NAMES:
            raise ValueError(
                f"loss must be one of {', '.join(map(repr, LOSS_NAMES))}; "
                f"received {loss!r}."
            )
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.n_critic = check_positive_int(n_critic, "n_critic")
        for name, value in (
            ("gradient_penalty_weight", gradient_penalty_weight),
            ("r1_weight", r1_weight),
        ):
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(
                    f"{name} must be a non-negative number; received {value!r}."
                )
        if clip_value is not None and not (
            isinstance(clip_value, (int, float)) and clip_value > 0
        ):
            raise ValueError(
                f"clip_value must be None or a positive number; received "
                f"{clip_value!r}."
            )
        if ema_decay is not None and not (
            isinstance(ema_decay, float) and 0.0 < ema_decay < 1.0
        ):
            raise ValueError(
                f"ema_decay must be None or a float in (0, 1), e.g. 0.999; "
                f"received {ema_decay!r}."
            )
        self.generator = generator
        self.discriminator = discriminator
        # `self.loss` belongs to keras.Model.compile, hence another name.
        self.adversarial_loss = loss
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        self.r1_weight = float(r1_weight)
        self.clip_value = None if clip_value is None else float(clip_value)
        self.ema_decay = ema_decay
        self.update = update
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

        self.data_shape = self._build_networks()
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.gp_tracker = keras.metrics.Mean(name="gradient_penalty")
        self.r1_tracker = keras.metrics.Mean(name="r1_penalty")
        self.ema_variables = []
        if ema_decay is not None:
            for i, variable in enumerate(self.generator.trainable_variables):
                ema = self.add_weight(
                    shape=variable.shape,
                    initializer="zeros",
                    trainable=False,
                    name=f"generator_ema_{i}",
                )
                # A copy: on JAX, assigning would share one buffer, which fit
                # then donates twice.
                ema.assign(ops.copy(variable))
                self.ema_variables.append(ema)
        self.d_optimizer = None
        self.g_optimizer = None
        self.built = True

    # -- networks -----------------------------------------------------------

    def _generator_inputs(self, z, labels):
        return z

    def _discriminator_inputs(self, x, labels):
        return x

    def _generate(self, z, labels, training):
        return self.generator(self._generator_inputs(z, labels), training=training)

    def _discriminate(self, x, labels, training):
        return self.discriminator(
            self._discriminator_inputs(x, labels), training=training
        )

    def _build_networks(self):
        z = ops.zeros((1, self.latent_dim))
        labels = ops.zeros((1,), dtype="int32") if self.conditional else None
        fake = self._generate(z, labels, training=False)
        self._discriminate(fake, labels, training=False)
        return tuple(int(d) for d in fake.shape[1:])

    # -- compile / save -----------------------------------------------------

    def compile(self, d_optimizer="adam", g_optimizer="adam", **kwargs):
        """Configure training with one optimizer per network.

        Args:
            d_optimizer: optimizer (name or instance) of the discriminator.
            g_optimizer: optimizer (name or instance) of the generator; must be
                a different object from ``d_optimizer``.
            **kwargs: ``run_eagerly``, ``jit_compile``, ``steps_per_execution``
                as in ``keras.Model.compile`` (no ``loss``/``metrics``: the
                objective is the ``loss`` given to the constructor).

        Raises:
            ValueError: when both optimizers are the same object, or for a
                ``loss``/``optimizer`` keyword.
        """
        for key in ("loss", "optimizer", "metrics"):
            if key in kwargs:
                raise ValueError(
                    f"{type(self).__name__}.compile takes d_optimizer= and "
                    f"g_optimizer=; received {key}=. Choose the objective with "
                    f"{type(self).__name__}(loss=...)."
                )
        d_optimizer = keras.optimizers.get(d_optimizer)
        g_optimizer = keras.optimizers.get(g_optimizer)
        if d_optimizer is g_optimizer:
            raise ValueError(
                "d_optimizer and g_optimizer must be two optimizer objects; "
                "received the same object twice. Create one for each network."
            )
        if self.dtype_policy.name == "mixed_float16":
            # Only compile(optimizer=...) is wrapped automatically; each loss is
            # scaled by its own optimizer in the training step.
            d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
            g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)
        group = OptimizerGroup([d_optimizer, g_optimizer])
        group.build([])
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        kwargs.setdefault("auto_scale_loss", False)
        super().compile(optimizer=group, **kwargs)

    def get_compile_config(self):
        if self.d_optimizer is None:
            return None
        return {
            "d_optimizer": keras.optimizers.serialize(_unwrap(self.d_optimizer)),
            "g_optimizer": keras.optimizers.serialize(_unwrap(self.g_optimizer)),
        }

    def compile_from_config(self, config):
        # Builds both optimizers, so that their saved state loads afterwards.
        self.compile(
            d_optimizer=keras.optimizers.deserialize(config["d_optimizer"]),
            g_optimizer=keras.optimizers.deserialize(config["g_optimizer"]),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(
                    self.discriminator
                ),
                "latent_dim": self.latent_dim,
                "loss": self.adversarial_loss,
                "n_critic": self.n_critic,
                "gradient_penalty_weight": self.gradient_penalty_weight,
                "r1_weight": self.r1_weight,
                "clip_value": self.clip_value,
                "ema_decay": self.ema_decay,
                "update": self.update,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    # -- training -----------------------------------------------------------

    @property
    def metrics(self):
        trackers = [self.loss_tracker, self.d_loss_tracker, self.g_loss_tracker]
        if self.gradient_penalty_weight:
            trackers.append(self.gp_tracker)
        if self.r1_weight:
            trackers.append(self.r1_tracker)
        return trackers

    def train_step(self, *args):
        return backend.multi_optimizer_train_step(self, *args)

    def training_phases(self, data):
        """The ``n_critic`` discriminator phases and the generator phase.

        Used by ``kgen.backend.multi_optimizer_train_step``; see
        ``kgen.backend.Phase``.
        """
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = ops.cast(x, self.compute_dtype)
        labels = y if self.conditional else None
        batch_size = ops.shape(x)[0]

        def noise():
            return keras.random.normal(
                (batch_size, self.latent_dim), seed=self.seed_generator
            )

        def critic(t):
            return self._discriminate(t, labels, training=True)

        def d_objective(fake, fake_logits):
            loss = discriminator_loss(self.adversarial_loss, critic(x), fake_logits)
            logs = {}
            if self.gradient_penalty_weight:
                penalty = gradient_penalty(critic, x, fake, seed=self.seed_generator)
                loss = loss + self.gradient_penalty_weight * penalty
                logs["gradient_penalty"] = penalty
            if self.r1_weight:
                penalty = r1_penalty(critic, x)
                loss = loss + 0.5 * self.r1_weight * penalty
                logs["r1_penalty"] = penalty
            logs["d_loss"] = loss
            return loss, logs

        def d_loss_fn():
            fake = ops.stop_gradient(self._generate(noise(), labels, training=True))
            return d_objective(fake, critic(fake))

        def g_loss_fn():
            fake = self._generate(noise(), labels, training=True)
            loss = generator_loss(self.adversarial_loss, critic(fake))
            return loss, {"g_loss": loss}

        def clip():
            clip_weights(self.discriminator.trainable_variables, self.clip_value)

        def update_ema():
            decay = self.ema_decay
            for ema, variable in zip(
                self.ema_variables, self.generator.trainable_variables
            ):
                # ema <- decay * ema + (1 - decay) * w
                ema.assign(decay * ema + (1.0 - decay) * variable)

        if self.update == "simultaneous":

            def joint_loss_fn():
                # One batch of samples for both losses; each network's gradient
                # comes from its own loss only.
                fake = self._generate(noise(), labels, training=True)
                fake_logits = critic(fake)
                d_loss, logs = d_objective(fake, fake_logits)
                g_loss = generator_loss(self.adversarial_loss, fake_logits)
                logs["g_loss"] = g_loss
                return [d_loss, g_loss], logs

            def after_both():
                if self.clip_value is not None:
                    clip()
                if self.ema_decay is not None:
                    update_ema()

            return [
                backend.JointPhase(
                    joint_loss_fn,
                    [
                        (self.discriminator.trainable_variables, self.d_optimizer),
                        (self.generator.trainable_variables, self.g_optimizer),
                    ],
                    after=after_both,
                )
            ]

        d_phase = backend.Phase(
            d_loss_fn,
            self.discriminator.trainable_variables,
            self.d_optimizer,
            after=clip if self.clip_value is not None else None,
        )
        g_phase = backend.Phase(
            g_loss_fn,
            self.generator.trainable_variables,
            self.g_optimizer,
            after=update_ema if self.ema_decay is not None else None,
        )
        return [d_phase] * self.n_critic + [g_phase]

    def update_training_metrics(self, logs):
        """Update the trackers from one step's logs; return their results."""
        self.d_loss_tracker.update_state(logs["d_loss"])
        self.g_loss_tracker.update_state(logs["g_loss"])
        self.loss_tracker.update_state(logs["d_loss"] + logs["g_loss"])
        if "gradient_penalty" in logs:
            self.gp_tracker.update_state(logs["gradient_penalty"])
        if "r1_penalty" in logs:
            self.r1_tracker.update_state(logs["r1_penalty"])
        return {m.name: m.result() for m in self.metrics}

    def _check_compiled(self):
        if self.d_optimizer is None:
            raise ValueError(
                f"Call {type(self).__name__}.compile(d_optimizer=..., "
                "g_optimizer=...) before fit()."
            )

    def fit(self, *args, **kwargs):
        self._check_compiled()
        return super().fit(*args, **kwargs)

    def evaluate(self, *args, **kwargs):
        raise NotImplementedError(
            "GANs have no held-out likelihood to evaluate; compare samples "
            "with kgen.evaluation.frechet_distance instead."
        )

    # -- data checks --------------------------------------------------------

    def check_data(self, x, y=None):
        """Check training data: shape, finiteness and (images) range [-1, 1]."""
        expected = (None,) + self.data_shape
        if len(self.data_shape) == 3:
            check_images(x, "signed", shape=expected)
        else:
            check_rank_and_shape(x, expected, name="data")
            check_finite(x, name="data")
        if self.conditional:
            if y is None:
                raise ValueError(
                    f"{type(self).__name__} needs class labels: call "
                    "fit(x, labels, ...)."
                )
            check_labels(y, self.num_classes, num_examples=len(x))

    def _check_conditions(self, conditions, num_samples):
        if conditions is not None:
            raise ValueError(
                f"{type(self).__name__} is unconditional; received conditions. "
                "Use ConditionalGAN for class-conditional sampling."
            )
        return None

    # -- inference ----------------------------------------------------------

    def _generate_for_sampling(self, z, labels):
        z = ops.convert_to_tensor(z, "float32")
        inputs = self._generator_inputs(z, labels)
        if not self.ema_variables:
            return self.generator(inputs, training=False)
        outputs, _ = self.generator.stateless_call(
            [ops.convert_to_tensor(v) for v in self.ema_variables],
            [ops.convert_to_tensor(v) for v in self.generator.non_trainable_variables],
            inputs,
            training=False,
        )
        return outputs

    def generate(self, latents, *, conditions=None, batch_size=256):
        """Map given latent vectors to data (the EMA generator if enabled).

        Args:
            latents: array ``(num, latent_dim)``.
            conditions: class labels ``(num,)`` for conditional models.
            batch_size: examples per generator call.

        Returns:
            NumPy float32 array ``(num,) + data_shape``.

        Raises:
            ValueError: for a wrong latent shape, non-finite values or labels.
        """
        latents = check_rank_and_shape(
            np.asarray(to_numpy(latents), dtype="float32"),
            (None, self.latent_dim),
            name="latents",
        )
        check_finite(latents, name="latents")
        labels = self._check_conditions(conditions, len(latents))
        batch_size = check_positive_int(batch_size, "batch_size")
        outputs = []
        for start in range(0, len(latents), batch_size):
            stop = start + batch_size
            batch_labels = None if labels is None else labels[start:stop]
            out = self._generate_for_sampling(latents[start:stop], batch_labels)
            outputs.append(np.asarray(ops.convert_to_numpy(out), dtype="float32"))
        if not outputs:
            return np.zeros((0,) + self.data_shape, "float32")
        return np.concatenate(outputs)

    def sample(self, num_samples, *, seed=None, conditions=None, batch_size=256):
        """Draw ``num_samples`` examples from the generator.

        Args:
            num_samples: number of samples.
            seed: integer for reproducible samples (on a given backend); None
                uses (and advances) the model's own noise stream.
            conditions: class labels ``(num_samples,)`` for conditional models.
            batch_size: examples per generator call.

        Returns:
            NumPy float32 array ``(num_samples,) + data_shape``; images lie in
            [-1, 1] when the generator ends in tanh.

        Raises:
            ValueError: for invalid ``num_samples`` or conditions.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        self._check_conditions(conditions, num_samples)
        generator = (
            keras.random.SeedGenerator(seed)
            if seed is not None
            else self.seed_generator
        )
        latents = keras.random.normal((num_samples, self.latent_dim), seed=generator)
        return self.generate(latents, conditions=conditions, batch_size=batch_size)

    def discriminate(self, x, *, conditions=None, batch_size=256):
        """Discriminator logits for a batch of data (inference mode).

        Returns:
            NumPy float32 array ``(num, 1)``.
        """
        x = np.asarray(to_numpy(x))
        check_rank_and_shape(x, (None,) + self.data_shape, name="data")
        labels = self._check_conditions(conditions, len(x))
        outputs = []
        for start in range(0, len(x), batch_size):
            stop = start + batch_size
            batch_labels = None if labels is None else labels[start:stop]
            out = self._discriminate(
                ops.convert_to_tensor(x[start:stop], "float32"),
                batch_labels,
                training=False,
            )
            outputs.append(np.asarray(ops.convert_to_numpy(out), dtype="float32"))
        return np.concatenate(outputs)


@kgen_export
class WGAN(GAN):
    """Wasserstein GAN with weight clipping.

    A ``GAN`` with ``loss="wasserstein"``, ``n_critic=5`` and critic weights
    clipped into ``[-clip_value, clip_value]`` after every critic update. The
    paper trains it with RMSprop (learning rate 5e-5).

    Args:
        generator: generator network.
        discriminator: critic network (unbounded scores).
        latent_dim: noise size.
        clip_value: clipping bound (0.01 in the paper).
        n_critic: critic updates per generator update.
        **kwargs: other ``GAN`` arguments.

    Example:

    >>> generator, critic = mlp_networks(data_dim=2, latent_dim=4)
    >>> wgan = WGAN(generator, critic, latent_dim=4)
    >>> wgan.compile(d_optimizer=keras.optimizers.RMSprop(5e-5),
    ...              g_optimizer=keras.optimizers.RMSprop(5e-5))

    References:
        Arjovsky, Chintala & Bottou, "Wasserstein GAN", ICML 2017.
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        clip_value=0.01,
        n_critic=5,
        **kwargs,
    ):
        kwargs.setdefault("loss", "wasserstein")
        super().__init__(
            generator,
            discriminator,
            latent_dim,
            clip_value=clip_value,
            n_critic=n_critic,
            **kwargs,
        )


@kgen_export
class WGANGP(GAN):
    """Wasserstein GAN with gradient penalty.

    A ``GAN`` with ``loss="wasserstein"``, ``n_critic=5`` and the penalty
    ``lambda * E[(||grad f(x_hat)|| - 1)^2]`` on random interpolates of real
    and generated data. Use a critic without batch normalization (layer
    normalization or none): the penalty is per example.

    Args:
        generator: generator network.
        discriminator: critic network.
        latent_dim: noise size.
        gradient_penalty_weight: ``lambda`` (10 in the paper).
        n_critic: critic updates per generator update.
        **kwargs: other ``GAN`` arguments.

    Example:

    >>> generator, critic = mlp_networks(data_dim=2, latent_dim=4)
    >>> wgan = WGANGP(generator, critic, latent_dim=4)
    >>> wgan.compile(d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
    ...              g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9))

    References:
        Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        gradient_penalty_weight=10.0,
        n_critic=5,
        **kwargs,
    ):
        kwargs.setdefault("loss", "wasserstein")
        super().__init__(
            generator,
            discriminator,
            latent_dim,
            gradient_penalty_weight=gradient_penalty_weight,
            n_critic=n_critic,
            **kwargs,
        )


@kgen_export
class ConditionalGAN(GAN):
    """A class-conditional GAN: labels go into both networks.

    The generator is called on ``[z, labels]`` and the discriminator on
    ``[x, labels]`` (labels as int32 ``(batch,)``). Build the networks with
    ``dcgan_networks(..., num_classes=..., conditioning="concat")``
    (embedding concatenated to the inputs, Mirza & Osindero 2014) or
    ``conditioning="projection"`` (projection discriminator, Miyato & Koyama
    2018). Generated examples in a training step use the labels of the real
    batch. Train with ``fit(x, labels)``; sample with
    ``sample(n, conditions=labels)``.

    Args:
        generator: network on ``[z, labels]``.
        discriminator: network on ``[x, labels]``.
        latent_dim: noise size.
        num_classes: number of classes.
        **kwargs: other ``GAN`` arguments.

    Raises:
        ValueError: for an invalid ``num_classes`` or, at fit/sample time,
            labels out of range.

    Example:

    >>> generator, discriminator = dcgan_networks(
    ...     (8, 8, 1), latent_dim=8, base_filters=4, num_classes=3)
    >>> cgan = ConditionalGAN(generator, discriminator, latent_dim=8, num_classes=3)
    >>> cgan.sample(3, conditions=[0, 1, 2], seed=0).shape
    (3, 8, 8, 1)

    References:
        Mirza & Osindero, "Conditional Generative Adversarial Nets", 2014;
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.
    """

    conditional = True

    def __init__(self, generator, discriminator, latent_dim, num_classes, **kwargs):
        self.num_classes = check_positive_int(num_classes, "num_classes")
        super().__init__(generator, discriminator, latent_dim, **kwargs)

    def _generator_inputs(self, z, labels):
        return [z, ops.cast(ops.reshape(labels, (-1,)), "int32")]

    def _discriminator_inputs(self, x, labels):
        return [x, ops.cast(ops.reshape(labels, (-1,)), "int32")]

    def _check_conditions(self, conditions, num_samples):
        if conditions is None:
            raise ValueError(
                "ConditionalGAN needs conditions: one class label per sample, "
                f"integers in [0, {self.num_classes - 1}]."
            )
        conditions = np.asarray(to_numpy(conditions))
        if conditions.ndim == 0:
            conditions = np.full((num_samples,), conditions)
        return check_labels(
            conditions, self.num_classes, num_examples=num_samples, name="conditions"
        )

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = self.num_classes
        return config
