"""Discretized logistic mixture: normalization, NumPy oracle, sampling."""

import itertools
import math

import keras
import numpy as np
import pytest

from kgen.distributions.logistic_mixture import (
    discretized_logistic_mixture_log_prob,
    discretized_logistic_mixture_log_prob_per_channel,
    discretized_logistic_mixture_sample,
    logistic_mixture_num_parameters,
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


def _grid(num_channels, num_levels):
    return np.array(
        list(itertools.product(range(num_levels), repeat=num_channels)), "int32"
    )


def _random_parameters(rng, num_channels, num_mixtures, style):
    size = logistic_mixture_num_parameters(num_channels, num_mixtures)
    k = num_mixtures
    params = rng.normal(size=size)
    if style == "extreme":
        params[:k] = rng.choice([-40.0, 0.0, 40.0], size=k)  # near-one-hot weights
        means = slice(k, k + num_channels * k)
        params[means] = rng.choice([-3.0, -1.0, 1.0, 3.0], size=num_channels * k)
        scales = slice(k + num_channels * k, k + 2 * num_channels * k)
        params[scales] = rng.choice([-12.0, -7.0, 4.0], size=num_channels * k)
        params[k + 2 * num_channels * k :] *= 10.0  # saturated tanh coupling
    return params.astype("float32")


def _oracle_log_prob(params, x, num_levels, num_channels, num_mixtures):
    """float64 NumPy log p(pixel), written from the paper's formula."""
    k = num_mixtures
    logits = params[:k]
    means = params[k : k + num_channels * k].reshape(num_channels, k)
    log_scales = np.maximum(
        params[k + num_channels * k : k + 2 * num_channels * k].reshape(
            num_channels, k
        ),
        -7.0,
    )
    coeffs = np.tanh(params[k + 2 * num_channels * k :].reshape(-1, k))

    def cdf(t):
        return 1.0 / (1.0 + np.exp(-t))

    scaled = 2.0 * np.asarray(x, "float64") / (num_levels - 1) - 1.0
    log_pi = logits - np.log(np.sum(np.exp(logits - logits.max()))) - logits.max()
    total = np.zeros(k)
    pair = 0
    for c in range(num_channels):
        mean = means[c].astype("float64").copy()
        for earlier in range(c):
            mean += coeffs[pair] * scaled[earlier]
            pair += 1
        s = np.exp(log_scales[c])
        upper = (
            1.0
            if x[c] == num_levels - 1
            else cdf((scaled[c] + 1.0 / (num_levels - 1) - mean) / s)
        )
        lower = (
            0.0 if x[c] == 0 else cdf((scaled[c] - 1.0 / (num_levels - 1) - mean) / s)
        )
        total = total + np.log(upper - lower)
    joint = log_pi + total
    return joint.max() + np.log(np.sum(np.exp(joint - joint.max())))


def test_num_parameters():
    assert logistic_mixture_num_parameters(3, 5) == 50
    assert logistic_mixture_num_parameters(1, 5) == 15
    with pytest.raises(ValueError, match="positive"):
        logistic_mixture_num_parameters(0, 5)


@pytest.mark.parametrize(
    "num_channels,num_levels", [(1, 256), (1, 2), (3, 12), (2, 17)]
)
@pytest.mark.parametrize("style", ["normal", "extreme"])
def test_probabilities_sum_to_one(num_channels, num_levels, style):
    rng = np.random.default_rng(num_channels * 1000 + num_levels)
    grid = _grid(num_channels, num_levels)
    num_sets = 4  # evaluated in one batch: (set, level combination)
    params = np.stack(
        [_random_parameters(rng, num_channels, 3, style) for _ in range(num_sets)]
    )
    batch = np.repeat(params[:, None], len(grid), axis=1)
    x = np.broadcast_to(grid, (num_sets, *grid.shape))
    log_p = _np(discretized_logistic_mixture_log_prob(batch, x, num_levels))
    assert np.all(np.isfinite(log_p))
    np.testing.assert_allclose(np.exp(log_p).sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("style", ["normal", "extreme"])
def test_channel_conditionals_are_normalized_and_sum_to_joint(style):
    rng = np.random.default_rng(3)
    num_levels, num_channels = 256, 3
    params = _random_parameters(rng, num_channels, 4, style)
    earlier = rng.integers(0, num_levels, size=2)
    # every value of the blue channel after a fixed red and green
    x = np.stack(
        [
            np.full(num_levels, earlier[0]),
            np.full(num_levels, earlier[1]),
            np.arange(num_levels),
        ],
        axis=-1,
    )
    batch = np.repeat(params[None], num_levels, axis=0)
    per_channel = _np(
        discretized_logistic_mixture_log_prob_per_channel(batch, x, num_levels)
    )
    assert per_channel.shape == (num_levels, 3)
    assert abs(np.exp(per_channel[:, 2]).sum() - 1.0) < 1e-5
    # red and green conditionals do not depend on the blue value
    np.testing.assert_allclose(
        per_channel[:, :2],
        np.broadcast_to(per_channel[:1, :2], (num_levels, 2)),
        rtol=1e-5,
    )
    joint = _np(discretized_logistic_mixture_log_prob(batch, x, num_levels))
    np.testing.assert_allclose(per_channel.sum(-1), joint, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("num_channels", [1, 3])
def test_matches_numpy_oracle(num_channels):
    rng = np.random.default_rng(7)
    num_levels, num_mixtures = 9, 3
    params = np.stack(
        [
            _random_parameters(rng, num_channels, num_mixtures, "normal")
            for _ in range(20)
        ]
    )
    x = rng.integers(0, num_levels, size=(20, num_channels))
    x[0] = 0
    x[1] = num_levels - 1
    got = _np(discretized_logistic_mixture_log_prob(params, x, num_levels))
    expected = [
        _oracle_log_prob(p, xi, num_levels, num_channels, num_mixtures)
        for p, xi in zip(params, x)
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_tiny_bins_fall_back_to_the_centre_density():
    # A sharp component far from the level: the CDF difference underflows in
    # float32 but the log-probability stays finite and close to the oracle.
    num_levels = 256
    params = np.array([0.0, -0.9, -6.0], "float32")  # logit, mean, log-scale
    x = np.array([[200]])
    got = _np(discretized_logistic_mixture_log_prob(params[None], x, num_levels))[0]
    assert np.isfinite(got)
    s = math.exp(-6.0)
    centre = 2.0 * 200 / 255 - 1.0
    t = (centre + 0.9) / s
    # log of density * bin width with log sigmoid'(t) = -t - 2 log(1 + e^-t)
    expected = -t - 2 * np.log1p(np.exp(-t)) - math.log(s) + math.log(2 / 255)
    assert abs(got - expected) < 1e-3 * abs(expected)
    assert got < -100


def test_gradients_are_finite_for_extreme_parameters():
    from kgen.backend import input_gradients

    rng = np.random.default_rng(11)
    params = np.stack([_random_parameters(rng, 3, 2, "extreme") for _ in range(64)])
    x = rng.integers(0, 256, size=(64, 3))
    grads = _np(
        input_gradients(
            lambda p: discretized_logistic_mixture_log_prob(p, x, 256),
            keras.ops.convert_to_tensor(params),
        )
    )
    assert np.all(np.isfinite(grads))


def test_wrong_parameter_count_raises():
    with pytest.raises(ValueError, match="parameters"):
        discretized_logistic_mixture_log_prob(
            np.zeros((4, 11), "float32"), np.zeros((4, 3), "int32"), 256
        )


@pytest.mark.parametrize("num_channels", [1, 3])
def test_sampling_frequencies_match_probabilities(num_channels):
    rng = np.random.default_rng(5)
    num_levels, num_mixtures, num_samples = 4, 3, 40000
    params = _random_parameters(rng, num_channels, num_mixtures, "normal")
    batch = np.repeat(params[None], num_samples, axis=0)
    samples = _np(
        discretized_logistic_mixture_sample(
            batch,
            rng.uniform(size=(num_samples, num_mixtures)).astype("float32"),
            rng.uniform(size=(num_samples, num_channels)).astype("float32"),
            num_levels=num_levels,
        )
    ).astype(int)
    assert samples.min() >= 0 and samples.max() <= num_levels - 1
    grid = _grid(num_channels, num_levels)
    probs = np.exp(
        _np(
            discretized_logistic_mixture_log_prob(
                np.repeat(params[None], len(grid), 0), grid, num_levels
            )
        )
    )
    index = np.ravel_multi_index(samples.T, (num_levels,) * num_channels)
    counts = np.bincount(index, minlength=len(grid))
    expected = probs * num_samples
    keep = expected > 5
    chi2 = np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep])
    dof = max(int(keep.sum()) - 1, 1)
    # mean dof, standard deviation sqrt(2 dof): six deviations is far out
    assert chi2 < dof + 6 * math.sqrt(2 * dof), (chi2, dof)
    # and the rare cells are rare
    assert counts[~keep].sum() <= expected[~keep].sum() * 3 + 10


def test_sampling_temperature_and_determinism():
    rng = np.random.default_rng(2)
    params = np.repeat(_random_parameters(rng, 3, 2, "normal")[None], 500, 0)
    u_k = rng.uniform(size=(500, 2)).astype("float32")
    u_x = rng.uniform(size=(500, 3)).astype("float32")
    first = _np(discretized_logistic_mixture_sample(params, u_k, u_x, 256))
    second = _np(discretized_logistic_mixture_sample(params, u_k, u_x, 256))
    np.testing.assert_array_equal(first, second)
    cold = _np(
        discretized_logistic_mixture_sample(params, u_k, u_x, 256, temperature=0.05)
    )
    assert cold.std(axis=0).sum() < first.std(axis=0).sum()
    with pytest.raises(ValueError, match="temperature"):
        discretized_logistic_mixture_sample(params, u_k, u_x, 256, temperature=0.0)
