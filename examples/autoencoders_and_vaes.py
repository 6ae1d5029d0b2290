"""
Title: Autoencoders and variational autoencoders
Author: kgen contributors
Description: From a regular autoencoder and its features, through the VAE and
    its evidence lower bound, to sampling, latent traversals, editing, a
    conditional VAE, a mixture-of-Gaussians prior and categorical latents.
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


def main(argv=None):
    args = parse_args(argv)
    config = settings(args)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    x_train, y_train, x_test, y_test = load(args, config)
    image_shape = x_train.shape[1:]
    scale = 4 if image_shape[0] <= 8 else 2
    results = {
        "backend": keras.config.backend(),
        "data": args.data,
        "quick": args.quick,
        "num_train": int(len(x_train)),
        "num_test": int(len(x_test)),
        "config": {
            k: list(v) if isinstance(v, tuple) else v for k, v in config.items()
        },
    }

    def figure(name, save, images):
        path = os.path.join(args.out, name)
        save(path, images, scale=scale)
        return path

    # ## 1. A regular autoencoder, and its code as features
    #
    # An autoencoder squeezes x through a small code and rebuilds it,
    # minimizing ||x - decoder(encoder(x))||^2. It is not a generative model
    # (there is no distribution over codes to sample from), but its encoder is
    # a learned feature extractor: a linear classifier trained on the codes of
    # a few labelled images can be compared with one trained on raw pixels.
    autoencoder = mlp_autoencoder(
        image_shape, code_dim=config["code_dim"], hidden_units=config["hidden"]
    )
    history, seconds = fit(autoencoder, x_train, None, config)
    reconstruction_mse = float(np.mean((autoencoder.reconstruct(x_test) - x_test) ** 2))
    codes_train, codes_test = autoencoder.encode(x_train), autoencoder.encode(x_test)
    raw_train = x_train.reshape(len(x_train), -1)
    raw_test = x_test.reshape(len(x_test), -1)

    def linear_probe(features_train, features_test):
        # standardized features, so the two probes get the same treatment
        mean, std = features_train.mean(0), features_train.std(0) + 1e-6
        classifier = LogisticRegression(max_iter=2000)
        classifier.fit((features_train - mean) / std, y_train)
        return float(classifier.score((features_test - mean) / std, y_test))

    results["autoencoder"] = {
        "train_seconds": seconds,
        "final_loss": history["loss"][-1],
        "test_pixel_mse": reconstruction_mse,
        "code_dim": config["code_dim"],
        "probe_accuracy_codes": linear_probe(codes_train, codes_test),
        "probe_accuracy_pixels": linear_probe(raw_train, raw_test),
    }
    figure(
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
    # The importance-weighted estimate with K samples is a tighter bound;
    # it is the number to quote as the test log-likelihood.
    vae = mlp_vae(
        image_shape,
        latent_dim=config["latent_dim"],
        hidden_units=config["hidden"],
        likelihood="bernoulli",
        seed=args.seed,
    )
    untrained = likelihood_report(vae, x_test, num_samples=config["iwae_samples"])
    history, seconds = fit(vae, x_train, None, config)
    trained = likelihood_report(vae, x_test, num_samples=config["iwae_samples"])
    results["vae"] = {
        "train_seconds": seconds,
        "history_last": {k: v[-1] for k, v in history.items()},
        "untrained": untrained,
        "trained": trained,
    }
    figure(
        "vae_reconstructions.png",
        viz.save_traversal_grid,
        np.stack([x_test[:10], vae.reconstruct(x_test[:10])]),
    )

    # ## 3. Sampling
    #
    # New images: z ~ N(0, I), decoded (we show the mean of p(x|z)). The
    # same seed gives the same images.
    figure("vae_samples.png", viz.save_image_grid, vae.sample(64, seed=args.seed))

    # ## 4. Traversals: vary z1, vary z2
    #
    # Fix every latent coordinate but one and sweep it over [-3, 3]: each row
    # shows what one dimension of z controls.
    traversal = vae.traverse(
        x=x_test[0],
        dims=tuple(range(min(4, config["latent_dim"]))),
        values=np.linspace(-3, 3, 9),
    )
    figure("vae_traversal.png", viz.save_traversal_grid, traversal)
    path = vae.interpolate(x_test[0], x_test[1], num_steps=10, method="spherical")
    figure("vae_interpolation.png", viz.save_interpolation_strip, path)

    # ## 5. Editing in latent space
    #
    # Encode, shift the dimensions we care about, decode. Here we move every
    # test image along the direction between the mean codes of two classes
    # (the "attribute vector" trick), coordinate by coordinate.
    means = vae.encode(x_test)[0]
    class_a, class_b = (1, 7) if args.data == "digits" else (7, 5)
    direction = means[y_test == class_b].mean(0) - means[y_test == class_a].mean(0)
    picks = x_test[y_test == class_a][:8]
    changes = {d: float(direction[d]) for d in range(config["latent_dim"])}
    edited = vae.edit(picks, changes)
    figure("vae_edit.png", viz.save_traversal_grid, np.stack([picks, edited]))
    results["edit"] = {"from_class": class_a, "to_class": class_b}

    # ## 6. A conditional VAE
    #
    # Give the label to both encoder and decoder: q(z|x, y), p(x|z, y). Then z
    # only has to carry what the label does not (the style), and we can ask
    # for a class: one row per class below, same z along each column.
    cvae = conditional_mlp_vae(
        image_shape,
        num_classes=10,
        latent_dim=config["latent_dim"],
        hidden_units=config["hidden"],
        seed=args.seed,
    )
    history, seconds = fit(cvae, x_train, y_train, config)
    results["conditional_vae"] = {
        "train_seconds": seconds,
        **likelihood_report(cvae, x_test, y_test, num_samples=config["iwae_samples"]),
    }
    rows = [cvae.sample(8, conditions=label, seed=args.seed) for label in range(10)]
    figure("cvae_samples_by_class.png", viz.save_traversal_grid, np.stack(rows))

    # ## 7. Richer priors: a mixture of Gaussians, and categorical latents
    #
    # The N(0, I) prior is a choice. A learned mixture of Gaussians lets the
    # codes form clusters (its KL term is estimated by Monte Carlo). A code
    # of categorical variables is trained with the Gumbel-softmax relaxation,
    # whose temperature is annealed during training.
    mixture = mlp_mixture_prior_vae(
        image_shape,
        latent_dim=config["latent_dim"],
        num_components=10,
        hidden_units=config["hidden"],
        seed=args.seed,
    )
    _, seconds = fit(mixture, x_train, None, config)
    results["mixture_prior_vae"] = {
        "train_seconds": seconds,
        **likelihood_report(mixture, x_test, num_samples=config["iwae_samples"]),
    }
    figure("mixture_prior_samples.png", viz.save_image_grid, mixture.sample(64, seed=1))

    categorical = mlp_categorical_vae(
        image_shape,
        num_latents=config["latent_dim"],
        num_categories=10,
        hidden_units=config["hidden"],
        seed=args.seed,
    )
    anneal = TemperatureAnnealing(1.0, minimum_temperature=0.5, rate=0.05)
    history, seconds = fit(categorical, x_train, None, config, callbacks=[anneal])
    results["categorical_vae"] = {
        "train_seconds": seconds,
        "final_temperature": history["temperature"][-1],
        **likelihood_report(categorical, x_test, num_samples=config["iwae_samples"]),
    }
    figure(
        "categorical_samples.png", viz.save_image_grid, categorical.sample(64, seed=1)
    )

    # ## Results
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=2)
    ae, vae_trained = results["autoencoder"], results["vae"]["trained"]
    print(
        f"[{results['backend']}] autoencoder probe accuracy: codes "
        f"{ae['probe_accuracy_codes']:.3f} vs pixels {ae['probe_accuracy_pixels']:.3f}; "
        f"VAE test ELBO {vae_trained['elbo']:.2f} nats, IWAE "
        f"(K={config['iwae_samples']}) {vae_trained['iwae_log_likelihood']:.2f} nats"
    )
    return results


if __name__ == "__main__":
    main()
