"""Behaviour of VAE: declaration, training, bounds, latent verbs, input checks."""

import math

import keras
import numpy as np
import pytest

from kgen import contract
from kgen.contract import Capability
from kgen.models.latent import VAE, conv_vae, mlp_autoencoder, mlp_vae

LATENT_DIM = 4
LEVELS = 17  # the digits' own grey levels: k / 16


def _vae(**kwargs):
    options = dict(
        latent_dim=LATENT_DIM,
        hidden_units=(32,),
        likelihood="discretized_logistic",
        num_levels=LEVELS,
        seed=1,
    )
    options.update(kwargs)
    return mlp_vae((8, 8, 1), **options)


@pytest.fixture(scope="module")
def trained(digits, train):
    """A discretized-logistic VAE trained 300 steps (12 epochs of 25 batches)."""
    keras.utils.set_random_seed(0)
    model = _vae()
    history = train(model, digits[0])
    return model, history.history


def test_declaration():
    model = _vae()
    assert model.data_kind == "unit"
    assert model.capabilities == {
        Capability.SAMPLE,
        Capability.LIKELIHOOD_BOUND,
        Capability.ENCODE,
        Capability.DECODE,
        Capability.LATENT_TRAVERSAL,
    }
    assert model.supports_sample_weight and model.num_classes is None
    convention = model.data_convention
    assert (convention.kind, convention.shape, convention.num_levels) == (
        "unit",
        (8, 8, 1),
        LEVELS,
    )
    # continuous and Bernoulli decoders declare 8-bit data unless told
    assert mlp_vae((8, 8, 1), hidden_units=(4,)).num_levels == 256
    for capability, protocol in contract.PROTOCOLS.items():
        if capability in model.capabilities:
            assert isinstance(model, protocol), capability
    autoencoder = mlp_autoencoder((8, 8, 1), code_dim=2, hidden_units=(4,))
    assert Capability.SAMPLE not in autoencoder.capabilities
    assert autoencoder.capabilities == {
        Capability.ENCODE,
        Capability.DECODE,
        Capability.LATENT_TRAVERSAL,
    }
    assert autoencoder.supports_sample_weight


def test_training_raises_held_out_elbo_and_lowers_bits_per_dim(trained, digits):
    model, history = trained
    x_test = digits[2]
    untrained = _vae()
    before = untrained.elbo(x_test, seed=0).mean()
    after = model.elbo(x_test, seed=0).mean()
    assert after > before + 10.0, (before, after)
    # History on every backend: loss = reconstruction + beta * KL (nats).
    assert {"loss", "reconstruction_loss", "kl_loss"} <= set(history)
    np.testing.assert_allclose(
        history["loss"][-1],
        history["reconstruction_loss"][-1] + history["kl_loss"][-1],
        rtol=1e-4,
    )
    assert history["loss"][-1] < history["loss"][0]
    assert history["kl_loss"][-1] > 0.5  # the latent code is in use
    # bits/dim of the digits at 17 levels: trained beats untrained and the
    # uniform distribution over the levels (log2 17 = 4.09 bits)
    bits_before = untrained.bits_per_dim(x_test, num_samples=10, seed=0).mean()
    bits_after = model.bits_per_dim(x_test, num_samples=10, seed=0).mean()
    assert bits_after < bits_before - 0.5, (bits_before, bits_after)
    assert bits_after < math.log2(LEVELS) - 1.0


def test_iwae_bounds(trained, digits):
    model, _ = trained
    x_test = digits[2]
    elbo = model.elbo(x_test, seed=1)
    iwae = {k: model.iwae_log_likelihood(x_test, k, seed=2) for k in (1, 10, 100)}
    # The bound tightens with K (on average over 397 held-out digits).
    assert iwae[10].mean() > iwae[1].mean()
    assert iwae[100].mean() > iwae[10].mean()
    assert iwae[100].mean() > elbo.mean()
    # K = 1 is the ELBO in expectation: the two estimates differ by noise only.
    difference = iwae[1] - elbo
    standard_error = difference.std() / np.sqrt(len(difference))
    assert abs(difference.mean()) < 4 * standard_error + 0.05
    # A discrete decoder: bits/dim is the IWAE bound of the levels, in bits.
    bpd = model.bits_per_dim(x_test, num_samples=10, seed=3)
    expected = -model.iwae_log_likelihood(x_test, 10, seed=3) / (64 * np.log(2))
    np.testing.assert_allclose(bpd, expected, rtol=1e-6)
    assert model.likelihood_estimator(10) == (
        "IWAE bound (K=10), discretized logistic decoder (17 levels)"
    )


def test_seeds_and_the_sampling_stream(trained, digits):
    model, _ = trained
    # the full held-out set reuses the shapes (and compiled verbs) of other tests
    x = digits[2]
    np.testing.assert_array_equal(model.elbo(x, seed=5), model.elbo(x, seed=5))
    assert not np.allclose(model.elbo(x, seed=5), model.elbo(x, seed=6))
    samples = model.sample(6, seed=7)
    assert samples.shape == (6, 8, 8, 1) and samples.dtype == np.float32
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    np.testing.assert_array_equal(samples, model.sample(6, seed=7))
    assert not np.allclose(samples, model.sample(6, seed=8))
    assert model.sample(5, seed=7, batch_size=2).shape == (5, 8, 8, 1)
    # seed=None: the model's sampling stream advances, the training one does not
    training_state = np.array(model.sampling.seed_generator.state)
    sampling_state = np.array(model.sample_seed_generator.state)
    first, second = model.sample(6), model.sample(6)
    assert not np.allclose(first, second)
    model.elbo(x[:8])
    np.testing.assert_array_equal(model.sampling.seed_generator.state, training_state)
    assert not np.array_equal(model.sample_seed_generator.state, sampling_state)


def test_decoder_draws_lie_on_the_grid_and_average_to_the_mean(trained):
    model, _ = trained
    means = model.sample(2000, seed=11)
    draws = model.sample(2000, seed=11, decoder_output="sample")
    levels = draws * (LEVELS - 1)
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)
    # same seed, same z: the draws x ~ p(x|z) average to the decoder means
    error = (draws - means).mean(axis=0)
    spread = (draws - means).std(axis=0) / np.sqrt(len(draws))
    assert np.all(np.abs(error) < 5 * spread + 1e-3)
    with pytest.raises(ValueError, match="decoder_output"):
        model.sample(2, decoder_output="mode")


def test_interpolation_end_points_are_reconstructions(trained, digits):
    model, _ = trained
    x_a, x_b = digits[2][0], digits[2][1]
    ends = model.reconstruct(np.stack([x_a, x_b]))
    for method in ("linear", "spherical"):
        path = model.interpolate(x_a, x_b, num_steps=5, method=method)
        assert path.shape == (5, 8, 8, 1)
        np.testing.assert_allclose(path[0], ends[0], atol=1e-5)
        np.testing.assert_allclose(path[-1], ends[1], atol=1e-5)
    # the middle of a linear path decodes the mean of the two codes
    means = model.encode(np.stack([x_a, x_b]))["latent"]
    middle = model.interpolate(x_a, x_b, num_steps=3)[1]
    np.testing.assert_allclose(
        middle, model.decode(means.mean(0, keepdims=True))[0], atol=1e-5
    )


def test_encode_names_its_outputs(trained, digits):
    model, _ = trained
    x = digits[2][:8]
    codes = model.encode(x)
    assert set(codes) == {"latent", "mean", "log_variance"}
    assert all(v.shape == (8, LATENT_DIM) for v in codes.values())
    np.testing.assert_array_equal(codes["latent"], codes["mean"])
    np.testing.assert_allclose(
        model.decode(codes["latent"]), model.reconstruct(x), atol=1e-6
    )


def test_traverse_and_edit_decode_the_expected_points(trained, digits):
    model, _ = trained
    values = np.array([-2.0, 0.0, 2.0])
    grid = model.traverse(dims=(0, 2), values=values)
    assert grid.shape == (2, 3, 8, 8, 1)
    z = np.zeros((3, LATENT_DIM), "float32")
    z[:, 2] = values
    np.testing.assert_allclose(grid[1], model.decode(z), atol=1e-5)
    # around an image: the base point is its posterior mean
    x = digits[2][:1]
    mean = model.encode(x)["latent"]
    row = model.traverse(x=x[0], dims=(1,), values=[mean[0, 1]])
    np.testing.assert_allclose(row[0, 0], model.reconstruct(x)[0], atol=1e-5)
    # edit shifts chosen dimensions of the code
    edited = model.edit(digits[2][:4], {3: 1.5})
    shifted = model.encode(digits[2][:4])["latent"]
    shifted[:, 3] += 1.5
    np.testing.assert_allclose(edited, model.decode(shifted), atol=1e-5)
    with pytest.raises(ValueError, match="dims"):
        model.traverse(dims=(LATENT_DIM,))
    with pytest.raises(ValueError, match="not both"):
        model.traverse(x=x[0], z=mean[0])


def _sigmoid(t):
    return 1 / (1 + np.exp(-t))


@pytest.mark.parametrize(
    "likelihood",
    ["bernoulli", "gaussian", "gaussian_fixed", "categorical", "discretized_logistic"],
)
def test_decoder_log_likelihood_matches_numpy(likelihood, rng):
    levels = 5
    model = mlp_vae(
        (4, 4, 1),
        latent_dim=3,
        hidden_units=(8,),
        likelihood=likelihood,
        num_levels=levels,
        fixed_variance=0.05,
        min_log_variance=-1.0,
        max_log_variance=1.0,
    )
    k = rng.integers(0, levels, size=(5, 4, 4, 1))
    x = (k / (levels - 1)).astype("float32")
    z = rng.normal(size=(5, 3)).astype("float32")
    raw = np.asarray(keras.ops.convert_to_numpy(model.decoder(z)), "float64")
    got = np.asarray(keras.ops.convert_to_numpy(model._log_likelihood(x, z)))
    if likelihood == "bernoulli":
        p = _sigmoid(raw)
        per_pixel = x * np.log(p) + (1 - x) * np.log(1 - p)
    elif likelihood == "categorical":
        log_p = raw - np.log(np.exp(raw).sum(-1, keepdims=True))
        per_pixel = np.take_along_axis(log_p, k, axis=-1)
    elif likelihood == "discretized_logistic":
        # one logistic per sub-pixel on [-1, 1], bins of half-width 1 / (L - 1),
        # the two edge bins extended to infinity
        mean, scale = raw[..., 1:2], np.exp(np.maximum(raw[..., 2:3], -7.0))
        centre = 2 * k / (levels - 1) - 1
        upper = np.where(k == levels - 1, 1.0, _sigmoid((centre + 0.25 - mean) / scale))
        lower = np.where(k == 0, 0.0, _sigmoid((centre - 0.25 - mean) / scale))
        per_pixel = np.log(upper - lower)
    else:
        if likelihood == "gaussian":
            raw_mean, raw_log_variance = raw[..., :1], raw[..., 1:]
            log_variance = np.clip(raw_log_variance, -1.0, 1.0)
        else:
            raw_mean, log_variance = raw, np.log(0.05)
        mean = _sigmoid(raw_mean)
        variance = np.exp(log_variance)
        # log N(x; mu, sigma^2) per pixel
        per_pixel = -0.5 * np.log(2 * np.pi * variance) - (x - mean) ** 2 / (
            2 * variance
        )
    np.testing.assert_allclose(got, per_pixel.reshape(5, -1).sum(-1), rtol=1e-4)
    decoded = model.decode(z)
    assert decoded.shape == (5, 4, 4, 1)
    assert decoded.min() >= 0.0 and decoded.max() <= 1.0


def _bad_inputs():
    good = np.full((4, 8, 8, 1), 0.5, "float32")
    nan = good.copy()
    nan[0, 0, 0, 0] = np.nan
    return {
        "missing channel axis": (good[..., 0], "shape"),
        "wrong channels": (np.repeat(good, 3, axis=-1), "shape"),
        "wrong size": (good[:, :4, :4], "shape"),
        "uint8": ((good * 255).astype("uint8"), "to_unit_float"),
        "out of range": (good * 4.0, r"\[0, 1\]"),
        "nan": (nan, "NaN"),
        "off the 17-level grid": (good + 0.01, "off that grid"),
    }


@pytest.mark.parametrize("case", list(_bad_inputs()), ids=str)
def test_bad_inputs_raise_clear_errors(case):
    x, message = _bad_inputs()[case]
    model = mlp_vae(
        (8, 8, 1),
        latent_dim=2,
        hidden_units=(8,),
        likelihood="categorical",
        num_levels=LEVELS,
    )
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match=message):
        model.fit(x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=message):
        model.elbo(x)
    with pytest.raises(ValueError, match=message):
        model.encode(x)
    with pytest.raises(ValueError, match=message):
        model.bits_per_dim(x, num_samples=2)


def test_grid_check_names_the_fix():
    model = _vae(hidden_units=(4,))
    x = np.full((2, 8, 8, 1), 100 / 255, "float32")  # 8-bit data, not 17 levels
    with pytest.raises(ValueError, match="from_uint8") as error:
        model.elbo(x)
    assert "17 levels" in str(error.value)
    # a Gaussian decoder takes any floats for its density, but bits/dim needs
    # the levels of the discrete data
    gaussian = mlp_vae(
        (8, 8, 1), hidden_units=(4,), likelihood="gaussian", num_levels=LEVELS
    )
    assert gaussian.elbo(x, seed=0).shape == (2,)
    with pytest.raises(ValueError, match="off that grid"):
        gaussian.bits_per_dim(x, num_samples=2)


def test_argument_and_latent_checks():
    with pytest.raises(ValueError, match="likelihood"):
        mlp_vae((8, 8, 1), likelihood="poisson")
    with pytest.raises(ValueError, match="multiples of 4"):
        conv_vae((6, 6, 1), filters=(8, 8))
    with pytest.raises(ValueError, match="num_levels"):
        mlp_vae((8, 8, 1), likelihood="categorical", num_levels=1)
    with pytest.raises(ValueError, match="dequantize"):
        mlp_vae((8, 8, 1), likelihood="categorical", num_levels=5, dequantize=True)
    # networks that do not match the likelihood or the conditioning
    networks = mlp_vae((8, 8, 1), latent_dim=2, hidden_units=(4,))
    with pytest.raises(ValueError, match="needs 5"):
        VAE(
            networks.encoder,
            networks.decoder,
            2,
            likelihood="categorical",
            num_levels=5,
        )
    with pytest.raises(ValueError, match="two inputs"):
        VAE(networks.encoder, networks.decoder, 2, num_classes=3)
    model = mlp_vae((8, 8, 1), latent_dim=2, hidden_units=(8,))
    with pytest.raises(ValueError, match=r"\(batch, 2\)"):
        model.decode(np.zeros((3, 5), "float32"))
    with pytest.raises(ValueError, match="unconditional"):
        model.elbo(np.zeros((2, 8, 8, 1), "float32"), conditions=[0, 1])
    with pytest.raises(ValueError, match="num_samples"):
        model.iwae_log_likelihood(np.zeros((2, 8, 8, 1), "float32"), 0)
    with pytest.raises(ValueError, match="num_samples"):
        model.likelihood_estimator(0)


def test_conv_vae_shapes_and_conditioning(digits):
    model = conv_vae(
        (8, 8, 1), latent_dim=2, filters=(4,), likelihood="gaussian", seed=3
    )
    x = digits[2][:8]
    # the decoder gives a mean and a log-variance per pixel; the model the mean
    assert tuple(model.decoder.outputs[0].shape) == (None, 8, 8, 2)
    reconstruction = keras.ops.convert_to_numpy(model(x))
    assert reconstruction.shape == (8, 8, 8, 1)
    assert reconstruction.min() >= 0.0 and reconstruction.max() <= 1.0
    conditional = conv_vae(
        (8, 8, 1),
        latent_dim=2,
        filters=(4,),
        likelihood="categorical",
        num_levels=LEVELS,
        num_classes=10,
    )
    assert tuple(conditional.decoder.outputs[0].shape) == (None, 8, 8, LEVELS)
    labels = digits[3][:8]
    elbo_true = conditional.elbo(x, labels, seed=0)
    elbo_other = conditional.elbo(x, (labels + 1) % 10, seed=0)
    assert not np.allclose(elbo_true, elbo_other)  # the labels reach the networks


def test_likelihood_report_uses_the_models_bound(trained, digits):
    from kgen.evaluation import iwae_from_log_weights, likelihood_report

    model, _ = trained
    x = digits[2]
    report = likelihood_report(model, x, num_samples=10, seed=4)
    bits = model.bits_per_dim(x, num_samples=10, seed=4, batch_size=len(x))
    assert report["bits_per_dim"] == pytest.approx(bits.mean(), rel=1e-6)
    assert report["estimator"] == model.likelihood_estimator(10)
    log_weights = np.log([[1.0, 2.0], [3.0, 2.0]]) - 1000.0
    np.testing.assert_allclose(
        iwae_from_log_weights(log_weights), np.log([2.0, 2.0]) - 1000.0
    )
