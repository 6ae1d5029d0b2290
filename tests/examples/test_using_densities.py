"""Smoke test of examples/using_densities.py: every section runs and reports."""

import json
import os

import numpy as np
import pytest
from example_scripts import load_example


@pytest.mark.slow
def test_using_densities_example_quick(tmp_path, fresh_machine, capsys):
    results = load_example("using_densities").main(["--quick", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "data: the embedded digits" in printed  # local files only
    with open(tmp_path / "results.json") as f:
        saved = json.load(f)
    assert saved["backend"] == results["backend"]
    assert (tmp_path / "outlier_sets.png").stat().st_size > 0
    for name, row in saved["density"].items():
        # bits/dim of the discrete images: positive, and a standard error
        assert 0 < row["bits_per_dim"] and row["standard_error"] >= 0, name
    assert "exact" in saved["density"]["Gated PixelCNN"]["estimator"]
    assert "IWAE" in saved["density"]["VAE (discretized logistic)"]["estimator"]
    # one AUROC per model, outlier set and detector, each in [0, 1]
    rows = saved["outliers"]["rows"]
    assert len(rows) == 2 * 2
    for row in rows:
        for key in ("raw likelihood", "likelihood ratio", "typicality"):
            assert 0 <= row[key] <= 1, (row["model"], row["outliers"], key)
    classifier = saved["classifier"]
    assert classifier["num_examples"] == saved["config"]["max_test"]
    assert set(classifier["rejected_outliers"]) == {
        "photograph patches (grey)",
        "uniform noise",
    }
    for name, row in saved["sample_quality"].items():
        assert np.isfinite(row["frechet_distance"]), name
        assert "digits classifier" in row["features"]
        assert os.path.getsize(row["report"]) > 0
