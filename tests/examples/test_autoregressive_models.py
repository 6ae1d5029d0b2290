"""Smoke test of examples/autoregressive_models.py: every section runs."""

import importlib.util
import json
import math
import os

import numpy as np
import pytest

EXAMPLE = os.path.join(
    os.path.dirname(__file__), "..", "..", "examples", "autoregressive_models.py"
)


@pytest.mark.slow
def test_autoregressive_example_quick(tmp_path):
    spec = importlib.util.spec_from_file_location("autoregressive_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--quick", "--out", str(tmp_path)])
    for name in (
        "pixel_cnn_samples.png",
        "receptive_fields.png",
        "gated_class_samples.png",
        "gated_completions.png",
        "colour_samples.png",
        "fashion_samples.png",
        "fashion_completions.png",
        "results.json",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    with open(tmp_path / "results.json") as f:
        saved = json.load(f)
    assert saved["backend"] == results["backend"]
    # The blind spot: the gated network sees strictly more of the past.
    field = saved["receptive_field_pixels"]
    assert field["gated_pixel_cnn"] > field["pixel_cnn"]
    assert saved["fast_sampler"]["identical"]
    for row in saved["table"]:
        assert np.isfinite(row["bits_per_dim"])
        # Even one quick epoch is no worse than uniform (+ slack).
        assert row["bits_per_dim"] < row["uniform"] + 0.1, row
        assert math.isclose(row["uniform"], math.log2(row["levels"]))
