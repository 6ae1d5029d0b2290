"""Smoke test of examples/advanced_gans.py: every section runs and writes its outputs."""

import importlib.util
import json
import os

import numpy as np
import pytest

EXAMPLE = os.path.join(
    os.path.dirname(__file__), "..", "..", "examples", "advanced_gans.py"
)
FIGURES = (
    "stylegan2_samples.png",
    "stylegan2_truncation.png",
    "stylegan2_mixing.png",
    "biggan_samples.png",
    "biggan_truncation.png",
    "text_to_image.png",
    "pix2pix_edges2fashion.png",
    "pix2pix_gray2color_patches.png",
    "cyclegan_tops2bottoms.png",
)


def _example():
    spec = importlib.util.spec_from_file_location("advanced_gans_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_advanced_gans_example_quick(tmp_path, fresh_machine, capsys):
    results = _example().main(["--quick", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    for name in FIGURES + ("results.json",):
        assert (tmp_path / name).stat().st_size > 0, name
    with open(tmp_path / "results.json") as f:
        saved = json.load(f)
    assert saved["backend"] == results["backend"]
    if fresh_machine:  # no Fashion-MNIST: the stated stand-in
        assert "data: the embedded digits" in printed and "stand-in" in saved["data"]
    # the truncation sweep's last row is psi = 0: one image, the mean style's
    assert saved["stylegan2"]["truncation_zero_rows_identical"]
    for name in ("stylegan2", "biggan", "text_gan", "cyclegan"):
        record = saved[name]
        assert record["steps"] > 0
        assert all(np.isfinite(v) for v in record["last_losses"].values()), name
    for name in ("edges2fashion", "gray2color_patches"):
        record = saved["pix2pix"][name]
        assert 0 < record["l1"] < 2 and -1 <= record["ssim"] <= 1
    # agreements are fractions of the sampled images, k / n for an integer k
    text_record = saved["text_gan"]
    count = len(text_record["prompts"]) * text_record["images_per_prompt"]
    fractions = {round(k / count, 3) for k in range(count + 1)}
    for key in ("size_agreement", "brightness_agreement"):
        assert text_record[key] in fractions, key
    assert np.isfinite(saved["cyclegan"]["cycle_error_a"])


def test_quick_data_are_local_and_say_what_they_are(no_local_data_sets, capsys):
    module = _example()
    config = module.settings(module.parse_args(["--quick"]))
    fashion = module.load_fashion(config)
    assert "the embedded digits" in capsys.readouterr().out
    assert fashion["stand_in"] and fashion["x_train"].shape[1:] == (16, 16, 1)
    assert fashion["x_train"].min() >= -1 and fashion["x_train"].max() <= 1
