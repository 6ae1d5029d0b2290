"""Pix2Pix: pairs side by side, fit(inputs, targets), translation metrics."""

import keras
import numpy as np
import pytest

from kgen.contract import Capability
from kgen.models import (
    Pix2Pix,
    patchgan_discriminator,
    side_by_side,
    split_pairs,
    structural_similarity,
    translation_errors,
    unet_generator,
)

SHAPE = (8, 8, 1)


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = Pix2Pix(
        unet_generator(SHAPE, base_filters=2, num_downsamples=2, dropout=0.0),
        patchgan_discriminator(SHAPE, SHAPE, base_filters=2, num_layers=1),
    )
    model.compile(
        d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3)
    )
    return model


def _data():
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, size=(8, *SHAPE)).astype("float32")
    return a, np.flip(a, axis=2).copy()


def test_fit_on_inputs_and_targets_is_fit_on_side_by_side_pairs():
    a, b = _data()
    pairs = side_by_side(a, b)
    assert pairs.shape == (8, 8, 16, 1)
    left, right = split_pairs(pairs)
    np.testing.assert_array_equal(left, a)
    np.testing.assert_array_equal(right, b)
    first, second = _model(), _model()
    for one, two in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(one, two)
    history = first.fit(a, b, batch_size=4, epochs=1, shuffle=False, verbose=0).history
    second.fit(pairs, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for one, two in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_allclose(one, two, atol=1e-6)
    # the generator's objective holds the L1 term, weighted by lambda = 100
    assert history["g_loss"][0] > 100 * history["l1_loss"][0] * 0.5
    assert set(first.network_optimizers) == {"generator", "discriminator"}
    assert all(int(o.iterations) == 2 for o in first.network_optimizers.values())


def test_translation_errors_measure_l1_and_ssim_on_held_out_pairs():
    model = _model()
    a, b = _data()
    errors = translation_errors(model, side_by_side(a, b))
    translated = model.translate(a)
    assert errors["l1"] == pytest.approx(np.abs(translated - b).mean(), rel=1e-5)
    assert errors["num_pairs"] == 8
    # SSIM: 1 for identical images, lower for a noisy copy, symmetric
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(3, 16, 16, 1))
    noisy = np.clip(x + rng.normal(0, 0.5, size=x.shape), -1, 1)
    np.testing.assert_allclose(structural_similarity(x, x), 1.0)
    similarity = structural_similarity(x, noisy)
    assert np.all(similarity < 0.9)
    np.testing.assert_allclose(similarity, structural_similarity(noisy, x))
    # constant images: SSIM is the luminance term (2 mu_x mu_y + c1) / (mu_x^2 + mu_y^2 + c1)
    c1 = (0.01 * 2) ** 2
    ones, halves = np.ones((1, 11, 11, 1)), np.full((1, 11, 11, 1), 0.5)
    expected = (2 * 0.5 + c1) / (1 + 0.25 + c1)
    np.testing.assert_allclose(structural_similarity(ones, halves), expected)


def test_pix2pix_declares_translation_not_sampling_and_checks_its_input():
    model = _model()
    assert model.capabilities == {Capability.TRANSLATE}
    assert model.data_shape == (8, 16, 1) and model.image_shape == SHAPE
    with pytest.raises(ValueError, match=r"shape \(batch, 8, 8, 1\)"):
        model.translate(np.zeros((2, 8, 16, 1), "float32"))
    with pytest.raises(ValueError, match="translates a_to_b"):
        model.translate(np.zeros((2, *SHAPE), "float32"), direction="b_to_a")
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        model.translate(np.full((2, *SHAPE), 3.0, "float32"))
    with pytest.raises(ValueError, match="takes no labels"):
        model.fit(np.zeros((4, 8, 16, 1), "float32"), np.zeros(4, "int32"), verbose=0)
    with pytest.raises(ValueError, match="one b image per a image"):
        a, b = _data()
        model.fit(a, b[:4], verbose=0)
    with pytest.raises(ValueError, match="same shape"):
        Pix2Pix(
            unet_generator(SHAPE, output_channels=3, base_filters=2),
            patchgan_discriminator(SHAPE, SHAPE, base_filters=2),
        )
