"""Smoke test of examples/diffusion.py: every section runs and writes its outputs."""

import importlib.util
import json
import os

import numpy as np
import pytest

EXAMPLE = os.path.join(
    os.path.dirname(__file__), "..", "..", "examples", "diffusion.py"
)
FIGURES = (
    "forward_process.png",
    "schedules.png",
    "ddpm_samples.png",
    "ddim_steps.png",
    "guidance_sweep.png",
    "interpolation.png",
)


def _example():
    spec = importlib.util.spec_from_file_location("diffusion_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_diffusion_example_quick(tmp_path, fresh_machine, capsys):
    results = _example().main(["--quick", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    for name in FIGURES + ("results.json",):
        assert (tmp_path / name).stat().st_size > 0, name
    with open(tmp_path / "results.json") as f:
        saved = json.load(f)
    assert saved["backend"] == results["backend"]
    if fresh_machine:  # no Fashion-MNIST: the stated stand-in
        assert "data: the embedded digits" in printed
    config = saved["config"]
    # both schedules lose half their signal inside the chain, the linear one
    # first (the cosine schedule was made to destroy information more slowly)
    half = saved["forward"]["half_signal_at"]
    assert 0 < half["linear"] < half["cosine"] < config["num_timesteps"]
    training = saved["training"]
    assert training["steps"] > 0 and all(np.isfinite(training["loss"]))
    assert saved["ddpm"]["steps"] == config["num_timesteps"]
    assert set(saved["ddim"]["seconds_with_compiling"]) == {
        str(s) for s in config["ddim_steps"]
    }
    assert len(saved["guidance"]["pixel_std"]) == len(config["guidance_scales"])
    # deterministic DDIM encodes and decodes back near the image
    errors = saved["interpolation"]["reconstruction_mean_abs_error"]
    assert all(np.isfinite(errors))
    table = saved["bits_per_dim"]["table"]
    assert table["uniform over 256 levels"] == 8.0
    for name, value in table.items():
        assert np.isfinite(value) and value > 0, name
    # (two training steps: the quick mode shows no learning, only that every
    # section runs; the full run's numbers are in the guide)
    assert "bound" in saved["bits_per_dim"]["estimator"]
    assert np.isfinite(saved["bits_per_dim"]["all_terms"]["bits_per_dim"])
