"""Behaviour of VAE: training, bounds, likelihoods, latent verbs, input checks."""

import keras
import numpy as np
import pytest

from kgen.models.latent import conv_vae, mlp_vae

LATENT_DIM = 4


@pytest.fixture(scope="module")
def trained(digits, train):
    """A VAE trained 300 steps (12 epochs of 25 batches) and its history."""
    x_train = digits[0]
    keras.utils.set_random_seed(0)
    model = mlp_vae((8, 8, 1), latent_dim=LATENT_DIM, hidden_units=(32,), seed=1)
    history = train(model, x_train)
    return model, history.history


def test_training_raises_held_out_elbo(trained, digits):
    model, history = trained
    x_test = digits[2]
    untrained = mlp_vae((8, 8, 1), latent_dim=LATENT_DIM, hidden_units=(32,), seed=1)
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
    # bits/dim is the IWAE estimate in other units.
    bpd = model.bits_per_dim(x_test, num_samples=10, seed=3)
    expected = -model.iwae_log_likelihood(x_test, 10, seed=3) / (64 * np.log(2))
    np.testing.assert_allclose(bpd, expected, rtol=1e-6)


def test_elbo_and_samples_are_seeded(trained, digits):
    model, _ = trained
    # the full held-out set reuses the shapes (and compiled verbs) of other tests
    x = digits[2]
    np.testing.assert_array_equal(model.elbo(x, seed=5), model.elbo(x, seed=5))
    assert not np.allclose(model.elbo(x, seed=5), model.elbo(x, seed=6))
    samples = model.sample(6, seed=7)
    assert samples.shape == (6, 8, 8, 1)
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    np.testing.assert_array_equal(samples, model.sample(6, seed=7))
    assert not np.allclose(samples, model.sample(6, seed=8))
    # batching does not change the samples' latent draws' count or shape
    assert model.sample(5, seed=7, batch_size=2).shape == (5, 8, 8, 1)


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
    means = model.encode(np.stack([x_a, x_b]))[0]
    middle = model.interpolate(x_a, x_b, num_steps=3)[1]
    np.testing.assert_allclose(
        middle, model.decode(means.mean(0, keepdims=True))[0], atol=1e-5
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
    mean = model.encode(x)[0]
    row = model.traverse(x=x[0], dims=(1,), values=[mean[0, 1]])
    np.testing.assert_allclose(row[0, 0], model.reconstruct(x)[0], atol=1e-5)
    # edit shifts chosen dimensions of the code
    edited = model.edit(digits[2][:4], {3: 1.5})
    shifted = model.encode(digits[2][:4])[0]
    shifted[:, 3] += 1.5
    np.testing.assert_allclose(edited, model.decode(shifted), atol=1e-5)
    with pytest.raises(ValueError, match="dims"):
        model.traverse(dims=(LATENT_DIM,))
    with pytest.raises(ValueError, match="not both"):
        model.traverse(x=x[0], z=mean[0])


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian", "gaussian_fixed"])
def test_decoder_log_likelihood_matches_numpy(likelihood, rng):
    model = mlp_vae(
        (4, 4, 1),
        latent_dim=3,
        hidden_units=(8,),
        likelihood=likelihood,
        fixed_variance=0.05,
        min_log_variance=-1.0,
        max_log_variance=1.0,
    )
    x = rng.random((5, 4, 4, 1)).astype("float32")
    z = rng.normal(size=(5, 3)).astype("float32")
    raw = np.asarray(keras.ops.convert_to_numpy(model.decoder(z)), "float64")
    got = np.asarray(keras.ops.convert_to_numpy(model._log_likelihood(x, z)))
    if likelihood == "bernoulli":
        p = 1 / (1 + np.exp(-raw))
        per_pixel = x * np.log(p) + (1 - x) * np.log(1 - p)
    else:
        if likelihood == "gaussian":
            raw_mean, raw_log_variance = raw[..., :1], raw[..., 1:]
            log_variance = np.clip(raw_log_variance, -1.0, 1.0)
        else:
            raw_mean, log_variance = raw, np.log(0.05)
        mean = 1 / (1 + np.exp(-raw_mean))
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
    }


@pytest.mark.parametrize("case", list(_bad_inputs()), ids=str)
def test_bad_inputs_raise_clear_errors(case):
    x, message = _bad_inputs()[case]
    model = mlp_vae((8, 8, 1), latent_dim=2, hidden_units=(8,))
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match=message):
        model.fit(x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=message):
        model.elbo(x)
    with pytest.raises(ValueError, match=message):
        model.encode(x)


def test_argument_and_latent_checks():
    with pytest.raises(ValueError, match="likelihood"):
        mlp_vae((8, 8, 1), likelihood="poisson")
    with pytest.raises(ValueError, match="multiples of 4"):
        conv_vae((6, 6, 1), filters=(8, 8))
    model = mlp_vae((8, 8, 1), latent_dim=2, hidden_units=(8,))
    with pytest.raises(ValueError, match=r"\(batch, 2\)"):
        model.decode(np.zeros((3, 5), "float32"))
    with pytest.raises(ValueError, match="unconditional"):
        model.elbo(np.zeros((2, 8, 8, 1), "float32"), conditions=[0, 1])
    with pytest.raises(ValueError, match="num_samples"):
        model.iwae_log_likelihood(np.zeros((2, 8, 8, 1), "float32"), 0)


def test_conv_vae_gaussian_shapes(digits):
    model = conv_vae(
        (8, 8, 1), latent_dim=2, filters=(4,), likelihood="gaussian", seed=3
    )
    x = digits[2][:8]
    # the decoder gives a mean and a log-variance per pixel; the model the mean
    assert tuple(model.decoder.outputs[0].shape) == (None, 8, 8, 2)
    reconstruction = keras.ops.convert_to_numpy(model(x))
    assert reconstruction.shape == (8, 8, 8, 1)
    assert reconstruction.min() >= 0.0 and reconstruction.max() <= 1.0


def test_likelihood_report_summarizes_the_verbs(trained, digits):
    from kgen.evaluation import iwae_from_log_weights, likelihood_report

    model, _ = trained
    x = digits[2]
    report = likelihood_report(model, x, num_samples=10, seed=4)
    assert report["elbo"] == pytest.approx(model.elbo(x, seed=4).mean(), rel=1e-6)
    iwae = model.iwae_log_likelihood(x, 10, seed=4).mean()
    assert report["iwae_log_likelihood"] == pytest.approx(iwae, rel=1e-6)
    assert report["bits_per_dim"] == pytest.approx(-iwae / (64 * np.log(2)), rel=1e-6)
    log_weights = np.log([[1.0, 2.0], [3.0, 2.0]]) - 1000.0
    np.testing.assert_allclose(
        iwae_from_log_weights(log_weights), np.log([2.0, 2.0]) - 1000.0
    )
