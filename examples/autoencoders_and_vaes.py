"""
Title: Autoencoders and variational autoencoders
Author: kgen contributors
Description: From a regular autoencoder and its features, through the VAE and
    its evidence lower bound (and which likelihood number is which), to
    sampling, latent traversals, editing, a conditional VAE, a
    mixture-of-Gaussians prior and categorical latents.
Accelerator: none (CPU is enough for the 8x8 digits)

Run it top to bottom:

    python examples/autoencoders_and_vaes.py --out runs/vae          # digits
    python examples/autoencoders_and_vaes.py --data fashion_mnist    # 28x28
    python examples/autoencoders_and_vaes.py --quick                 # smoke test

It writes PNG figures and `results.json` (all numbers below) into `--out`.
"""

# ## Setup
#
# Keras picks its backend once, at import. The example runs on any of the
# three; JAX is the default here when `KERAS_BACKEND` is not set.

import argparse
import json
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from kgen import data, viz  # noqa: E402
from kgen.evaluation import likelihood_report  # noqa: E402
from kgen.models.latent import (  # noqa: E402
    TemperatureAnnealing,
    conditional_mlp_vae,
    mlp_autoencoder,
    mlp_categorical_vae,
    mlp_mixture_prior_vae,
    mlp_vae,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    parser.add_argument("--out", default="runs/autoencoders_and_vaes")
    parser.add_argument("--data", choices=("digits", "fashion_mnist"), default="digits")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def settings(args):
    """Sizes per data set; `--quick` shrinks everything."""
    if args.data == "digits":
        config = dict(hidden=(128,), latent_dim=8, code_dim=16, epochs=60, batch=64)
    else:
        config = dict(hidden=(400,), latent_dim=20, code_dim=32, epochs=10, batch=128)
    # the levels of the discrete data: the digits' 17 stored grey levels,
    # Fashion-MNIST's 256
    config["num_levels"] = 17 if args.data == "digits" else 256
    config["iwae_samples"] = 100
    config["max_train"], config["max_test"] = None, 2000
    if args.quick:
        config.update(
            hidden=(16,), epochs=1, iwae_samples=5, max_train=256, max_test=100
        )
    if args.epochs is not None:
        config["epochs"] = args.epochs
    return config


def load(args, config):
    if args.quick:
        # Local files only: the digits resized to 28x28 stand in for a
        # Fashion-MNIST that is not on disk (the line printed says which).
        x_train, y_train, source = data.load_or_stand_in(args.data, "train")
        x_test, y_test, _ = data.load_or_stand_in(args.data, "test")
    else:
        x_train, y_train = data.load(args.data, "train")
        x_test, y_test = data.load(args.data, "test")
        source = args.data
    print(f"data: {source}")
    x_train, x_test = data.to_unit_float(x_train), data.to_unit_float(x_test)
    if config["max_train"]:
        x_train, y_train = (
            x_train[: config["max_train"]],
            y_train[: config["max_train"]],
        )
    x_test, y_test = x_test[: config["max_test"]], y_test[: config["max_test"]]
    return x_train, y_train.astype("int32"), x_test, y_test.astype("int32")


def fit(model, x, y, config, **kwargs):
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    start = time.time()
    history = model.fit(
        x, y, epochs=config["epochs"], batch_size=config["batch"], verbose=0, **kwargs
    )
    return history.history, time.time() - start


def to_levels(model, x):
    """Floats in [0, 1] as the model's discrete levels ``k / (L - 1)``.

    `load` gives ``x / 255`` floats; a model with ``num_levels=17`` takes the
    17 levels of the digits. ``to_uint8`` gives the 8-bit images back and the
    model's declared convention converts them.
    """
    return model.data_convention.from_uint8(data.to_uint8(x))


class Run:
    """What every section needs: data, settings, figures, results."""

    def __init__(self, args, config, x_train, y_train, x_test, y_test):
        self.args, self.config = args, config
        self.x_train, self.y_train = x_train, y_train
        self.x_test, self.y_test = x_test, y_test
        self.image_shape = x_train.shape[1:]
        self.scale = 4 if self.image_shape[0] <= 8 else 2
        self.results = {
            "backend": keras.config.backend(),
            "data": args.data,
            "quick": args.quick,
            "num_train": int(len(x_train)),
            "num_test": int(len(x_test)),
            "config": {
                k: list(v) if isinstance(v, tuple) else v for k, v in config.items()
            },
        }

    def figure(self, name, save, images):
        path = os.path.join(self.args.out, name)
        # every model here returns floats in [0, 1]
        save(path, images, scale=self.scale, value_range=(0.0, 1.0))
        return path

    def report(self, model, x, conditions=None):
        return likelihood_report(
            model, x, conditions, num_samples=self.config["iwae_samples"]
        )


# ## 1. A regular autoencoder, and its code as features
#
# An autoencoder squeezes x through a small code and rebuilds it,
# minimizing ||x - decoder(encoder(x))||^2. It is not a generative model
# (there is no distribution over codes to sample from: it declares encode
# and decode, not sample), but its encoder is a learned feature extractor:
# a linear classifier trained on the codes of the labelled training images
# can be compared with one trained on raw pixels.
def autoencoder_features(run):
    config, x_train, x_test = run.config, run.x_train, run.x_test
    autoencoder = mlp_autoencoder(
        run.image_shape, code_dim=config["code_dim"], hidden_units=config["hidden"]
    )
    history, seconds = fit(autoencoder, x_train, None, config)
    reconstruction_mse = float(np.mean((autoencoder.reconstruct(x_test) - x_test) ** 2))
    codes_train = autoencoder.encode(x_train)["latent"]
    codes_test = autoencoder.encode(x_test)["latent"]

    def linear_probe(features_train, features_test):
        # standardized features, so the two probes get the same treatment
        mean, std = features_train.mean(0), features_train.std(0) + 1e-6
        classifier = LogisticRegression(max_iter=2000)
        classifier.fit((features_train - mean) / std, run.y_train)
        return float(classifier.score((features_test - mean) / std, run.y_test))

    run.results["autoencoder"] = {
        "train_seconds": seconds,
        "final_loss": history["loss"][-1],
        "test_pixel_mse": reconstruction_mse,
        "code_dim": config["code_dim"],
        "probe_accuracy_codes": linear_probe(codes_train, codes_test),
        "probe_accuracy_pixels": linear_probe(
            x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
        ),
        "chance_accuracy": float(np.max(np.bincount(run.y_test)) / len(run.y_test)),
    }
    run.figure(
        "autoencoder_reconstructions.png",
        viz.save_traversal_grid,
        np.stack([x_test[:10], autoencoder.reconstruct(x_test[:10])]),
    )


# ## 2. The variational autoencoder and its ELBO
#
# A VAE makes the code random: the encoder outputs the mean and
# log-variance of q(z|x), a sample z = mu + sigma * epsilon goes through
# the decoder p(x|z), and training maximizes the evidence lower bound
#
#     log p(x) >= E_q[log p(x|z)] - KL(q(z|x) || N(0, I)).
#
# The decoder here is a discretized logistic over the data's levels (17
# for the digits): p(x|z) is a probability of the discrete image, so the
# importance-weighted bound with K samples is an upper bound on the
# negative log-likelihood of the digits as stored, in bits per sub-pixel
# comparable with the autoregressive models' exact bits/dim.
def variational_autoencoder(run):
    config = run.config
    vae = mlp_vae(
        run.image_shape,
        latent_dim=config["latent_dim"],
        hidden_units=config["hidden"],
        likelihood="discretized_logistic",
        num_levels=config["num_levels"],
        seed=run.args.seed,
    )
    x_train, x_test = to_levels(vae, run.x_train), to_levels(vae, run.x_test)
    untrained = run.report(vae, x_test)
    history, seconds = fit(vae, x_train, None, config)
    run.results["vae"] = {
        "train_seconds": seconds,
        "history_last": {k: v[-1] for k, v in history.items()},
        "untrained": untrained,
        "trained": run.report(vae, x_test),
    }
    run.figure(
        "vae_reconstructions.png",
        viz.save_traversal_grid,
        np.stack([x_test[:10], vae.reconstruct(x_test[:10])]),
    )
    return vae, x_test


# ## 3. Which number is which
#
# "bits/dim" is only ever the negative log-likelihood of the discrete data
# (or a named bound on it). A Gaussian decoder is a density of continuous
# values: its log-density at the grid values k / (L - 1) is not a
# likelihood of the levels (it is even positive when the variance is
# small). Uniform dequantization gives one: the level k owns the bin
# [k / L, (k + 1) / L), and -E_u[log p((k + u) / L)] + D log L bounds the
# discrete negative log-likelihood (Jensen); training on (k + u) / L
# (dequantize=True) makes the bound tight. A Bernoulli decoder on grey
# levels is a cross-entropy, not a likelihood: its bits_per_dim refuses,
# and likelihood_report says why.
def which_number_is_which(run):
    config = run.config
    gaussian = mlp_vae(
        run.image_shape,
        latent_dim=config["latent_dim"],
        hidden_units=config["hidden"],
        likelihood="gaussian",
        num_levels=config["num_levels"],
        dequantize=True,
        seed=run.args.seed,
    )
    x_train, x_test = to_levels(gaussian, run.x_train), to_levels(gaussian, run.x_test)
    fit(gaussian, x_train, None, config)
    report = run.report(gaussian, x_test)
    density = gaussian.iwae_log_likelihood(
        x_test, config["iwae_samples"], seed=0, batch_size=len(x_test)
    )
    run.results["gaussian_vae"] = {
        **report,
        # not a bits/dim: a density of continuous values at the grid values
        "density_at_grid_values_in_bits": float(
            -density.mean() / (np.prod(run.image_shape) * np.log(2.0))
        ),
    }
    bernoulli = mlp_vae(
        run.image_shape,
        latent_dim=config["latent_dim"],
        hidden_units=config["hidden"],
        likelihood="bernoulli",
        seed=run.args.seed,
    )
    fit(bernoulli, run.x_train, None, config)
    run.results["bernoulli_vae"] = run.report(bernoulli, run.x_test)


# ## 4. Sampling, traversals (vary z1, vary z2), interpolation
#
# New images: z ~ N(0, I), decoded; we show the mean of p(x|z)
# (`decoder_output="sample"` draws x ~ p(x|z) instead, on the level grid).
# The same seed gives the same images. A traversal fixes every latent
# coordinate but one and sweeps it over [-3, 3]: each row shows what one
# dimension of z controls.
def sampling_and_traversals(run, vae, x_test):
    seed = run.args.seed
    run.figure("vae_samples.png", viz.save_image_grid, vae.sample(64, seed=seed))
    traversal = vae.traverse(
        x=x_test[0],
        dims=tuple(range(min(4, run.config["latent_dim"]))),
        values=np.linspace(-3, 3, 9),
    )
    run.figure("vae_traversal.png", viz.save_traversal_grid, traversal)
    path = vae.interpolate(x_test[0], x_test[1], num_steps=10, method="spherical")
    run.figure("vae_interpolation.png", viz.save_interpolation_strip, path)


# ## 5. Editing in latent space
#
# Encode, shift the dimensions we care about, decode. Here we move every
# test image along the direction between the mean codes of two classes
# (the "attribute vector" trick), coordinate by coordinate.
def editing(run, vae, x_test):
    y_test = run.y_test
    means = vae.encode(x_test)["latent"]
    class_a, class_b = (1, 7) if run.args.data == "digits" else (7, 5)
    direction = means[y_test == class_b].mean(0) - means[y_test == class_a].mean(0)
    picks = x_test[y_test == class_a][:8]
    changes = {d: float(direction[d]) for d in range(run.config["latent_dim"])}
    edited = vae.edit(picks, changes)
    run.figure("vae_edit.png", viz.save_traversal_grid, np.stack([picks, edited]))
    run.results["edit"] = {"from_class": class_a, "to_class": class_b}


# ## 6. A conditional VAE
#
# Give the label to both encoder and decoder: q(z|x, y), p(x|z, y)
# (`num_classes=10`, trained with fit(x, labels)). Then z only has to carry
# what the label does not (the style), and we can ask for a class: one row
# per class below, same z along each column.
def conditional(run):
    config = run.config
    cvae = conditional_mlp_vae(
        run.image_shape,
        num_classes=10,
        latent_dim=config["latent_dim"],
        hidden_units=config["hidden"],
        likelihood="discretized_logistic",
        num_levels=config["num_levels"],
        seed=run.args.seed,
    )
    x_train, x_test = to_levels(cvae, run.x_train), to_levels(cvae, run.x_test)
    _, seconds = fit(cvae, x_train, run.y_train, config)
    run.results["conditional_vae"] = {
        "train_seconds": seconds,
        **run.report(cvae, x_test, run.y_test),
    }
    rows = [cvae.sample(8, conditions=label, seed=run.args.seed) for label in range(10)]
    run.figure("cvae_samples_by_class.png", viz.save_traversal_grid, np.stack(rows))


# ## 7. Richer priors: a mixture of Gaussians, and categorical latents
#
# The N(0, I) prior is a choice. A learned mixture of Gaussians lets the
# codes form clusters (its KL term is estimated by Monte Carlo). A code
# of categorical variables is trained with the Gumbel-softmax relaxation,
# whose temperature is annealed during training.
def richer_priors(run):
    config = run.config
    decoder = {"likelihood": "discretized_logistic", "num_levels": config["num_levels"]}
    mixture = mlp_mixture_prior_vae(
        run.image_shape,
        latent_dim=config["latent_dim"],
        num_components=10,
        hidden_units=config["hidden"],
        seed=run.args.seed,
        **decoder,
    )
    x_train, x_test = to_levels(mixture, run.x_train), to_levels(mixture, run.x_test)
    _, seconds = fit(mixture, x_train, None, config)
    run.results["mixture_prior_vae"] = {
        "train_seconds": seconds,
        **run.report(mixture, x_test),
    }
    run.figure(
        "mixture_prior_samples.png", viz.save_image_grid, mixture.sample(64, seed=1)
    )

    categorical = mlp_categorical_vae(
        run.image_shape,
        num_latents=config["latent_dim"],
        num_categories=10,
        hidden_units=config["hidden"],
        seed=run.args.seed,
        **decoder,
    )
    anneal = TemperatureAnnealing(1.0, minimum_temperature=0.5, rate=0.05)
    history, seconds = fit(categorical, x_train, None, config, callbacks=[anneal])
    run.results["categorical_vae"] = {
        "train_seconds": seconds,
        "final_temperature": history["temperature"][-1],
        **run.report(categorical, x_test),
    }
    run.figure(
        "categorical_samples.png", viz.save_image_grid, categorical.sample(64, seed=1)
    )


def main(argv=None):
    args = parse_args(argv)
    config = settings(args)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    run = Run(args, config, *load(args, config))
    autoencoder_features(run)
    vae, x_test = variational_autoencoder(run)
    which_number_is_which(run)
    sampling_and_traversals(run, vae, x_test)
    editing(run, vae, x_test)
    conditional(run)
    richer_priors(run)

    # ## Results
    results = run.results
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=2)
    ae, trained = results["autoencoder"], results["vae"]["trained"]
    print(
        f"[{results['backend']}] autoencoder probe accuracy: codes "
        f"{ae['probe_accuracy_codes']:.3f} vs pixels {ae['probe_accuracy_pixels']:.3f}; "
        f"VAE test ELBO {trained['elbo_nats']:.2f} nats, "
        f"{trained['bits_per_dim']:.3f} bits/dim ({trained['estimator']}); "
        f"Gaussian decoder {results['gaussian_vae']['bits_per_dim']:.3f} bits/dim "
        f"({results['gaussian_vae']['estimator']})"
    )
    return results


if __name__ == "__main__":
    main()
