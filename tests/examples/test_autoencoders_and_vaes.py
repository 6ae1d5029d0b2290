"""Smoke test of examples/autoencoders_and_vaes.py (--quick, in-process)."""

import importlib.util
import json
import math
import os

import keras
import pytest

EXAMPLE = os.path.join(
    os.path.dirname(__file__), "..", "..", "examples", "autoencoders_and_vaes.py"
)


def _load_example():
    spec = importlib.util.spec_from_file_location("autoencoders_and_vaes", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_autoencoders_and_vaes_example_quick(tmp_path):
    example = _load_example()
    results = example.main(["--quick", "--out", str(tmp_path)])
    written = set(os.listdir(tmp_path))
    for name in (
        "autoencoder_reconstructions.png",
        "vae_samples.png",
        "vae_traversal.png",
        "vae_interpolation.png",
        "vae_edit.png",
        "cvae_samples_by_class.png",
        "mixture_prior_samples.png",
        "categorical_samples.png",
        "results.json",
    ):
        assert name in written, name
    with open(tmp_path / "results.json") as handle:
        saved = json.load(handle)
    assert saved["backend"] == keras.config.backend()
    # the autoencoder's 16-number codes carry the class: a linear probe on
    # them beats the majority class (~0.1 on the digits) by far
    autoencoder = saved["autoencoder"]
    assert autoencoder["probe_accuracy_codes"] > autoencoder["chance_accuracy"] + 0.3
    vae = saved["vae"]
    # even one epoch raises the held-out ELBO, and IWAE is at least the ELBO
    assert vae["trained"]["elbo_nats"] > vae["untrained"]["elbo_nats"]
    # (the report's nll_nats is the IWAE bound on -log P(x), so -nll >= ELBO)
    assert -vae["trained"]["nll_nats"] >= vae["trained"]["elbo_nats"] - 0.5
    # bits/dim of the digits' 17 levels, an IWAE bound named as such
    assert vae["trained"]["estimator"] == (
        "IWAE bound (K=5), discretized logistic decoder (17 levels)"
    )
    assert 0 < vae["trained"]["bits_per_dim"] < vae["untrained"]["bits_per_dim"]
    # a Gaussian decoder's bits/dim goes through dequantization, and is not
    # its density at the grid values (which can be below zero)
    gaussian = saved["gaussian_vae"]
    assert gaussian["estimator"].startswith("dequantized IWAE bound (K=5)")
    assert gaussian["bits_per_dim"] > 0
    assert abs(
        gaussian["bits_per_dim"] - gaussian["density_at_grid_values_in_bits"]
    ) > (math.log2(17) - 1.0)
    # a Bernoulli decoder on grey levels reports no bits/dim, and says why
    bernoulli = saved["bernoulli_vae"]
    assert "bits_per_dim" not in bernoulli
    assert "cross-entropy, not a likelihood" in bernoulli["note"]
    assert results["categorical_vae"]["final_temperature"] == 1.0
