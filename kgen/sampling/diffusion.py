"""Samplers of diffusion models: objects passed at sampling time.

One trained network serves every sampler: ``model.sample(n,
sampler=DDIMSampler(steps=50))``. A sampler chooses the timesteps it visits
(all ``T``, or ``S`` of them: *respacing*) and, for each, the coefficients of
one update

    x_prev = A x0_hat + B x_t + C eps_hat + sigma z,    z ~ N(0, I),

where ``x0_hat`` and ``eps_hat`` are what the network says about ``x_t``
(``kgen.models.diffusion.DiffusionModel`` converts its prediction, whatever
its ``prediction_type``). The sampler computes these coefficients once, in
float64 NumPy, as a `SamplingPlan`; the model runs the loop, compiled once
per plan length, with every random number drawn before it.

- `DDPMSampler` (Ho et al., 2020): ancestral sampling from ``p(x_{t-1} |
  x_t)``, the posterior ``q(x_{t-1} | x_t, x0_hat)`` with the model's
  variance. With ``steps < T`` it samples the respaced process of Nichol &
  Dhariwal (2021): the same ``alpha_bar`` at the ``S`` kept timesteps,
  ``beta'_i = 1 - alpha_bar_{t_i} / alpha_bar_{t_{i-1}}``.
- `DDIMSampler` (Song, Meng & Ermon, 2021): ``x_prev = sqrt(alpha_bar_prev)
  x0_hat + sqrt(1 - alpha_bar_prev - sigma^2) eps_hat + sigma z`` with
  ``sigma = eta sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t)) sqrt(1 -
  alpha_bar_t / alpha_bar_prev)``: ``eta = 0`` is deterministic (an ODE
  solver, which also runs forwards: `DDIMSampler.inversion_plan`), ``eta =
  1`` is DDPM's posterior.
"""

from dataclasses import dataclass

import numpy as np

from kgen.validation import check_positive_int

__all__ = [
    "DDIMSampler",
    "DDPMSampler",
    "DiffusionSampler",
    "SAMPLERS",
    "SamplingPlan",
    "get_sampler",
    "respaced_timesteps",
]

#: Sampler names accepted by ``DiffusionModel.sample(sampler=...)``.
SAMPLERS = ("ddpm", "ddim")

#: DDIM steps when none are given (at most T).
DEFAULT_DDIM_STEPS = 50


def respaced_timesteps(num_timesteps, steps):
    """``steps`` timesteps of ``0 .. T-1``, evenly spaced, both ends kept.

    ``round(i (T - 1) / (S - 1))`` for ``i = 0 .. S-1`` (Nichol & Dhariwal's
    ``space_timesteps`` with one section), ascending.

    Raises:
        ValueError: unless ``1 <= steps <= T``.

    Examples:
        >>> respaced_timesteps(1000, 5).tolist()
        [0, 250, 500, 749, 999]
    """
    num_timesteps = check_positive_int(num_timesteps, "num_timesteps")
    steps = check_positive_int(steps, "steps")
    if steps > num_timesteps:
        raise ValueError(
            f"steps must be at most the model's num_timesteps ({num_timesteps}); "
            f"received steps={steps}. A sampler can skip timesteps, not add them."
        )
    if steps == 1:
        return np.array([num_timesteps - 1])
    positions = np.arange(steps) * (num_timesteps - 1) / (steps - 1)
    # round half away from zero, as Python's round() does on these positions
    return np.floor(positions + 0.5).astype("int64")


@dataclass(frozen=True)
class SamplingPlan:
    """The per-step tables of one sampling (or inversion) run.

    Arrays have one entry per step, in the order the loop runs them.

    Attributes:
        timesteps: the network's timestep at each step (int).
        coef_x0: ``A``, multiplying ``x0_hat``.
        coef_xt: ``B``, multiplying ``x_t``.
        coef_epsilon: ``C``, multiplying ``eps_hat``.
        noise_scale: ``sigma`` when the variance is fixed (0 where no noise
            is added, e.g. the last step).
        min_log_variance, max_log_variance: with ``learned_variance``, the
            model's log-variance is ``f max + (1 - f) min`` for the network's
            ``f`` in [0, 1] (Nichol & Dhariwal's interpolation between
            ``beta_tilde`` and ``beta``); ``noise_mask`` is 1 where noise is
            added.
        noise_mask: 1.0 where the step adds noise, else 0.0.
        learned_variance: whether ``sigma`` comes from the network.
        clip_denoised: whether ``x0_hat`` is clipped to [-1, 1] (and
            ``eps_hat`` recomputed from the clipped value).
        description: a short name, e.g. ``"DDIM, 50 steps, eta=0"``.
    """

    timesteps: np.ndarray
    coef_x0: np.ndarray
    coef_xt: np.ndarray
    coef_epsilon: np.ndarray
    noise_scale: np.ndarray
    min_log_variance: np.ndarray
    max_log_variance: np.ndarray
    noise_mask: np.ndarray
    learned_variance: bool
    clip_denoised: bool
    description: str

    @property
    def num_steps(self):
        """Steps of the loop (network evaluations)."""
        return int(len(self.timesteps))

    @property
    def deterministic(self):
        """Whether no step adds noise (DDIM with ``eta = 0``, inversion)."""
        return not self.learned_variance and not np.any(self.noise_scale > 0)

    def tables(self):
        """The float tables as a dict of float32 NumPy arrays (one row per step)."""
        names = (
            "coef_x0",
            "coef_xt",
            "coef_epsilon",
            "noise_scale",
            "min_log_variance",
            "max_log_variance",
            "noise_mask",
        )
        return {n: np.asarray(getattr(self, n), "float32") for n in names}


class DiffusionSampler:
    """Base class of diffusion samplers: a name, its options, and `plan`.

    Subclasses implement ``plan(schedule, variance_type)`` returning a
    `SamplingPlan` for a ``kgen.models.diffusion.NoiseSchedule``.
    """

    name = "sampler"

    def plan(self, schedule, variance_type="fixed_small"):
        """The `SamplingPlan` of this sampler for ``schedule``."""
        raise NotImplementedError

    def get_config(self):
        """The constructor arguments."""
        return {}

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash((type(self).__name__, tuple(sorted(self.get_config().items()))))

    def _timesteps(self, schedule):
        steps = schedule.num_timesteps if self.steps is None else self.steps
        return respaced_timesteps(schedule.num_timesteps, steps)


def _check_flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; received {value!r}.")
    return bool(value)


class DDPMSampler(DiffusionSampler):
    """Ancestral sampling of Ho et al., over all ``T`` steps or respaced.

    Each step draws ``x_{t-1} ~ N(mu(x_t, x0_hat), sigma_t^2)``, the
    posterior ``q(x_{t-1} | x_t, x0_hat)`` of the (respaced) process, with
    the model's ``variance_type``: ``"fixed_small"`` (``beta_tilde_t``),
    ``"fixed_large"`` (``beta_t``; ``beta_tilde_1`` at the first step, as in
    Nichol & Dhariwal's code) or ``"learned_range"`` (the network's
    interpolation between them). The last step returns the mean, without
    noise.

    Args:
        steps: ``None`` for all ``T`` timesteps (Ho et al.'s sampler), or
            ``S <= T`` evenly spaced ones (respacing).
        clip_denoised: clip ``x0_hat`` to the data range [-1, 1] (images;
            ignored for unbounded data).

    Examples:
        >>> from kgen.models.diffusion import NoiseSchedule
        >>> from kgen.sampling import DDPMSampler
        >>> plan = DDPMSampler(steps=10).plan(NoiseSchedule.linear(100))
        >>> plan.num_steps, int(plan.timesteps[0]), float(plan.noise_scale[-1])
        (10, 99, 0.0)

    References:
        Ho, Jain & Abbeel, "Denoising Diffusion Probabilistic Models",
        NeurIPS 2020, algorithm 2; Nichol & Dhariwal, "Improved Denoising
        Diffusion Probabilistic Models", ICML 2021, section 4.
    """

    name = "ddpm"

    def __init__(self, steps=None, clip_denoised=True):
        self.steps = None if steps is None else check_positive_int(steps, "steps")
        self.clip_denoised = _check_flag(clip_denoised, "clip_denoised")

    def get_config(self):
        return {"steps": self.steps, "clip_denoised": self.clip_denoised}

    def plan(self, schedule, variance_type="fixed_small"):
        if variance_type not in VARIANCE_TYPES:
            raise ValueError(
                f"variance_type must be one of {VARIANCE_TYPES}; received "
                f"{variance_type!r}."
            )
        ascending = self._timesteps(schedule)
        alpha_bar = schedule.alphas_cumprod[ascending]
        alpha_bar_prev = np.append(1.0, alpha_bar[:-1])
        # the respaced process: the same alpha_bar at the kept timesteps
        betas = 1.0 - alpha_bar / alpha_bar_prev
        posterior_variance = betas * (1.0 - alpha_bar_prev) / (1.0 - alpha_bar)
        coef_x0 = betas * np.sqrt(alpha_bar_prev) / (1.0 - alpha_bar)
        coef_xt = (1.0 - alpha_bar_prev) * np.sqrt(1.0 - betas) / (1.0 - alpha_bar)
        if len(ascending) > 1:
            small = np.log(np.append(posterior_variance[1], posterior_variance[1:]))
            large = np.log(np.append(posterior_variance[1], betas[1:]))
        else:
            small = large = np.log(betas)
        noise_mask = (np.arange(len(ascending)) > 0).astype("float64")
        log_variance = small if variance_type != "fixed_large" else large
        noise_scale = np.exp(0.5 * log_variance) * noise_mask
        learned = variance_type == "learned_range"
        if learned:
            noise_scale = np.zeros_like(noise_scale)
        order = slice(None, None, -1)  # the loop runs from t = T-1 down
        steps = len(ascending)
        description = (
            f"DDPM, {steps} steps"
            + ("" if steps == schedule.num_timesteps else " (respaced)")
            + f", {variance_type} variance"
        )
        return SamplingPlan(
            timesteps=ascending[order],
            coef_x0=coef_x0[order],
            coef_xt=coef_xt[order],
            coef_epsilon=np.zeros(steps),
            noise_scale=noise_scale[order],
            min_log_variance=small[order],
            max_log_variance=np.log(betas)[order],
            noise_mask=noise_mask[order],
            learned_variance=learned,
            clip_denoised=self.clip_denoised,
            description=description,
        )


#: The variance of the model's reverse steps (``DiffusionModel(variance_type=)``).
VARIANCE_TYPES = ("fixed_small", "fixed_large", "learned_range")


class DDIMSampler(DiffusionSampler):
    """DDIM: ``S`` steps of the non-Markovian process of Song et al.

    ``x_prev = sqrt(alpha_bar_prev) x0_hat + sqrt(1 - alpha_bar_prev -
    sigma^2) eps_hat + sigma z`` with ``sigma = eta sqrt((1 -
    alpha_bar_prev) / (1 - alpha_bar)) sqrt(1 - alpha_bar / alpha_bar_prev)``
    at ``S`` evenly spaced timesteps; the last step goes to
    ``alpha_bar_prev = 1`` (returns ``x0_hat``). ``eta = 0`` is
    deterministic: the same ``x_T`` always gives the same sample, and the
    steps run backwards as an encoder (`inversion_plan`). The model's learned
    variance, if any, is not used.

    Args:
        steps: ``S``, at most the model's ``T``.
        eta: 0 (deterministic) to 1 (DDPM's posterior variance).
        clip_denoised: clip ``x0_hat`` to [-1, 1] (images) and recompute
            ``eps_hat`` from it.

    Raises:
        ValueError: for a non-positive ``steps`` or a negative ``eta``.

    Examples:
        >>> from kgen.models.diffusion import NoiseSchedule
        >>> from kgen.sampling import DDIMSampler
        >>> plan = DDIMSampler(steps=5).plan(NoiseSchedule.linear(100))
        >>> plan.timesteps.tolist(), plan.deterministic
        ([99, 74, 50, 25, 0], True)

    References:
        Song, Meng & Ermon, "Denoising Diffusion Implicit Models", ICLR 2021.
    """

    name = "ddim"

    def __init__(self, steps=DEFAULT_DDIM_STEPS, eta=0.0, clip_denoised=True):
        self.steps = check_positive_int(steps, "steps")
        if (
            isinstance(eta, bool)
            or not isinstance(eta, (int, float, np.floating))
            or not np.isfinite(eta)
            or eta < 0
        ):
            raise ValueError(
                f"eta must be a number >= 0 (0: deterministic, 1: DDPM's "
                f"variance); received {eta!r}."
            )
        self.eta = float(eta)
        self.clip_denoised = _check_flag(clip_denoised, "clip_denoised")

    def get_config(self):
        return {
            "steps": self.steps,
            "eta": self.eta,
            "clip_denoised": self.clip_denoised,
        }

    def plan(self, schedule, variance_type="fixed_small"):
        ascending = self._timesteps(schedule)
        alpha_bar = schedule.alphas_cumprod[ascending][::-1]
        alpha_bar_prev = np.append(alpha_bar[1:], 1.0)
        sigma = (
            self.eta
            * np.sqrt((1.0 - alpha_bar_prev) / (1.0 - alpha_bar))
            * np.sqrt(1.0 - alpha_bar / alpha_bar_prev)
        )
        steps = len(ascending)
        return SamplingPlan(
            timesteps=ascending[::-1],
            coef_x0=np.sqrt(alpha_bar_prev),
            coef_xt=np.zeros(steps),
            coef_epsilon=np.sqrt(np.maximum(1.0 - alpha_bar_prev - sigma**2, 0.0)),
            noise_scale=sigma,
            min_log_variance=np.zeros(steps),
            max_log_variance=np.zeros(steps),
            noise_mask=(sigma > 0).astype("float64"),
            learned_variance=False,
            clip_denoised=self.clip_denoised,
            description=f"DDIM, {steps} steps, eta={self.eta:g}",
        )

    def inversion_plan(self, schedule):
        """The deterministic steps from data up to ``x_T`` (the encoder).

        The data are taken as ``x`` at the first kept timestep ``t_0 = 0``
        (``alpha_bar_0 = 1 - beta_0``, nearly clean); step ``i`` evaluates the
        network at ``t_i`` and moves to ``x_{t_{i+1}} = sqrt(alpha_bar_{t_{i+1}})
        x0_hat + sqrt(1 - alpha_bar_{t_{i+1}}) eps_hat``: ``S - 1`` steps
        ending at ``t = T - 1``, where `plan` starts.

        Raises:
            ValueError: for ``eta != 0`` (only the deterministic sampler is an
                invertible map) or ``steps < 2``.
        """
        if self.eta != 0:
            raise ValueError(
                "Only deterministic DDIM (eta=0) maps data to a latent x_T and "
                f"back; received eta={self.eta}."
            )
        ascending = self._timesteps(schedule)
        if len(ascending) < 2:
            raise ValueError(
                "Encoding needs at least 2 DDIM steps (the data's timestep and "
                f"x_T's); received steps={self.steps}."
            )
        alpha_bar_next = schedule.alphas_cumprod[ascending[1:]]
        steps = len(ascending) - 1
        return SamplingPlan(
            timesteps=ascending[:-1],
            coef_x0=np.sqrt(alpha_bar_next),
            coef_xt=np.zeros(steps),
            coef_epsilon=np.sqrt(1.0 - alpha_bar_next),
            noise_scale=np.zeros(steps),
            min_log_variance=np.zeros(steps),
            max_log_variance=np.zeros(steps),
            noise_mask=np.zeros(steps),
            learned_variance=False,
            clip_denoised=self.clip_denoised,
            description=f"DDIM inversion, {steps} steps",
        )


def get_sampler(sampler=None, num_timesteps=None, **options):
    """A sampler object from ``None``, a name, or a sampler (returned as is).

    Args:
        sampler: ``None`` (DDPM over all ``T`` steps), ``"ddpm"``, ``"ddim"``
            or a `DiffusionSampler`.
        num_timesteps: the model's ``T``, for the default DDIM steps
            (``min(50, T)``).
        **options: constructor arguments for a named sampler (``steps``,
            ``eta``, ``clip_denoised``); none with an object.

    Raises:
        ValueError: for an unknown name, options the sampler does not take,
            or options given with a sampler object.

    Examples:
        >>> get_sampler("ddim", steps=10, eta=0.5)
        DDIMSampler(steps=10, eta=0.5, clip_denoised=True)
    """
    if isinstance(sampler, DiffusionSampler):
        if options:
            raise ValueError(
                f"Options {sorted(options)} go to the sampler's constructor, e.g. "
                f"{type(sampler).__name__}(...); received them with a sampler object."
            )
        return sampler
    name = "ddpm" if sampler is None else sampler
    classes = {"ddpm": DDPMSampler, "ddim": DDIMSampler}
    if name not in classes:
        raise ValueError(
            f"Unknown sampler {sampler!r}; use one of {SAMPLERS} or a sampler "
            "object such as kgen.sampling.DDIMSampler(steps=50)."
        )
    if name == "ddim" and "steps" not in options and num_timesteps is not None:
        options["steps"] = min(DEFAULT_DDIM_STEPS, int(num_timesteps))
    allowed = {
        "ddpm": {"steps", "clip_denoised"},
        "ddim": {"steps", "eta", "clip_denoised"},
    }
    unknown = set(options) - allowed[name]
    if unknown:
        raise ValueError(
            f"The {name!r} sampler takes the options {sorted(allowed[name])}; "
            f"received {sorted(unknown)}."
        )
    return classes[name](**options)
