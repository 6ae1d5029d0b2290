"""Noise schedules of the forward process ``q(x_t | x_{t-1}) = N(sqrt(1 - beta_t)
x_{t-1}, beta_t I)``, and the conversions between what a network predicts.

Timesteps are 0-indexed, ``t = 0 .. T-1``, as in the reference code of
Nichol & Dhariwal: ``x_t`` is the data after ``t + 1`` noising steps, with
``alpha_bar_t = prod_{s <= t} (1 - beta_s)``, so ``q(x_t | x_0) =
N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I)``. Every derived quantity is
computed once, in float64, by `NoiseSchedule`; ``tensors()`` casts them once
to float32 tensors for the model.
"""

import math

import numpy as np
from keras import ops

__all__ = [
    "NoiseSchedule",
    "PREDICTION_TYPES",
    "SCHEDULES",
    "epsilon_from_prediction",
    "get_schedule",
    "prediction_from_x0_and_epsilon",
    "x0_from_prediction",
]

#: Schedules known by name.
SCHEDULES = ("linear", "cosine")

#: What a denoising network may predict: the noise ``epsilon``, the clean
#: data ``x0``, or the velocity ``v = sqrt(alpha_bar) epsilon - sqrt(1 -
#: alpha_bar) x0`` (Salimans & Ho, 2022).
PREDICTION_TYPES = ("epsilon", "x0", "v")


class NoiseSchedule:
    """A variance schedule ``beta_0 .. beta_{T-1}`` and what follows from it.

    Attributes (NumPy float64 arrays of length ``T``):
        betas: ``beta_t``.
        alphas: ``1 - beta_t``.
        alphas_cumprod: ``alpha_bar_t = prod_{s <= t} alpha_s``.
        alphas_cumprod_prev: ``alpha_bar_{t-1}`` (1 for ``t = 0``).
        posterior_variance: ``beta_tilde_t = beta_t (1 - alpha_bar_{t-1}) /
            (1 - alpha_bar_t)``, the variance of ``q(x_{t-1} | x_t, x_0)``
            (0 at ``t = 0``).
        posterior_log_variance_clipped: its log, with the 0 at ``t = 0``
            replaced by ``beta_tilde_1``.
        posterior_mean_coef1: ``sqrt(alpha_bar_{t-1}) beta_t / (1 -
            alpha_bar_t)``, the coefficient of ``x_0`` in the posterior mean.
        posterior_mean_coef2: ``sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 -
            alpha_bar_t)``, the coefficient of ``x_t``.

    Args:
        betas: the variances ``beta_t``, each in (0, 1), at least 2 of them.
        name: a name for messages and configs (``"linear"``, ``"cosine"`` or
            ``"custom"``).

    Raises:
        ValueError: for betas that are not a 1-D array of values in (0, 1).

    Examples:
        >>> from kgen.models.diffusion import NoiseSchedule
        >>> schedule = NoiseSchedule.linear(1000)
        >>> schedule.num_timesteps, round(float(schedule.alphas_cumprod[-1]), 6)
        (1000, 4e-05)
    """

    def __init__(self, betas, name="custom"):
        betas = np.asarray(betas, dtype="float64")
        if betas.ndim != 1 or betas.size < 2:
            raise ValueError(
                "betas must be a 1-D array of at least 2 variances; received shape "
                f"{betas.shape}."
            )
        if not np.all(np.isfinite(betas)) or betas.min() <= 0 or betas.max() >= 1:
            raise ValueError(
                "Every beta must lie in (0, 1) (a variance added at one step); "
                f"received values in [{betas.min()}, {betas.max()}]."
            )
        self.name = str(name)
        self.betas = betas
        self.alphas = 1.0 - betas
        self.alphas_cumprod = np.cumprod(self.alphas)
        self.alphas_cumprod_prev = np.append(1.0, self.alphas_cumprod[:-1])
        one_minus = 1.0 - self.alphas_cumprod
        self.posterior_variance = betas * (1.0 - self.alphas_cumprod_prev) / one_minus
        self.posterior_log_variance_clipped = np.log(
            np.append(self.posterior_variance[1], self.posterior_variance[1:])
        )
        self.posterior_mean_coef1 = (
            betas * np.sqrt(self.alphas_cumprod_prev) / one_minus
        )
        self.posterior_mean_coef2 = (
            (1.0 - self.alphas_cumprod_prev) * np.sqrt(self.alphas) / one_minus
        )
        self._tensors = None

    @property
    def num_timesteps(self):
        """``T``, the number of noising steps."""
        return int(self.betas.size)

    @classmethod
    def linear(cls, num_timesteps=1000, beta_start=None, beta_end=None):
        """Ho et al.'s linear schedule, ``beta`` from ``beta_start`` to ``beta_end``.

        The defaults are Ho et al.'s ``1e-4`` and ``0.02`` for ``T = 1000``,
        scaled by ``1000 / T`` for other ``T`` (as Nichol & Dhariwal's code
        does), so that ``alpha_bar_{T-1}`` stays near 0.

        Raises:
            ValueError: for ``T < 2`` or betas outside (0, 1) (e.g. the
                scaled default ``beta_end`` reaches 1 for ``T <= 20``: pass
                ``beta_end``).
        """
        num_timesteps = _check_num_timesteps(num_timesteps)
        scale = 1000.0 / num_timesteps
        beta_start = scale * 1e-4 if beta_start is None else float(beta_start)
        if beta_end is None:
            beta_end = scale * 0.02
            if beta_end >= 1.0:
                raise ValueError(
                    f"The linear schedule's default beta_end, 0.02 * 1000 / T = "
                    f"{beta_end:g}, is not below 1 for T={num_timesteps}; pass "
                    "beta_end=... (e.g. 0.5), or use the cosine schedule."
                )
        beta_end = float(beta_end)
        return cls(np.linspace(beta_start, beta_end, num_timesteps), name="linear")

    @classmethod
    def cosine(cls, num_timesteps=1000, offset=0.008, max_beta=0.999):
        """Nichol & Dhariwal's cosine schedule.

        ``alpha_bar(s) = f(s) / f(0)`` with ``f(s) = cos(((s / T) + offset) /
        (1 + offset) * pi / 2)^2``; ``beta_t = min(1 - alpha_bar(t + 1) /
        alpha_bar(t), max_beta)``.
        """
        num_timesteps = _check_num_timesteps(num_timesteps)

        def f(s):
            return (
                math.cos((s / num_timesteps + offset) / (1 + offset) * math.pi / 2) ** 2
            )

        betas = [min(1.0 - f(t + 1) / f(t), max_beta) for t in range(num_timesteps)]
        return cls(betas, name="cosine")

    # ------------------------------------------------------------ float32 once
    def tensors(self):
        """The derived quantities as float32 tensors, cast once and cached.

        Returns:
            A dict with the attribute names above plus ``sqrt_alphas_cumprod``
            and ``sqrt_one_minus_alphas_cumprod`` (each ``(T,)``).
        """
        if self._tensors is None:
            arrays = {
                "betas": self.betas,
                "alphas_cumprod": self.alphas_cumprod,
                "alphas_cumprod_prev": self.alphas_cumprod_prev,
                "sqrt_alphas_cumprod": np.sqrt(self.alphas_cumprod),
                "sqrt_one_minus_alphas_cumprod": np.sqrt(1.0 - self.alphas_cumprod),
                "posterior_variance": self.posterior_variance,
                "posterior_log_variance_clipped": self.posterior_log_variance_clipped,
                "posterior_mean_coef1": self.posterior_mean_coef1,
                "posterior_mean_coef2": self.posterior_mean_coef2,
                "log_betas": np.log(self.betas),
            }
            self._tensors = {
                k: ops.convert_to_tensor(v.astype("float32")) for k, v in arrays.items()
            }
        return self._tensors

    def get_config(self):
        """``"linear"``/``"cosine"`` schedules by name; others by their betas."""
        return {"name": self.name, "betas": [float(b) for b in self.betas]}

    def __repr__(self):
        return f"NoiseSchedule(name={self.name!r}, num_timesteps={self.num_timesteps})"


def _check_num_timesteps(num_timesteps):
    if (
        isinstance(num_timesteps, bool)
        or not isinstance(num_timesteps, (int, np.integer))
        or num_timesteps < 2
    ):
        raise ValueError(
            f"num_timesteps must be an integer >= 2; received {num_timesteps!r}."
        )
    return int(num_timesteps)


def get_schedule(schedule, num_timesteps=1000):
    """A `NoiseSchedule` from a name, an array of betas, or a schedule.

    Args:
        schedule: ``"linear"``, ``"cosine"``, a sequence of betas, or a
            `NoiseSchedule`.
        num_timesteps: ``T`` for a named schedule (ignored otherwise; an
            array's length is its ``T``).

    Raises:
        ValueError: for an unknown name or invalid betas.

    Examples:
        >>> from kgen.models.diffusion import get_schedule
        >>> get_schedule("cosine", 50)
        NoiseSchedule(name='cosine', num_timesteps=50)
    """
    if isinstance(schedule, NoiseSchedule):
        return schedule
    if isinstance(schedule, str):
        if schedule == "linear":
            return NoiseSchedule.linear(num_timesteps)
        if schedule == "cosine":
            return NoiseSchedule.cosine(num_timesteps)
        raise ValueError(
            f"Unknown noise schedule {schedule!r}; use one of {SCHEDULES}, an "
            "array of betas, or a kgen.models.diffusion.NoiseSchedule."
        )
    try:
        betas = np.asarray(schedule, dtype="float64")
    except (TypeError, ValueError):
        raise ValueError(
            f"schedule must be one of {SCHEDULES}, an array of betas or a "
            f"NoiseSchedule; received {schedule!r}."
        ) from None
    return NoiseSchedule(betas)


# ------------------------------------------------- what the network predicts
# With a = sqrt(alpha_bar_t), s = sqrt(1 - alpha_bar_t) (a^2 + s^2 = 1) and
# x_t = a x0 + s eps:  eps = (x_t - a x0) / s,  x0 = (x_t - s eps) / a,
# v = a eps - s x0,  x0 = a x_t - s v,  eps = s x_t + a v.


def _check_prediction_type(prediction_type):
    if prediction_type not in PREDICTION_TYPES:
        raise ValueError(
            f"Unknown prediction_type {prediction_type!r}; use one of "
            f"{PREDICTION_TYPES} (the noise, the clean data, or the velocity)."
        )
    return prediction_type


def x0_from_prediction(
    prediction, x_t, sqrt_alpha_bar, sqrt_one_minus, prediction_type
):
    """The clean data implied by a network's prediction.

    Args:
        prediction: the network's output (``epsilon``, ``x0`` or ``v``).
        x_t: the noisy input.
        sqrt_alpha_bar: ``sqrt(alpha_bar_t)``, broadcastable to ``x_t``.
        sqrt_one_minus: ``sqrt(1 - alpha_bar_t)``, broadcastable.
        prediction_type: one of `PREDICTION_TYPES`.

    Examples:
        With ``x_t = a x0 + b epsilon``, each target gives ``x0`` and
        ``epsilon`` back:

        >>> import numpy as np
        >>> from kgen.models.diffusion import (epsilon_from_prediction,
        ...     prediction_from_x0_and_epsilon, x0_from_prediction)
        >>> x0, epsilon, a, b = np.array([0.5, -1.0]), np.array([1.0, 0.5]), 0.6, 0.8
        >>> x_t = a * x0 + b * epsilon
        >>> for kind in ("epsilon", "x0", "v"):
        ...     target = prediction_from_x0_and_epsilon(x0, epsilon, a, b, kind)
        ...     print(kind, x0_from_prediction(target, x_t, a, b, kind).round(6),
        ...           epsilon_from_prediction(target, x_t, a, b, kind).round(6))
        epsilon [ 0.5 -1. ] [1.  0.5]
        x0 [ 0.5 -1. ] [1.  0.5]
        v [ 0.5 -1. ] [1.  0.5]
    """
    _check_prediction_type(prediction_type)
    if prediction_type == "x0":
        return prediction
    if prediction_type == "epsilon":
        return (x_t - sqrt_one_minus * prediction) / sqrt_alpha_bar
    return sqrt_alpha_bar * x_t - sqrt_one_minus * prediction


def epsilon_from_prediction(
    prediction, x_t, sqrt_alpha_bar, sqrt_one_minus, prediction_type
):
    """The noise implied by a network's prediction (arguments as for x0)."""
    _check_prediction_type(prediction_type)
    if prediction_type == "epsilon":
        return prediction
    if prediction_type == "x0":
        return (x_t - sqrt_alpha_bar * prediction) / sqrt_one_minus
    return sqrt_one_minus * x_t + sqrt_alpha_bar * prediction


def prediction_from_x0_and_epsilon(
    x0, epsilon, sqrt_alpha_bar, sqrt_one_minus, prediction_type
):
    """The training target of ``prediction_type`` for a clean ``x0`` and noise."""
    _check_prediction_type(prediction_type)
    if prediction_type == "epsilon":
        return epsilon
    if prediction_type == "x0":
        return x0
    return sqrt_alpha_bar * epsilon - sqrt_one_minus * x0
