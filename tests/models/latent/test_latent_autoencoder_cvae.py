"""Autoencoder and conditional VAEs: training helps, labels matter, inputs checked."""

import keras
import numpy as np
import pytest

from kgen.models.latent import (
    VAE,
    ConditionalVAE,
    conditional_mlp_vae,
    mlp_autoencoder,
    mlp_vae,
)

LEVELS = 17


def _mse(model, x):
    return float(np.mean(np.sum((model.reconstruct(x) - x) ** 2, axis=(1, 2, 3))))


def test_autoencoder_reconstruction_error_falls(digits, train):
    x_train, _, x_test, _ = digits
    model = mlp_autoencoder((8, 8, 1), code_dim=8, hidden_units=(32,))
    # compiled verbs are built before training: they must see the new weights
    before = _mse(model, x_test)
    history = train(model, x_train, epochs=8).history
    after = _mse(model, x_test)
    assert after < 0.5 * before, (before, after)
    assert history["loss"][-1] < history["loss"][0]
    codes = model.encode(x_test[:5])
    assert set(codes) == {"latent"} and codes["latent"].shape == (5, 8)
    np.testing.assert_allclose(
        model.decode(codes["latent"]), model.reconstruct(x_test[:5]), atol=1e-6
    )
    # the mixin gives the autoencoder interpolation and traversal too
    assert model.interpolate(x_test[0], x_test[1], num_steps=4).shape == (4, 8, 8, 1)
    assert model.traverse(dims=(0,), values=[0.0, 1.0]).shape == (1, 2, 8, 8, 1)
    with pytest.raises(ValueError, match="to_unit_float"):
        model.fit((x_train * 16).astype("uint8"), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="unconditional"):
        model.fit(x_train, digits[1], epochs=1, verbose=0)


def _cvae(num_classes=10, **kwargs):
    return conditional_mlp_vae(
        (8, 8, 1),
        num_classes=num_classes,
        latent_dim=2,
        hidden_units=(32,),
        likelihood="discretized_logistic",
        num_levels=LEVELS,
        seed=1,
        **kwargs,
    )


@pytest.fixture(scope="module")
def trained_cvae(digits, train):
    x_train, y_train, _, _ = digits
    keras.utils.set_random_seed(0)
    model = _cvae()
    train(model, x_train, y_train)
    return model


def test_conditional_vae_learns_and_uses_labels(trained_cvae, digits):
    _, _, x_test, y_test = digits
    untrained = _cvae()
    before = untrained.elbo(x_test, y_test, seed=0).mean()
    after = trained_cvae.elbo(x_test, y_test, seed=0).mean()
    assert after > before + 10.0, (before, after)
    # The decoder relies on the label: wrong labels explain the digits worse.
    wrong = trained_cvae.elbo(x_test, (y_test + 5) % 10, seed=0).mean()
    assert after > wrong + 2.0, (after, wrong)
    iwae = trained_cvae.iwae_log_likelihood(x_test, 20, y_test, seed=0).mean()
    assert iwae > after
    bits = trained_cvae.bits_per_dim(x_test, y_test, num_samples=20, seed=0)
    np.testing.assert_allclose(
        bits.mean(),
        -trained_cvae.iwae_log_likelihood(x_test, 20, y_test, seed=0).mean()
        / (64 * np.log(2)),
        rtol=1e-6,
    )


def test_conditional_sampling(trained_cvae):
    sevens = trained_cvae.sample(4, conditions=np.full(4, 7), seed=3)
    assert sevens.shape == (4, 8, 8, 1)
    np.testing.assert_array_equal(sevens, trained_cvae.sample(4, conditions=7, seed=3))
    assert not np.allclose(sevens, trained_cvae.sample(4, conditions=7, seed=4))
    # same z, different labels: different images
    assert not np.allclose(sevens, trained_cvae.sample(4, conditions=1, seed=3))
    # no silent class cycling: a conditional model needs its conditions
    with pytest.raises(ValueError, match="class-conditional"):
        trained_cvae.sample(10, seed=5)
    grid = trained_cvae.traverse(dims=(0, 1), values=[-1.0, 1.0], conditions=3)
    assert grid.shape == (2, 2, 8, 8, 1)


def test_conditioning_is_one_constructor_argument(digits, train):
    x_train, y_train, x_test, y_test = digits
    # VAE(num_classes=...) is the conditional model; ConditionalVAE is the
    # same class with num_classes required
    model = mlp_vae(
        (8, 8, 1),
        latent_dim=2,
        hidden_units=(16,),
        likelihood="categorical",
        num_levels=LEVELS,
        num_classes=10,
        seed=0,
    )
    assert type(model) is VAE and model.num_classes == 10
    assert issubclass(ConditionalVAE, VAE)
    history = train(model, x_train[:224], y_train[:224], epochs=1).history
    assert np.isfinite(history["loss"][-1])
    assert model.encode(x_test[:3], y_test[:3])["latent"].shape == (3, 2)
    with pytest.raises(ValueError, match="class-conditional"):
        model.elbo(x_test[:3])
    with pytest.raises(ValueError, match="num_classes"):
        ConditionalVAE(model.encoder, model.decoder, 2, None)
    restored = ConditionalVAE.from_config(_cvae(num_classes=3).get_config())
    assert type(restored) is ConditionalVAE and restored.num_classes == 3
    # an unconditional model given labels says so
    unconditional = mlp_vae((8, 8, 1), latent_dim=2, hidden_units=(8,))
    unconditional.compile(optimizer="adam")
    with pytest.raises(ValueError, match="unconditional"):
        unconditional.fit(x_train[:8], y_train[:8], epochs=1, verbose=0)


def test_conditional_vae_rejects_bad_labels(digits):
    x = digits[2][:6]
    model = _cvae(num_classes=3)
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        model.fit(x, np.array([0, 1, 2, 3, 0, 1]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="class-conditional"):
        model.fit(x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="one label per example"):
        model.fit(x, np.array([0, 1]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        model.elbo(x, np.full(6, -1))
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        model.sample(2, conditions=[5, 0])
    with pytest.raises(ValueError, match="class-conditional"):
        model.encode(x)
    with pytest.raises(ValueError, match="integer"):
        model.encode(x, conditions=np.full(6, 0.5))
