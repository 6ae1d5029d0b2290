"""Honest units: bits/dim is the NLL of the discrete data (or a named bound).

Tiny models (two sub-pixels, five levels, a one-dimensional latent) whose
discrete likelihood can be computed exactly: by enumerating every image and
integrating the latent numerically.
"""

import itertools
import math

import keras
import numpy as np
import pytest
from scipy.special import ndtr

from kgen.models.latent import mlp_vae

IMAGE_SHAPE = (1, 2, 1)  # D = 2 sub-pixels
LEVELS = 5
# Every image of the tiny space: 5 ** 2 = 25 of them, as floats k / 4.
ALL_LEVELS = np.array(list(itertools.product(range(LEVELS), repeat=2)))
ALL_IMAGES = (ALL_LEVELS / (LEVELS - 1)).reshape(-1, *IMAGE_SHAPE).astype("float32")
# A fine grid over z ~ N(0, 1) for the exact marginal likelihood.
Z_GRID = np.linspace(-9.0, 9.0, 3001)
Z_WEIGHTS = np.exp(-0.5 * Z_GRID**2) / math.sqrt(2 * math.pi) * (Z_GRID[1] - Z_GRID[0])


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), "float64")


def _tiny(likelihood, **kwargs):
    keras.utils.set_random_seed(3)
    model = mlp_vae(
        IMAGE_SHAPE,
        latent_dim=1,
        hidden_units=(16,),
        likelihood=likelihood,
        num_levels=LEVELS,
        seed=2,
        **kwargs,
    )
    # a decoder that depends strongly on z, so the latent matters
    for layer in model.decoder.layers:
        if isinstance(layer, keras.layers.Dense):
            layer.kernel.assign(3.0 * _np(layer.kernel))
    return model


def _log_p_given_z(model, images, z):
    """log P(x|z) for every image (rows) and every z (columns)."""
    num_images, num_z = len(images), len(z)
    x = np.repeat(images, num_z, axis=0)
    zz = np.tile(z.reshape(-1, 1).astype("float32"), (num_images, 1))
    return _np(model._log_likelihood(x, zz)).reshape(num_images, num_z)


def _exact_log_p(log_p_given_z):
    """log P(x) = log integral P(x|z) N(z; 0, 1) dz, on the z grid."""
    top = log_p_given_z.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(log_p_given_z - top) @ Z_WEIGHTS[:, None]))[:, 0]


@pytest.mark.parametrize(
    "likelihood, options",
    [("categorical", {}), ("discretized_logistic", {"num_logistic_mix": 2})],
)
def test_discrete_decoder_sums_to_one_over_every_image(likelihood, options):
    model = _tiny(likelihood, **options)
    z = np.random.default_rng(0).normal(size=7) * 2.0
    log_p = _log_p_given_z(model, ALL_IMAGES, z)  # (25, 7)
    # P(x|z) over all num_levels ** D images is a distribution for every z
    np.testing.assert_allclose(np.exp(log_p).sum(axis=0), 1.0, atol=1e-4)
    assert np.ptp(log_p, axis=1).max() > 0.5  # and z changes it


def test_iwae_bits_per_dim_bounds_and_approaches_the_exact_nll():
    model = _tiny("categorical")
    exact_log_p = _exact_log_p(_log_p_given_z(model, ALL_IMAGES, Z_GRID))
    np.testing.assert_allclose(np.exp(exact_log_p).sum(), 1.0, atol=1e-4)
    exact_bits = -exact_log_p / (2 * math.log(2))
    x = np.repeat(ALL_IMAGES, 8, axis=0)  # 8 independent estimates per image
    one = model.bits_per_dim(x, num_samples=1, seed=0).reshape(25, 8).mean(1)
    many = model.bits_per_dim(x, num_samples=500, seed=1).reshape(25, 8).mean(1)
    # an upper bound in expectation (K = 1 is the ELBO), that tightens towards
    # the exact value as K grows (standard error of the 25-image mean ~0.005)
    assert one.mean() > exact_bits.mean() + 0.3
    assert many.mean() > exact_bits.mean() - 0.015
    assert many.mean() < exact_bits.mean() + 0.02
    np.testing.assert_allclose(many, exact_bits, atol=0.1)


def _exact_gaussian_bin_log_p(model):
    """log P(k) = log integral_z N(z) prod_d [Phi((k_d + 1)/L) - Phi(k_d / L)]."""
    z = Z_GRID.reshape(-1, 1).astype("float32")
    mean, log_variance = model._decoder_parameters(z)
    mean = _np(mean).reshape(len(Z_GRID), 2)
    std = np.exp(0.5 * _np(log_variance)).reshape(len(Z_GRID), 2)
    lower = ALL_LEVELS[:, None, :] / LEVELS  # (25, 1, 2)
    upper = (ALL_LEVELS[:, None, :] + 1) / LEVELS
    bins = ndtr((upper - mean) / std) - ndtr((lower - mean) / std)  # (25, Z, 2)
    return _exact_log_p(np.log(bins).sum(axis=-1))


def test_dequantized_bound_is_above_the_exact_discrete_nll():
    model = _tiny("gaussian_fixed", fixed_variance=0.02)
    exact_log_p = _exact_gaussian_bin_log_p(model)
    # the bins' masses form a (sub-)distribution: density outside [0, 1] is lost
    assert 0.5 < np.exp(exact_log_p).sum() <= 1.0 + 1e-6
    exact_bits = -exact_log_p / (2 * math.log(2))
    x = np.repeat(ALL_IMAGES, 8, axis=0)
    jensen = model.bits_per_dim(x, num_samples=1, seed=0).reshape(25, 8).mean(1)
    many = model.bits_per_dim(x, num_samples=500, seed=1).reshape(25, 8).mean(1)
    # K = 1: -E_u[log p((k + u) / L)] + D log L (with an ELBO for log p),
    # above the NLL; K = 500 approaches it (standard error of the mean ~0.01)
    assert jensen.mean() > exact_bits.mean() + 0.5
    assert many.mean() > exact_bits.mean() - 0.03
    assert many.mean() < exact_bits.mean() + 0.05
    np.testing.assert_allclose(many, exact_bits, atol=0.2)
    assert model.likelihood_estimator(500) == (
        "dequantized IWAE bound (K=500), fixed-variance Gaussian decoder, uniform "
        "dequantization to 5 levels"
    )
    # the density at the grid values is a different number (not a bits/dim)
    density_bits = -model.iwae_log_likelihood(x, 500, seed=1) / (2 * math.log(2))
    assert abs(density_bits.mean() - many.mean()) > 0.5


def test_bernoulli_bits_per_dim_only_for_binarized_data():
    model = mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(8,), seed=0)
    grey = np.full((3, 4, 4, 1), 0.5, "float32")
    with pytest.raises(ValueError, match="cross-entropy, not a likelihood"):
        model.bits_per_dim(grey, num_samples=2)
    # elbo and iwae stay available: they are what they are, in nats
    assert np.all(np.isfinite(model.iwae_log_likelihood(grey, 2, seed=0)))
    binary = (np.random.default_rng(0).random((3, 4, 4, 1)) > 0.5).astype("float32")
    bits = model.bits_per_dim(binary, num_samples=5, seed=0)
    expected = -model.iwae_log_likelihood(binary, 5, seed=0) / (16 * math.log(2))
    np.testing.assert_allclose(bits, expected, rtol=1e-6)
    assert "binarized" in model.likelihood_estimator(5)


def test_dequantized_training_draws_from_its_own_stream(digits):
    x = digits[0][:128]
    model = mlp_vae(
        (8, 8, 1),
        latent_dim=2,
        hidden_units=(16,),
        likelihood="gaussian",
        num_levels=17,
        dequantize=True,
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = np.array(model.dequantization_seed_generator.state)
    sampling = np.array(model.sample_seed_generator.state)
    model.fit(x, epochs=1, batch_size=64, verbose=0)
    assert not np.array_equal(model.dequantization_seed_generator.state, before)
    np.testing.assert_array_equal(model.sample_seed_generator.state, sampling)
    # training data must be the levels themselves
    with pytest.raises(ValueError, match="Dequantized training"):
        model.fit(x * 0.99, epochs=1, verbose=0)
