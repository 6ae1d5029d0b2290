import json
import math
import os

import keras
import numpy as np
import pytest
from PIL import Image

from kgen import cli, recipes

TINY = ["--option", "latent_dim=2", "--option", "hidden_units=[16]"]


def _finite_numbers(metrics):
    return {k: v for k, v in metrics.items() if isinstance(v, float)}


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    status = cli.main(
        ["train", "vae", "--data", "digits", "--epochs", "2", "--batch-size", "128"]
        + TINY
        + ["--iwae-samples", "4", "--verbose", "0", "--out", str(out)]
    )
    assert status == 0
    return out


def test_train_writes_model_history_metrics_and_pictures(trained_run):
    for name in (
        "model.keras",
        "run.json",
        "history.json",
        "metrics.json",
        "samples.png",
        "reconstructions.png",
        "traversal.png",
    ):
        assert (trained_run / name).is_file(), name
    history = json.loads((trained_run / "history.json").read_text())
    assert len(history["loss"]) == 2 and all(math.isfinite(v) for v in history["loss"])
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert metrics["num_examples"] == 300 and metrics["num_dims"] == 64
    assert all(math.isfinite(v) for v in _finite_numbers(metrics).values())
    # IWAE is a tighter bound than the ELBO on average; bits/dim follows from it
    assert metrics["iwae_log_likelihood_nats"] >= metrics["elbo_nats"] - 1.0
    expected_bits = -metrics["iwae_log_likelihood_nats"] / (64 * math.log(2))
    assert metrics["bits_per_dim"] == pytest.approx(expected_bits)
    run = json.loads((trained_run / "run.json").read_text())
    assert run["options"]["latent_dim"] == 2 and run["data_kind"] == "unit"
    # traversal: the used latent dims (rows; at most 2) x 9 values (columns),
    # 8x8 images scaled 8x with 1-pixel (scaled: 8) padding
    traversal = np.asarray(Image.open(trained_run / "traversal.png"))
    assert traversal.shape in ((64, 9 * 64 + 8 * 8), (2 * 64 + 8, 9 * 64 + 8 * 8))


def test_sample_from_saved_model(trained_run, tmp_path):
    out = tmp_path / "grid.png"
    npy = tmp_path / "samples.npy"
    model_path = str(trained_run / "model.keras")
    args = ["sample", model_path, "-n", "4", "--out", str(out), "--npy", str(npy)]
    assert cli.main(args + ["--seed", "3"]) == 0
    samples = np.load(npy)
    assert samples.shape == (4, 8, 8, 1)
    assert samples.min() >= 0 and samples.max() <= 1
    assert np.asarray(Image.open(out)).shape == (2 * 64 + 8, 2 * 64 + 8)
    # the same seed gives the same samples
    assert cli.main(args + ["--seed", "3"]) == 0
    np.testing.assert_allclose(np.load(npy), samples, atol=1e-6)


def test_evaluate_saved_model(trained_run, tmp_path, capsys):
    out = tmp_path / "metrics.json"
    status = cli.main(
        [
            "evaluate",
            str(trained_run / "model.keras"),
            "--data",
            "digits",
            "--split",
            "test",
            "--iwae-samples",
            "4",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    metrics = json.loads(out.read_text())
    assert metrics["num_examples"] == 300
    assert {"elbo_nats", "iwae_log_likelihood_nats", "bits_per_dim"} <= set(metrics)
    assert all(math.isfinite(v) for v in _finite_numbers(metrics).values())
    assert "bits_per_dim" in capsys.readouterr().out


class _LogProbModel:
    num_levels = 4

    def log_prob(self, x):
        # independent uniform pixels over 4 levels: log p = -D log 4
        return np.full(len(x), -np.prod(x.shape[1:]) * math.log(4.0))


class _SampleOnlyModel:
    def sample(self, num_samples, seed=None):
        return np.zeros((num_samples, 2, 2, 1))


def test_evaluate_model_duck_typing():
    x = np.zeros((5, 2, 2, 1), "int32")
    metrics = cli.evaluate_model(_LogProbModel(), x)
    # uniform over 4 levels is exactly 2 bits per dimension
    assert metrics["bits_per_dim"] == pytest.approx(2.0)
    assert metrics["nll_nats"] == pytest.approx(4 * math.log(4.0))
    note = cli.evaluate_model(_SampleOnlyModel(), x.astype("float32"))["note"]
    assert "no likelihood" in note and "kgen.evaluation" in note


def test_help_for_every_command(capsys):
    for command in ([], ["train"], ["sample"], ["evaluate"], ["demo"], ["list"]):
        with pytest.raises(SystemExit) as info:
            cli.main(command + ["--help"])
        assert info.value.code == 0
        text = capsys.readouterr().out
        assert text.startswith("usage: kgen")
        if command and command != ["list"]:
            assert "example" in text


def test_list_names_recipes_and_data(capsys):
    assert cli.main(["list"]) == 0
    text = capsys.readouterr().out
    for name in list(recipes.RECIPES) + ["digits", "fashion_mnist", "color_patches"]:
        assert name in text


def test_unknown_model_lists_valid_names(tmp_path, capsys):
    status = cli.main(["train", "nope", "--out", str(tmp_path)])
    assert status == 2
    error = capsys.readouterr().err
    assert "Unknown model 'nope'" in error and "vae" in error and "conv_vae" in error


def test_unknown_data_lists_valid_names(tmp_path, capsys, monkeypatch):
    from kgen.data import datasets

    def missing():
        raise ImportError("No module named 'tensorflow_datasets'")

    monkeypatch.setattr(datasets, "_import_tfds", missing)
    status = cli.main(["train", "vae", "--data", "nope", "--out", str(tmp_path)])
    assert status == 2
    error = capsys.readouterr().err
    assert "'nope'" in error and "digits" in error and "fashion_mnist" in error


def test_bad_option_is_reported(tmp_path, capsys):
    status = cli.main(
        [
            "train",
            "vae",
            "--epochs",
            "1",
            "--option",
            "nonsense=1",
            "--out",
            str(tmp_path),
        ]
    )
    assert status == 2
    assert "Bad --option" in capsys.readouterr().err


def test_backend_flag(monkeypatch):
    current = keras.config.backend()
    other = next(b for b in cli.BACKENDS if b != current)
    assert cli.apply_backend_flag(["list", "--backend", current]) == current
    with pytest.raises(cli.CommandError, match="already running"):
        cli.apply_backend_flag(["list", f"--backend={other}"])
    with pytest.raises(cli.CommandError, match="Unknown backend"):
        cli.apply_backend_flag(["--backend", "theano"])
    # before Keras is imported the flag sets KERAS_BACKEND
    monkeypatch.delitem(__import__("sys").modules, "keras")
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert cli.apply_backend_flag(["--backend", other, "list"]) == other
    assert os.environ["KERAS_BACKEND"] == other


def test_missing_model_file(tmp_path, capsys):
    status = cli.main(["sample", str(tmp_path / "none.keras")])
    assert status == 2
    assert "No model file" in capsys.readouterr().err


def test_pixel_convention_of_a_model():
    class Vae:
        def elbo(self, x):
            return x

    assert cli._model_data_kind(Vae(), {}) == ("unit", 256)
    assert cli._model_data_kind(_LogProbModel(), {}) == ("integer", 4)
    assert cli._model_data_kind(_SampleOnlyModel(), {}) == ("signed", 256)
    # run.json, when present, wins over duck typing
    run_info = {"data_kind": "integer", "num_levels": 17}
    assert cli._model_data_kind(Vae(), run_info) == ("integer", 17)
    assert cli._value_range("integer", 17) == (0, 16)
    assert cli._value_range("signed", 256) == (-1.0, 1.0)
    assert cli._value_range("unit", 256) == (0.0, 1.0)


# the smallest options that keep each recipe's structure (8x8 digits)
TINY_OPTIONS = {
    "vae": {"latent_dim": 2, "hidden_units": [8]},
    "conv_vae": {"latent_dim": 2, "filters": [4, 4]},
    "autoencoder": {"code_dim": 2, "hidden_units": [8]},
    "conditional_vae": {"latent_dim": 2, "hidden_units": [8]},
    "dcgan": {"latent_dim": 4, "base_filters": 4},
    "wgan_gp": {"latent_dim": 4, "base_filters": 4},
    "wgan": {"latent_dim": 4, "base_filters": 4},
    "conditional_gan": {"latent_dim": 4, "base_filters": 4},
    "pixelcnn": {"filters": 4, "num_layers": 1},
    "gated_pixelcnn": {"filters": 4, "num_layers": 1},
    "conditional_gated_pixelcnn": {"filters": 4, "num_layers": 1},
    "pixelcnn_pp": {"num_filters": 4},
    "pixelrnn": {"hidden_units": 4, "num_layers": 1},
}


def test_every_recipe_builds_a_compiled_model_of_its_convention():
    from kgen.models import AutoregressiveModel

    assert set(TINY_OPTIONS) == set(recipes.RECIPES), "add tiny options for new recipes"
    for name, recipe in recipes.RECIPES.items():
        model = recipe.build_model((8, 8, 1), 10, **TINY_OPTIONS[name])
        assert isinstance(model, keras.Model) and model.compiled, name
        if recipe.data_kind == "integer":
            assert isinstance(model, AutoregressiveModel), name
            assert model.num_levels == recipe.levels() == 17, name
            assert (model.num_classes is not None) == recipe.conditional, name
        if recipe.conditional:
            assert model.num_classes == 10, name
    # an option overrides the recipe's levels, and the data are quantized to it
    assert recipes.get("pixelcnn").levels({"num_levels": 4}) == 4


def test_train_and_evaluate_an_autoregressive_recipe(tmp_path, capsys):
    status = cli.main(
        ["train", "conditional_gated_pixelcnn", "--epochs", "1", "--batch-size", "256"]
        + ["--option", "filters=4", "--option", "num_layers=1"]
        + ["--option", "num_levels=4", "--verbose", "0", "--out", str(tmp_path)]
    )
    assert status == 0
    for name in ("model.keras", "samples.png", "completions.png", "metrics.json"):
        assert (tmp_path / name).is_file(), name
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["data_kind"] == "integer" and run["num_levels"] == 4
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    # exact likelihood: bits/dim is the NLL in bits per sub-pixel, below the
    # 2 bits of a uniform distribution over 4 levels after one epoch
    assert metrics["bits_per_dim"] == pytest.approx(
        metrics["nll_nats"] / (64 * math.log(2))
    )
    assert 0 < metrics["bits_per_dim"] < 2.0
    # completions: 3 rows (originals, occluded, completed) of 8 images, 8x scale
    grid = np.asarray(Image.open(tmp_path / "completions.png"))
    assert grid.shape[:2] == (3 * 64 + 2 * 8, 8 * 64 + 7 * 8)
    out = tmp_path / "metrics2.json"
    args = ["evaluate", str(tmp_path / "model.keras"), "--data", "digits"]
    assert cli.main(args + ["--out", str(out)]) == 0
    again = json.loads(out.read_text())
    assert again["bits_per_dim"] == pytest.approx(metrics["bits_per_dim"], rel=1e-5)
