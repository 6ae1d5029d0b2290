import json
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from kgen import cli, evaluation, recipes, viz
from kgen.contract import Capability, DataConvention
from kgen.models import GenerativeModel

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
    # the IWAE bound (K=4) is tighter than the ELBO on average; the report
    # names the estimator and bits/dim is its NLL bound in bits per sub-pixel
    assert -metrics["nll_nats"] >= metrics["elbo_nats"] - 1.0
    assert "IWAE" in metrics["estimator"] and "K=4" in metrics["estimator"]
    assert metrics["bits_per_dim"] == pytest.approx(
        metrics["nll_nats"] / (64 * math.log(2))
    )
    run = json.loads((trained_run / "run.json").read_text())
    assert run["options"]["latent_dim"] == 2 and run["data_convention"].startswith(
        "floats in [0, 1]"
    )
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
    assert {"elbo_nats", "nll_nats", "bits_per_dim", "estimator"} <= set(metrics)
    assert all(math.isfinite(v) for v in _finite_numbers(metrics).values())
    assert "bits_per_dim" in capsys.readouterr().out


class _DeclaredModel(GenerativeModel):
    """A model whose declaration disagrees with the methods it has.

    It declares signed data and an exact likelihood; it also has an ``elbo``
    and a ``reconstruct`` method, which a caller guessing from method names
    would take for a VAE on [0, 1].
    """

    data_kind = "signed"
    capabilities = frozenset({Capability.SAMPLE, Capability.EXACT_LIKELIHOOD})

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = (2, 2, 1)
        self.num_levels = 4
        self.built = True

    def log_prob(self, x, conditions=None, *, batch_size=None):
        # independent uniform sub-pixels over 4 levels: log p = -D log 4
        return np.full(len(x), -4 * math.log(4.0))

    def bits_per_dim(self, x, conditions=None, *, batch_size=None):
        return -self.log_prob(x) / (4 * math.log(2.0))

    def sample(self, num_samples, *, seed=None, conditions=None, batch_size=None):
        return np.zeros((num_samples, 2, 2, 1), "float32")

    def elbo(self, x):  # a method that is not declared
        raise AssertionError("elbo is not a declared capability")

    def reconstruct(self, x):  # a method that is not declared
        raise AssertionError("reconstruct is not a declared capability")


def test_evaluation_reads_the_declaration_not_method_names():
    x = np.zeros((5, 2, 2, 1), "float32")
    metrics = evaluation.evaluate_model(_DeclaredModel(), x)
    # uniform over 4 levels is exactly 2 bits per dimension, from log_prob
    assert metrics["estimator"] == "exact"
    assert metrics["bits_per_dim"] == pytest.approx(2.0)
    assert metrics["nll_nats"] == pytest.approx(4 * math.log(4.0))


def test_pictures_use_the_declared_convention(tmp_path):
    # samples of 0.0 are mid-grey in the declared [-1, 1] (black in [0, 1])
    model = _DeclaredModel()
    written = viz.save_model_pictures(model, tmp_path, np.zeros((4, 2, 2, 1)))
    assert set(written) == {"samples"}  # no reconstructions: not declared
    grid = np.asarray(Image.open(written["samples"]))
    assert grid[0, 0] == 128


def test_a_model_without_likelihood_gets_a_note():
    class SampleOnly(_DeclaredModel):
        capabilities = frozenset({Capability.SAMPLE})

    note = evaluation.evaluate_model(SampleOnly(), np.zeros((5, 2, 2, 1)))["note"]
    assert "no likelihood" in note and "frechet_distance" in note
    with pytest.raises(ValueError, match="declares no likelihood"):
        evaluation.likelihood_report(SampleOnly(), np.zeros((5, 2, 2, 1)))


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


def test_backend_flag_in_process():
    current = keras.config.backend()
    other = next(b for b in cli.BACKENDS if b != current)
    assert cli.check_backend_flag(["list", "--backend", current]) == current
    with pytest.raises(cli.CommandError, match="already running"):
        cli.check_backend_flag(["list", f"--backend={other}"])
    with pytest.raises(cli.CommandError, match="Unknown backend"):
        cli.check_backend_flag(["--backend", "theano"])


def _python(code, **env):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_command_sets_the_backend_before_keras_starts():
    current = keras.config.backend()
    other = next(b for b in cli.BACKENDS if b != current)
    out = _python(
        "import sys, kgen_command; "
        f"sys.exit(kgen_command.main(['--backend', '{other}', 'list']))",
        KERAS_BACKEND=current,
    )
    assert f"Keras backend: {other}" in out


def test_importing_kgen_reads_no_command_line_and_sets_nothing():
    # Keras (and TensorFlow) first, so only kgen's own import is measured.
    current = keras.config.backend()
    other = next(b for b in cli.BACKENDS if b != current)
    out = _python(
        "import os, sys, json; import keras; before = dict(os.environ); "
        f"sys.argv = ['kgen', '--backend', '{other}']; import kgen; "
        "changed = sorted(k for k in set(before) | set(os.environ) "
        "if before.get(k) != os.environ.get(k)); "
        "print(json.dumps([keras.config.backend(), changed]))",
        KERAS_BACKEND=current,
    )
    backend, changed = json.loads(out.strip().splitlines()[-1])
    assert backend == current and changed == []


def test_missing_model_file(tmp_path, capsys):
    status = cli.main(["sample", str(tmp_path / "none.keras")])
    assert status == 2
    assert "No model file" in capsys.readouterr().err


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
    "vqvae": {
        "num_embeddings": 4,
        "embedding_dim": 2,
        "filters": [4],
        "num_residual_blocks": 1,
    },
    "vqvae2": {
        "num_embeddings": 4,
        "embedding_dim": 2,
        "filters": 4,
        "prior_filters": 4,
        "prior_layers": 1,
    },
    "conditional_vqvae2": {
        "num_embeddings": 4,
        "embedding_dim": 2,
        "filters": 4,
        "prior_filters": 4,
        "prior_layers": 1,
    },
    "dalle": {
        "num_embeddings": 4,
        "embedding_dim": 2,
        "filters": [4],
        "num_residual_blocks": 1,
        "transformer_dim": 4,
        "num_layers": 1,
        "num_heads": 1,
    },
    "stylegan2": {"latent_dim": 4, "mapping_layers": 1, "base_filters": 2},
    "biggan": {"latent_dim": 4, "base_filters": 2},
    "conditional_biggan": {"latent_dim": 4, "base_filters": 2, "embedding_dim": 2},
    "text_gan": {"latent_dim": 4, "text_dim": 4, "base_filters": 2},
    "pix2pix": {"base_filters": 2},
    "cyclegan": {"base_filters": 2, "num_residual_blocks": 1},
    "ddpm": {
        "base_filters": 4,
        "channel_multipliers": [1],
        "num_groups": 2,
        "schedule": "cosine",
        "num_timesteps": 10,
    },
    "conditional_ddpm": {
        "base_filters": 4,
        "channel_multipliers": [1],
        "num_groups": 2,
        "schedule": "cosine",
        "num_timesteps": 10,
    },
}


def test_every_recipe_builds_a_compiled_model_that_declares_itself():
    assert set(TINY_OPTIONS) == set(recipes.RECIPES), "add tiny options for new recipes"
    for name, recipe in recipes.RECIPES.items():
        model = recipe.build_model((8, 8, 1), 10, **TINY_OPTIONS[name])
        assert isinstance(model, GenerativeModel) and model.compiled, name
        convention = model.data_convention
        assert convention.shape == (8, 8, 1), name
        assert model.capabilities, name
        if convention.kind == "integer":
            assert convention.num_levels == 17, name  # the digits' grey levels
        conditional = name.startswith("conditional")
        assert model.num_classes == (10 if conditional else None), name
    # an option overrides the recipe's levels, and the model declares them
    model = recipes.get("pixelcnn").build_model((8, 8, 1), 10, num_levels=4, filters=4)
    assert model.data_convention.num_levels == 4


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
    assert run["data_convention"].startswith("integer levels in [0, 3] (4 levels)")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    # exact likelihood: bits/dim is the NLL in bits per sub-pixel, below the
    # 2 bits of a uniform distribution over 4 levels after one epoch
    assert metrics["estimator"] == "exact"
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


def test_evaluate_writes_a_report(trained_run, tmp_path, monkeypatch):
    # the digits' domain classifier is trained once into an empty cache here
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    report_dir = tmp_path / "report"
    model_path = str(trained_run / "model.keras")
    args = ["evaluate", model_path, "--data", "digits", "--max-examples", "60"]
    args += ["--iwae-samples", "4", "--report", str(report_dir)]
    assert cli.main(args + ["--num-generated", "40"]) == 0
    report = json.loads((report_dir / "report.json").read_text())
    for name in ("report.md", "report.html", "samples.png", "neighbours.png"):
        assert (report_dir / name).stat().st_size > 0, name
    # the history beside the model is plotted; the features are the digits
    # classifier's, named in the table's text
    assert (report_dir / "history.png").stat().st_size > 0
    markdown = (report_dir / "report.md").read_text()
    assert "digits classifier" in report["sample_quality"]["features"]
    assert report["sample_quality"]["features"] in markdown
    assert report["sample_quality"]["num_generated"] == 40
    assert report["nearest_neighbours"]["reference"] == "training data"
    assert "IWAE" in report["likelihood"]["estimator"] and "K=4" in markdown
    # pixels on request; a data set without a classifier is refused by name
    assert cli.main(args + ["--features", "pixels", "--num-generated", "8"]) == 0
    report = json.loads((report_dir / "report.json").read_text())
    assert "pixels" in report["sample_quality"]["features"]
    parsed = cli.build_parser().parse_args(
        ["evaluate", model_path, "--data", "mnist", "--features", "domain"]
    )
    with pytest.raises(cli.CommandError, match="no domain classifier for 'mnist'"):
        cli._report_features(parsed, DataConvention("unit", (8, 8, 1)), (8, 8))
