"""``DiffusionModel``: a denoising network and a noise schedule, trained with fit.

Three separate objects, as in the diffusers library's design:

- the **network** (any ``keras.Model`` ``[x_t, timestep(, label)] ->
  prediction``; `diffusion_unet` and `diffusion_mlp` build one);
- the **noise schedule** (`NoiseSchedule`: linear, cosine or given betas);
- the **sampler**, passed at sampling time (``kgen.sampling.DDPMSampler``,
  ``DDIMSampler``), so that one trained network serves all of them.

Timesteps are 0-indexed (``t = 0 .. T-1``; see ``schedules``). Training
draws ``t`` uniformly and ``epsilon ~ N(0, I)`` per example, forms ``x_t =
sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) epsilon`` and regresses the
network's output on the target of ``prediction_type`` (Ho et al.'s "simple"
loss), optionally weighted per timestep and, with a learned variance, plus
Nichol & Dhariwal's variational term.
"""

import math

import keras
import numpy as np
from keras import ops

from kgen import backend
from kgen.api_export import kgen_export
from kgen.contract import Capability
from kgen.distributions.continuous import diagonal_gaussian_log_prob
from kgen.losses.likelihood import nats_to_bits_per_dim
from kgen.models.base import GenerativeModel, is_placeholder_targets, map_batches
from kgen.models.diffusion.likelihood import discretized_gaussian_log_prob, normal_kl
from kgen.models.diffusion.schedules import (
    PREDICTION_TYPES,
    SCHEDULES,
    NoiseSchedule,
    epsilon_from_prediction,
    get_schedule,
    prediction_from_x0_and_epsilon,
    x0_from_prediction,
)
from kgen.sampling.diffusion import (
    VARIANCE_TYPES,
    DDIMSampler,
    get_sampler,
)
from kgen.sampling.interpolation import interpolate as _interpolate
from kgen.validation import check_finite, check_positive_int, to_numpy

__all__ = ["DiffusionModel", "LOSS_WEIGHTINGS"]

_LN2 = math.log(2.0)

#: Per-timestep weightings of the regression loss.
LOSS_WEIGHTINGS = ("uniform", "min_snr")

#: Steps of a sampling loop compiled as one function; longer plans run as
#: several calls of it (noise for one chunk at a time).
MAX_STEPS_PER_CALL = 100

DEFAULT_BATCH_SIZE = 64


def _check_fraction(value, name, upper_inclusive=True):
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    if ok:
        ok = 0.0 <= value <= 1.0 if upper_inclusive else 0.0 <= value < 1.0
    if not ok:
        interval = "[0, 1]" if upper_inclusive else "[0, 1)"
        raise ValueError(f"{name} must be a number in {interval}; received {value!r}.")
    return float(value)


@kgen_export
class DiffusionModel(GenerativeModel):
    """A denoising diffusion model (DDPM) on images or vectors.

    Training (``fit(x)``, or ``fit(x, labels)`` when ``num_classes`` is set)
    draws per example a timestep ``t`` uniform in ``0 .. T-1`` and noise
    ``epsilon``, and minimises ``w_t ||target - network(x_t, t)||^2`` (mean
    over dimensions; ``target`` is ``epsilon``, ``x_0`` or ``v``). The draws
    come from the model's training stream (``seed``) and, on several
    ``tf.distribute`` replicas, each replica takes its rows of one draw for
    the global batch, so that two devices train as one.

    Images are floats in [-1, 1] (``data_kind="signed"``, 256 levels ``x =
    2 k / 255 - 1``: the discrete data the likelihood bound is measured on);
    vectors (rank 1 per example, e.g. 2-D points) are unbounded (``"real"``).

    Class-conditional models (``num_classes``) are trained with label
    dropout: a fraction ``label_dropout`` of the labels is replaced by the
    null label ``num_classes``, so that the same network is also an
    unconditional model and samples can use classifier-free guidance,
    ``eps = (1 + w) eps(x, c) - w eps(x, null)`` (``guidance_scale=w``;
    ``w = 0`` is the conditional model). ``conditions=None`` on a
    conditional model raises, as for every kgen model, with one documented
    exception: ``guidance_scale=-1.0`` is ``eps(x, null)``, the unconditional
    model that label dropout trained, and then needs no labels (given ones
    are checked and not used): ``model.sample(16, guidance_scale=-1.0)``.

    With ``ema_decay``, an exponential moving average of the network's
    weights is updated after every optimizer step (``ema <- d ema + (1 - d)
    w`` with ``d = min(ema_decay, (1 + n) / (10 + n))`` after ``n`` steps, as
    in ``tf.train.ExponentialMovingAverage``), saved with the model, and
    used by every verb unless it is given ``use_ema=False``.

    Args:
        network: a ``keras.Model`` mapping ``[x_t, timestep]`` (plus ``label``
            in ``[0, num_classes]`` when conditional) to a tensor shaped like
            ``x_t`` (twice the channels with ``variance_type="learned_range"``).
        schedule: ``"linear"``, ``"cosine"``, an array of betas, or a
            `NoiseSchedule`.
        num_timesteps: ``T`` for a named schedule (default 1000).
        prediction_type: ``"epsilon"``, ``"x0"`` or ``"v"``.
        variance_type: the reverse steps' variance: ``"fixed_small"``
            (``beta_tilde_t``), ``"fixed_large"`` (``beta_t``) or
            ``"learned_range"`` (the network's interpolation between them,
            trained with the hybrid loss ``L_simple + vlb_weight * L_vlb`` of
            Nichol & Dhariwal, the mean's gradient stopped in ``L_vlb``).
        loss_weighting: ``"uniform"`` (Ho et al.), ``"min_snr"`` (``w_t =
            min(SNR_t, 5)`` expressed for the prediction type; Hang et al.,
            2023) or an array of ``T`` weights.
        vlb_weight: ``lambda`` of the hybrid loss (0.001 in the paper; the
            variational term is in bits per dimension times ``T``).
        num_classes: number of classes (None: unconditional).
        label_dropout: probability of training with the null label
            (conditional models; 0 disables guidance).
        ema_decay: decay of the weights' moving average, e.g. 0.999, or None.
        seed: integer seed of the training noise stream (sampling with
            ``seed=None`` uses the separate stream of the base class).
        data_shape: the shape of one example, when the network has no
            ``inputs`` to read it from.
        **kwargs: ``keras.Model`` arguments (``name``).

    Raises:
        ValueError: for an unknown schedule, prediction type, variance type
            or weighting, a network whose output does not match, or invalid
            numbers.

    Examples:
        >>> import numpy as np
        >>> from kgen.models import DiffusionModel
        >>> from kgen.models.diffusion import diffusion_mlp
        >>> from kgen.sampling import DDIMSampler
        >>> model = DiffusionModel(diffusion_mlp(2, hidden_units=(16,)),
        ...                        schedule="cosine", num_timesteps=20, seed=0)
        >>> model.compile(optimizer="adam")
        >>> x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
        >>> history = model.fit(x, batch_size=32, epochs=1, verbose=0)
        >>> model.sample(3, seed=0, sampler=DDIMSampler(steps=5)).shape
        (3, 2)

    References:
        Sohl-Dickstein et al., "Deep Unsupervised Learning using
        Nonequilibrium Thermodynamics", ICML 2015; Ho, Jain & Abbeel,
        "Denoising Diffusion Probabilistic Models", NeurIPS 2020; Nichol &
        Dhariwal, "Improved Denoising Diffusion Probabilistic Models", ICML
        2021; Ho & Salimans, "Classifier-Free Diffusion Guidance", 2022;
        Salimans & Ho, "Progressive Distillation for Fast Sampling of
        Diffusion Models", ICLR 2022 (v-prediction).
    """

    capabilities = frozenset(
        {
            Capability.SAMPLE,
            Capability.LIKELIHOOD_BOUND,
            Capability.ENCODE,
            Capability.DECODE,
        }
    )
    supports_sample_weight = True

    @property
    def data_kind(self):
        """``"signed"`` for images (rank 3), ``"real"`` for vectors."""
        return "signed" if len(self.data_shape) == 3 else "real"

    @property
    def num_levels(self):
        """256 for 8-bit images; ``None`` for continuous vectors."""
        return 256 if len(self.data_shape) == 3 else None

    config_objects = ("network",)

    def __init__(
        self,
        network,
        schedule="linear",
        num_timesteps=None,
        prediction_type="epsilon",
        variance_type="fixed_small",
        loss_weighting="uniform",
        vlb_weight=0.001,
        num_classes=None,
        label_dropout=0.1,
        ema_decay=None,
        seed=None,
        data_shape=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(network, keras.layers.Layer):
            raise ValueError(
                "network must be a keras.Model (or layer) mapping [x_t, timestep] "
                f"to a prediction; received {type(network).__name__}."
            )
        if prediction_type not in PREDICTION_TYPES:
            raise ValueError(
                f"Unknown prediction_type {prediction_type!r}; use one of "
                f"{PREDICTION_TYPES} (predict the noise, the clean data or the "
                "velocity)."
            )
        if variance_type not in VARIANCE_TYPES:
            raise ValueError(
                f"Unknown variance_type {variance_type!r}; use one of {VARIANCE_TYPES}."
            )
        if isinstance(schedule, str) or isinstance(schedule, NoiseSchedule):
            named_steps = 1000 if num_timesteps is None else num_timesteps
            self.schedule = get_schedule(schedule, named_steps)
        else:
            self.schedule = get_schedule(schedule)
        if (
            num_timesteps is not None
            and int(num_timesteps) != self.schedule.num_timesteps
        ):
            raise ValueError(
                f"num_timesteps={num_timesteps} but the schedule has "
                f"{self.schedule.num_timesteps} steps; drop num_timesteps or make "
                "them agree."
            )
        self.num_classes = (
            None
            if num_classes is None
            else check_positive_int(num_classes, "num_classes")
        )
        self.label_dropout = _check_fraction(label_dropout, "label_dropout")
        if ema_decay is not None:
            ema_decay = _check_fraction(ema_decay, "ema_decay", upper_inclusive=False)
            if ema_decay == 0.0:
                raise ValueError("ema_decay must be in (0, 1) or None; received 0.")
        if (
            isinstance(vlb_weight, bool)
            or not isinstance(vlb_weight, (int, float))
            or vlb_weight < 0
        ):
            raise ValueError(
                f"vlb_weight must be a number >= 0; received {vlb_weight!r}."
            )
        self.network = network
        self.prediction_type = prediction_type
        self.variance_type = variance_type
        self.vlb_weight = float(vlb_weight)
        self.ema_decay = ema_decay
        self.seed = seed
        self.loss_weighting = loss_weighting
        self._loss_weights = self._weights_of(loss_weighting)
        self._given_data_shape = None if data_shape is None else tuple(data_shape)
        self.data_shape = self._build_network(data_shape)
        # Cast once, eagerly (never inside a traced function).
        self._tables = self.schedule.tensors()
        large = np.log(
            np.append(self.schedule.posterior_variance[1], self.schedule.betas[1:])
        )
        self._large_log_variance = ops.convert_to_tensor(large.astype("float32"))
        # The training noise stream; sampling with seed=None uses the base
        # class's separate stream.
        self.training_seed_generator = keras.random.SeedGenerator(seed)
        self.mse_tracker = keras.metrics.Mean(name="mse")
        self.vlb_tracker = keras.metrics.Mean(name="vlb_bits_per_dim")
        self.ema_variables = []
        if ema_decay is not None:
            for index, variable in enumerate(self.network.trainable_variables):
                ema = self.add_weight(
                    shape=variable.shape,
                    initializer="zeros",
                    trainable=False,
                    name=f"network_ema_{index}",
                )
                # a copy: on JAX, sharing one buffer would be donated twice
                ema.assign(ops.copy(variable))
                self.ema_variables.append(ema)
        self.built = True

    # ------------------------------------------------------------ construction
    @property
    def num_timesteps(self):
        """``T``, the number of noising steps."""
        return self.schedule.num_timesteps

    @property
    def learned_variance(self):
        """Whether the network also outputs the variance interpolation."""
        return self.variance_type == "learned_range"

    @property
    def null_label(self):
        """The label index of "no class" (``num_classes``); None if unconditional."""
        return self.num_classes

    def _weights_of(self, loss_weighting):
        T = self.schedule.num_timesteps
        if isinstance(loss_weighting, str):
            if loss_weighting == "uniform":
                return None
            if loss_weighting == "min_snr":
                alpha_bar = self.schedule.alphas_cumprod
                snr = alpha_bar / (1.0 - alpha_bar)
                clipped = np.minimum(snr, 5.0)
                # min(SNR, gamma) on the x0 loss, expressed for each target
                weights = {
                    "epsilon": clipped / snr,
                    "x0": clipped,
                    "v": clipped / (snr + 1.0),
                }[self.prediction_type]
                return ops.convert_to_tensor(weights.astype("float32"))
            raise ValueError(
                f"Unknown loss_weighting {loss_weighting!r}; use one of "
                f"{LOSS_WEIGHTINGS} or an array of {T} weights."
            )
        weights = np.asarray(loss_weighting, dtype="float64")
        if (
            weights.shape != (T,)
            or not np.all(np.isfinite(weights))
            or weights.min() < 0
        ):
            raise ValueError(
                f"loss_weighting as an array needs {T} finite non-negative weights "
                f"(one per timestep); received shape {weights.shape}."
            )
        return ops.convert_to_tensor(weights.astype("float32"))

    def _network_inputs(self, x_t, t, labels):
        x_t = ops.convert_to_tensor(x_t, "float32")
        t = ops.cast(ops.reshape(t, (-1,)), "int32")
        if self.num_classes is None:
            return [x_t, t]
        return [x_t, t, ops.cast(ops.reshape(labels, (-1,)), "int32")]

    def _build_network(self, data_shape):
        if data_shape is None:
            inputs = getattr(self.network, "inputs", None)
            if not inputs:
                raise ValueError(
                    f"Cannot read the data shape from {type(self.network).__name__}; "
                    "pass data_shape=... (the shape of one example)."
                )
            data_shape = tuple(inputs[0].shape[1:])
        data_shape = tuple(int(s) for s in data_shape)
        if len(data_shape) not in (1, 3):
            raise ValueError(
                "DiffusionModel takes images (height, width, channels) or vectors "
                f"(dim,); received an example shape {data_shape}."
            )
        # a symbolic call: checks the output shape without running the network
        specs = [
            keras.KerasTensor((1, *data_shape), "float32"),
            keras.KerasTensor((1,), "int32"),
        ]
        if self.num_classes is not None:
            specs.append(keras.KerasTensor((1,), "int32"))
        if not self.network.built:
            self.network(
                self._network_inputs(
                    np.zeros((1, *data_shape), "float32"),
                    np.zeros((1,), "int32"),
                    None if self.num_classes is None else np.zeros((1,), "int32"),
                )
            )
        out = self.network.compute_output_spec(specs)
        expected = (
            *data_shape[:-1],
            data_shape[-1] * (2 if self.learned_variance else 1),
        )
        if tuple(out.shape[1:]) != expected:
            raise ValueError(
                f"The network's output must have the shape {expected} per example "
                f"(variance_type={self.variance_type!r}); it returns "
                f"{tuple(out.shape[1:])}. Build it with learned_variance="
                f"{self.learned_variance}."
            )
        return data_shape

    # ------------------------------------------------------------ config/save
    def get_config(self):
        config = super().get_config()
        schedule = self.schedule
        default = schedule.name in SCHEDULES and np.array_equal(
            schedule.betas, get_schedule(schedule.name, schedule.num_timesteps).betas
        )
        weighting = self.loss_weighting
        if not isinstance(weighting, str):
            weighting = [float(w) for w in np.asarray(weighting).ravel()]
        config.update(
            {
                "network": keras.saving.serialize_keras_object(self.network),
                "schedule": schedule.name
                if default
                else [float(b) for b in schedule.betas],
                "num_timesteps": schedule.num_timesteps,
                "prediction_type": self.prediction_type,
                "variance_type": self.variance_type,
                "loss_weighting": weighting,
                "vlb_weight": self.vlb_weight,
                "num_classes": self.num_classes,
                "label_dropout": self.label_dropout,
                "ema_decay": self.ema_decay,
                "seed": self.seed,
                "data_shape": None
                if self._given_data_shape is None
                else list(self._given_data_shape),
            }
        )
        return config

    # ---------------------------------------------------------------- tensors
    def _extract(self, values, t):
        """``values[t]`` shaped ``(batch, 1, ...)`` to broadcast over an example."""
        out = ops.take(values, ops.cast(ops.reshape(t, (-1,)), "int32"), axis=0)
        return ops.reshape(out, (-1,) + (1,) * len(self.data_shape))

    def _table(self, name, t):
        return self._extract(self._tables[name], t)

    def q_sample_tensor(self, x0, t, noise):
        """``x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise`` (tensors)."""
        return (
            self._table("sqrt_alphas_cumprod", t) * x0
            + self._table("sqrt_one_minus_alphas_cumprod", t) * noise
        )

    def _split_output(self, output):
        """``(prediction, f)``: the prediction and the variance fraction in [0, 1]."""
        if not self.learned_variance:
            return output, None
        channels = self.data_shape[-1]
        prediction = output[..., :channels]
        # the network's v in [-1, 1] -> f = (v + 1) / 2 (Nichol & Dhariwal)
        return prediction, (output[..., channels:] + 1.0) / 2.0

    def _denoised(self, x_t, t, prediction, clip):
        """``(x0_hat, eps_hat)`` of a prediction; ``clip`` to [-1, 1], then
        ``eps_hat`` recomputed from the clipped ``x0_hat``."""
        a = self._table("sqrt_alphas_cumprod", t)
        s = self._table("sqrt_one_minus_alphas_cumprod", t)
        x0 = x0_from_prediction(prediction, x_t, a, s, self.prediction_type)
        if clip:
            x0 = ops.clip(x0, -1.0, 1.0)
            return x0, (x_t - a * x0) / s
        return x0, epsilon_from_prediction(prediction, x_t, a, s, self.prediction_type)

    def _model_log_variance(self, t, fraction):
        if self.variance_type == "fixed_small":
            return self._table("posterior_log_variance_clipped", t)
        if self.variance_type == "fixed_large":
            return self._extract(self._large_log_variance, t)
        # f log(beta_t) + (1 - f) log(beta_tilde_t)
        return fraction * self._table("log_betas", t) + (1.0 - fraction) * self._table(
            "posterior_log_variance_clipped", t
        )

    def _sum_over_example(self, values):
        return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=1)

    def _variational_terms(self, x0, x_t, t, prediction, fraction, clip):
        """Per example, nats: ``KL(q(x_{t-1}|x_t, x0) || p(x_{t-1}|x_t))`` for
        ``t > 0`` and the decoder's ``-log p(x0 | x_t)`` for ``t = 0``."""
        x0_hat, _ = self._denoised(x_t, t, prediction, clip)
        coef1 = self._table("posterior_mean_coef1", t)
        coef2 = self._table("posterior_mean_coef2", t)
        model_mean = coef1 * x0_hat + coef2 * x_t
        true_mean = coef1 * x0 + coef2 * x_t
        true_log_variance = self._table("posterior_log_variance_clipped", t)
        model_log_variance = self._model_log_variance(t, fraction)
        kl = self._sum_over_example(
            normal_kl(true_mean, true_log_variance, model_mean, model_log_variance)
        )
        if self.data_kind == "signed":
            log_p = discretized_gaussian_log_prob(
                x0, model_mean, 0.5 * model_log_variance, self.num_levels
            )
        else:
            log_p = diagonal_gaussian_log_prob(x0, model_mean, model_log_variance)
        decoder = -self._sum_over_example(log_p)
        return ops.where(ops.reshape(t, (-1,)) == 0, decoder, kl)

    def _run_network(self, x_t, t, labels, training=False, use_ema=False):
        inputs = self._network_inputs(x_t, t, labels)
        if not use_ema:
            return self.network(inputs, training=training)
        outputs, _ = self.network.stateless_call(
            [ops.convert_to_tensor(v) for v in self.ema_variables],
            [ops.convert_to_tensor(v) for v in self.network.non_trainable_variables],
            inputs,
            training=False,
        )
        return outputs

    def _guided_output(self, x_t, t, labels, guidance_scale, use_ema):
        """The network's output; with ``guidance_scale`` (a tensor), the
        classifier-free combination ``(1 + w) out(c) - w out(null)`` of the
        prediction (the variance part is the conditional one)."""
        if guidance_scale is None:
            return self._run_network(x_t, t, labels, use_ema=use_ema)
        null = ops.zeros_like(labels) + self.null_label
        both = self._run_network(
            ops.concatenate([x_t, x_t], axis=0),
            ops.concatenate([t, t], axis=0),
            ops.concatenate([labels, null], axis=0),
            use_ema=use_ema,
        )
        batch = ops.shape(x_t)[0]
        conditional, unconditional = both[:batch], both[batch:]
        prediction, _ = self._split_output(conditional)
        prediction_null, _ = self._split_output(unconditional)
        w = ops.cast(guidance_scale, prediction.dtype)
        guided = (1.0 + w) * prediction - w * prediction_null
        if not self.learned_variance:
            return guided
        channels = self.data_shape[-1]
        return ops.concatenate([guided, conditional[..., channels:]], axis=-1)

    # ---------------------------------------------------------------- training
    def call(self, inputs, training=False):
        """``[x_t, timestep(, label)]`` -> the network's prediction.

        ``fit`` passes the clean data alone, which is returned unchanged: the
        training step draws ``t`` and the noise in ``compute_loss``.
        """
        if isinstance(inputs, (list, tuple)):
            return self.network(list(inputs), training=training)
        return inputs

    def _training_labels(self, y):
        if y is not None and is_placeholder_targets(y):
            y = None
        if self.num_classes is None:
            if y is not None:
                raise ValueError(
                    f"{type(self).__name__} is unconditional (built without "
                    "num_classes) and takes no labels; call fit(x) without y, or "
                    "build it with num_classes=... for a class-conditional model."
                )
            return None
        if y is None:
            raise ValueError(
                f"{type(self).__name__} is class-conditional (num_classes="
                f"{self.num_classes}): call fit(x, labels) with integer labels in "
                f"[0, {self.num_classes - 1}]."
            )
        return ops.cast(ops.reshape(y, (-1,)), "int32")

    def drop_labels(self, labels, uniforms):
        """Labels with those where ``uniforms < label_dropout`` set to the null label.

        What training feeds the network (``uniforms`` are its per-example
        draws in [0, 1)); the unconditional branch of guidance feeds
        `null_label` too.
        """
        labels = ops.cast(labels, "int32")
        if self.label_dropout == 0.0:
            return labels
        dropped = ops.cast(uniforms, "float32") < self.label_dropout
        return ops.where(dropped, ops.zeros_like(labels) + self.null_label, labels)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        labels = self._training_labels(y)
        x0 = ops.cast(x, "float32")
        batch = ops.shape(x0)[0]
        generator = self.training_seed_generator
        # one row per example of the global batch (see backend.replica_draw)
        t = backend.replica_draw(
            lambda rows: keras.random.randint(
                (rows,), 0, self.num_timesteps, dtype="int32", seed=generator
            ),
            batch,
        )
        noise = backend.replica_draw(
            lambda rows: keras.random.normal(
                (rows, *self.data_shape), dtype="float32", seed=generator
            ),
            batch,
        )
        if labels is not None:
            uniforms = backend.replica_draw(
                lambda rows: keras.random.uniform((rows,), seed=generator), batch
            )
            labels = self.drop_labels(labels, uniforms)
        x_t = self.q_sample_tensor(x0, t, noise)
        output = self._run_network(x_t, t, labels, training=training)
        prediction, fraction = self._split_output(output)
        a = self._table("sqrt_alphas_cumprod", t)
        s = self._table("sqrt_one_minus_alphas_cumprod", t)
        target = prediction_from_x0_and_epsilon(x0, noise, a, s, self.prediction_type)
        num_dims = float(np.prod(self.data_shape))
        mse = self._sum_over_example(ops.square(target - prediction)) / num_dims
        per_example = mse
        if self._loss_weights is not None:
            per_example = per_example * ops.take(self._loss_weights, t, axis=0)
        self.mse_tracker.update_state(
            self.weighted_mean(mse, sample_weight), sample_weight=batch
        )
        if self.learned_variance:
            # L_vlb trains the variance only: the mean's gradient is stopped
            vlb = self._variational_terms(
                x0, x_t, t, ops.stop_gradient(prediction), fraction, clip=False
            ) / (num_dims * _LN2)
            per_example = per_example + self.vlb_weight * self.num_timesteps * vlb
            self.vlb_tracker.update_state(
                self.weighted_mean(vlb, sample_weight), sample_weight=batch
            )
        loss = self.weighted_mean(per_example, sample_weight)
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return self.scale_loss_for_distribution(loss)

    @property
    def metrics(self):
        metrics = [m for m in super().metrics if m is not self.vlb_tracker]
        if self.learned_variance:
            metrics.append(self.vlb_tracker)
        return metrics

    def train_step(self, *args):
        if not self.ema_variables:
            return super().train_step(*args)
        # Keras's own step, then the moving average of the updated weights
        return backend.train_step_then(
            self, super().train_step, self._update_ema, *args
        )

    def _update_ema(self):
        steps = ops.cast(self.optimizer.iterations, "float32")
        decay = ops.minimum(self.ema_decay, (1.0 + steps) / (10.0 + steps))
        for ema, variable in zip(self.ema_variables, self.network.trainable_variables):
            # ema <- d ema + (1 - d) w
            ema.assign(decay * ema + (1.0 - decay) * ops.stop_gradient(variable.value))

    # ---------------------------------------------------------------- checks
    def _use_ema(self, use_ema):
        if use_ema is None:
            return bool(self.ema_variables)
        if not isinstance(use_ema, (bool, np.bool_)):
            raise ValueError(
                f"use_ema must be True, False or None; received {use_ema!r}."
            )
        if use_ema and not self.ema_variables:
            raise ValueError(
                f"{type(self).__name__} keeps no moving average (built with "
                "ema_decay=None); use use_ema=False or None."
            )
        return bool(use_ema)

    def _check_guidance(self, guidance_scale):
        if (
            isinstance(guidance_scale, bool)
            or not isinstance(guidance_scale, (int, float, np.floating))
            or not np.isfinite(guidance_scale)
        ):
            raise ValueError(
                f"guidance_scale must be a finite number; received {guidance_scale!r}."
            )
        if guidance_scale == 0:
            return None
        if self.num_classes is None:
            raise ValueError(
                "Classifier-free guidance needs a class-conditional model trained "
                f"with label dropout; {type(self).__name__} is unconditional "
                "(built without num_classes). Use guidance_scale=0."
            )
        if self.label_dropout == 0:
            raise ValueError(
                "Classifier-free guidance needs the unconditional model that label "
                "dropout trains; this model was built with label_dropout=0. Use "
                "guidance_scale=0, or train with label_dropout > 0 (e.g. 0.1)."
            )
        return float(guidance_scale)

    def _guided_labels(self, conditions, count, guidance_scale):
        """``(labels, guidance)`` for the verbs that take ``guidance_scale``.

        ``guidance_scale=-1`` is the unconditional model that label dropout
        trained: every row gets the null label (``conditions`` may then be
        None; given labels are checked and not used) and one network call
        per step suffices. Otherwise the one conditioning check applies.
        """
        guidance = self._check_guidance(guidance_scale)
        if guidance == -1.0:
            if conditions is not None:
                self.check_conditions(conditions, count)
            return np.full((count,), self.null_label, "int32"), None
        return self.check_conditions(conditions, count), guidance

    def _check_latents(self, latents):
        z = np.asarray(to_numpy(latents), dtype="float32")
        if z.ndim != len(self.data_shape) + 1 or tuple(z.shape[1:]) != self.data_shape:
            raise ValueError(
                f"Expected latents x_T of shape (batch, {', '.join(map(str, self.data_shape))}); "
                f"received shape {tuple(z.shape)}."
            )
        check_finite(z, name="latents")
        return z

    def _check_timesteps(self, timesteps, count):
        t = np.asarray(to_numpy(timesteps))
        if t.ndim == 0:
            t = np.full((count,), t)
        if (
            not np.issubdtype(t.dtype, np.integer)
            or t.shape != (count,)
            or t.min() < 0
            or t.max() >= self.num_timesteps
        ):
            raise ValueError(
                f"Expected integer timesteps in [0, {self.num_timesteps - 1}], one per "
                f"example ({count}) or one for all; received {t.dtype} of shape "
                f"{t.shape}."
            )
        return t.astype("int32")

    # ------------------------------------------------------------- the loop
    def _run_plan(
        self, plan, start, labels, guidance, generator, batch_size, use_ema, chunk=None
    ):
        """Run a `SamplingPlan` from ``start`` (NumPy); return NumPy.

        The loop is compiled once per chunk length and flags; a plan longer
        than ``MAX_STEPS_PER_CALL`` runs as several calls (padded with
        inactive steps), each given its chunk's noise, drawn before the call.
        """
        batch_size = check_positive_int(batch_size, "batch_size")
        steps = plan.num_steps
        chunk = min(steps if chunk is None else chunk, MAX_STEPS_PER_CALL)
        num_chunks = -(-steps // chunk)
        padded = num_chunks * chunk
        tables = plan.tables()
        tables["timesteps"] = np.asarray(plan.timesteps, "int32")
        tables["active"] = np.ones(steps, "float32")
        for key, value in tables.items():
            tables[key] = np.concatenate([value, np.zeros(padded - steps, value.dtype)])
        clip = plan.clip_denoised and self.data_kind == "signed"
        deterministic = plan.deterministic
        guided = guidance is not None
        learned = plan.learned_variance
        if learned and not self.learned_variance:
            raise ValueError(
                "This plan uses a learned variance, but the model's variance_type is "
                f"{self.variance_type!r}."
            )
        order = (
            "timesteps",
            "coef_x0",
            "coef_xt",
            "coef_epsilon",
            "noise_scale",
            "min_log_variance",
            "max_log_variance",
            "noise_mask",
            "active",
        )

        def loop(x, labels, noise, guidance_scale, *columns):
            table = dict(zip(order, columns))

            def body(i, x):
                def at(name):
                    return ops.take(table[name], i, axis=0)

                t = ops.zeros((ops.shape(x)[0],), "int32") + at("timesteps")
                output = self._guided_output(
                    x, t, labels, guidance_scale if guided else None, use_ema
                )
                prediction, fraction = self._split_output(output)
                x0, epsilon = self._denoised(x, t, prediction, clip)
                mean = (
                    at("coef_x0") * x0
                    + at("coef_xt") * x
                    + at("coef_epsilon") * epsilon
                )
                if noise is None:
                    new = mean
                else:
                    if learned:
                        log_variance = fraction * at("max_log_variance") + (
                            1.0 - fraction
                        ) * at("min_log_variance")
                        scale = ops.exp(0.5 * log_variance) * at("noise_mask")
                    else:
                        scale = at("noise_scale")
                    new = mean + scale * ops.take(noise, i, axis=0)
                return ops.where(at("active") > 0, new, x)

            return ops.fori_loop(0, chunk, body, x)

        key = ("diffusion_loop", chunk, guided, learned, clip, deterministic, use_ema)
        compiled = self.compiled_inference(key, loop, xla=True)
        columns = {k: ops.convert_to_tensor(v) for k, v in tables.items()}
        scale = ops.convert_to_tensor(0.0 if guidance is None else guidance, "float32")

        def run_batch(x, batch_labels):
            x = ops.convert_to_tensor(x, "float32")
            if batch_labels is not None:
                batch_labels = ops.convert_to_tensor(batch_labels, "int32")
            rows = int(x.shape[0])
            for index in range(num_chunks):
                part = slice(index * chunk, (index + 1) * chunk)
                noise = None
                if not deterministic:
                    noise = keras.random.normal(
                        (chunk, rows, *self.data_shape), seed=generator
                    )
                x = compiled(
                    x, batch_labels, noise, scale, *[columns[k][part] for k in order]
                )
            return x

        out = map_batches(run_batch, [start, labels], batch_size)
        return np.asarray(out, dtype="float32")

    def _as_data(self, x):
        """Images clipped to [-1, 1] (the convention); vectors unchanged."""
        return np.clip(x, -1.0, 1.0) if self.data_kind == "signed" else x

    def _ddim(self, sampler):
        if sampler is None:
            return DDIMSampler(steps=min(50, self.num_timesteps))
        if not isinstance(sampler, DDIMSampler):
            raise ValueError(
                "encode/decode run the deterministic DDIM ODE: pass a "
                f"kgen.sampling.DDIMSampler(steps, eta=0.0); received {sampler!r}."
            )
        if sampler.eta != 0:
            raise ValueError(
                "encode/decode need deterministic DDIM (eta=0); received "
                f"eta={sampler.eta}."
            )
        return sampler

    # ------------------------------------------------------------------ verbs
    def sample(
        self,
        num_samples,
        *,
        seed=None,
        conditions=None,
        batch_size=DEFAULT_BATCH_SIZE,
        sampler=None,
        guidance_scale=0.0,
        use_ema=None,
        **sampler_options,
    ):
        """Draw ``x_T ~ N(0, I)`` and run a sampler down to data.

        Args:
            num_samples: number of examples.
            seed: integer for reproducible samples (on one backend), or None
                for the model's own sampling stream (advanced by every call,
                saved with the model, separate from training noise). Samples
                also depend on ``batch_size`` (the per-step noise is drawn
                per batch).
            conditions: class labels (one per sample, or one for all) for a
                class-conditional model; required there.
            batch_size: examples per network call (twice as many rows with
                guidance).
            sampler: a sampler object (``kgen.sampling.DDPMSampler()``,
                ``DDIMSampler(steps, eta)``), or ``"ddpm"`` / ``"ddim"`` with
                ``sampler_options``; ``None``: DDPM over all ``T`` steps.
            guidance_scale: ``w`` of classifier-free guidance (conditional
                models trained with label dropout): ``0`` conditional, ``> 0``
                guided, ``-1`` unconditional (the null label for every
                sample; ``conditions`` may then be None).
            use_ema: use the weights' moving average (default: when kept).
            **sampler_options: ``steps``, ``eta``, ``clip_denoised`` for a
                named sampler (the command line passes ``--option
                sampler=ddim --option steps=50`` this way).

        Returns:
            NumPy float32 ``(num_samples, *data_shape)``; images clipped to
            [-1, 1] (the mean of the last step, as Ho et al. display them).

        Raises:
            ValueError: for bad arguments, ``steps > T``, guidance without a
                conditional model trained with label dropout, or bad
                conditions.

        Examples:
            >>> from kgen.models import DiffusionModel
            >>> from kgen.models.diffusion import diffusion_mlp
            >>> model = DiffusionModel(diffusion_mlp(2, hidden_units=(8,)),
            ...                        schedule="cosine", num_timesteps=10)
            >>> model.sample(4, seed=1, sampler="ddim", steps=5).shape
            (4, 2)
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        labels, guidance = self._guided_labels(conditions, num_samples, guidance_scale)
        sampler = get_sampler(sampler, self.num_timesteps, **sampler_options)
        plan = sampler.plan(self.schedule, self.variance_type)
        use_ema = self._use_ema(use_ema)
        generator = self.sampling_seed_generator(seed)
        start = keras.random.normal((num_samples, *self.data_shape), seed=generator)
        out = self._run_plan(
            plan,
            np.asarray(ops.convert_to_numpy(start)),
            labels,
            guidance,
            generator,
            batch_size,
            use_ema,
        )
        return self._as_data(out)

    def encode(
        self,
        x,
        conditions=None,
        *,
        batch_size=DEFAULT_BATCH_SIZE,
        sampler=None,
        guidance_scale=0.0,
        use_ema=None,
    ):
        """Run the deterministic DDIM ODE from data up to ``x_T``.

        Args:
            x: data in the model's convention ``(batch, *data_shape)``.
            conditions: class labels (conditional models).
            batch_size: examples per network call.
            sampler: a ``DDIMSampler`` with ``eta=0`` (default
                ``DDIMSampler(min(50, T))``); `decode` with the same sampler
                inverts it.
            guidance_scale: as in `sample`.
            use_ema: as in `sample`.

        Returns:
            ``{"latent": x_T}``, NumPy float32 shaped like ``x``.

        Raises:
            ValueError: for data outside the convention, a sampler other than
                deterministic DDIM, or bad conditions.
        """
        x = self.check_x(x)
        labels, guidance = self._guided_labels(conditions, len(x), guidance_scale)
        sampler = self._ddim(sampler)
        use_ema = self._use_ema(use_ema)
        plan = sampler.inversion_plan(self.schedule)
        latent = self._run_plan(
            plan, x, labels, guidance, None, batch_size, use_ema, chunk=sampler.steps
        )
        return {"latent": latent}

    def decode(
        self,
        latents,
        conditions=None,
        *,
        batch_size=DEFAULT_BATCH_SIZE,
        sampler=None,
        guidance_scale=0.0,
        use_ema=None,
    ):
        """Run deterministic DDIM from latents ``x_T`` down to data.

        Args:
            latents: ``x_T``, shaped ``(batch, *data_shape)`` (what `encode`
                returns, or ``N(0, I)`` draws: then this samples).
            conditions, batch_size, sampler, guidance_scale, use_ema: as in
                `encode`.

        Returns:
            NumPy float32 data ``(batch, *data_shape)`` (images clipped to
            [-1, 1]).

        Raises:
            ValueError: for latents of the wrong shape or not finite, a
                sampler other than deterministic DDIM, or bad conditions.
        """
        z = self._check_latents(latents)
        labels, guidance = self._guided_labels(conditions, len(z), guidance_scale)
        sampler = self._ddim(sampler)
        use_ema = self._use_ema(use_ema)
        plan = sampler.plan(self.schedule, self.variance_type)
        out = self._run_plan(
            plan, z, labels, guidance, None, batch_size, use_ema, chunk=sampler.steps
        )
        return self._as_data(out)

    def reconstruct(
        self, x, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE, **options
    ):
        """``decode(encode(x)["latent"])`` with the same sampler and options.

        Examples:
            >>> import numpy as np
            >>> from kgen.models import DiffusionModel
            >>> from kgen.models.diffusion import diffusion_mlp
            >>> model = DiffusionModel(diffusion_mlp(2, hidden_units=(8,)),
            ...                        schedule="cosine", num_timesteps=10)
            >>> model.reconstruct(np.zeros((3, 2), "float32")).shape
            (3, 2)
        """
        latent = self.encode(x, conditions, batch_size=batch_size, **options)["latent"]
        return self.decode(latent, conditions, batch_size=batch_size, **options)

    def interpolate(
        self,
        x_a,
        x_b,
        num_steps=8,
        method="spherical",
        conditions=None,
        *,
        sampler=None,
        guidance_scale=0.0,
        use_ema=None,
    ):
        """Decode a path between the DDIM latents ``x_T`` of two examples.

        Both examples are encoded with deterministic DDIM, their latents
        interpolated (spherically by default: ``x_T`` is Gaussian, and a
        linear path would pass through latents of atypically small norm; Song
        et al., 2021, section 5.3) and every point decoded, so the ends are
        the reconstructions of ``x_a`` and ``x_b``.

        Args:
            x_a: one example, shaped ``data_shape`` (or ``(1, *data_shape)``).
            x_b: the other.
            num_steps: points on the path, ends included.
            method: ``"spherical"`` or ``"linear"``.
            conditions: one class label (conditional models).
            sampler, guidance_scale, use_ema: as in `encode`.

        Returns:
            NumPy data ``(num_steps, *data_shape)``.

        Raises:
            ValueError: for batches of more than one example, a bad
                ``num_steps`` or ``method``.
        """
        num_steps = check_positive_int(num_steps, "num_steps")
        ends = []
        for name, value in (("x_a", x_a), ("x_b", x_b)):
            value = np.asarray(to_numpy(value))
            if value.ndim == len(self.data_shape):
                value = value[None]
            value = self.check_x(value, name=name)
            if len(value) != 1:
                raise ValueError(
                    f"interpolate takes one example per end point; received {name} "
                    f"with {len(value)} examples."
                )
            ends.append(value)
        self._guided_labels(conditions, 1, guidance_scale)  # the checks
        options = {
            "sampler": sampler,
            "guidance_scale": guidance_scale,
            "use_ema": use_ema,
        }

        def rows(count):
            if conditions is None:
                return None
            return np.repeat(np.asarray(to_numpy(conditions)).reshape(-1)[:1], count)

        latents = self.encode(np.concatenate(ends), rows(2), **options)["latent"]
        flat = latents.reshape(2, -1)
        path = _interpolate(flat[0], flat[1], num_steps, method=method)
        path = path.reshape(num_steps, *self.data_shape)
        return self.decode(path, rows(num_steps), **options)

    def q_sample(self, x, timesteps, *, seed=None):
        """Draw ``x_t ~ q(x_t | x_0 = x)``: the forward (noising) process.

        Args:
            x: data in the model's convention ``(batch, *data_shape)``.
            timesteps: integer ``t`` in ``[0, T-1]``, one per example or one
                for all.
            seed: integer seed, or None for the model's sampling stream.

        Returns:
            NumPy float32 ``x_t``, shaped like ``x``.

        Examples:
            >>> import numpy as np
            >>> from kgen.models import DiffusionModel
            >>> from kgen.models.diffusion import diffusion_mlp
            >>> model = DiffusionModel(diffusion_mlp(2, hidden_units=(8,)),
            ...                        schedule="cosine", num_timesteps=10)
            >>> model.q_sample(np.zeros((5, 2), "float32"), 9, seed=0).shape
            (5, 2)
        """
        x = self.check_x(x)
        t = self._check_timesteps(timesteps, len(x))
        noise = keras.random.normal(x.shape, seed=self.sampling_seed_generator(seed))
        return np.asarray(
            ops.convert_to_numpy(
                self.q_sample_tensor(ops.convert_to_tensor(x), t, noise)
            ),
            "float32",
        )

    def denoise(
        self,
        x_t,
        timesteps,
        conditions=None,
        *,
        guidance_scale=0.0,
        use_ema=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        """What the network says about noisy data, in every parametrization.

        Args:
            x_t: noisy data ``(batch, *data_shape)`` (any floats).
            timesteps: integer ``t`` in ``[0, T-1]``, one per example or one
                for all.
            conditions: class labels (conditional models).
            guidance_scale: as in `sample` (the guided prediction).
            use_ema: as in `sample`.
            batch_size: examples per network call.

        Returns:
            A dict of NumPy arrays shaped like ``x_t``: ``"epsilon"``,
            ``"x0"`` and ``"v"`` (not clipped) and, with a learned variance,
            ``"log_variance"`` of ``p(x_{t-1} | x_t)``.
        """
        x_t = np.asarray(to_numpy(x_t), dtype="float32")
        if (
            x_t.ndim != len(self.data_shape) + 1
            or tuple(x_t.shape[1:]) != self.data_shape
        ):
            raise ValueError(
                f"Expected x_t of shape (batch, {', '.join(map(str, self.data_shape))}); "
                f"received shape {tuple(x_t.shape)}."
            )
        check_finite(x_t, name="x_t")
        t = self._check_timesteps(timesteps, len(x_t))
        labels, guidance = self._guided_labels(conditions, len(x_t), guidance_scale)
        use_ema = self._use_ema(use_ema)

        def predict(x, t, labels, scale):
            output = self._guided_output(
                x, t, labels, None if guidance is None else scale, use_ema
            )
            prediction, fraction = self._split_output(output)
            x0, epsilon = self._denoised(x, t, prediction, clip=False)
            a = self._table("sqrt_alphas_cumprod", t)
            s = self._table("sqrt_one_minus_alphas_cumprod", t)
            out = {
                "epsilon": epsilon,
                "x0": x0,
                "v": prediction_from_x0_and_epsilon(x0, epsilon, a, s, "v"),
            }
            if self.learned_variance:
                out["log_variance"] = self._model_log_variance(t, fraction)
            return out

        compiled = self.compiled_inference(
            ("denoise", guidance is not None, use_ema), predict
        )
        scale = ops.convert_to_tensor(0.0 if guidance is None else guidance, "float32")
        return map_batches(
            lambda x, tb, lb: compiled(
                ops.convert_to_tensor(x),
                ops.convert_to_tensor(tb),
                None if lb is None else ops.convert_to_tensor(lb),
                scale,
            ),
            [x_t, t, labels],
            batch_size,
        )

    # ------------------------------------------------------------- the bound
    def likelihood_estimator(self, num_samples=None):
        """How `bits_per_dim` is obtained with ``num_samples``, in words."""
        T = self.num_timesteps
        decoder = (
            "discretized Gaussian decoder over 256 levels"
            if self.data_kind == "signed"
            else "Gaussian decoder (a density bound)"
        )
        if num_samples is None or int(num_samples) >= T - 1:
            return (
                f"variational bound, all {T} terms + prior (one x_t draw each), "
                f"{decoder}"
            )
        return (
            f"variational bound estimated from {int(num_samples)} stratified KL "
            f"terms of {T - 1} (unbiased) + exact L_0 and prior, {decoder}"
        )

    def _prior_nats(self, x):
        """``KL(q(x_{T-1} | x0) || N(0, I))`` per example, NumPy float64."""
        alpha_bar = float(self.schedule.alphas_cumprod[-1])
        mean = np.sqrt(alpha_bar) * np.asarray(x, "float64")
        variance = 1.0 - alpha_bar
        kl = 0.5 * (mean**2 + variance - 1.0 - math.log(variance))
        return kl.reshape(len(x), -1).sum(axis=1)

    def _bound_timesteps(self, num_samples, count, generator):
        """``[(t (count,), weight)]``: the terms to evaluate and their weights."""
        T = self.num_timesteps
        if num_samples is None:
            return [(np.full(count, t, "int32"), 1.0) for t in range(T)]
        num_samples = check_positive_int(num_samples, "num_samples")
        if num_samples >= T - 1:
            return [(np.full(count, t, "int32"), 1.0) for t in range(T)]
        # L_0 exactly; the KL terms t = 1 .. T-1 in num_samples strata, one
        # uniform draw per stratum and example, weighted by the stratum size
        edges = np.round(np.linspace(1, T, num_samples + 1)).astype("int64")
        uniforms = np.asarray(
            ops.convert_to_numpy(
                keras.random.uniform((num_samples, count), seed=generator)
            ),
            "float64",
        )
        terms = [(np.zeros(count, "int32"), 1.0)]
        for k in range(num_samples):
            low, high = int(edges[k]), int(edges[k + 1])
            t = low + np.minimum(np.floor(uniforms[k] * (high - low)), high - low - 1)
            terms.append((t.astype("int32"), float(high - low)))
        return terms

    def variational_terms(
        self,
        x,
        timesteps,
        conditions=None,
        *,
        seed=None,
        use_ema=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        """One term of the variational bound per example, in nats.

        ``L_t = KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t))`` with ``x_t ~
        q(x_t | x_0)`` (one draw) for ``t > 0``, and ``L_0 = -log p(x_0 |
        x_t)`` (the discretized decoder, for images) for ``t = 0``.

        Args:
            x: data in the model's convention.
            timesteps: integer ``t`` per example or one for all.
            conditions: class labels (conditional models).
            seed: integer seed of the ``x_t`` draws, or None (sampling stream).
            use_ema: as in `sample`.
            batch_size: examples per network call.

        Returns:
            NumPy float64 ``(batch,)``.
        """
        x = self.check_x(x)
        t = self._check_timesteps(timesteps, len(x))
        labels = self.check_conditions(conditions, len(x))
        generator = self.sampling_seed_generator(seed)
        terms = self._terms_function(self._use_ema(use_ema))

        def batch(xb, tb, lb):
            noise = keras.random.normal(xb.shape, seed=generator)
            return terms(xb, tb, noise, lb)

        return np.asarray(map_batches(batch, [x, t, labels], batch_size), "float64")

    def _terms_function(self, use_ema):
        clip = self.data_kind == "signed"

        def terms(x0, t, noise, labels):
            x0 = ops.convert_to_tensor(x0, "float32")
            t = ops.convert_to_tensor(t, "int32")
            if labels is not None:
                labels = ops.convert_to_tensor(labels, "int32")
            x_t = self.q_sample_tensor(x0, t, noise)
            output = self._run_network(x_t, t, labels, use_ema=use_ema)
            prediction, fraction = self._split_output(output)
            return self._variational_terms(x0, x_t, t, prediction, fraction, clip)

        return self.compiled_inference(("variational_terms", use_ema), terms)

    def negative_bound(
        self,
        x,
        conditions=None,
        *,
        num_samples=None,
        seed=None,
        use_ema=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        """The variational bound on ``-log p(x)`` per example, nats (float64).

        ``L_T + sum_{t >= 1} L_t + L_0``: the prior term ``KL(q(x_{T-1} |
        x_0) || N(0, I))`` in closed form, and every ``L_t`` with one draw of
        ``x_t`` (``num_samples=None``), or ``L_0`` plus an unbiased stratified
        estimate of the ``T - 1`` KL terms from ``num_samples`` of them (one
        timestep drawn per stratum of ``1 .. T-1``, weighted by its size).
        For images it bounds the negative log-probability of the *discrete*
        data (256 levels; Ho et al.'s discretized decoder). ``x0_hat`` is
        clipped to [-1, 1] for images, as the default samplers do: this is
        the bound of the model they sample.
        """
        x = self.check_x(x)
        labels = self.check_conditions(conditions, len(x))
        generator = self.sampling_seed_generator(seed)
        terms = self._terms_function(self._use_ema(use_ema))

        def batch(xb, lb):
            total = self._prior_nats(xb)
            for t, weight in self._bound_timesteps(num_samples, len(xb), generator):
                noise = keras.random.normal(xb.shape, seed=generator)
                value = terms(xb, t, noise, lb)
                total = total + weight * np.asarray(
                    ops.convert_to_numpy(value), "float64"
                )
            return total

        return np.asarray(map_batches(batch, [x, labels], batch_size), "float64")

    def elbo(
        self,
        x,
        conditions=None,
        *,
        num_samples=None,
        seed=None,
        use_ema=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        """A lower bound on ``log p(x)`` per example, nats: ``-negative_bound``.

        Args:
            x: data in the model's convention.
            conditions: class labels (conditional models).
            num_samples: ``None`` for all ``T`` terms, or the number of KL
                terms sampled (see `negative_bound`).
            seed: integer seed of the bound's draws, or None.
            use_ema: as in `sample`.
            batch_size: examples per network call.

        Returns:
            NumPy float64 ``(batch,)``.
        """
        return -self.negative_bound(
            x,
            conditions,
            num_samples=num_samples,
            seed=seed,
            use_ema=use_ema,
            batch_size=batch_size,
        )

    def bits_per_dim(
        self,
        x,
        conditions=None,
        *,
        num_samples=None,
        seed=None,
        use_ema=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        """An upper bound on ``-log2 P(x) / D`` of the discrete images, per example.

        ``num_samples=None``: every term of the bound (``T`` network calls per
        example); an integer: that many sampled KL terms (an unbiased
        estimate of the bound; see `likelihood_estimator`).

        Returns:
            NumPy float32 ``(batch,)``.

        Raises:
            ValueError: for vector data, which have no discrete likelihood.

        Examples:
            >>> import numpy as np
            >>> from kgen.models import DiffusionModel
            >>> from kgen.models.diffusion import diffusion_unet
            >>> unet = diffusion_unet((4, 4, 1), base_filters=4, channel_multipliers=(1,),
            ...                       num_groups=2)
            >>> model = DiffusionModel(unet, schedule="cosine", num_timesteps=10)
            >>> x = np.linspace(-1, 1, 32, dtype="float32").reshape(2, 4, 4, 1)
            >>> model.bits_per_dim(x, seed=0).shape
            (2,)
        """
        if self.data_kind != "signed":
            raise ValueError(
                "bits/dim is a likelihood of discrete data; this model's data are "
                "continuous vectors. Use elbo(x) (a bound on the log-density, nats)."
            )
        bound = self.negative_bound(
            x,
            conditions,
            num_samples=num_samples,
            seed=seed,
            use_ema=use_ema,
            batch_size=batch_size,
        )
        return nats_to_bits_per_dim(-bound, self.data_convention.num_dims).astype(
            "float32"
        )
