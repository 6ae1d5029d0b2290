"""Noise schedules, the forward process, the posterior and the parametrizations,
checked against NumPy derivations; sampler plans against their equations."""

import keras
import numpy as np
import pytest

from kgen.models import DiffusionModel, diffusion_mlp
from kgen.models.diffusion import (
    PREDICTION_TYPES,
    NoiseSchedule,
    epsilon_from_prediction,
    get_schedule,
    prediction_from_x0_and_epsilon,
    x0_from_prediction,
)
from kgen.sampling import DDIMSampler, DDPMSampler
from kgen.sampling.diffusion import get_sampler, respaced_timesteps

SCHEDULES = {
    "linear": lambda: NoiseSchedule.linear(100),
    "cosine": lambda: NoiseSchedule.cosine(100),
    "given": lambda: NoiseSchedule(np.linspace(0.01, 0.2, 30) ** 1.5),
}


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_posterior_matches_bayes_rule(name):
    # q(x_{t-1} | x_t, x0) ∝ q(x_t | x_{t-1}) q(x_{t-1} | x0): a product of
    # Gaussians in x_{t-1}; precision and mean from completing the square
    schedule = SCHEDULES[name]()
    betas = schedule.betas
    alpha_bar = np.cumprod(1.0 - betas)
    for t in range(1, schedule.num_timesteps):
        prior_var = 1.0 - alpha_bar[t - 1]  # of x_{t-1} given x0
        precision = 1.0 / prior_var + (1.0 - betas[t]) / betas[t]
        variance = 1.0 / precision
        coef_x0 = variance * np.sqrt(alpha_bar[t - 1]) / prior_var
        coef_xt = variance * np.sqrt(1.0 - betas[t]) / betas[t]
        np.testing.assert_allclose(schedule.posterior_variance[t], variance, rtol=1e-10)
        np.testing.assert_allclose(
            schedule.posterior_mean_coef1[t], coef_x0, rtol=1e-10
        )
        np.testing.assert_allclose(
            schedule.posterior_mean_coef2[t], coef_xt, rtol=1e-10
        )
    # x_{-1} = x0 exactly: the posterior at t = 0 is x0 itself
    assert schedule.posterior_mean_coef1[0] == pytest.approx(1.0)
    assert schedule.posterior_mean_coef2[0] == 0.0
    assert schedule.posterior_variance[0] == 0.0
    np.testing.assert_allclose(
        np.exp(schedule.posterior_log_variance_clipped[0]),
        schedule.posterior_variance[1],
    )


def test_named_schedules_follow_their_papers():
    linear = NoiseSchedule.linear(1000)
    np.testing.assert_allclose(linear.betas[[0, -1]], [1e-4, 0.02])
    # Nichol & Dhariwal: alpha_bar(t) = f(t) / f(0), f = cos^2(((t/T + s)/(1 + s)) pi/2)
    cosine = NoiseSchedule.cosine(1000)
    T, s = 1000, 0.008
    f = np.cos(((np.arange(T + 1) / T + s) / (1 + s)) * np.pi / 2) ** 2
    expected = f[1:] / f[0]
    unclipped = cosine.betas < 0.999
    np.testing.assert_allclose(
        cosine.alphas_cumprod[unclipped], expected[unclipped], rtol=1e-6
    )
    assert cosine.betas.max() == pytest.approx(0.999)
    # the scaled linear default keeps alpha_bar_{T-1} small for other T
    assert NoiseSchedule.linear(50).alphas_cumprod[-1] < 1e-3
    # tensors are cast once, to float32
    tables = linear.tensors()
    assert tables is linear.tensors()
    assert keras.backend.standardize_dtype(tables["betas"].dtype) == "float32"


def test_forward_samples_have_the_closed_form_mean_and_variance():
    model = DiffusionModel(
        diffusion_mlp(4, hidden_units=(4,)), schedule="cosine", num_timesteps=100
    )
    x0 = np.tile(np.array([[0.9, -0.4, 0.0, 0.3]], "float32"), (20000, 1))
    alpha_bar = model.schedule.alphas_cumprod
    for t in (0, 10, 60, 99):
        x_t = model.q_sample(x0, t, seed=t).astype("float64")
        mean, var = np.sqrt(alpha_bar[t]) * x0[0], 1.0 - alpha_bar[t]
        # standard errors: sqrt(var / n) for the mean, var * sqrt(2 / n) for the variance
        np.testing.assert_allclose(
            x_t.mean(axis=0), mean, atol=5 * np.sqrt(var / 20000)
        )
        np.testing.assert_allclose(x_t.var(axis=0), var, rtol=5 * np.sqrt(2 / 20000))


@pytest.mark.parametrize("prediction_type", PREDICTION_TYPES)
def test_parametrizations_are_exact_inverses(prediction_type, rng):
    schedule = NoiseSchedule.cosine(50)
    t = rng.integers(0, 50, size=64)
    a = np.sqrt(schedule.alphas_cumprod[t])[:, None]
    s = np.sqrt(1.0 - schedule.alphas_cumprod[t])[:, None]
    x0 = rng.uniform(-1, 1, size=(64, 3))
    epsilon = rng.normal(size=(64, 3))
    x_t = a * x0 + s * epsilon
    args = [keras.ops.convert_to_tensor(v.astype("float32")) for v in (x_t, a, s)]
    target = prediction_from_x0_and_epsilon(
        *[
            keras.ops.convert_to_tensor(v.astype("float32"))
            for v in (x0, epsilon, a, s)
        ],
        prediction_type,
    )
    # from the target of this parametrization back to x0 and epsilon
    np.testing.assert_allclose(
        _np(x0_from_prediction(target, args[0], args[1], args[2], prediction_type)),
        x0,
        atol=2e-4,
    )
    np.testing.assert_allclose(
        _np(
            epsilon_from_prediction(target, args[0], args[1], args[2], prediction_type)
        ),
        epsilon,
        atol=2e-4,
    )
    if prediction_type == "v":
        np.testing.assert_allclose(_np(target), a * epsilon - s * x0, atol=1e-5)


def test_unknown_schedule_and_prediction_type_raise():
    with pytest.raises(ValueError, match="Unknown noise schedule 'quadratic'"):
        get_schedule("quadratic", 10)
    with pytest.raises(ValueError, match=r"in \(0, 1\)"):
        NoiseSchedule([0.1, 1.5])
    with pytest.raises(ValueError, match="pass beta_end"):
        NoiseSchedule.linear(10)
    assert NoiseSchedule.linear(10, beta_end=0.5).betas[-1] == 0.5
    with pytest.raises(ValueError, match="Unknown prediction_type 'score'"):
        x0_from_prediction(0.0, 0.0, 1.0, 0.0, "score")


def test_respacing_keeps_both_ends_and_refuses_more_steps_than_t():
    assert respaced_timesteps(1000, 5).tolist() == [0, 250, 500, 749, 999]
    assert respaced_timesteps(10, 10).tolist() == list(range(10))
    assert respaced_timesteps(10, 1).tolist() == [9]
    with pytest.raises(ValueError, match="at most the model's num_timesteps"):
        respaced_timesteps(10, 11)


def test_ddpm_plan_is_the_posterior_of_the_schedule():
    schedule = NoiseSchedule.linear(100)
    plan = DDPMSampler().plan(schedule, "fixed_small")
    order = np.arange(99, -1, -1)
    np.testing.assert_array_equal(plan.timesteps, order)
    np.testing.assert_allclose(plan.coef_x0, schedule.posterior_mean_coef1[order])
    np.testing.assert_allclose(plan.coef_xt, schedule.posterior_mean_coef2[order])
    np.testing.assert_allclose(
        plan.noise_scale[:-1], np.sqrt(schedule.posterior_variance[order][:-1])
    )
    assert plan.noise_scale[-1] == 0.0  # the last step returns the mean
    large = DDPMSampler().plan(schedule, "fixed_large")
    np.testing.assert_allclose(
        large.noise_scale[:-1], np.sqrt(schedule.betas[order][:-1])
    )


def test_respaced_ddpm_is_the_posterior_of_the_kept_marginals():
    # the respaced process keeps q(x_t | x0) at the kept steps, so one step
    # between kept t_{i-1} < t_i is q(x_{t_i} | x_{t_{i-1}}) = N(sqrt(r) x, 1 - r)
    # with r = alpha_bar_{t_i} / alpha_bar_{t_{i-1}}; its posterior by Bayes' rule
    schedule = NoiseSchedule.cosine(100)
    plan = DDPMSampler(steps=10).plan(schedule, "fixed_small")
    alpha_bar = schedule.alphas_cumprod[plan.timesteps]  # descending t
    for i in range(plan.num_steps - 1):
        ab, ab_prev = alpha_bar[i], alpha_bar[i + 1]
        ratio = ab / ab_prev
        prior_var = 1.0 - ab_prev
        precision = 1.0 / prior_var + ratio / (1.0 - ratio)
        variance = 1.0 / precision
        np.testing.assert_allclose(plan.noise_scale[i] ** 2, variance, rtol=1e-9)
        np.testing.assert_allclose(
            plan.coef_x0[i], variance * np.sqrt(ab_prev) / prior_var, rtol=1e-9
        )
        np.testing.assert_allclose(
            plan.coef_xt[i], variance * np.sqrt(ratio) / (1.0 - ratio), rtol=1e-9
        )


def test_ddim_with_eta_one_has_ddpm_posterior_variance():
    # Song et al.: eta = 1 makes the DDIM step's sigma the posterior std of
    # the (respaced) DDPM
    schedule = NoiseSchedule.cosine(200)
    ddim = DDIMSampler(steps=20, eta=1.0).plan(schedule)
    ddpm = DDPMSampler(steps=20).plan(schedule, "fixed_small")
    np.testing.assert_allclose(ddim.noise_scale[:-1], ddpm.noise_scale[:-1], rtol=1e-10)
    # and its mean is then the posterior mean: A x0 + C eps, with
    # eps = (x_t - sqrt(ab) x0) / sqrt(1 - ab), equals coef1 x0 + coef2 x_t
    ab = schedule.alphas_cumprod[ddim.timesteps]
    coef_xt = ddim.coef_epsilon / np.sqrt(1.0 - ab)
    coef_x0 = ddim.coef_x0 - ddim.coef_epsilon * np.sqrt(ab) / np.sqrt(1.0 - ab)
    np.testing.assert_allclose(coef_xt[:-1], ddpm.coef_xt[:-1], rtol=1e-8)
    np.testing.assert_allclose(coef_x0[:-1], ddpm.coef_x0[:-1], rtol=1e-8, atol=1e-12)
    assert DDIMSampler(steps=20).plan(schedule).deterministic


def test_inversion_plan_runs_the_ddim_steps_backwards():
    schedule = NoiseSchedule.cosine(100)
    sampler = DDIMSampler(steps=5)
    forward, backward = sampler.inversion_plan(schedule), sampler.plan(schedule)
    np.testing.assert_array_equal(forward.timesteps, backward.timesteps[::-1][:-1])
    # step i lands where the sampler starts step S-2-i
    np.testing.assert_allclose(
        forward.coef_x0**2, schedule.alphas_cumprod[backward.timesteps[:-1][::-1]]
    )
    with pytest.raises(ValueError, match="eta=0"):
        DDIMSampler(5, eta=0.5).inversion_plan(schedule)


def test_get_sampler_names_and_bad_options():
    assert get_sampler(None) == DDPMSampler()
    assert get_sampler("ddim", num_timesteps=20) == DDIMSampler(steps=20)
    assert get_sampler("ddim", steps=7, eta=0.3) == DDIMSampler(7, eta=0.3)
    with pytest.raises(ValueError, match="Unknown sampler 'euler'"):
        get_sampler("euler")
    with pytest.raises(ValueError, match="takes the options"):
        get_sampler("ddpm", eta=0.5)
    with pytest.raises(ValueError, match="constructor"):
        get_sampler(DDIMSampler(5), steps=3)
    with pytest.raises(ValueError, match="eta must be"):
        DDIMSampler(5, eta=-1.0)
