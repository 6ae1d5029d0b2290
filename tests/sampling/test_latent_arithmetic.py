"""Latent vector arithmetic with a linear decoder as the oracle."""

import keras
import numpy as np
import pytest

from kgen.contract import Capability
from kgen.models import GAN, mlp_networks
from kgen.models.latent import mlp_autoencoder, mlp_vae
from kgen.sampling.latent_arithmetic import latent_arithmetic


class _Linear:
    capabilities = frozenset({Capability.DECODE})

    def __init__(self, matrix):
        self.matrix = matrix

    def decode(self, latents):
        return np.asarray(latents) @ self.matrix


def test_arithmetic_of_group_means_through_a_linear_decoder():
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(4, 6))
    groups = [rng.normal(size=(3, 4)) + offset for offset in (1.0, -2.0, 0.5)]
    out = latent_arithmetic(_Linear(matrix), groups, num_neighbours=5, seed=0)
    means = np.stack([g.mean(axis=0) for g in groups])
    np.testing.assert_allclose(out.group_latents, means, rtol=1e-6)
    np.testing.assert_allclose(
        out.result_latents[0], means[0] - means[1] + means[2], rtol=1e-5
    )
    # A linear decoder commutes with the arithmetic: G(A - B + C) = G(A) - G(B) + G(C).
    images = out.group_images
    np.testing.assert_allclose(
        out.images[0], images[0] - images[1] + images[2], rtol=1e-4
    )
    assert out.images.shape == (6, 6)
    spread = np.abs(out.result_latents[1:] - out.result_latents[0])
    assert spread.max() <= 0.25 and spread.max() > 0.05


@pytest.mark.parametrize("family", ["VAE", "Autoencoder"])
def test_decodes_with_a_latent_model(family):
    if family == "VAE":
        model = mlp_vae((4, 4, 1), latent_dim=3, hidden_units=(8,), seed=0)
    else:
        model = mlp_autoencoder((4, 4, 1), code_dim=3, hidden_units=(8,))
    groups = [np.random.default_rng(i).normal(size=(3, 3)) for i in range(3)]
    out = latent_arithmetic(model, groups, num_neighbours=2, seed=0)
    assert out.images.shape == (3, 4, 4, 1)
    np.testing.assert_allclose(out.images, model.decode(out.result_latents), atol=1e-6)
    np.testing.assert_allclose(
        out.group_images, model.decode(out.group_latents), atol=1e-6
    )


def test_works_with_a_gan():
    g, d = mlp_networks(2, 3, hidden_units=4, num_layers=1)
    model = GAN(g, d, 3, seed=0)
    groups = [keras.random.normal((3, 3), seed=i) for i in range(3)]
    out = latent_arithmetic(model, groups, num_neighbours=2)
    assert out.images.shape == (3, 2) and out.group_images.shape == (3, 2)


def test_bad_groups_and_models():
    model = _Linear(np.eye(2))
    with pytest.raises(ValueError, match="one sign per group"):
        latent_arithmetic(model, [np.zeros((2, 2))] * 2)
    with pytest.raises(ValueError, match="same latent size"):
        latent_arithmetic(model, [np.zeros((2, 2)), np.zeros((2, 3)), np.zeros((2, 2))])
    with pytest.raises(ValueError, match="non-empty"):
        latent_arithmetic(model, [np.zeros((0, 2))] * 3)

    # the capability is read from the declaration, not guessed from methods
    class Undeclared:
        def decode(self, latents):
            return latents

    with pytest.raises(ValueError, match="'decode' capability"):
        latent_arithmetic(Undeclared(), [np.zeros((1, 2))] * 3)
