"""
Title: Using p(x): densities, outliers, a classifier that can say "none of these", sample quality
Author: kgen contributors
Description: Two likelihood models of one data set (a Gated PixelCNN, exact,
    and a VAE with a discretized logistic decoder, a bound) give bits/dim;
    their log p(x) flags outliers, which fails where Nalisnick et al. (2019)
    found it fails, and two corrections are measured beside it (a
    likelihood ratio against a background model, Ren et al. 2019, and a
    typicality test, Nalisnick et al. 2019b); a class-conditional PixelCNN
    with Bayes' rule classifies and rejects inputs that are unlikely under
    every class; the samples of both models are scored beside the
    real-vs-real floor; and one call writes the evaluation report.
Accelerator: none required (about 20 CPU minutes with the default budget)

Run it top to bottom:

    python examples/using_densities.py --out runs/densities     # Fashion-MNIST
    python examples/using_densities.py --quick                  # smoke test

The full run uses Fashion-MNIST (the Debian package `dataset-fashion-mnist`)
as in-distribution data and the digits resized to 28x28 and uniform noise as
outliers. `--quick` reads local files only: the 8x8 digits are the
in-distribution data and the embedded photographs' patches (in grey) and
noise the outliers. It writes `results.json` (every number printed), the
figures and `report/` into `--out`; the same code runs on JAX, TensorFlow and
PyTorch (`KERAS_BACKEND`).
"""

# ## Setup

import argparse
import json
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kgen import data, evaluation, viz  # noqa: E402
from kgen.models import GatedPixelCNN, mlp_vae  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Using p(x) on three backends")
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    parser.add_argument("--out", default="runs/densities")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def settings(args):
    """Sizes and budgets; `--quick` shrinks everything."""
    if args.quick:
        return dict(
            quick=True,
            max_train=512,
            max_test=128,
            pixelcnn=dict(filters=8, num_layers=2, epochs=1),
            vae=dict(latent_dim=4, hidden_units=(32,), epochs=2),
            background_rate=0.2,
            iwae_samples=4,
            group_size=4,
            num_generated=32,
        )
    return dict(
        quick=False,
        max_train=20000,
        max_test=2000,
        pixelcnn=dict(filters=32, num_layers=6, epochs=3),
        vae=dict(latent_dim=16, hidden_units=(512, 256), epochs=15),
        background_rate=0.2,
        iwae_samples=100,
        group_size=10,
        num_generated=1000,
    )


# ## Data
#
# Every model here takes uint8 images in its own declared convention
# (`model.data_convention.from_uint8`); the outliers are put through the same
# conversion, so each model sees them as it sees its data.


def load_sets(config):
    """In-distribution train/test ``uint8`` images and labels, and outlier sets."""
    if config["quick"]:
        x_train, y_train = data.load("digits", "train")
        x_test, y_test = data.load("digits", "test")
        patches, _ = data.load("color_patches", "test", image_size=8)
        grey = patches.astype("float32").mean(axis=-1, keepdims=True)
        others = {"photograph patches (grey)": grey.round().astype("uint8")}
        source = (
            "the embedded digits (8x8); outliers: the embedded photographs' patches"
        )
    else:
        x_train, y_train = data.load("fashion_mnist", "train")
        x_test, y_test = data.load("fashion_mnist", "test")
        digits, _ = data.load("digits", "test", image_size=28)
        others = {"digits resized to 28x28": digits}
        source = "Fashion-MNIST; outliers: the digits resized to 28x28"
    print(f"data: {source}")
    rng = np.random.default_rng(0)
    count = config["max_test"]
    others["uniform noise"] = rng.integers(
        0, 256, (count, *x_test.shape[1:]), dtype="uint8"
    )
    others = {name: images[:count] for name, images in others.items()}
    return dict(
        source=source,
        x_train=x_train[: config["max_train"]],
        y_train=y_train[: config["max_train"]].astype("int32"),
        x_test=x_test[:count],
        y_test=y_test[:count].astype("int32"),
        others=others,
    )


# ## 1. Density estimation
#
# The Gated PixelCNN's log p(x) is exact; the VAE's bits/dim is an IWAE bound
# on the same discrete data (a discretized logistic decoder over the 256
# levels). Both are the negative log-likelihood of the discrete images in
# bits per sub-pixel, so the two numbers are comparable.


def pixelcnn(shape, config, num_classes=None):
    model = GatedPixelCNN(
        shape,
        num_levels=256,
        num_classes=num_classes,
        filters=config["pixelcnn"]["filters"],
        num_layers=config["pixelcnn"]["num_layers"],
    )
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    return model


def vae(shape, config):
    options = config["vae"]
    model = mlp_vae(
        shape,
        latent_dim=options["latent_dim"],
        hidden_units=options["hidden_units"],
        likelihood="discretized_logistic",
        num_levels=256,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def train(model, images, config_key, config, labels=None):
    x = model.data_convention.from_uint8(images)
    start = time.time()
    history = model.fit(
        x,
        labels,
        batch_size=64,
        epochs=config[config_key]["epochs"],
        shuffle=True,
        verbose=0,
    )
    return history.history, round(time.time() - start, 1)


def density_section(sets, config, results):
    shape = sets["x_train"].shape[1:]
    models, table = {}, {}
    for name, build, key in (
        ("Gated PixelCNN", lambda: pixelcnn(shape, config), "pixelcnn"),
        ("VAE (discretized logistic)", lambda: vae(shape, config), "vae"),
    ):
        model = build()
        history, seconds = train(model, sets["x_train"], key, config)
        x_test = model.data_convention.from_uint8(sets["x_test"])
        report = evaluation.likelihood_report(
            model, x_test, num_samples=config["iwae_samples"], seed=0
        )
        models[name] = model
        table[name] = {
            "bits_per_dim": report["bits_per_dim"],
            "standard_error": report["bits_per_dim_standard_error"],
            "estimator": report["estimator"],
            "train_seconds": seconds,
            "history": history,
        }
        print(
            f"  {name:<28} {report['bits_per_dim']:.3f} ± "
            f"{report['bits_per_dim_standard_error']:.3f} bits/dim "
            f"({report['estimator']}; {len(x_test)} test images)"
        )
    print(f"  {'uniform over 256 levels':<28} 8.000 bits/dim")
    results["density"] = table
    return models


# ## 2. Outliers, and why the likelihood fails
#
# A detector flags inputs whose -log p(x) is high. AUROC 1 means every
# outlier scores above every test image; 0.5 is chance; below 0.5 the
# outliers are *more* likely than the data (Nalisnick et al. found this for
# models of Fashion-MNIST shown MNIST: simpler images get more probability).
# The likelihood ratio divides out what a background model, trained on
# perturbed images, also explains (the low-level statistics); the typicality
# test asks whether a *group* of inputs has the model's typical NLL, so
# inputs that are too likely are caught as well.


def outlier_section(models, sets, config, results):
    rows = []
    shape = sets["x_train"].shape[1:]
    for name, model in models.items():
        convention = model.data_convention
        x_train = convention.from_uint8(sets["x_train"])
        x_test = convention.from_uint8(sets["x_test"])
        others = {k: convention.from_uint8(v) for k, v in sets["others"].items()}
        options = {"num_samples": config["iwae_samples"], "seed": 0}
        raw = evaluation.OutlierDetector(model, **options)
        # the background model: the same architecture, trained on images
        # with a fraction of their pixels replaced by random levels
        background = (
            pixelcnn(shape, config) if name.startswith("Gated") else vae(shape, config)
        )
        perturbed = evaluation.perturb_pixels(
            sets["x_train"], config["background_rate"], seed=1
        )
        train(
            background,
            perturbed,
            "pixelcnn" if name.startswith("Gated") else "vae",
            config,
        )
        ratio = evaluation.OutlierDetector(
            model, background_model=background, **options
        )
        half = len(x_train) // 2
        typical = evaluation.TypicalityTest(
            model, group_size=config["group_size"], **options
        ).fit(x_train[:half], x_train[half:])
        for other_name, x_out in others.items():
            row = {
                "model": name,
                "outliers": other_name,
                "raw likelihood": raw.report(x_test, x_out)["auroc"],
                "likelihood ratio": ratio.report(x_test, x_out)["auroc"],
                "typicality": typical.report(x_test, x_out)["auroc"],
                "num_in": int(len(x_test)),
                "num_out": int(len(x_out)),
            }
            rows.append(row)
            print(
                f"  {name:<28} vs {other_name:<28} AUROC: raw {row['raw likelihood']:.3f}, "
                f"ratio {row['likelihood ratio']:.3f}, typicality "
                f"{row['typicality']:.3f}"
            )
    results["outliers"] = {
        "rows": rows,
        "typicality_group_size": config["group_size"],
        "background_perturbation_rate": config["background_rate"],
    }


# ## 3. A generative classifier that can say "none of these"
#
# One class-conditional Gated PixelCNN gives log p(x | y) for every class;
# Bayes' rule turns them into p(y | x). log p(x) = log sum_y p(x | y) p(y)
# also says how likely the input is at all: calibrated on training data to
# reject 5% of them, the classifier answers "none of these" (-1) for inputs
# no class explains, where a discriminative classifier would still answer.


def classifier_section(sets, config, results):
    shape = sets["x_train"].shape[1:]
    model = pixelcnn(shape, config, num_classes=int(sets["y_train"].max()) + 1)
    train(model, sets["x_train"], "pixelcnn", config, labels=sets["y_train"])
    convention = model.data_convention
    classifier = evaluation.GenerativeClassifier(model).calibrate_rejection(
        convention.from_uint8(sets["x_train"]), false_rejection_rate=0.05
    )
    report = classifier.report(convention.from_uint8(sets["x_test"]), sets["y_test"])
    rejected = {
        name: float(classifier.reject(convention.from_uint8(images)).mean())
        for name, images in sets["others"].items()
    }
    print(
        f"  test accuracy {report['accuracy']:.3f}; rejected: test "
        f"{report['rejection_rate']:.3f} (target 0.05), "
        + ", ".join(f"{k} {v:.3f}" for k, v in rejected.items())
    )
    results["classifier"] = {**report, "rejected_outliers": rejected}


# ## 4. Sample quality beside the floor, and 5. the report
#
# Fréchet distance and the rest in the data set's domain classifier's
# features (trained once on the local training split, cached), each beside
# the same metric between two disjoint real parts: a model's number means
# little without what a perfect model would get at that sample size.


def quality_section(models, sets, config, out, results):
    dataset = "digits" if config["quick"] else "fashion_mnist"
    features = evaluation.domain_classifier(dataset)
    results["sample_quality"] = {}
    for name, model in models.items():
        convention = model.data_convention
        path = os.path.join(out, "report" if name.startswith("Gated") else "report_vae")
        report = evaluation.evaluation_report(
            model,
            convention.from_uint8(sets["x_test"]),
            out=path,
            train=convention.from_uint8(sets["x_train"]),
            history=results["density"][name]["history"],
            feature_extractor=features,
            num_generated=config["num_generated"],
            num_samples=config["iwae_samples"],
            data_name=sets["source"],
        )
        quality, floor = report["sample_quality"], report["real_vs_real_floor"]
        row = {
            "frechet_distance": quality["frechet_distance"]["value"],
            "frechet_distance_floor": floor["frechet_distance"]["value"],
            "precision": quality["precision_recall"]["precision"],
            "recall": quality["precision_recall"]["recall"],
            "features": quality["features"],
            "report": report["files"]["html"],
        }
        results["sample_quality"][name] = row
        print(
            f"  {name:<28} Fréchet distance {row['frechet_distance']:.2f} (real vs "
            f"real {row['frechet_distance_floor']:.2f}), precision "
            f"{row['precision']:.2f}, recall {row['recall']:.2f}; report: {path}"
        )


def main(argv=None):
    args = parse_args(argv)
    config = settings(args)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    results = {"backend": keras.config.backend(), "config": config}
    sets = load_sets(config)
    results["data"] = sets["source"]
    viz.save_image_grid(
        os.path.join(args.out, "outlier_sets.png"),
        np.concatenate([sets["x_test"][:8]] + [v[:8] for v in sets["others"].values()]),
        num_columns=8,
        scale=4 if config["quick"] else 2,
    )
    print("1. Density estimation")
    models = density_section(sets, config, results)
    print("2. Outliers")
    outlier_section(models, sets, config, results)
    print("3. A generative classifier with a reject option")
    classifier_section(sets, config, results)
    print("4-5. Sample quality and the report")
    quality_section(models, sets, config, args.out, results)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=float)
    return results


if __name__ == "__main__":
    main()
