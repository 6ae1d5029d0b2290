"""Diffusion layers against NumPy oracles: time embedding, residual block,
spatial self-attention (with random, non-zero weights everywhere)."""

import keras
import numpy as np
import pytest

from kgen.layers import (
    DiffusionResidualBlock,
    SinusoidalTimeEmbedding,
    SpatialSelfAttention,
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


def _randomize(layer, rng):
    layer.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()]
    )


def _silu(x):
    return x / (1.0 + np.exp(-x))


def _group_norm(x, groups, gamma, beta, epsilon=1e-3):
    batch, height, width, channels = x.shape
    g = x.reshape(batch, height, width, groups, channels // groups)
    mean = g.mean(axis=(1, 2, 4), keepdims=True)
    var = g.var(axis=(1, 2, 4), keepdims=True)
    normed = ((g - mean) / np.sqrt(var + epsilon)).reshape(x.shape)
    return normed * gamma + beta


def _conv_same(x, kernel, bias):
    """Stride-1 'same' convolution (cross-correlation), NHWC, odd kernel."""
    size = kernel.shape[0]
    pad = size // 2
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.zeros(x.shape[:3] + (kernel.shape[-1],))
    for i in range(size):
        for j in range(size):
            window = padded[:, i : i + x.shape[1], j : j + x.shape[2], :]
            out += window @ kernel[i, j]
    return out + bias


def test_time_embedding_matches_the_formula():
    t = np.array([0, 1, 7, 999])
    dim, period = 8, 10000.0
    got = _np(SinusoidalTimeEmbedding(dim, max_period=period)(t))
    k = np.arange(dim // 2)
    angles = t[:, None] * period ** (-k / (dim // 2))[None]
    np.testing.assert_allclose(
        got, np.concatenate([np.cos(angles), np.sin(angles)], axis=1), atol=1e-4
    )
    # distinct timesteps get distinct embeddings
    assert np.min(np.linalg.norm(got[:, None] - got[None], axis=-1) + np.eye(4)) > 0.1


def test_residual_block_matches_numpy(rng):
    x = rng.normal(size=(2, 4, 3, 4)).astype("float32")
    embedding = rng.normal(size=(2, 5)).astype("float32")
    block = DiffusionResidualBlock(6, num_groups=2)
    block([x, embedding])
    _randomize(block, rng)
    got = _np(block([x, embedding], training=False))

    w = {v.path.split("/", 1)[1]: _np(v) for v in block.weights}
    h = _group_norm(x, 2, w["norm_1/gamma"], w["norm_1/beta"])
    h = _conv_same(_silu(h), w["conv_1/kernel"], w["conv_1/bias"])
    shift = (
        _silu(embedding) @ w["embedding_projection/kernel"]
        + w["embedding_projection/bias"]
    )
    h = h + shift[:, None, None, :]
    h = _silu(_group_norm(h, 2, w["norm_2/gamma"], w["norm_2/beta"]))
    h = _conv_same(h, w["conv_2/kernel"], w["conv_2/bias"])
    skip = x @ w["skip/kernel"][0, 0] + w["skip/bias"]
    np.testing.assert_allclose(got, skip + h, rtol=2e-4, atol=2e-4)


def test_residual_block_starts_as_the_identity_when_channels_match(rng):
    x = rng.normal(size=(2, 3, 3, 4)).astype("float32")
    embedding = rng.normal(size=(2, 5)).astype("float32")
    out = _np(DiffusionResidualBlock(4, num_groups=2)([x, embedding]))
    np.testing.assert_allclose(out, x, atol=1e-6)


def test_spatial_self_attention_matches_numpy(rng):
    x = rng.normal(size=(2, 3, 2, 4)).astype("float32")
    layer = SpatialSelfAttention(num_heads=2, num_groups=2)
    layer(x)
    _randomize(layer, rng)
    got = _np(layer(x))

    w = {v.path.split("/", 1)[1]: _np(v) for v in layer.weights}
    h = _group_norm(x, 2, w["norm/gamma"], w["norm/beta"])
    qkv = h @ w["qkv/kernel"] + w["qkv/bias"]  # (B, H, W, 3C)
    positions = qkv.reshape(2, 6, 3, 2, 2)  # (B, N, qkv, heads, d)
    out = np.zeros((2, 6, 2, 2))
    for b in range(2):
        for head in range(2):
            q = positions[b, :, 0, head]
            k = positions[b, :, 1, head]
            v = positions[b, :, 2, head]
            logits = q @ k.T / np.sqrt(2)
            weights = np.exp(logits - logits.max(axis=1, keepdims=True))
            weights /= weights.sum(axis=1, keepdims=True)
            out[b, :, head] = weights @ v
    attended = out.reshape(2, 3, 2, 4)
    expected = x + attended @ w["projection/kernel"] + w["projection/bias"]
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=2e-4)


def test_attention_is_permutation_equivariant_over_positions(rng):
    # every position attends to all others: permuting positions permutes outputs
    x = rng.normal(size=(1, 2, 3, 4)).astype("float32")
    layer = SpatialSelfAttention(num_heads=1, num_groups=1)
    layer(x)
    _randomize(layer, rng)
    order = rng.permutation(6)
    permuted = x.reshape(1, 6, 4)[:, order].reshape(1, 2, 3, 4)
    out = _np(layer(x)).reshape(1, 6, 4)[:, order]
    np.testing.assert_allclose(_np(layer(permuted)).reshape(1, 6, 4), out, atol=1e-5)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SinusoidalTimeEmbedding(5), "even"),
        (lambda: DiffusionResidualBlock(6, num_groups=4), "multiple of num_groups"),
        (lambda: DiffusionResidualBlock(4, dropout=1.0), "dropout"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_channels_not_divisible_raise_at_build():
    with pytest.raises(ValueError, match="num_heads"):
        SpatialSelfAttention(num_heads=3, num_groups=1)(
            np.zeros((1, 2, 2, 4), "float32")
        )
    with pytest.raises(ValueError, match="num_groups"):
        DiffusionResidualBlock(4, num_groups=4)(
            [np.zeros((1, 2, 2, 2), "float32"), np.zeros((1, 3), "float32")]
        )
