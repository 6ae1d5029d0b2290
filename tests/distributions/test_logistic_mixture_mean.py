"""The mean of a discretized logistic mixture against enumeration of its levels."""

import keras
import numpy as np
import pytest

from kgen.distributions.logistic_mixture import (
    discretized_logistic_mixture_log_prob,
    discretized_logistic_mixture_mean,
    logistic_mixture_num_parameters,
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype="float64")


@pytest.mark.parametrize("num_levels, num_mixtures", [(5, 1), (17, 3), (256, 2)])
def test_greyscale_mean_is_exact(num_levels, num_mixtures, rng):
    size = logistic_mixture_num_parameters(1, num_mixtures)
    params = (rng.normal(size=(6, size)) * 2.0).astype("float32")
    mean = _np(discretized_logistic_mixture_mean(params, 1, num_levels=num_levels))
    # E[level] = sum_l l P(l), with P from the (separately tested) log_prob
    levels = np.arange(num_levels)
    log_p = np.stack(
        [
            _np(
                discretized_logistic_mixture_log_prob(
                    params, np.full((6, 1), level), num_levels=num_levels
                )
            )
            for level in levels
        ]
    )
    probabilities = np.exp(log_p)
    np.testing.assert_allclose(probabilities.sum(0), 1.0, atol=1e-5)
    np.testing.assert_allclose(mean[:, 0], levels @ probabilities, rtol=1e-4, atol=1e-4)


def test_colour_mean_without_coupling_is_each_channels_marginal_mean(rng):
    num_levels, k = 9, 2
    params = rng.normal(size=(4, logistic_mixture_num_parameters(3, k))).astype(
        "float32"
    )
    params[:, 7 * k :] = 0.0  # tanh(0) = 0: no colour coupling
    mean = _np(discretized_logistic_mixture_mean(params, 3, num_levels=num_levels))
    weights = np.exp(params[:, :k]) / np.exp(params[:, :k]).sum(-1, keepdims=True)
    centres = 2 * np.arange(num_levels) / (num_levels - 1) - 1
    half = 1.0 / (num_levels - 1)
    for c in range(3):
        m = params[:, k * (1 + c) : k * (2 + c)][..., None]
        s = np.exp(np.maximum(params[:, k * (4 + c) : k * (5 + c)], -7.0))[..., None]
        cdf_upper = 1 / (1 + np.exp(-(centres + half - m) / s))
        cdf_lower = 1 / (1 + np.exp(-(centres - half - m) / s))
        cdf_upper[..., -1], cdf_lower[..., 0] = 1.0, 0.0  # edge bins to infinity
        per_component = (cdf_upper - cdf_lower) @ np.arange(num_levels)  # (4, K)
        np.testing.assert_allclose(
            mean[:, c], (weights * per_component).sum(-1), rtol=1e-4, atol=1e-4
        )


def test_coupling_moves_later_channels(rng):
    params = np.zeros((1, logistic_mixture_num_parameters(3, 1)), "float32")
    params[0, 1] = 0.8  # red centred high
    params[0, 4:7] = -2.0  # sharp logistics
    coupled = params.copy()
    coupled[0, 7] = 3.0  # green follows red
    plain = _np(discretized_logistic_mixture_mean(params, 3, num_levels=17))
    moved = _np(discretized_logistic_mixture_mean(coupled, 3, num_levels=17))
    assert moved[0, 0] == pytest.approx(plain[0, 0])
    assert plain[0, 1] == pytest.approx(8.0, abs=1e-4)
    # green is a logistic centred at tanh(3) * E[red] (in [-1, 1] units)
    red_scaled = 2 * moved[0, 0] / 16 - 1
    green = np.array([[0.0, np.tanh(3.0) * red_scaled, -2.0]], "float32")
    expected = _np(discretized_logistic_mixture_mean(green, 1, num_levels=17))
    assert moved[0, 1] == pytest.approx(expected[0, 0], abs=1e-4)
    assert moved[0, 1] > plain[0, 1] + 5.0
