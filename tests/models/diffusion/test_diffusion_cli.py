"""The ddpm recipes on the command line: train, sample with DDIM, evaluate.

One tiny class-conditional U-Net DDPM with a learned variance is trained,
saved and reloaded (a ``.keras`` round trip of a U-Net with its EMA),
sampled with ``--option sampler=ddim --option steps=5`` and classifier-free
guidance; ``kgen train`` reports the bits/dim bound, named, through
``kgen.evaluation.evaluate_model`` (what ``kgen evaluate`` runs). Building a
U-Net costs about 15 s on JAX, so this test builds few.
"""

import json
import math

import keras
import numpy as np
import pytest

from kgen import cli

TINY = [
    "--option", "base_filters=4",
    "--option", "channel_multipliers=[1]",
    "--option", "variance_type=learned_range",
    "--option", "num_groups=2",
    "--option", "schedule=cosine",
    "--option", "num_timesteps=10",
]  # fmt: skip


@pytest.mark.slow
def test_train_sample_and_evaluate_a_ddpm(tmp_path):
    run = tmp_path / "run"
    status = cli.main(
        [
            "train",
            "conditional_ddpm",
            "--data",
            "digits",
            "--epochs",
            "3",
            "--batch-size",
            "256",
        ]
        + ["--learning-rate", "3e-3"]
        + TINY
        + ["--iwae-samples", "4", "--verbose", "0", "--out", str(run)]
    )
    assert status == 0
    for name in ("model.keras", "samples.png", "reconstructions.png", "metrics.json"):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text())
    # a bound on the discrete data, named; bits/dim is its NLL in bits per
    # sub-pixel, and the all-terms ELBO agrees with the 4-term estimate
    assert metrics["estimator"].startswith("variational bound estimated from 4")
    assert metrics["bits_per_dim"] == pytest.approx(
        metrics["nll_nats"] / (64 * math.log(2))
    )
    assert 0 < metrics["bits_per_dim"] < 8.0
    assert -metrics["elbo_nats"] == pytest.approx(metrics["nll_nats"], rel=0.2)
    run_info = json.loads((run / "run.json").read_text())
    assert run_info["data_convention"].startswith("floats in [-1, 1] on a grid of 256")

    # the saved U-Net: attention at the lowest resolution (here the only
    # one) and in the middle, a label embedding with a row for the null
    # label, twice the channels (prediction and variance)
    model = keras.saving.load_model(run / "model.keras")
    names = [layer.name for layer in model.network.layers]
    assert {"middle_attention", "down_0_attention_0", "up_0_attention_1"} <= set(names)
    assert model.network.get_layer("label_embedding").input_dim == 11
    assert tuple(model.network.output.shape) == (None, 8, 8, 2)
    assert model.ema_variables and model.variance_type == "learned_range"

    npy = tmp_path / "samples.npy"
    args = ["sample", str(run / "model.keras"), "-n", "6", "--seed", "1"]
    args += ["--out", str(tmp_path / "grid.png"), "--npy", str(npy)]
    args += ["--option", "sampler=ddim", "--option", "steps=5"]
    assert cli.main(args + ["--option", "guidance_scale=2"]) == 0
    samples = np.load(npy)
    assert samples.shape == (6, 8, 8, 1) and -1 <= samples.min() <= samples.max() <= 1
    # the options reach sample(): the same call in Python gives the same
    # images (one class per column), and guidance changes them
    labels = np.arange(6) % 10
    same = model.sample(
        6, seed=1, conditions=labels, sampler="ddim", steps=5, guidance_scale=2.0
    )
    np.testing.assert_allclose(samples, same, atol=1e-5)
    unguided = model.sample(6, seed=1, conditions=labels, sampler="ddim", steps=5)
    assert not np.allclose(unguided, samples, atol=1e-3)
