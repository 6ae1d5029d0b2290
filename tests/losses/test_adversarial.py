"""GAN losses and penalties against NumPy oracles and closed forms."""

import keras
import numpy as np
import pytest

from kgen import backend
from kgen.losses import (
    LOSS_NAMES,
    clip_weights,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    r1_penalty,
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


REAL = np.array([[2.0], [-0.5], [0.3], [1.5]], dtype="float32")
FAKE = np.array([[-1.0], [0.7], [-2.5], [0.1]], dtype="float32")


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_discriminator_loss_matches_numpy(name):
    r, f = REAL.astype("float64"), FAKE.astype("float64")
    if name in ("non_saturating", "minimax"):
        expected = np.mean(-np.log(_sigmoid(r))) + np.mean(-np.log(1 - _sigmoid(f)))
    elif name == "wasserstein":
        expected = f.mean() - r.mean()
    elif name == "hinge":
        expected = np.maximum(0, 1 - r).mean() + np.maximum(0, 1 + f).mean()
    else:
        expected = 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f**2).mean()
    np.testing.assert_allclose(
        _np(discriminator_loss(name, REAL, FAKE)), expected, rtol=1e-5
    )


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_generator_loss_matches_numpy(name):
    f = FAKE.astype("float64")
    expected = {
        "non_saturating": np.mean(-np.log(_sigmoid(f))),
        "minimax": np.mean(np.log(1 - _sigmoid(f))),
        "wasserstein": -f.mean(),
        "hinge": -f.mean(),
        "least_squares": 0.5 * ((f - 1) ** 2).mean(),
    }[name]
    np.testing.assert_allclose(_np(generator_loss(name, FAKE)), expected, rtol=1e-5)


def test_losses_are_stable_for_extreme_logits():
    big = np.array([[80.0], [-80.0]], dtype="float32")
    for name in LOSS_NAMES:
        assert np.isfinite(_np(discriminator_loss(name, big, -big)))
        assert np.isfinite(_np(generator_loss(name, big)))


def test_unknown_loss_name_raises():
    with pytest.raises(ValueError, match="loss must be one of"):
        generator_loss("bce", FAKE)
    with pytest.raises(ValueError, match="received 'bce'"):
        discriminator_loss("bce", REAL, FAKE)


def test_non_saturating_gives_stronger_generator_gradient_when_d_rejects():
    # D(G(z)) ~ sigmoid(-8) ~ 3e-4: the discriminator confidently rejects.
    logits = np.full((4, 1), -8.0, dtype="float32")
    grad_ns = _np(
        backend.input_gradients(lambda t: generator_loss("non_saturating", t), logits)
    )
    grad_mm = _np(
        backend.input_gradients(lambda t: generator_loss("minimax", t), logits)
    )
    # d/df softplus(-f) = -sigmoid(-f) ~ -1; d/df -softplus(f) = -sigmoid(f) ~ -3e-4
    np.testing.assert_allclose(grad_ns, -_sigmoid(8.0) / 4, rtol=1e-4)
    np.testing.assert_allclose(grad_mm, -_sigmoid(-8.0) / 4, rtol=1e-3)
    assert np.all(np.abs(grad_ns) > 1000 * np.abs(grad_mm))
    # Both push the logit the same way (up).
    assert np.all(grad_ns < 0) and np.all(grad_mm < 0)


def _linear_critic(w):
    w = keras.ops.convert_to_tensor(w)
    return lambda x: keras.ops.matmul(
        keras.ops.reshape(x, (keras.ops.shape(x)[0], -1)), w
    )


@pytest.mark.parametrize("w", [[[3.0], [4.0]], [[0.3], [-0.4]], [[1.0], [0.0]]])
def test_gradient_penalty_of_linear_critic_is_analytic(w, rng):
    w = np.array(w, dtype="float32")
    real = rng.normal(size=(16, 2)).astype("float32")
    fake = rng.normal(size=(16, 2)).astype("float32")
    gp = _np(
        gradient_penalty(
            _linear_critic(w), real, fake, seed=keras.random.SeedGenerator(0)
        )
    )
    # grad_x (w . x) = w everywhere, so the penalty is (||w|| - 1)^2.
    np.testing.assert_allclose(gp, (np.linalg.norm(w) - 1.0) ** 2, rtol=1e-4, atol=1e-6)


def test_gradient_penalty_norm_runs_over_all_non_batch_axes(rng):
    w = rng.normal(size=(2 * 3 * 1, 1)).astype("float32")
    real = rng.normal(size=(5, 2, 3, 1)).astype("float32")
    fake = rng.normal(size=(5, 2, 3, 1)).astype("float32")
    gp = _np(gradient_penalty(_linear_critic(w), real, fake, seed=1))
    np.testing.assert_allclose(gp, (np.linalg.norm(w) - 1.0) ** 2, rtol=1e-4)


def test_gradient_penalty_is_finite_and_differentiable_at_zero_gradient():
    # A critic with zero input gradient: sqrt'(0) is infinite without epsilon.
    scale = keras.Variable(np.zeros((2, 1), "float32"))
    real = np.ones((4, 2), "float32")

    def penalty_of_scale(s):
        critic = lambda x: keras.ops.matmul(x, s)  # noqa: E731
        return gradient_penalty(critic, real, -real, seed=0)

    value = _np(penalty_of_scale(scale))
    np.testing.assert_allclose(value, 1.0, rtol=1e-5)  # (0 - 1)^2
    grad = _np(
        backend.input_gradients(penalty_of_scale, keras.ops.convert_to_tensor(scale))
    )
    assert np.all(np.isfinite(grad))


def test_r1_penalty_of_linear_discriminator(rng):
    w = np.array([[1.0], [2.0], [2.0]], dtype="float32")
    real = rng.normal(size=(6, 3)).astype("float32")
    np.testing.assert_allclose(_np(r1_penalty(_linear_critic(w), real)), 9.0, rtol=1e-5)


# A linear critic has the same input gradient everywhere, so a penalty taken
# at the wrong point (real instead of interpolates, one u for the batch, u
# per pixel, the interpolation reversed) would still pass the tests above.
# For f(x) = sum(a * x^2) + w . x the gradient 2 a x + w depends on x.
QUADRATIC_A = np.array([0.5, -1.5, 2.0, 0.25, 1.0, -0.75], dtype="float32")
QUADRATIC_W = np.array([0.3, -0.2, 0.1, 0.4, -0.5, 0.6], dtype="float32")


def _quadratic_critic(x):
    flat = keras.ops.reshape(x, (keras.ops.shape(x)[0], -1))
    a = keras.ops.convert_to_tensor(QUADRATIC_A)
    w = keras.ops.convert_to_tensor(QUADRATIC_W)
    return keras.ops.sum(a * flat * flat + w * flat, axis=-1, keepdims=True)


def _quadratic_gradient(x):
    flat = x.reshape(len(x), -1).astype("float64")
    return 2.0 * QUADRATIC_A * flat + QUADRATIC_W


def _gp_numpy(real, fake, u, epsilon=1e-12):
    """The WGAN-GP definition: x_hat = u real + (1 - u) fake per example."""
    u = u.reshape((len(real),) + (1,) * (real.ndim - 1)).astype("float64")
    mixed = u * real + (1.0 - u) * fake
    norms = np.sqrt(np.sum(_quadratic_gradient(mixed) ** 2, axis=-1) + epsilon)
    return np.mean((norms - 1.0) ** 2)


@pytest.mark.parametrize("shape", [(6,), (2, 3, 1)])
def test_gradient_penalty_of_quadratic_critic_matches_the_definition(shape, rng):
    # fakes far from the data, so that where the gradient is taken matters
    real = rng.normal(size=(8,) + shape).astype("float32")
    fake = (rng.normal(size=(8,) + shape) + 3.0).astype("float32")
    gp = _np(gradient_penalty(_quadratic_critic, real, fake, seed=11))
    # the u of seed 11, one per example (the draw gradient_penalty makes)
    u = _np(
        keras.random.uniform(
            (8,) + (1,) * len(shape), seed=keras.random.SeedGenerator(11)
        )
    ).reshape(8)
    assert np.ptp(u) > 0.3  # u differs between examples
    np.testing.assert_allclose(gp, _gp_numpy(real, fake, u), rtol=1e-4)
    # wrong penalties differ: at the real points, at the fakes, reversed u
    for wrong in (
        _gp_numpy(real, real, u),
        _gp_numpy(fake, fake, u),
        _gp_numpy(real, fake, 1.0 - u),
    ):
        assert abs(gp - wrong) > 100 * 1e-4 * abs(gp), (gp, wrong)  # 100x rtol


def test_gradient_penalty_at_coinciding_real_and_fake_needs_no_random_draw(rng):
    # real == fake: every interpolate is the point itself, whatever u is.
    x = rng.normal(size=(8, 6)).astype("float32")
    gp = _np(gradient_penalty(_quadratic_critic, x, x, seed=3))
    norms = np.linalg.norm(_quadratic_gradient(x), axis=-1)
    np.testing.assert_allclose(gp, np.mean((norms - 1.0) ** 2), rtol=1e-4)


def test_r1_penalty_of_quadratic_discriminator_matches_the_definition(rng):
    real = rng.normal(size=(8, 6)).astype("float32")
    expected = np.mean(np.sum(_quadratic_gradient(real) ** 2, axis=-1))
    np.testing.assert_allclose(
        _np(r1_penalty(_quadratic_critic, real)), expected, rtol=1e-5
    )


def test_clip_weights_bounds_every_entry(rng):
    variables = [
        keras.Variable(rng.normal(size=(3, 4)).astype("float32") * 5) for _ in range(2)
    ]
    clip_weights(variables, 0.01)
    for v in variables:
        values = _np(v)
        assert values.max() <= 0.01 + 1e-7 and values.min() >= -0.01 - 1e-7
        assert np.any(np.abs(values) == pytest.approx(0.01))
