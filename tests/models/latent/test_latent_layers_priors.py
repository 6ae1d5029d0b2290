"""Sampling layers, the mixture prior, MixturePriorVAE and CategoricalVAE."""

import keras
import numpy as np
import pytest

from kgen.layers.latent import (
    GaussianSampling,
    GumbelSoftmaxSampling,
    MixtureOfGaussiansPrior,
)
from kgen.models.latent import (
    TemperatureAnnealing,
    mlp_categorical_vae,
    mlp_mixture_prior_vae,
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


def test_gaussian_sampling_moments_and_seed():
    mean = np.full((20_000, 2), [1.0, -1.0], "float32")
    log_variance = np.full((20_000, 2), [0.0, np.log(0.09)], "float32")
    z = _np(GaussianSampling(seed=4)([mean, log_variance]))
    np.testing.assert_allclose(z.mean(0), [1.0, -1.0], atol=0.03)
    np.testing.assert_allclose(z.std(0), [1.0, 0.3], rtol=0.03)
    np.testing.assert_array_equal(
        z, _np(GaussianSampling(seed=4)([mean, log_variance]))
    )
    layer = GaussianSampling(seed=4)
    assert not np.allclose(
        _np(layer([mean, log_variance])), _np(layer([mean, log_variance]))
    )
    np.testing.assert_array_equal(_np(layer([mean, log_variance], use_mean=True)), mean)


def test_gumbel_softmax_matches_categorical_frequencies():
    probabilities = np.array([0.6, 0.3, 0.1])
    logits = np.tile(np.log(probabilities), (20_000, 1)).astype("float32")
    layer = GumbelSoftmaxSampling(temperature=0.5, seed=2)
    y = _np(layer(logits))
    np.testing.assert_allclose(y.sum(-1), 1.0, atol=1e-5)
    # Gumbel-max: argmax of the relaxed sample is a draw from softmax(logits)
    frequencies = np.bincount(y.argmax(-1), minlength=3) / len(y)
    np.testing.assert_allclose(frequencies, probabilities, atol=0.015)
    # lower temperature: closer to one-hot
    cold = _np(GumbelSoftmaxSampling(temperature=0.05, seed=2)(logits))
    assert cold.max(-1).mean() > y.max(-1).mean() > 0.5
    hard = _np(GumbelSoftmaxSampling(temperature=0.5, hard=True, seed=2)(logits))
    assert set(np.unique(hard)) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="temperature"):
        GumbelSoftmaxSampling(temperature=0.0)


def test_mixture_prior_log_prob_and_sampling_match_numpy():
    prior = MixtureOfGaussiansPrior(latent_dim=2, num_components=3, seed=0)
    prior.build((None, 2))
    logits = np.array([0.0, 1.0, -1.0], "float32")
    means = np.array([[0.0, 0.0], [3.0, -3.0], [-4.0, 1.0]], "float32")
    log_variances = np.array([[0.0, 0.0], [-1.0, -1.0], [0.5, 0.0]], "float32")
    prior.set_weights([logits, means, log_variances])
    z = np.random.default_rng(0).normal(size=(6, 2)) * 3
    weights = np.exp(logits) / np.exp(logits).sum()
    variances = np.exp(log_variances)
    densities = np.prod(
        np.exp(-((z[:, None] - means) ** 2) / (2 * variances))
        / np.sqrt(2 * np.pi * variances),
        axis=-1,
    )
    oracle = np.log(densities @ weights)
    np.testing.assert_allclose(_np(prior(z.astype("float32"))), oracle, rtol=1e-5)
    samples = _np(prior.sample(30_000, seed=keras.random.SeedGenerator(1)))
    np.testing.assert_allclose(samples.mean(0), weights @ means, atol=0.1)


def test_mixture_prior_vae_trains_and_samples(digits, train):
    x_train, _, x_test, _ = digits
    model = mlp_mixture_prior_vae(
        (8, 8, 1),
        latent_dim=2,
        num_components=4,
        hidden_units=(32,),
        likelihood="discretized_logistic",
        num_levels=17,
        seed=1,
    )
    before = model.elbo(x_test, seed=0).mean()
    initial_means = _np(model.prior.means)
    history = train(model, x_train, epochs=6).history
    assert model.elbo(x_test, seed=0).mean() > before + 10.0
    # the prior is learned, and the Monte-Carlo KL is logged
    assert not np.allclose(_np(model.prior.means), initial_means)
    assert np.all(np.isfinite(history["kl_loss"]))
    samples = model.sample(5, seed=3)
    np.testing.assert_array_equal(samples, model.sample(5, seed=3))
    assert samples.shape == (5, 8, 8, 1)
    # the prior's log-density enters the bound: a prior moved away from the
    # codes makes the importance weights, and so the bits/dim, worse
    bits = model.bits_per_dim(x_test, num_samples=5, seed=0).mean()
    model.prior.means.assign(_np(model.prior.means) + 10.0)
    assert model.bits_per_dim(x_test, num_samples=5, seed=0).mean() > bits + 0.1


def test_categorical_vae_annealing_kl_and_hard_codes(digits, train):
    x_train, _, x_test, _ = digits
    model = mlp_categorical_vae(
        (8, 8, 1),
        num_latents=3,
        num_categories=4,
        hidden_units=(32,),
        likelihood="categorical",
        num_levels=17,
        seed=1,
    )
    before = model.elbo(x_test, seed=0).mean()
    anneal = TemperatureAnnealing(1.0, minimum_temperature=0.6, rate=0.3)
    history = train(model, x_train, epochs=4, callbacks=[anneal]).history
    expected = [max(0.6, np.exp(-0.3 * epoch)) for epoch in range(4)]
    np.testing.assert_allclose(history["temperature"], expected, rtol=1e-6)
    assert model.temperature == pytest.approx(expected[-1])
    assert model.elbo(x_test, seed=0).mean() > before + 5.0
    # KL(q || uniform) in closed form vs NumPy
    codes = model.encode(x_test[:5])
    logits = codes["logits"]
    assert logits.shape == codes["latent"].shape == (5, 3, 4)
    q = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(codes["latent"], q, rtol=1e-5, atol=1e-6)
    # "latent" is what the model decodes: decode(latent) == reconstruct(x)
    np.testing.assert_allclose(
        model.decode(codes["latent"]), model.reconstruct(x_test[:5]), atol=1e-6
    )
    oracle = np.sum(q * (np.log(q) + np.log(4)), axis=(1, 2))
    np.testing.assert_allclose(
        _np(model._kl(logits, None)), oracle, rtol=1e-4, atol=1e-5
    )
    # IWAE with hard codes is at least the ELBO on average
    assert (
        model.iwae_log_likelihood(x_test, 20, seed=1).mean()
        > model.elbo(x_test, seed=1).mean()
    )
    grid = model.traverse(dims=(0, 2))
    assert grid.shape == (2, 4, 8, 8, 1)
    edited = model.edit(x_test[:2], {1: 3})
    assert edited.shape == (2, 8, 8, 1)
    with pytest.raises(ValueError, match="categories"):
        model.traverse(values=[4])
