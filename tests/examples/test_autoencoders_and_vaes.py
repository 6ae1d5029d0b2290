"""Smoke test of examples/autoencoders_and_vaes.py (--quick, in-process)."""

import importlib.util
import json
import os

import keras

EXAMPLE = os.path.join(
    os.path.dirname(__file__), "..", "..", "examples", "autoencoders_and_vaes.py"
)


def _load_example():
    spec = importlib.util.spec_from_file_location("autoencoders_and_vaes", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_writes_figures_and_numbers(tmp_path):
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
    vae = saved["vae"]
    # even one epoch raises the held-out ELBO, and IWAE is at least the ELBO
    assert vae["trained"]["elbo"] > vae["untrained"]["elbo"]
    assert vae["trained"]["iwae_log_likelihood"] >= vae["trained"]["elbo"] - 0.5
    assert 0.0 <= saved["autoencoder"]["probe_accuracy_codes"] <= 1.0
    assert results["categorical_vae"]["final_temperature"] == 1.0
