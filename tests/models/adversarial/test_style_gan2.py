"""StyleGAN2: lazy regularization on schedule, truncation, style mixing, path length."""

import keras
import numpy as np
import pytest

from kgen.layers import mix_styles
from kgen.models import (
    StyleGAN2,
    dcgan_networks,
    path_length_penalty,
    stylegan2_networks,
)

SHAPE = (8, 8, 1)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _model(**kwargs):
    generator, discriminator = stylegan2_networks(
        SHAPE, latent_dim=4, mapping_layers=1, base_filters=2, max_filters=4
    )
    kwargs.setdefault("seed", 0)
    return StyleGAN2(generator, discriminator, **kwargs)


def _iterations(model):
    return {n: int(_np(o.iterations)) for n, o in model.network_optimizers.items()}


def test_lazy_regularization_runs_at_exactly_every_nth_step():
    # R1 every 4 steps, path length every 3: each runs as an extra update of
    # its network's optimizer on steps 0, 4, 8 (R1) and 0, 3, 6 (path length)
    model = _model(r1_weight=1.0, r1_every=4, path_length_every=3, style_mixing=0.5)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer="adam")
    x = np.random.default_rng(0).uniform(-1, 1, size=(4, *SHAPE)).astype("float32")
    d_steps, g_steps, mean_before = [], [], []
    for _ in range(9):  # one step per fit call: steps 0..8
        before = _iterations(model)
        mean_before.append(float(_np(model.path_length_mean)))
        history = model.fit(x, batch_size=4, epochs=1, verbose=0).history
        after = _iterations(model)
        d_steps.append(after["discriminator"] - before["discriminator"])
        g_steps.append(after["generator"] - before["generator"])
        assert np.isfinite(history["r1_penalty"][0])
    assert d_steps == [2, 1, 1, 1, 2, 1, 1, 1, 2]
    assert g_steps == [2, 1, 1, 2, 1, 1, 2, 1, 1]
    # the path-length phase moves its running mean only when it runs
    mean_after = mean_before[1:] + [float(_np(model.path_length_mean))]
    moved = [a != b for a, b in zip(mean_before, mean_after)]
    assert moved == [True, False, False, True, False, False, True, False, False]
    # the mapping network's running mean style is updated in training
    assert np.abs(_np(model.generator.mapping.w_avg)).max() > 0


def test_truncation_with_psi_zero_gives_the_mean_style_image():
    model = _model()
    mapping = model.generator.mapping
    mapping.w_avg.assign(np.random.default_rng(1).normal(size=(4,)).astype("float32"))
    z = np.random.default_rng(2).normal(size=(5, 4)).astype("float32")
    # every latent maps to the mean style, and so to one image
    styles = model.styles(z, truncation=0.0)
    np.testing.assert_allclose(styles, np.tile(_np(mapping.w_avg), (5, 1)), atol=1e-6)
    images = model.decode(z, truncation=0.0)
    np.testing.assert_allclose(images, np.repeat(images[:1], 5, axis=0), atol=1e-6)
    mean_image = model.synthesize(_np(mapping.w_avg)[None])
    np.testing.assert_allclose(images[:1], mean_image, atol=1e-5)
    # without truncation the latents give different images
    assert np.abs(model.decode(z) - model.decode(z)[:1]).max() > 1e-4
    # sampling with fresh noise: same seed, same images; noise changes them
    a = model.sample(3, seed=4, truncation=0.5)
    np.testing.assert_array_equal(a, model.sample(3, seed=4, truncation=0.5))
    assert a.min() >= -1 and a.max() <= 1


def test_style_mixing_takes_the_second_latent_from_the_crossover_on():
    model = _model()
    num_ws = model.num_ws
    rng = np.random.default_rng(3)
    first, second = rng.normal(size=(2, 2, 4)).astype("float32")
    a, b = model.styles(first), model.styles(second)
    for crossover in (1, num_ws - 1):
        styles = np.concatenate(
            [
                np.repeat(a[:, None], crossover, 1),
                np.repeat(b[:, None], num_ws - crossover, 1),
            ],
            axis=1,
        )
        np.testing.assert_allclose(
            model.mix(first, second, crossover), model.synthesize(styles), atol=1e-6
        )
    # crossover 0 is the second latent's image; num_ws the first's
    np.testing.assert_allclose(
        model.mix(first, second, 0), model.decode(second), atol=1e-5
    )
    np.testing.assert_allclose(
        model.mix(first, second, num_ws), model.decode(first), atol=1e-5
    )
    assert not np.allclose(model.mix(first, second, 1), model.decode(first))
    with pytest.raises(ValueError, match="crossover"):
        model.mix(first, second, num_ws + 1)
    mixed = _np(mix_styles(np.repeat(a[:, None], num_ws, 1), b, 2))
    np.testing.assert_allclose(mixed[:, 1], a, atol=1e-6)
    np.testing.assert_allclose(mixed[:, 2], b, atol=1e-6)


def test_path_length_penalty_of_a_linear_generator(rng):
    # g(w) = sum_i w_i @ A_i (per-layer styles), so J^T y = A_i @ y for every
    # example and the length is sqrt(mean_i ||A_i y||^2); with y random the
    # penalty compares it to the running mean a
    matrices = rng.normal(size=(3, 2, 4)).astype("float32")  # (num_ws, dim, pixels)

    def synthesize(styles):
        flat = keras.ops.einsum("nld,ldp->np", styles, matrices)
        return keras.ops.reshape(flat, (-1, 2, 2, 1))

    styles = rng.normal(size=(5, 3, 2)).astype("float32")
    seed = keras.random.SeedGenerator(0)
    state = _np(seed.state).copy()
    penalty, lengths = path_length_penalty(synthesize, styles, seed, 0.5)
    # the same y again
    seed.state.assign(state)
    y = _np(keras.random.normal((5, 2, 2, 1), seed=seed)) / 2.0
    grads = np.einsum("ldp,np->nld", matrices, y.reshape(5, 4))
    expected = np.sqrt((grads**2).sum(axis=2).mean(axis=1) + 1e-8)
    np.testing.assert_allclose(_np(lengths), expected, rtol=1e-4)
    np.testing.assert_allclose(
        float(penalty), np.mean((expected - 0.5) ** 2), rtol=1e-4
    )


def test_bad_input_is_refused_with_clear_errors():
    generator, discriminator = dcgan_networks(SHAPE, latent_dim=4, base_filters=2)
    with pytest.raises(ValueError, match="StyleGenerator"):
        StyleGAN2(generator, discriminator)
    with pytest.raises(ValueError, match="style_mixing"):
        _model(style_mixing=1.5)
    model = _model()
    with pytest.raises(ValueError, match="truncation"):
        model.sample(2, truncation="strong")
    with pytest.raises(ValueError, match="noise"):
        model.sample(2, noise="loud")
    with pytest.raises(ValueError, match=r"latents with shape \(batch, 4\)"):
        model.decode(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="unconditional"):
        model.sample(2, conditions=[0, 1])
    with pytest.raises(ValueError, match="styles"):
        model.synthesize(np.zeros((2, model.num_ws + 1, 4)))
