"""Training plumbing of the family: sample_weight and loss scaling for distribution."""

import keras
import numpy as np
import pytest

import kgen.backend
from kgen.models.latent import mlp_autoencoder, mlp_vae


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def _vae(seed=1):
    keras.utils.set_random_seed(seed)
    return mlp_vae(
        (8, 8, 1),
        latent_dim=2,
        hidden_units=(16,),
        likelihood="discretized_logistic",
        num_levels=17,
        seed=seed,
    )


def _autoencoder(seed=1):
    keras.utils.set_random_seed(seed)
    return mlp_autoencoder((8, 8, 1), code_dim=3, hidden_units=(16,))


@pytest.mark.parametrize("make", [_vae, _autoencoder], ids=["VAE", "Autoencoder"])
def test_all_zero_weights_leave_the_weights_unchanged(make, digits):
    x = digits[0][:64]
    model = make()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    before = _weights(model)
    model.fit(x, sample_weight=np.zeros(len(x)), epochs=2, batch_size=32, verbose=0)
    for old, new in zip(before, _weights(model)):
        np.testing.assert_array_equal(old, new)
    # and with weights of one it does train
    model.fit(x, sample_weight=np.ones(len(x)), epochs=1, batch_size=32, verbose=0)
    assert any(not np.allclose(o, n) for o, n in zip(before, _weights(model)))


def test_zero_weighted_examples_do_not_influence_a_vae_step(digits):
    x = digits[0][:32]
    weights = np.r_[np.ones(16), np.zeros(16)]
    other = x.copy()
    other[16:] = digits[0][100:116]  # different data where the weight is zero
    results = []
    for data in (x, other):
        # same initial weights and seeds: the same noise on both runs
        model = _vae()
        model.compile(optimizer=keras.optimizers.SGD(0.05))
        model.fit(
            data,
            sample_weight=weights,
            epochs=1,
            batch_size=32,
            shuffle=False,
            verbose=0,
        )
        results.append(_weights(model))
    for first, second in zip(*results):
        np.testing.assert_allclose(first, second, rtol=1e-5, atol=1e-6)


def test_weight_two_equals_duplicating_the_examples(digits):
    x = digits[0][:32]
    # weights 2 on the first half, 1 on the second: the loss
    # (2 sum_A + sum_B) / 32; duplicating A gives (2 sum_A + sum_B) / 48, so
    # the same SGD step needs a learning rate 48 / 32 times larger
    weighted, duplicated = _autoencoder(), _autoencoder()
    duplicated.set_weights(weighted.get_weights())
    weighted.compile(optimizer=keras.optimizers.SGD(0.01))
    duplicated.compile(optimizer=keras.optimizers.SGD(0.01 * 48 / 32))
    weighted.fit(
        x,
        sample_weight=np.r_[np.full(16, 2.0), np.ones(16)],
        epochs=1,
        batch_size=32,
        verbose=0,
    )
    duplicated.fit(
        np.concatenate([x[:16], x[:16], x[16:]]), epochs=1, batch_size=48, verbose=0
    )
    for first, second in zip(_weights(weighted), _weights(duplicated)):
        np.testing.assert_allclose(first, second, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("make", [_vae, _autoencoder], ids=["VAE", "Autoencoder"])
def test_loss_is_scaled_for_distribution_and_trackers_are_not(
    make, digits, monkeypatch
):
    x = keras.ops.convert_to_tensor(digits[0][:16])
    model = make()
    monkeypatch.setattr(kgen.backend, "num_replicas", lambda: 2)
    loss = float(keras.ops.convert_to_numpy(model.compute_loss(x, y_pred=model(x))))
    tracked = {m.name: float(m.result()) for m in model.metrics if m.name != "loss"}
    # each of two replicas returns half its loss: their summed gradients are
    # those of the mean over the global batch; the trackers keep the true value
    if "kl_loss" in tracked:
        expected = tracked["reconstruction_loss"] + tracked["kl_loss"]
    else:
        expected = tracked["reconstruction_loss"]
    assert loss == pytest.approx(expected / 2, rel=1e-5)
