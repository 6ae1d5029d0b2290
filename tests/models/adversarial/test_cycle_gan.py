"""CycleGAN: cycle and identity losses, four optimizers, saving, directions."""

import os

import keras
import numpy as np
import pytest

from kgen.models import (
    CycleGAN,
    cycle_consistency_loss,
    identity_loss,
    patchgan_discriminator,
    side_by_side,
)

SHAPE = (8, 8, 1)


def _identity_network():
    # a generator that returns its input (and has one trainable weight,
    # multiplied by 0, so that its optimizer has something to update)
    inputs = keras.Input(SHAPE)
    scale = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")
    out = keras.layers.Add()([inputs, scale(inputs)])
    return keras.Model(inputs, out)


def _model(**kwargs):
    def discriminator():
        return patchgan_discriminator(SHAPE, base_filters=2, num_layers=1)

    model = CycleGAN(
        _identity_network(),
        _identity_network(),
        discriminator(),
        discriminator(),
        **kwargs,
    )
    model.compile(
        optimizers={name: keras.optimizers.SGD(0.0) for name in model.network_names}
    )
    return model


def test_cycle_and_identity_losses_against_references(rng):
    a = rng.uniform(-1, 1, size=(3, *SHAPE)).astype("float32")
    b = rng.uniform(-1, 1, size=(3, *SHAPE)).astype("float32")
    identity = lambda t: t  # noqa: E731
    assert float(cycle_consistency_loss(a, b, identity, identity)) == 0.0
    shift = lambda t: t + 0.25  # noqa: E731
    # A -> B -> A with a shift each way: |a + 0.5 - a| = 0.5, both cycles
    assert float(cycle_consistency_loss(a, b, shift, shift)) == pytest.approx(1.0)
    assert float(identity_loss(a, b, shift, identity)) == pytest.approx(0.25)


def test_cycle_loss_is_zero_for_identity_generators_and_four_optimizers_advance():
    model = _model(pool_size=4, seed=0)
    rng = np.random.default_rng(0)
    pairs = rng.uniform(-1, 1, size=(12, 8, 16, 1)).astype("float32")
    history = model.fit(pairs, batch_size=4, epochs=1, verbose=0).history
    assert history["cycle_loss"] == [0.0] and history["identity_loss"] == [0.0]
    assert all(np.isfinite(v[0]) for v in history.values())
    iterations = {n: int(o.iterations) for n, o in model.network_optimizers.items()}
    assert iterations == dict.fromkeys(CycleGAN.network_names, 3)
    assert int(model.optimizer.iterations) == 3
    # the pools took the generated images (3 steps x 4 of each domain)
    assert int(keras.ops.convert_to_numpy(model.pool_a.num_stored)) == 4


def test_translation_goes_both_ways_and_saving_keeps_every_optimizer(tmp_path, rng):
    model = _model(pool_size=2, seed=1)
    a = rng.uniform(-1, 1, size=(4, *SHAPE)).astype("float32")
    # with SGD(0) the identity generators stay identities
    model.fit(a, np.flip(a, 1).copy(), batch_size=4, epochs=2, verbose=0)
    np.testing.assert_allclose(model.translate(a), a, atol=1e-6)
    np.testing.assert_allclose(model.translate(a, direction="b_to_a"), a, atol=1e-6)
    path = os.path.join(tmp_path, "cyclegan.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    for name in CycleGAN.network_names:
        assert int(loaded.network_optimizers[name].iterations) == 2
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded.pool_b.images),
        keras.ops.convert_to_numpy(model.pool_b.images),
    )
    with pytest.raises(ValueError, match="translates a_to_b and b_to_a"):
        model.translate(a, direction="sideways")


def test_networks_must_fit_each_other():
    generator = _identity_network()
    odd = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(3, 1)])
    discriminator = patchgan_discriminator(SHAPE, base_filters=2, num_layers=1)
    with pytest.raises(ValueError, match="same shape in both directions"):
        CycleGAN(generator, odd, discriminator, discriminator)
    with pytest.raises(ValueError, match="cycle_weight"):
        CycleGAN(generator, generator, discriminator, discriminator, cycle_weight=-1)
    assert side_by_side(np.zeros((1, *SHAPE)), np.zeros((1, *SHAPE))).shape == (
        1,
        8,
        16,
        1,
    )
