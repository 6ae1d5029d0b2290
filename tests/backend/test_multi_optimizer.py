"""The multi-optimizer training step on every backend."""

import keras
import numpy as np
import pytest

from kgen import backend
from kgen.models import GAN, WGANGP, mlp_networks


def _points(n=32, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 2)).astype("float32")


def _gan(cls=GAN, **kwargs):
    g, d = mlp_networks(2, 3, hidden_units=8, num_layers=1)
    model = cls(g, d, 3, seed=0, **kwargs)
    model.compile(
        d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2)
    )
    return model


@pytest.mark.parametrize("n_critic", [1, 3])
def test_both_optimizers_advance_by_their_update_counts(n_critic):
    model = _gan(n_critic=n_critic)
    g_before = [np.array(v) for v in model.generator.get_weights()]
    d_before = [np.array(v) for v in model.discriminator.get_weights()]
    epochs, steps = 2, 4  # 32 points, batch 8
    history = model.fit(
        _points(), batch_size=8, epochs=epochs, shuffle=False, verbose=0
    )
    assert int(model.d_optimizer.iterations) == epochs * steps * n_critic
    assert int(model.g_optimizer.iterations) == epochs * steps
    assert int(model.optimizer.iterations) == epochs * steps
    for key in ("loss", "d_loss", "g_loss"):
        assert len(history.history[key]) == epochs
        assert np.all(np.isfinite(history.history[key]))
    # `loss` (for tools that read it) is d_loss + g_loss.
    np.testing.assert_allclose(
        history.history["loss"],
        np.add(history.history["d_loss"], history.history["g_loss"]),
        rtol=1e-5,
    )
    # Both networks moved; on JAX this fails if a state is not threaded.
    for before, after in zip(g_before, model.generator.get_weights()):
        assert not np.allclose(before, after)
    for before, after in zip(d_before, model.discriminator.get_weights()):
        assert not np.allclose(before, after)


def test_simultaneous_updates_both_networks_once_per_step():
    model = _gan(update="simultaneous")
    g_before = [np.array(v) for v in model.generator.get_weights()]
    d_before = [np.array(v) for v in model.discriminator.get_weights()]
    history = model.fit(_points(), batch_size=8, epochs=1, verbose=0).history
    assert int(model.d_optimizer.iterations) == 4
    assert int(model.g_optimizer.iterations) == 4
    assert np.isfinite(history["d_loss"][0]) and np.isfinite(history["g_loss"][0])
    for before, after in zip(g_before + d_before, model.get_weights()):
        assert not np.allclose(before, after)
    with pytest.raises(ValueError, match="n_critic=1"):
        _gan(update="simultaneous", n_critic=2)


def _gradient(loss_of_weights, variables):
    """The gradient of ``loss_of_weights(weights)`` at the variables' values,
    flattened (through ``kgen.backend.input_gradients`` on one weight vector)."""
    shapes = [tuple(v.shape) for v in variables]
    sizes = [int(np.prod(shape)) for shape in shapes]
    flat = np.concatenate([np.ravel(keras.ops.convert_to_numpy(v)) for v in variables])

    def loss_of_vector(vector):
        pieces, offset = [], 0
        for shape, size in zip(shapes, sizes):
            pieces.append(keras.ops.reshape(vector[offset : offset + size], shape))
            offset += size
        return loss_of_weights(pieces)

    grad = backend.input_gradients(loss_of_vector, keras.ops.convert_to_tensor(flat))
    return flat, np.asarray(keras.ops.convert_to_numpy(grad))


def _flat(variables):
    return np.concatenate([np.ravel(keras.ops.convert_to_numpy(v)) for v in variables])


def test_simultaneous_update_moves_each_network_by_the_gradient_of_its_own_loss():
    # One simultaneous step with SGD: each network moves by -lr times the
    # gradient of its own loss at the initial weights, both losses computed
    # on the same generated batch G(z). The oracle computes both gradients
    # separately; z is the first draw of the model's training stream.
    from kgen.losses import discriminator_loss, generator_loss

    x = _points(8)
    g, d = mlp_networks(2, 3, hidden_units=8, num_layers=1)
    model = GAN(g, d, 3, seed=0, update="simultaneous")
    model.compile(
        d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1)
    )
    z = keras.random.normal((8, 3), seed=keras.random.SeedGenerator(0))
    fake = g(z)

    def g_loss(weights):
        samples, _ = g.stateless_call(weights, [], z)
        return generator_loss("non_saturating", d(samples))

    def d_loss(weights):
        real, _ = d.stateless_call(weights, [], keras.ops.convert_to_tensor(x))
        generated, _ = d.stateless_call(weights, [], fake)
        return discriminator_loss("non_saturating", real, generated)

    g0, g_grad = _gradient(g_loss, g.trainable_variables)
    d0, d_grad = _gradient(d_loss, d.trainable_variables)
    assert np.linalg.norm(g_grad) > 1e-3 and np.linalg.norm(d_grad) > 1e-3
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_allclose(
        _flat(g.trainable_variables), g0 - 0.1 * g_grad, rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(
        _flat(d.trainable_variables), d0 - 0.1 * d_grad, rtol=1e-4, atol=1e-6
    )


def test_gradient_penalty_inside_fit_is_logged_and_trains():
    model = _gan(WGANGP, n_critic=2)
    history = model.fit(_points(), batch_size=8, epochs=2, verbose=0).history
    assert "gradient_penalty" in history
    assert np.all(np.isfinite(history["gradient_penalty"]))
    assert np.all(np.array(history["gradient_penalty"]) > 0)


def test_input_gradients_matches_analytic_gradient(rng):
    x = rng.normal(size=(3, 4)).astype("float32")
    grad = backend.input_gradients(lambda t: keras.ops.sum(t**3, axis=-1), x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grad), 3 * x**2, rtol=1e-5)


def test_mixed_precision_step_scales_each_loss():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = _gan()
        assert isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
        history = model.fit(_points(16), batch_size=8, epochs=1, verbose=0).history
        assert np.all(np.isfinite(history["d_loss"]))
        assert int(model.g_optimizer.iterations) == 2
        assert int(model.d_optimizer.iterations) == 2
    finally:
        keras.mixed_precision.set_global_policy("float32")
