"""The adversarial training core: ``GAN`` and its variants.

A ``GAN`` is a ``kgen.training.MultiNetworkModel`` with two networks,
``"generator"`` and ``"discriminator"`` (the critic), each with its own
optimizer. Its training step makes ``n_critic`` discriminator updates and
then one generator update; the step itself lives in ``kgen.backend`` (one per
Keras backend), the losses in ``kgen.losses.adversarial`` (backend-neutral),
and the optimizer group, saving and loss scaling in ``kgen.training``.

Conditioning is one constructor argument: ``GAN(..., num_classes=K)`` feeds
labels to both networks (``ConditionalGAN`` is the same class with
``num_classes`` required).
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
from kgen.models.base import map_batches
from kgen.training import MultiNetworkModel
from kgen.validation import (
    check_finite,
    check_positive_int,
    check_rank_and_shape,
    to_numpy,
)

__all__ = ["GAN", "WGAN", "WGANGP", "ConditionalGAN"]

CRITIC_BATCHES = ("fresh", "reuse")


@kgen_export
class GAN(MultiNetworkModel):
    """A generative adversarial network trained with ``fit``.

    Each training step makes ``n_critic`` discriminator updates (fresh noise
    each time), then one generator update with fresh noise against the
    updated discriminator (``update="simultaneous"`` instead updates both
    from one batch of samples). With ``n_critic > 1``, ``critic_batches``
    says where the real data of the critic updates come from:

    - ``"fresh"`` (the default): each training batch of ``B`` examples is
      split into ``n_critic`` minibatches of ``m = B // n_critic`` examples,
      one per critic update (minibatch ``i`` holds rows ``i, i + n_critic,
      ...``; rows beyond ``n_critic * m`` are unused in that step), and the
      generator update draws ``m`` samples. This is the
      algorithm of the papers: Goodfellow et al.'s algorithm 1 and the
      WGAN and WGAN-GP algorithms (Arjovsky et al.; Gulrajani et al.) draw a
      new real minibatch for every critic iteration, so ``batch_size =
      n_critic * m`` reproduces them exactly (``m = 64`` in both Wasserstein
      papers: ``batch_size=320`` for ``n_critic=5``). It is the default
      because it is what the papers analyse and each example is seen once
      per epoch by the critic. A batch smaller than ``n_critic`` (a short
      last batch) reuses its examples cyclically.
    - ``"reuse"``: every critic update sees the whole training batch
      (kgen's behaviour before 0.2), and the generator update draws ``B``
      samples.

    With ``n_critic=1`` both give the same step. Logged metrics: ``d_loss``
    (the full discriminator objective, penalties included, of the last
    critic update), ``g_loss``, ``loss`` (``d_loss + g_loss``, for tools that
    read ``loss``) and, when enabled, ``gradient_penalty`` and
    ``r1_penalty``. Real data are floats in [-1, 1] for images (rank 3 per
    example, ``data_kind="signed"``); vector data (e.g. 2-D points,
    ``data_kind="real"``) are only checked for shape and finiteness.

    Args:
        generator: ``keras.Model`` mapping ``(batch, latent_dim)`` noise (and
            ``(batch,)`` labels when conditional) to data (tanh output for
            images).
        discriminator: ``keras.Model`` mapping data (and labels when
            conditional) to logits ``(batch, 1)``.
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
            the generator's trainable weights, used by ``sample``/``decode``.
        update: ``"alternating"`` (default; Goodfellow et al.'s algorithm 1:
            update D, then draw new samples and update G against the updated
            D) or ``"simultaneous"`` (both networks from the same samples in
            one forward pass, as in most tutorial loops: about a third less
            computation per step; needs ``n_critic=1``).
        critic_batches: ``"fresh"`` (default) or ``"reuse"``; see above.
        num_classes: ``None`` (unconditional) or the number of classes: the
            generator is then called on ``[z, labels]`` and the discriminator
            on ``[x, labels]``; train with ``fit(x, labels)`` (generated
            examples in a step use the labels of the real minibatch) and pass
            ``conditions=`` to every verb.
        seed: integer seed of the model's training noise stream (sampling
            with ``seed=None`` uses a separate stream).
        **kwargs: base ``keras.Model`` arguments (``name``, ``dtype``).

    Raises:
        ValueError: for an unknown loss or an invalid hyperparameter.

    Examples:
        >>> import numpy as np
        >>> from kgen.models import GAN, mlp_networks
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

    network_names = ("generator", "discriminator")
    config_objects = network_names
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
        critic_batches="fresh",
        num_classes=None,
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
        if critic_batches not in CRITIC_BATCHES:
            raise ValueError(
                "critic_batches must be 'fresh' (a new real minibatch for each "
                "critic update, as in the papers) or 'reuse' (the whole batch "
                f"for every critic update); received {critic_batches!r}."
            )
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.n_critic = check_positive_int(n_critic, "n_critic")
        for name, value in (
            ("gradient_penalty_weight", gradient_penalty_weight),
            ("r1_weight", r1_weight),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or value < 0
            ):
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
        self.num_classes = (
            None
            if num_classes is None
            else check_positive_int(num_classes, "num_classes")
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
        self.critic_batches = critic_batches
        self.seed = seed
        # The training noise stream; `sample(seed=None)` uses the separate
        # `sample_seed_generator` of the base class.
        self.training_seed_generator = keras.random.SeedGenerator(seed)

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

    # -- networks -----------------------------------------------------------

    def _with_labels(self, tensor, labels):
        if self.num_classes is None:
            return tensor
        return [tensor, ops.cast(ops.reshape(labels, (-1,)), "int32")]

    def _generate(self, z, labels, training):
        return self.generator(self._with_labels(z, labels), training=training)

    def _discriminate(self, x, labels, training):
        return self.discriminator(self._with_labels(x, labels), training=training)

    def _build_networks(self):
        z = ops.zeros((1, self.latent_dim))
        labels = None if self.num_classes is None else ops.zeros((1,), dtype="int32")
        fake = self._generate(z, labels, training=False)
        self._discriminate(fake, labels, training=False)
        return tuple(int(d) for d in fake.shape[1:])

    # -- compile / save -----------------------------------------------------

    def compile(self, d_optimizer=None, g_optimizer=None, *, optimizers=None, **kwargs):
        """Configure training with one optimizer per network.

        Args:
            d_optimizer: optimizer (name or instance) of the discriminator
                (default ``"adam"``).
            g_optimizer: optimizer (name or instance) of the generator; must be
                a different object from ``d_optimizer`` (default ``"adam"``).
            optimizers: instead of the two keywords, ``{"generator": ...,
                "discriminator": ...}`` as for every
                ``kgen.training.MultiNetworkModel``.
            **kwargs: ``run_eagerly``, ``jit_compile``, ``steps_per_execution``
                as in ``keras.Model.compile`` (no ``loss``/``metrics``: the
                objective is the ``loss`` given to the constructor).

        Raises:
            ValueError: when both optimizers are the same object, for both
                ``optimizers=`` and a keyword, or for a ``loss``/``optimizer``
                keyword.
        """
        if "optimizer" in kwargs:
            raise ValueError(
                f"{type(self).__name__}.compile takes d_optimizer= and "
                f"g_optimizer= (or optimizers={{'generator': ..., "
                "'discriminator': ...}); received optimizer=."
            )
        if optimizers is not None:
            if d_optimizer is not None or g_optimizer is not None:
                raise ValueError(
                    "Pass either optimizers={...} or d_optimizer=/g_optimizer=, "
                    "not both."
                )
        else:
            optimizers = {
                "generator": "adam" if g_optimizer is None else g_optimizer,
                "discriminator": "adam" if d_optimizer is None else d_optimizer,
            }
        super().compile(optimizers=optimizers, **kwargs)

    @property
    def d_optimizer(self):
        """The discriminator's optimizer (``None`` before ``compile``)."""
        optimizers = self._network_optimizers
        return None if optimizers is None else optimizers["discriminator"]

    @property
    def g_optimizer(self):
        """The generator's optimizer (``None`` before ``compile``)."""
        optimizers = self._network_optimizers
        return None if optimizers is None else optimizers["generator"]

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
                "critic_batches": self.critic_batches,
                "num_classes": self.num_classes,
                "seed": self.seed,
            }
        )
        return config

    # -- training -----------------------------------------------------------

    @property
    def metrics(self):
        trackers = [self.loss_tracker, self.d_loss_tracker, self.g_loss_tracker]
        if self.gradient_penalty_weight:
            trackers.append(self.gp_tracker)
        if self.r1_weight:
            trackers.append(self.r1_tracker)
        return trackers

    def _training_batch(self, data):
        """``(x, labels)`` of a batch, checked against the declaration."""
        x, y = self.unpack_batch(data)
        if self.num_classes is None and y is not None:
            raise ValueError(
                f"{type(self).__name__} is unconditional (built without "
                "num_classes), so its training data take no labels; received "
                "batches of (x, y). Build it with num_classes=... to condition "
                "on them, or drop y."
            )
        if self.num_classes is not None and y is None:
            self.check_conditions(None, 0, name="labels")  # raises
        return ops.cast(x, self.compute_dtype), y

    def _critic_minibatches(self, x, labels):
        """The real ``(x, labels)`` of each critic update, and the generator's
        batch size (see ``critic_batches``).

        Minibatch ``i`` holds rows ``i, i + n, i + 2n, ...`` of the batch
        (``n = n_critic``): a strided split, so that under ``tf.distribute``,
        whose replicas each get a consecutive slice of the batch, the
        replicas' ``i``-th minibatches make up the ``i``-th minibatch of one
        device (when each replica's share is a multiple of ``n``).
        """
        n = self.n_critic
        batch = ops.shape(x)[0]
        if n == 1 or self.critic_batches == "reuse":
            return [(x, labels)] * n, batch
        if isinstance(batch, int) and batch >= n:
            size = batch // n
            stop = n * size
            return [
                (x[i:stop:n], None if labels is None else labels[i:stop:n])
                for i in range(n)
            ], size
        # A batch size known only when the step runs (TensorFlow graphs) or
        # smaller than n_critic: gather rows, cyclically if the batch is short.
        size = (
            max(batch // n, 1) if isinstance(batch, int) else ops.maximum(batch // n, 1)
        )
        minibatches = []
        for i in range(n):
            rows = ops.mod(i + n * ops.arange(size), batch)
            minibatches.append(
                (
                    ops.take(x, rows, axis=0),
                    None if labels is None else ops.take(labels, rows, axis=0),
                )
            )
        return minibatches, size

    def training_phases(self, data):
        """The ``n_critic`` discriminator phases and the generator phase.

        Used by ``kgen.backend.multi_optimizer_train_step``; see
        ``kgen.backend.Phase``.
        """
        x, labels = self._training_batch(data)
        minibatches, generator_batch = self._critic_minibatches(x, labels)

        def noise(batch_size):
            # one different vector per example of the global batch, also when
            # tf.distribute runs the step on several replicas
            return backend.replica_draw(
                lambda rows: keras.random.normal(
                    (rows, self.latent_dim), seed=self.training_seed_generator
                ),
                batch_size,
            )

        def d_objective(real, real_labels, fake, fake_logits):
            def critic(t):
                return self._discriminate(t, real_labels, training=True)

            loss = discriminator_loss(self.adversarial_loss, critic(real), fake_logits)
            logs = {}
            if self.gradient_penalty_weight:
                penalty = gradient_penalty(
                    critic, real, fake, seed=self.training_seed_generator
                )
                loss = loss + self.gradient_penalty_weight * penalty
                logs["gradient_penalty"] = penalty
            if self.r1_weight:
                penalty = r1_penalty(critic, real)
                loss = loss + 0.5 * self.r1_weight * penalty
                logs["r1_penalty"] = penalty
            logs["d_loss"] = loss
            return loss, logs

        def d_loss_fn(real, real_labels):
            fake = ops.stop_gradient(
                self._generate(noise(ops.shape(real)[0]), real_labels, training=True)
            )
            fake_logits = self._discriminate(fake, real_labels, training=True)
            return d_objective(real, real_labels, fake, fake_logits)

        generator_labels = minibatches[0][1]

        def g_loss_fn():
            fake = self._generate(
                noise(generator_batch), generator_labels, training=True
            )
            fake_logits = self._discriminate(fake, generator_labels, training=True)
            return g_objective(fake_logits)

        def g_objective(fake_logits):
            loss = generator_loss(self.adversarial_loss, fake_logits)
            logs = {}
            regularization = self.generator_regularization()
            if regularization is not None:
                penalty, logs = regularization
                loss = loss + penalty
            logs["g_loss"] = loss
            return loss, dict(logs)

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
                fake = self._generate(noise(ops.shape(x)[0]), labels, training=True)
                fake_logits = self._discriminate(fake, labels, training=True)
                d_loss, logs = d_objective(x, labels, fake, fake_logits)
                g_loss, g_logs = g_objective(fake_logits)
                logs.update(g_logs)
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

        d_phases = [
            backend.Phase(
                lambda real=real, real_labels=real_labels: d_loss_fn(real, real_labels),
                self.discriminator.trainable_variables,
                self.d_optimizer,
                after=clip if self.clip_value is not None else None,
            )
            for real, real_labels in minibatches
        ]
        g_phase = backend.Phase(
            g_loss_fn,
            self.generator.trainable_variables,
            self.g_optimizer,
            after=update_ema if self.ema_decay is not None else None,
        )
        return d_phases + [g_phase]

    def generator_regularization(self):
        """Extra terms of the generator's objective: ``(loss, logs)`` or None.

        Called inside the generator's training phase; the term is added to
        ``g_loss``. Subclasses add weight penalties here (BigGAN's
        orthogonal regularization); ``GAN`` adds nothing.
        """
        return None

    def update_training_metrics(self, logs, weights=None):
        """Update the trackers from one step's logs; return their results."""
        logs = dict(logs)
        logs["loss"] = logs["d_loss"] + logs["g_loss"]
        return super().update_training_metrics(logs, weights)

    def evaluate(self, *args, **kwargs):
        raise NotImplementedError(
            "GANs have no held-out likelihood to evaluate; compare samples "
            "with kgen.evaluation.frechet_distance instead."
        )

    # -- inference ----------------------------------------------------------

    def _decode_batch(self, z, labels):
        z = ops.convert_to_tensor(z, "float32")
        if labels is not None:
            labels = ops.convert_to_tensor(labels, "int32")
        inputs = self._with_labels(z, labels)
        if not self.ema_variables:
            return self.generator(inputs, training=False)
        outputs, _ = self.generator.stateless_call(
            [ops.convert_to_tensor(v) for v in self.ema_variables],
            [ops.convert_to_tensor(v) for v in self.generator.non_trainable_variables],
            inputs,
            training=False,
        )
        return outputs

    def decode(self, latents, conditions=None, *, batch_size=256):
        """Map latent vectors to data (the EMA generator if enabled).

        Args:
            latents: array ``(num, latent_dim)``.
            conditions: for a conditional model, class labels ``(num,)`` or one
                label for all; ``None`` for an unconditional one.
            batch_size: examples per generator call.

        Returns:
            NumPy float32 array ``(num,) + data_shape``.

        Raises:
            ValueError: for a wrong latent shape, non-finite values, or
                conditions that do not match ``num_classes``.

        Examples:
            >>> import numpy as np
            >>> from kgen.models import GAN, mlp_networks
            >>> gan = GAN(*mlp_networks(data_dim=2, latent_dim=3), latent_dim=3)
            >>> gan.decode(np.zeros((4, 3), "float32")).shape
            (4, 2)
        """
        latents = check_rank_and_shape(
            np.asarray(to_numpy(latents), dtype="float32"),
            (None, self.latent_dim),
            name="latents",
        )
        check_finite(latents, name="latents")
        if len(latents) == 0:
            self.check_conditions(conditions, 0)
            return np.zeros((0,) + self.data_shape, "float32")
        labels = self.check_conditions(conditions, len(latents))
        batch_size = check_positive_int(batch_size, "batch_size")
        decode = self.compiled_inference("decode", self._decode_batch)
        out = map_batches(decode, [latents, labels], batch_size)
        return np.asarray(out, dtype="float32")

    def sample(self, num_samples, *, seed=None, conditions=None, batch_size=256):
        """Draw ``num_samples`` examples from the generator.

        Args:
            num_samples: number of samples.
            seed: integer for reproducible samples (on a given backend);
                ``None`` uses (and advances) the model's own sampling stream,
                which never touches the training noise.
            conditions: for a conditional model, class labels
                ``(num_samples,)`` or one label for all.
            batch_size: examples per generator call.

        Returns:
            NumPy float32 array ``(num_samples,) + data_shape``; images lie in
            [-1, 1] when the generator ends in tanh.

        Raises:
            ValueError: for invalid ``num_samples`` or conditions.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        labels = self.check_conditions(conditions, num_samples)
        latents = keras.random.normal(
            (num_samples, self.latent_dim), seed=self.sampling_seed_generator(seed)
        )
        return self.decode(latents, labels, batch_size=batch_size)

    def _discriminate_batch(self, x, labels):
        x = ops.convert_to_tensor(x, self.compute_dtype)
        if labels is not None:
            labels = ops.convert_to_tensor(labels, "int32")
        return self._discriminate(x, labels, training=False)

    def discriminate(self, x, conditions=None, *, batch_size=256):
        """Discriminator logits for a batch of data (inference mode).

        Args:
            x: data in the model's convention, ``(num,) + data_shape``.
            conditions: class labels for a conditional model.
            batch_size: examples per discriminator call.

        Returns:
            NumPy float32 array ``(num, 1)``.
        """
        x = self.check_x(x)
        labels = self.check_conditions(conditions, len(x))
        batch_size = check_positive_int(batch_size, "batch_size")
        discriminate = self.compiled_inference("discriminate", self._discriminate_batch)
        return np.asarray(map_batches(discriminate, [x, labels], batch_size), "float32")


@kgen_export
class WGAN(GAN):
    """Wasserstein GAN with weight clipping.

    A ``GAN`` with ``loss="wasserstein"``, ``n_critic=5`` and critic weights
    clipped into ``[-clip_value, clip_value]`` after every critic update. The
    paper trains it with RMSprop (learning rate 5e-5) on minibatches of 64,
    a fresh one for each critic update: with the default
    ``critic_batches="fresh"``, ``fit(x, batch_size=5 * 64)`` is the paper's
    algorithm 1.

    Args:
        generator: generator network.
        discriminator: critic network (unbounded scores).
        latent_dim: noise size.
        clip_value: clipping bound (0.01 in the paper).
        n_critic: critic updates per generator update.
        **kwargs: other ``GAN`` arguments (``critic_batches``, ...).

    Examples:
        >>> import keras
        >>> from kgen.models import WGAN, mlp_networks
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
    normalization or none): the penalty is per example. The paper draws a
    fresh real minibatch of 64 for each critic update: with the default
    ``critic_batches="fresh"``, ``fit(x, batch_size=5 * 64)`` is its
    algorithm 1.

    Args:
        generator: generator network.
        discriminator: critic network.
        latent_dim: noise size.
        gradient_penalty_weight: ``lambda`` (10 in the paper).
        n_critic: critic updates per generator update.
        **kwargs: other ``GAN`` arguments (``critic_batches``, ...).

    Examples:
        >>> import keras
        >>> from kgen.models import WGANGP, mlp_networks
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
    """A class-conditional GAN: ``GAN`` with ``num_classes`` required.

    The same class as ``GAN(..., num_classes=K)``, kept for its name: the
    generator is called on ``[z, labels]`` and the discriminator on
    ``[x, labels]`` (labels as int32 ``(batch,)``). Build the networks with
    ``dcgan_networks(..., num_classes=..., conditioning="concat")``
    (embedding concatenated to the inputs, Mirza & Osindero 2014) or
    ``conditioning="projection"`` (projection discriminator, Miyato & Koyama
    2018). Train with ``fit(x, labels)``; sample with
    ``sample(n, conditions=labels)``.

    Args:
        generator: network on ``[z, labels]``.
        discriminator: network on ``[x, labels]``.
        latent_dim: noise size.
        num_classes: number of classes.
        **kwargs: other ``GAN`` arguments.

    Raises:
        ValueError: for an invalid ``num_classes`` or, at fit/sample time,
            missing labels or labels out of range.

    Examples:
        >>> from kgen.models import ConditionalGAN, dcgan_networks
        >>> generator, discriminator = dcgan_networks(
        ...     (8, 8, 1), latent_dim=8, base_filters=4, num_classes=3)
        >>> cgan = ConditionalGAN(generator, discriminator, latent_dim=8, num_classes=3)
        >>> cgan.sample(3, conditions=[0, 1, 2], seed=0).shape
        (3, 8, 8, 1)

    References:
        Mirza & Osindero, "Conditional Generative Adversarial Nets", 2014;
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes, **kwargs):
        super().__init__(
            generator,
            discriminator,
            latent_dim,
            num_classes=check_positive_int(num_classes, "num_classes"),
            **kwargs,
        )
