"""DiffusionModel: samplers with an oracle network, guidance, DDIM as an
encoder, mode coverage on a ring, the variational bound, EMA, bad input.

Two small models are trained once per module and shared: an MLP on a ring of
eight Gaussians and a two-block convolutional network on the 8x8 digits.
"""

import math

import keras
import numpy as np
import pytest
from keras import ops

from kgen import data
from kgen.data import ring_of_gaussians
from kgen.layers import DiffusionResidualBlock, SinusoidalTimeEmbedding
from kgen.losses.likelihood import nats_to_bits_per_dim
from kgen.models import DiffusionModel, diffusion_mlp, diffusion_unet
from kgen.models.diffusion import NoiseSchedule
from kgen.sampling import DDIMSampler, DDPMSampler

RING_STD = 0.1


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def ring_model():
    """An MLP denoiser trained briefly on 8 Gaussians on the unit circle."""
    keras.utils.set_random_seed(0)
    x, centres = ring_of_gaussians(2048, radius=1.0, std=RING_STD, seed=0)
    model = DiffusionModel(
        diffusion_mlp(2, hidden_units=(64, 64, 64)),
        schedule="cosine",
        num_timesteps=40,
        ema_decay=0.99,
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    model.fit(x, batch_size=128, epochs=100, verbose=0)
    return model, x, centres


def _tiny_image_network(shape=(8, 8, 1)):
    x = keras.Input(shape, name="x_t")
    t = keras.Input((), dtype="int32", name="timestep")
    emb = SinusoidalTimeEmbedding(16)(t)
    emb = keras.layers.Dense(32, activation="silu")(emb)
    h = keras.layers.Conv2D(16, 3, padding="same")(x)
    h = DiffusionResidualBlock(16, num_groups=4)([h, emb])
    h = DiffusionResidualBlock(16, num_groups=4)([h, emb])
    h = keras.layers.Activation("silu")(h)
    out = keras.layers.Conv2D(1, 3, padding="same")(h)
    return keras.Model([x, t], out)


@pytest.fixture(scope="module")
def digits_model():
    """A two-block network on the digits, with its bound before training."""
    keras.utils.set_random_seed(0)
    images, _ = data.load("digits", "train")
    test_images, _ = data.load("digits", "test")
    model = DiffusionModel(
        _tiny_image_network(),
        schedule="cosine",
        num_timesteps=20,
        ema_decay=0.9,
        seed=0,
    )
    convention = model.data_convention
    x, x_test = convention.from_uint8(images), convention.from_uint8(test_images[:64])
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    untrained = model.bits_per_dim(x_test, seed=0, use_ema=False)
    model.fit(x, batch_size=64, epochs=6, verbose=0)
    return model, x_test, untrained


# ------------------------------------------------------------ oracle network
class GaussianOracle(keras.layers.Layer):
    """The exact epsilon-prediction for data x0 ~ N(mean, std^2 I):
    E[eps | x_t] = s (x_t - a mean) / (a^2 std^2 + s^2), a^2 = alpha_bar_t."""

    def __init__(self, mean, std, alphas_cumprod, **kwargs):
        super().__init__(**kwargs)
        self.mean = np.asarray(mean, "float32")
        self.std = np.asarray(std, "float32")
        self.alphas_cumprod = np.asarray(alphas_cumprod, "float32")

    def call(self, inputs):
        x, t = inputs
        alpha_bar = ops.take(ops.convert_to_tensor(self.alphas_cumprod), t)[:, None]
        a, s = ops.sqrt(alpha_bar), ops.sqrt(1.0 - alpha_bar)
        return s * (x - a * self.mean) / (alpha_bar * self.std**2 + s**2)


def _oracle_model(mean, std, schedule):
    x = keras.Input((len(mean),))
    t = keras.Input((), dtype="int32")
    out = GaussianOracle(mean, std, schedule.alphas_cumprod)([x, t])
    return DiffusionModel(keras.Model([x, t], out), schedule=schedule)


def _chain_moments(plan, schedule, mean, std):
    """Mean and variance of the sampler's output with the oracle, in float64:
    every step is affine in x_t (plus independent noise)."""
    m, v = np.zeros_like(mean), np.ones_like(mean)
    for i, t in enumerate(plan.timesteps):
        ab = schedule.alphas_cumprod[t]
        a, s = np.sqrt(ab), np.sqrt(1.0 - ab)
        k = s / (ab * std**2 + s**2)  # eps_hat = k x + c
        c = -k * a * mean
        slope = (
            plan.coef_x0[i] * (1.0 - s * k) / a
            + plan.coef_xt[i]
            + plan.coef_epsilon[i] * k
        )
        offset = plan.coef_x0[i] * (-s * c) / a + plan.coef_epsilon[i] * c
        m = slope * m + offset
        v = slope**2 * v + plan.noise_scale[i] ** 2
    return m, v


@pytest.mark.parametrize(
    "sampler",
    [DDPMSampler(), DDPMSampler(steps=100), DDIMSampler(steps=50)],
    ids=["ddpm_1000", "ddpm_respaced_100", "ddim_50"],
)
def test_samplers_with_the_true_epsilon_draw_the_data_distribution(sampler):
    mean, std = np.array([0.6, -0.3]), np.array([0.3, 0.7])
    schedule = NoiseSchedule.linear(1000)
    model = _oracle_model(mean, std, schedule)
    samples = model.sample(4000, seed=0, sampler=sampler, batch_size=4000).astype(
        "float64"
    )
    chain_mean, chain_var = _chain_moments(sampler.plan(schedule), schedule, mean, std)
    # the sampler does what its plan says (NumPy propagation of the same chain) ...
    assert np.all(
        np.abs(samples.mean(0) - chain_mean) < 5 * np.sqrt(chain_var / 4000)
    ), (
        samples.mean(0),
        chain_mean,
    )
    np.testing.assert_allclose(samples.var(0), chain_var, rtol=5 * np.sqrt(2 / 4000))
    # ... and the plan reaches the data distribution: DDPM over all T steps
    # closely; fewer steps with a discretization error that shrinks with S
    tolerance = 0.03 if sampler == DDPMSampler() else 0.2
    np.testing.assert_allclose(chain_mean, mean, atol=0.01)
    np.testing.assert_allclose(chain_var, std**2, rtol=tolerance)
    if sampler.steps is not None:
        finer = type(sampler)(steps=4 * sampler.steps)
        finer_var = _chain_moments(finer.plan(schedule), schedule, mean, std)[1]
        assert np.all(np.abs(finer_var - std**2) < np.abs(chain_var - std**2))


# ------------------------------------------------------------------- guidance
def _conditional_model(label_dropout=0.2):
    return DiffusionModel(
        diffusion_mlp(3, hidden_units=(16,), num_classes=4),
        schedule="cosine",
        num_timesteps=10,
        num_classes=4,
        label_dropout=label_dropout,
        seed=0,
    )


def test_classifier_free_guidance_combines_the_conditional_and_null_branches(rng):
    model = _conditional_model()
    # move the label embedding off its initialisation so labels matter
    for v in model.network.trainable_variables:
        v.assign(rng.normal(scale=0.5, size=v.shape))
    x_t = rng.normal(size=(6, 3)).astype("float32")
    t = np.array([0, 2, 4, 6, 8, 9], "int32")
    labels = np.array([0, 1, 2, 3, 0, 1], "int32")
    network = model.network
    conditional = _np(network([x_t, t, labels]))
    null = _np(network([x_t, t, np.full(6, model.null_label, "int32")]))
    assert not np.allclose(conditional, null, atol=1e-3)
    # w = 0: the conditional prediction
    np.testing.assert_allclose(
        model.denoise(x_t, t, labels)["epsilon"], conditional, rtol=1e-5, atol=1e-6
    )
    # w: (1 + w) eps(c) - w eps(null)
    guided = model.denoise(x_t, t, labels, guidance_scale=2.5)["epsilon"]
    np.testing.assert_allclose(
        guided, 3.5 * conditional - 2.5 * null, rtol=1e-4, atol=1e-5
    )
    # w = -1: the unconditional branch, whatever the labels
    unconditional = model.denoise(x_t, t, labels, guidance_scale=-1.0)["epsilon"]
    np.testing.assert_allclose(unconditional, null, rtol=1e-5, atol=1e-6)
    other = model.denoise(x_t, t, (labels + 1) % 4, guidance_scale=-1.0)["epsilon"]
    np.testing.assert_allclose(other, unconditional, atol=1e-6)


def test_training_drops_labels_to_the_null_label():
    model = _conditional_model(label_dropout=0.3)
    labels = np.arange(2000) % 4
    uniforms = np.random.default_rng(0).random(2000)
    dropped = _np(model.drop_labels(labels, uniforms)).astype(int)
    # exactly the labels whose draw is below 0.3 become the null label (4),
    # the one the unconditional branch of guidance feeds
    np.testing.assert_array_equal(dropped == model.null_label, uniforms < 0.3)
    np.testing.assert_array_equal(dropped[uniforms >= 0.3], labels[uniforms >= 0.3])
    assert model.null_label == 4
    none = _conditional_model(label_dropout=0.0)
    np.testing.assert_array_equal(_np(none.drop_labels(labels, uniforms)), labels)


def test_unconditional_samples_of_a_conditional_model_ignore_the_labels():
    model = _conditional_model()
    ddim = DDIMSampler(steps=5)
    # guidance_scale=-1: the null label for every sample, labels optional
    a = model.sample(
        4, seed=1, conditions=[0, 1, 2, 3], guidance_scale=-1.0, sampler=ddim
    )
    b = model.sample(4, seed=1, guidance_scale=-1.0, sampler=ddim)
    np.testing.assert_array_equal(a, b)
    null = model.decode(
        keras.random.normal((4, 3), seed=keras.random.SeedGenerator(1)),
        guidance_scale=-1.0,
        sampler=ddim,
    )
    np.testing.assert_allclose(null, b, atol=1e-6)
    # any other scale is a conditional model's and needs labels
    with pytest.raises(ValueError, match="class-conditional"):
        model.sample(4, seed=1, guidance_scale=1.0)
    with pytest.raises(ValueError, match=r"in \[0, 3\]"):
        model.sample(4, seed=1, conditions=9, guidance_scale=-1.0)


# --------------------------------------------------------- trained: the ring
def _near_modes(points, centres):
    distance = np.linalg.norm(points[:, None] - centres[None], axis=-1)
    near = distance.min(axis=1) < 3 * RING_STD
    return near, np.bincount(distance.argmin(axis=1)[near], minlength=len(centres))


@pytest.mark.slow
def test_a_trained_model_samples_near_the_modes_and_covers_them(ring_model):
    model, _, centres = ring_model
    samples = model.sample(800, seed=0, batch_size=800)
    near, per_mode = _near_modes(samples, centres)
    assert near.mean() > 0.5, near.mean()
    assert np.sum(per_mode >= 20) >= 6, per_mode
    # an untrained model does not: the test can fail
    fresh = DiffusionModel(
        diffusion_mlp(2, hidden_units=(64, 64, 64)), schedule="cosine", num_timesteps=40
    )
    assert (
        _near_modes(fresh.sample(800, seed=0, batch_size=800), centres)[0].mean() < 0.3
    )


@pytest.mark.slow
def test_ddim_with_eta_zero_is_a_deterministic_function_of_x_t(ring_model):
    model = ring_model[0]
    ddim = DDIMSampler(steps=10)
    first = model.sample(16, seed=5, sampler=ddim, batch_size=16)
    np.testing.assert_array_equal(
        first, model.sample(16, seed=5, sampler=ddim, batch_size=16)
    )
    assert not np.allclose(first, model.sample(16, seed=6, sampler=ddim, batch_size=16))
    # the only randomness is x_T: decoding the same draw gives the same points
    x_T = keras.random.normal((16, 2), seed=keras.random.SeedGenerator(5))
    np.testing.assert_allclose(model.decode(x_T, sampler=ddim), first, atol=1e-5)
    # eta > 0 adds noise at every step: the same x_T gives other points
    noisy = DDIMSampler(steps=10, eta=1.0)
    assert not np.allclose(
        model.sample(16, seed=5, sampler=noisy, batch_size=16), first
    )


# ------------------------------------------------------- trained: the digits
@pytest.mark.slow
def test_ddim_encode_then_decode_reconstructs_the_input(digits_model):
    model, x_test, _ = digits_model
    ddim = DDIMSampler(steps=20)
    latent = model.encode(x_test, sampler=ddim)["latent"]
    error = np.abs(model.decode(latent, sampler=ddim) - x_test).mean()
    between_images = np.abs(x_test[:32] - x_test[32:]).mean()
    assert error < 0.15 * between_images, (error, between_images)
    np.testing.assert_allclose(
        model.reconstruct(x_test, sampler=ddim),
        model.decode(latent, sampler=ddim),
        atol=1e-5,
    )
    # interpolation: the ends are the reconstructions
    path = model.interpolate(x_test[0], x_test[1], num_steps=5, sampler=ddim)
    assert path.shape == (5, 8, 8, 1)
    np.testing.assert_allclose(
        path[0], model.decode(latent[:1], sampler=ddim)[0], atol=1e-4
    )


@pytest.mark.slow
def test_the_bound_has_non_negative_terms_and_training_lowers_it(digits_model):
    model, x_test, untrained = digits_model
    x = x_test[:16]
    for t in (1, 5, 19):
        kl = model.variational_terms(x, t, seed=t)
        assert kl.shape == (16,) and np.all(kl >= 0.0), (t, kl.min())
    decoder = model.variational_terms(x, 0, seed=0)
    assert np.all(decoder > 0.0)  # -log of a probability of a bin
    assert np.all(model._prior_nats(x) >= 0.0)
    trained = model.bits_per_dim(x_test, seed=0)
    assert trained.mean() < untrained.mean() - 0.5, (trained.mean(), untrained.mean())
    # bits/dim is the same bound as elbo, in bits per sub-pixel
    elbo = model.elbo(x, seed=3)
    np.testing.assert_allclose(
        model.bits_per_dim(x, seed=3), nats_to_bits_per_dim(elbo, 64), rtol=1e-5
    )
    # all-terms and sampled-terms estimators are named
    assert "all 20 terms" in model.likelihood_estimator(None)
    assert "4 stratified KL terms of 19" in model.likelihood_estimator(4)
    assert model.likelihood_estimator(19) == model.likelihood_estimator(None)


@pytest.mark.slow
def test_sampled_terms_estimate_the_bound_without_bias(digits_model):
    model, x_test, _ = digits_model
    x = x_test[:8]
    exact = np.stack([model.negative_bound(x, seed=s) for s in range(4)])
    sampled = np.stack(
        [model.negative_bound(x, num_samples=3, seed=10 + s) for s in range(24)]
    )
    # per example: the mean of 24 estimates within 4 standard errors of the
    # mean of 4 all-terms evaluations (whose spread comes from the x_t draws)
    error = np.sqrt(sampled.var(0, ddof=1) / 24 + exact.var(0, ddof=1) / 4)
    assert np.all(np.abs(sampled.mean(0) - exact.mean(0)) < 4 * error + 1e-3)
    assert sampled.std(0).mean() > exact.std(0).mean()  # it is an estimate


# ----------------------------------------------------------------------- EMA
def test_the_ema_is_updated_after_each_optimizer_step():
    network = diffusion_mlp(2, hidden_units=(4,))
    model = DiffusionModel(
        network, schedule="cosine", num_timesteps=10, ema_decay=0.9, seed=0
    )
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    before = [_np(v) for v in network.trainable_variables]
    x = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    after = [_np(v) for v in network.trainable_variables]
    # after step n = 1: d = min(0.9, (1 + 1) / (10 + 1)); ema = d w_0 + (1 - d) w_1
    # (an average taken before the step would still equal w_0)
    d = 2.0 / 11.0
    for ema, w0, w1 in zip(model.ema_variables, before, after):
        np.testing.assert_allclose(
            _np(ema), d * w0 + (1 - d) * w1, rtol=1e-5, atol=1e-6
        )
    assert any(not np.allclose(w0, w1) for w0, w1 in zip(before, after))


@pytest.mark.slow
def test_the_ema_travels_with_the_file_and_serves_sampling(digits_model, tmp_path):
    model = digits_model[0]
    path = tmp_path / "diffusion.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for a, b in zip(model.ema_variables, loaded.ema_variables):
        np.testing.assert_array_equal(_np(a), _np(b))
    ddim = DDIMSampler(steps=5)
    np.testing.assert_allclose(
        loaded.sample(4, seed=2, sampler=ddim),
        model.sample(4, seed=2, sampler=ddim),
        atol=1e-5,
    )
    raw = model.sample(4, seed=2, sampler=ddim, use_ema=False)
    assert not np.allclose(raw, model.sample(4, seed=2, sampler=ddim), atol=1e-3)
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations)


# -------------------------------------------------------- variance and loss
def test_hybrid_loss_is_the_simple_loss_plus_the_weighted_vlb_term():
    network = diffusion_mlp(2, hidden_units=(8,), learned_variance=True)
    model = DiffusionModel(
        network,
        schedule="cosine",
        num_timesteps=10,
        variance_type="learned_range",
        vlb_weight=0.5,
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    logs = model.evaluate(x, batch_size=64, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(
        logs["mse"] + 0.5 * 10 * logs["vlb_bits_per_dim"], rel=1e-5
    )
    assert logs["vlb_bits_per_dim"] > 0
    # the reverse variance interpolates log beta_tilde_t and log beta_t
    out = model.denoise(x[:4], 5)
    assert out["log_variance"].shape == (4, 2)


def test_zero_loss_weights_leave_the_weights_alone():
    model = DiffusionModel(
        diffusion_mlp(2, hidden_units=(4,)),
        schedule="cosine",
        num_timesteps=10,
        loss_weighting=np.zeros(10),
    )
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    before = [_np(v) for v in model.trainable_variables]
    model.fit(np.ones((8, 2), "float32"), batch_size=8, verbose=0)
    for old, new in zip(before, model.trainable_variables):
        np.testing.assert_array_equal(old, _np(new))
    with pytest.raises(ValueError, match="10 finite non-negative weights"):
        DiffusionModel(
            diffusion_mlp(2, hidden_units=(4,)),
            schedule="cosine",
            num_timesteps=10,
            loss_weighting=np.ones(3),
        )


def test_min_snr_weights_are_min_snr_over_the_target_scale():
    model = DiffusionModel(
        diffusion_mlp(2, hidden_units=(4,)),
        schedule="cosine",
        num_timesteps=10,
        loss_weighting="min_snr",
        prediction_type="v",
    )
    alpha_bar = model.schedule.alphas_cumprod
    snr = alpha_bar / (1 - alpha_bar)
    np.testing.assert_allclose(
        _np(model._loss_weights), np.minimum(snr, 5.0) / (snr + 1.0), rtol=1e-5
    )


# ------------------------------------------------------------------ U-Net
def test_the_unet_builder_refuses_sizes_it_cannot_build():
    # (its structure is checked on the U-Net the command-line test trains)
    with pytest.raises(ValueError, match="multiples of 4"):
        diffusion_unet((6, 6, 1), channel_multipliers=(1, 2, 2))
    with pytest.raises(ValueError, match="multiple of num_groups"):
        diffusion_unet((8, 8, 1), base_filters=6, num_groups=4)


# ---------------------------------------------------------------- bad input
def _small_model(**kwargs):
    return DiffusionModel(
        diffusion_mlp(2, hidden_units=(4,)),
        schedule="cosine",
        num_timesteps=10,
        **kwargs,
    )


def test_bad_input_raises_clear_errors():
    model = _small_model()
    model.compile(optimizer="adam")
    images = DiffusionModel(
        _tiny_image_network((4, 4, 1)), schedule="cosine", num_timesteps=10
    )
    with pytest.raises(ValueError, match=r"\[-1"):
        images.check_x(np.full((2, 4, 4, 1), 3.0, "float32"))
    with pytest.raises(ValueError, match="at most the model's num_timesteps"):
        model.sample(2, sampler=DDIMSampler(steps=11))
    with pytest.raises(ValueError, match="at most the model's num_timesteps"):
        model.sample(2, sampler="ddpm", steps=50)
    with pytest.raises(ValueError, match="Unknown noise schedule"):
        DiffusionModel(diffusion_mlp(2, hidden_units=(4,)), schedule="sigmoid")
    with pytest.raises(ValueError, match="Unknown prediction_type"):
        _small_model(prediction_type="score")
    with pytest.raises(ValueError, match="Unknown variance_type"):
        _small_model(variance_type="learned")
    with pytest.raises(ValueError, match="Unknown loss_weighting"):
        _small_model(loss_weighting="snr")
    with pytest.raises(ValueError, match="needs a class-conditional model"):
        model.sample(2, guidance_scale=1.0)
    with pytest.raises(ValueError, match="label_dropout=0"):
        _conditional_model(label_dropout=0.0).sample(
            2, conditions=0, guidance_scale=1.0
        )
    with pytest.raises(ValueError, match="output must have the shape"):
        DiffusionModel(
            diffusion_mlp(2, hidden_units=(4,)),
            variance_type="learned_range",
            num_timesteps=10,
            schedule="cosine",
        )
    with pytest.raises(ValueError, match="deterministic DDIM"):
        model.encode(np.zeros((2, 2), "float32"), sampler=DDPMSampler())
    with pytest.raises(ValueError, match="eta=0"):
        model.encode(np.zeros((2, 2), "float32"), sampler=DDIMSampler(5, eta=0.5))
    with pytest.raises(ValueError, match="likelihood of discrete data"):
        model.bits_per_dim(np.zeros((2, 2), "float32"))
    with pytest.raises(ValueError, match="ema_decay=None"):
        model.sample(2, use_ema=True)
    with pytest.raises(ValueError, match="timesteps"):
        model.q_sample(np.zeros((2, 2), "float32"), 10)
    with pytest.raises(ValueError, match="latents"):
        model.decode(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="num_timesteps=5 but the schedule has"):
        DiffusionModel(
            diffusion_mlp(2, hidden_units=(4,)), schedule=[0.1, 0.2], num_timesteps=5
        )
    with pytest.raises(ValueError, match="unconditional"):
        model.fit(np.zeros((4, 2), "float32"), np.zeros(4, "int32"), verbose=0)
    assert math.isfinite(float(model.elbo(np.zeros((2, 2), "float32"), seed=0).mean()))
