"""Smoke test of examples/diffusion.py: every section runs and writes its outputs."""

import numpy as np
import pytest
from example_scripts import run_quick

FIGURES = (
    "forward_process.png",
    "schedules.png",
    "ddpm_samples.png",
    "ddim_steps.png",
    "guidance_sweep.png",
    "interpolation.png",
)


@pytest.mark.slow
def test_diffusion_example_quick(tmp_path, fresh_machine, capsys):
    saved, printed = run_quick("diffusion", tmp_path, FIGURES, capsys)
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
