"""Smoke test of examples/gans.py: every section runs and writes its outputs."""

import importlib.util
import json
import os

import numpy as np
import pytest

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "gans.py")


@pytest.mark.slow
def test_gans_example_quick(tmp_path):
    spec = importlib.util.spec_from_file_location("gans_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--quick", "--data", "digits", "--out", str(tmp_path)])
    for name in (
        "dcgan_samples.png",
        "dcgan_nearest_neighbours.png",
        "dcgan_interpolation.png",
        "wgan_samples.png",
        "wgan_gp_samples.png",
        "conditional_samples.png",
        "results.json",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    with open(tmp_path / "results.json") as f:
        saved = json.load(f)
    assert saved["backend"] == results["backend"]
    # The objective section: the non-saturating gradient dominates when D
    # rejects the samples, the minimax one when D accepts them.
    first, last = saved["objective_gradients"][0], saved["objective_gradients"][-1]
    assert first["non_saturating"] > 100 * first["minimax"]
    assert last["minimax"] > last["non_saturating"]
    for name in ("dcgan", "wgan", "wgan_gp", "conditional"):
        assert np.isfinite(saved[name]["frechet_pixels"])
        assert all(np.isfinite(v) for v in saved[name]["last_epoch"].values())
