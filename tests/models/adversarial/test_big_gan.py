"""BigGAN: orthogonal regularization, truncation, hierarchical latent, conditioning."""

import math

import keras
import numpy as np
import pytest

from kgen.layers import ConditionalBatchNormalization, SpectralNorm
from kgen.models import (
    BigGAN,
    biggan_networks,
    orthogonal_regularization,
    truncated_normal,
)

SHAPE = (8, 8, 1)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _networks(num_classes=3, **kwargs):
    return biggan_networks(
        SHAPE,
        latent_dim=6,
        num_classes=num_classes,
        base_filters=2,
        max_filters=4,
        embedding_dim=2,
        **kwargs,
    )


def test_orthogonal_regularization_is_zero_for_orthogonal_filters(rng):
    q, _ = np.linalg.qr(rng.normal(size=(12, 4)))
    assert float(orthogonal_regularization(q.astype("float32"))) == pytest.approx(
        0, abs=1e-10
    )
    # the norms of the filters are free: only their overlaps are penalized
    scaled = (q * [1.0, 2.0, 0.5, 3.0]).reshape(3, 2, 2, 4).astype("float32")
    assert float(orthogonal_regularization(scaled)) == pytest.approx(0, abs=1e-9)
    w = rng.normal(size=(3, 3, 2, 5)).astype("float32")
    flat = w.reshape(-1, 5).astype("float64")
    gram = flat.T @ flat
    expected = np.sum((gram * (1 - np.eye(5))) ** 2)
    np.testing.assert_allclose(float(orthogonal_regularization(w)), expected, rtol=1e-4)


def test_the_model_regularizes_every_generator_kernel_but_the_embedding():
    generator, discriminator = _networks()
    model = BigGAN(generator, discriminator, 6, num_classes=3, orthogonal_weight=1e-2)
    kernels = model.regularized_kernels()
    assert kernels and all(len(v.shape) >= 2 for v in kernels)
    assert not any("shared_embedding" in v.path for v in kernels)
    assert any("shared_embedding" in v.path for v in generator.trainable_variables)
    penalty, logs = model.generator_regularization()
    expected = sum(float(orthogonal_regularization(_np(v))) for v in kernels)
    np.testing.assert_allclose(float(logs["orthogonal_penalty"]), expected, rtol=1e-5)
    np.testing.assert_allclose(float(penalty), 1e-2 * expected, rtol=1e-5)
    off = BigGAN(*_networks(), 6, num_classes=3, orthogonal_weight=0.0)
    assert off.generator_regularization() is None


def test_truncated_normal_draws_stay_within_the_threshold():
    threshold = 0.8
    z = _np(truncated_normal((20000,), threshold, seed=0))
    assert np.abs(z).max() <= threshold
    # the variance of a standard normal truncated to [-t, t]
    phi = math.exp(-(threshold**2) / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(threshold / math.sqrt(2))
    expected = 1 - 2 * threshold * phi / mass
    assert z.var() == pytest.approx(expected, rel=0.03)
    assert abs(z.mean()) < 0.01
    plain = _np(truncated_normal((20000,), None, seed=0))
    assert plain.var() == pytest.approx(1.0, rel=0.05)


def test_sampling_with_truncation_and_conditions():
    model = BigGAN(*_networks(), 6, num_classes=3, seed=0)
    images = model.sample(3, seed=1, conditions=[0, 1, 2], truncation=0.5)
    assert images.shape == (3, *SHAPE) and images.min() >= -1 and images.max() <= 1
    np.testing.assert_array_equal(
        images, model.sample(3, seed=1, conditions=[0, 1, 2], truncation=0.5)
    )
    with pytest.raises(ValueError, match="class-conditional"):
        model.sample(2)
    with pytest.raises(ValueError, match="truncation"):
        model.sample(2, conditions=0, truncation=-1.0)


def test_hierarchical_latent_and_shared_class_embedding_reach_every_block():
    generator, _ = _networks()
    cbns = [
        layer
        for layer in generator.layers
        if isinstance(layer, ConditionalBatchNormalization)
    ]
    assert len(cbns) == 2  # one up-block (4 -> 8), two conditional batch norms
    # each up-block's condition is [shared embedding (2), its own z chunk]
    assert all(layer.gain.kernel.shape[0] == 2 + 3 for layer in cbns)
    embeddings = [
        layer for layer in generator.layers if isinstance(layer, keras.layers.Embedding)
    ]
    assert len(embeddings) == 1  # shared by every block
    assert any(isinstance(layer, SpectralNorm) for layer in generator.layers)
    # unconditional: the z chunks alone condition the batch norms
    unconditional, discriminator = _networks(num_classes=None)
    cbns = [
        layer
        for layer in unconditional.layers
        if isinstance(layer, ConditionalBatchNormalization)
    ]
    assert all(layer.gain.kernel.shape[0] == 3 for layer in cbns)
    assert len(discriminator.inputs) == 1
    with pytest.raises(ValueError, match="latent_dim must be at least"):
        biggan_networks(SHAPE, latent_dim=1)
