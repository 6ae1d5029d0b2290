"""Smoke test of examples/autoregressive_models.py: every section runs."""

import importlib.util
import json
import math
import os

import numpy as np
import pytest

from kgen import data

EXAMPLE = os.path.join(
    os.path.dirname(__file__), "..", "..", "examples", "autoregressive_models.py"
)


@pytest.mark.slow
def test_autoregressive_example_quick(tmp_path, fresh_machine, capsys):
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
        "token_prior_given_coarse_grid.png",
        "results.json",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    with open(tmp_path / "results.json") as f:
        saved = json.load(f)
    assert saved["backend"] == results["backend"]
    # Fashion-MNIST if it is on disk, else the stated stand-in (conftest.py
    # hides it on one backend).
    stand_in = data.load_or_stand_in("fashion_mnist", "test")[2].stand_in
    assert stand_in or not fresh_machine
    assert saved["fashion_data"].startswith(
        "the embedded digits (train, 1,497 images) resized to 28x28, a stand-in: "
        "Fashion-MNIST was not found in "
        if stand_in
        else "Fashion-MNIST (train, 60,000 images) from "
    )
    printed = capsys.readouterr().out
    assert f"Fashion-MNIST section data: {saved['fashion_data']}\n" in printed
    fashion_rows = [row for row in saved["table"] if row["levels"] == 256]
    assert [row["data"] for row in fashion_rows] == [
        "digits 28x28 (stand-in)" if stand_in else "Fashion-MNIST 28x28"
    ]
    # The blind spot: the gated network sees strictly more of the past.
    field = saved["receptive_field_pixels"]
    assert field["gated_pixel_cnn"] > field["pixel_cnn"]
    assert saved["fast_sampler"]["identical"]
    # the token-grid priors: unconditional, and given the coarse grid
    token_rows = [row for row in saved["table"] if "as tokens" in row["data"]]
    assert [row["data"] for row in token_rows] == [
        "digits 8x8 as tokens",
        "digits 8x8 as tokens | coarse 4x4 grid",
    ]
    for row in saved["table"]:
        assert np.isfinite(row["bits_per_dim"])
        # Even one quick epoch is no worse than uniform (+ slack).
        assert row["bits_per_dim"] < row["uniform"] + 0.1, row
        assert math.isclose(row["uniform"], math.log2(row["levels"]))
