"""Smoke test of examples/advanced_gans.py: every section runs and writes its outputs."""

import numpy as np
import pytest
from example_scripts import load_example, run_quick

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


@pytest.mark.slow
def test_advanced_gans_example_quick(tmp_path, fresh_machine, capsys):
    saved, printed = run_quick("advanced_gans", tmp_path, FIGURES, capsys)
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
    module = load_example("advanced_gans")
    config = module.settings(module.parse_args(["--quick"]))
    fashion = module.load_fashion(config)
    assert "the embedded digits" in capsys.readouterr().out
    assert fashion["stand_in"] and fashion["x_train"].shape[1:] == (16, 16, 1)
    assert fashion["x_train"].min() >= -1 and fashion["x_train"].max() <= 1
