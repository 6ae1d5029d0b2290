"""Smoke test of examples/vq_vae_and_dalle.py: every section runs and writes its outputs."""

import math
import os

import numpy as np
import pytest
from example_scripts import run_quick
from PIL import Image

FIGURES = (
    "vq_reconstructions.png",
    "vq_code_usage.png",
    "vq2_class_samples.png",
    "dalle_prompts.png",
    "dalle_guided.png",
)


@pytest.mark.slow
def test_vq_vae_and_dalle_example_quick(tmp_path, fresh_machine, capsys):
    saved, printed = run_quick("vq_vae_and_dalle", tmp_path, FIGURES, capsys)
    if fresh_machine:  # no Fashion-MNIST: the stated stand-in
        assert "data: the embedded digits" in printed
    assert "small-scale demonstration" in printed
    config = saved["config"]
    size = config["image_size"]

    # 1. three codebooks, each measured on the test set
    vqvae = saved["vqvae"]
    assert set(vqvae["variants"]) == {
        "gradient codebook",
        "EMA + restarts",
        "EMA + restarts + k-means init",
    }
    for name, record in vqvae["variants"].items():
        assert 0.0 < record["codebook_usage"] <= 1.0, name
        # perplexity: between one code and all of them
        assert 1.0 <= record["perplexity"] <= config["num_embeddings"] + 1e-3, name
        assert record["mse"] > 0 and np.isfinite(record["psnr_db"]), name
        assert np.isclose(record["psnr_db"], -10 * math.log10(record["mse"]), atol=0.05)
        assert record["steps"] > 0 and np.isfinite(record["last_train_loss"])
        assert name in printed
    # (two training steps: which codebook uses more codes is the full run's
    # finding, in the guide; here only that every section runs)

    # 2. VQ-VAE-2: both grids, code lengths in bits per code, one row per class
    vq2 = saved["vqvae2"]
    top, bottom = vq2["grids"]["top"], vq2["grids"]["bottom"]
    assert top[0] * 2 == bottom[0] and top[1] * 2 == bottom[1]
    assert vq2["codes_per_image"] == top[0] * top[1] + bottom[0] * bottom[1]
    for key in ("top_prior_bits_per_code", "bottom_prior_bits_per_code"):
        assert 0 < vq2[key] and np.isfinite(vq2[key]), key
    per_code = (
        vq2["top_prior_bits_per_code"] * top[0] * top[1]
        + vq2["bottom_prior_bits_per_code"] * bottom[0] * bottom[1]
    )
    assert np.isclose(vq2["bits_per_image_codes"], per_code, rtol=1e-3)
    assert all(0 < u <= 1 for u in vq2["codebook_usage"].values())
    assert vq2["samples_shape"] == [10 * config["samples_per_class"], size, size, 1]
    assert len(vq2["class_names"]) == 10
    assert "bits per top code" in printed and "bits/dim" not in printed

    # 3. text to image: one row per prompt, every prompt printed
    dalle = saved["dalle"]
    prompts = dalle["prompts"]
    assert len(prompts) == config["num_prompts"]
    for prompt in prompts:
        assert f"    {prompt}\n" in printed
    assert np.isfinite(dalle["test_bits_per_code_given_caption"])
    assert np.isfinite(dalle["test_bits_per_code_empty_caption"])
    assert set(dalle["generations"]) == {"1", f"{config['guidance_scale']:g}"}
    per_prompt = config["images_per_prompt"]
    for record in dalle["generations"].values():
        assert record["images_shape"] == [len(prompts) * per_prompt, size, size, 1]
        for key in ("size_agreement", "brightness_agreement"):
            assert 0.0 <= record[key] <= 1.0
        # one labelled strip per prompt: rows of images plus a text line each
        with Image.open(os.path.join(tmp_path, record["figure"])) as picture:
            row_height = picture.height / len(prompts)
        assert row_height == int(row_height) and row_height > 2 * size
    assert saved["total_seconds"] > 0 and saved["budget"]
