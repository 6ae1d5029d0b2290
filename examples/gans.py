"""
Title: Generative adversarial networks
Author: kgen contributors
Description: The adversarial objective and why the generator uses the
    non-saturating loss, a DCGAN on Fashion-MNIST (or the 8x8 digits), latent
    interpolation and vector arithmetic, the memorization check, WGAN and
    WGAN-GP, and a class-conditional GAN with a projection discriminator.
Accelerator: none required (CPU minutes with the default budget)

Run it top to bottom:

    python examples/gans.py --out runs/gans                  # Fashion-MNIST
    python examples/gans.py --data digits --out runs/gans    # 8x8 digits
    python examples/gans.py --quick                          # smoke test

It writes PNG figures and `results.json` (every number printed) into `--out`.
The same code runs on JAX, TensorFlow and PyTorch (`KERAS_BACKEND`).
"""

# ## Setup
#
# Keras picks its backend once, at import; JAX is the default here.

import argparse
import json
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kgen import backend, data, viz  # noqa: E402
from kgen.evaluation import frechet_distance, nearest_neighbours  # noqa: E402
from kgen.losses import generator_loss  # noqa: E402
from kgen.models import (  # noqa: E402
    GAN,
    WGAN,
    WGANGP,
    dcgan_networks,
)
from kgen.sampling import interpolate, latent_arithmetic  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="GANs on three backends")
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    parser.add_argument("--out", default="runs/gans")
    parser.add_argument(
        "--data", choices=("fashion_mnist", "digits"), default="fashion_mnist"
    )
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def settings(args):
    """Sizes per data set; `--quick` shrinks everything."""
    if args.data == "digits":
        config = dict(latent_dim=16, filters=32, epochs=60, batch=64, max_train=None)
    else:
        config = dict(latent_dim=64, filters=32, epochs=4, batch=128, max_train=20000)
    config["n_critic"] = 5
    config["run_eagerly"] = False
    if args.quick:
        # One critic step and no compilation: a smoke test of every section.
        config.update(
            latent_dim=8,
            filters=4,
            epochs=1,
            batch=64,
            max_train=128,
            n_critic=1,
            run_eagerly=False,
        )
    if args.epochs is not None:
        config["epochs"] = args.epochs
    return config


def adam(learning_rate=2e-4, beta_1=0.5, beta_2=0.999):
    return keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2)


# ## 1. The objective
#
# A discriminator D learns to tell data from samples, a generator G learns to
# fool it: `min_G max_D E[log D(x)] + E[log(1 - D(G(z)))]`. For a fixed G the
# best D is `p_data / (p_data + p_G)`, and the generator's objective becomes
# `2 JS(p_data || p_G) - log 4`. In practice the generator minimizes
# `-log D(G(z))` instead (the "non-saturating" loss): early in training D
# rejects samples confidently, `D(G(z)) ≈ 0`, where `log(1 - D(G(z)))` is flat.
# kgen's losses take logits; the gradient with respect to the logit shows it:


def objective_gradients():
    rows = []
    for probability in (1e-4, 1e-2, 0.1, 0.5, 0.9):
        logit = np.full((1, 1), np.log(probability / (1 - probability)), "float32")
        grads = {}
        for name in ("minimax", "non_saturating"):
            grad = backend.input_gradients(
                lambda t, n=name: generator_loss(n, t), logit
            )
            grads[name] = float(np.abs(keras.ops.convert_to_numpy(grad)).item())
        rows.append({"D(G(z))": probability, **grads})
        print(
            f"D(G(z)) = {probability:<6} |dL/dlogit| minimax {grads['minimax']:.4f}"
            f"  non-saturating {grads['non_saturating']:.4f}"
        )
    return rows


# ## 2. A DCGAN
#
# Radford et al.'s guidelines: strided convolutions instead of pooling, batch
# normalization in both networks (not on G's output or D's input), ReLU in G,
# LeakyReLU in D, tanh output, Adam with learning rate 2e-4 and beta_1 = 0.5.
# GANs take pixels in [-1, 1]: `kgen.data.to_signed_float`.


def load(args, config):
    if args.quick:
        # Local files only: the digits resized to 28x28 stand in for a
        # Fashion-MNIST that is not on disk (the line printed says which).
        x_train, y_train, source = data.load_or_stand_in(args.data, "train")
        x_test, _, _ = data.load_or_stand_in(args.data, "test")
    else:
        x_train, y_train = data.load(args.data, "train")
        x_test, _ = data.load(args.data, "test")
        source = args.data
    print(f"data: {source}")
    if config["max_train"]:
        x_train, y_train = (
            x_train[: config["max_train"]],
            y_train[: config["max_train"]],
        )
    return (
        data.to_signed_float(x_train),
        y_train.astype("int32"),
        data.to_signed_float(x_test[:2000]),
    )


def fit(model, x, y, config, epochs=None, batch_size=None):
    start = time.time()
    history = model.fit(
        x,
        y,
        batch_size=batch_size or config["batch"],
        epochs=epochs or config["epochs"],
        shuffle=True,
        verbose=0,
    )
    seconds = time.time() - start
    last = {k: round(float(v[-1]), 4) for k, v in history.history.items()}
    print(f"  {type(model).__name__}: {seconds:.1f} s, last epoch {last}")
    return {"seconds": round(seconds, 1), "last_epoch": last}


def quality(model, x_test, num=1000, conditions=None):
    """Pixel-space Fréchet distance to held-out images (benchmarks/gans.py
    uses a classifier's features instead)."""
    num = min(num, len(x_test))
    samples = model.sample(num, seed=1, conditions=conditions)
    return round(frechet_distance(samples, x_test[:num]), 3)


def train_dcgan(x_train, x_test, config, out, results):
    image_shape = x_train.shape[1:]
    g, d = dcgan_networks(image_shape, config["latent_dim"], config["filters"])
    model = GAN(g, d, config["latent_dim"], loss="non_saturating", seed=0)
    model.compile(
        d_optimizer=adam(), g_optimizer=adam(), run_eagerly=config["run_eagerly"]
    )
    results["dcgan"] = fit(model, x_train, None, config)
    results["dcgan"]["frechet_pixels"] = quality(model, x_test)
    viz.save_image_grid(
        os.path.join(out, "dcgan_samples.png"),
        model.sample(64, seed=0),
        value_range=(-1, 1),
        scale=2,
    )
    # The memorization check: each sample beside its nearest training images.
    samples = model.sample(8, seed=2)
    neighbours = nearest_neighbours(samples, x_train, k=3)
    rows = np.concatenate([samples[:, None], x_train[neighbours.indices]], axis=1)
    viz.save_traversal_grid(
        os.path.join(out, "dcgan_nearest_neighbours.png"),
        rows,
        value_range=(-1, 1),
        scale=2,
    )
    # Reference: how far held-out real images are from the training set.
    test_to_train = nearest_neighbours(x_test[:200], x_train, k=1)
    results["dcgan"]["nearest_distance_samples"] = round(
        float(
            np.median(nearest_neighbours(model.sample(200, seed=3), x_train).distances)
        ),
        3,
    )
    results["dcgan"]["nearest_distance_test"] = round(
        float(np.median(test_to_train.distances)), 3
    )
    return model


# ## 3. Interpolation
#
# Walking between two latents shows smooth changes, not jumps, if the
# generator has not memorized. With a Gaussian prior, spherical interpolation
# keeps the path at the typical radius.


def interpolation_figure(model, config, out):
    rng = np.random.default_rng(0)
    starts = rng.normal(size=(4, config["latent_dim"])).astype("float32")
    ends = rng.normal(size=(4, config["latent_dim"])).astype("float32")
    paths = interpolate(starts, ends, 8, method="spherical")  # (8, 4, latent)
    images = model.decode(paths.reshape(-1, config["latent_dim"]))
    images = images.reshape((8, 4) + images.shape[1:]).swapaxes(0, 1)
    viz.save_traversal_grid(
        os.path.join(out, "dcgan_interpolation.png"),
        images,
        value_range=(-1, 1),
        scale=2,
    )


# ## 4. Vector arithmetic
#
# Radford et al. averaged three latents per concept and showed that
# `smiling woman - neutral woman + neutral man` decodes to a smiling man.
# Without attribute labels we let the data name the concepts: a sample's
# concept is the class of its nearest training image; each group holds the
# latents of three samples of one class.


def arithmetic_figure(model, x_train, y_train, config, out, results):
    latents = np.random.default_rng(1).normal(size=(300, config["latent_dim"]))
    latents = latents.astype("float32")
    labels = y_train[nearest_neighbours(model.decode(latents), x_train).indices[:, 0]]
    classes = [c for c in np.unique(labels) if np.sum(labels == c) >= 3][:3]
    if len(classes) < 3:
        results["arithmetic"] = "skipped: fewer than three classes among samples"
        return
    groups = [latents[labels == c][:3] for c in classes]
    out_arith = latent_arithmetic(model, groups, num_neighbours=5, seed=0)
    row = np.concatenate([out_arith.group_images, out_arith.images])
    viz.save_interpolation_strip(
        os.path.join(out, "dcgan_arithmetic.png"), row, value_range=(-1, 1), scale=2
    )
    results["arithmetic"] = {"classes (A, B, C)": [int(c) for c in classes]}


# ## 5. WGAN and WGAN-GP
#
# The Wasserstein critic outputs an unbounded score; its loss estimates the
# earth mover's distance when the critic is 1-Lipschitz. WGAN enforces that
# by clipping weights (crude: capacity drops, gradients explode or vanish),
# WGAN-GP by penalizing `(||grad f(x_hat)|| - 1)^2` on random interpolates.
# Both update the critic `n_critic = 5` times per generator step, each time
# on a fresh real minibatch (`critic_batches="fresh"`, the papers' algorithm):
# a training batch of `n_critic * m` examples gives five minibatches of `m`.
# With `m` = the DCGAN's batch and `n_critic` times its epochs, the critic
# makes as many updates of as many examples, and the generator as many steps.
# WGAN-GP's critic uses layer normalization, since the penalty is per example.


def train_wgans(x_train, x_test, config, out, results):
    image_shape = x_train.shape[1:]
    n_critic = config["n_critic"]
    budget = dict(
        epochs=n_critic * config["epochs"], batch_size=n_critic * config["batch"]
    )
    g, d = dcgan_networks(image_shape, config["latent_dim"], config["filters"])
    wgan = WGAN(
        g, d, config["latent_dim"], clip_value=0.01, n_critic=config["n_critic"], seed=0
    )
    wgan.compile(
        d_optimizer=keras.optimizers.RMSprop(5e-5),
        g_optimizer=keras.optimizers.RMSprop(5e-5),
        run_eagerly=config["run_eagerly"],
    )
    results["wgan"] = fit(wgan, x_train, None, config, **budget)
    results["wgan"]["frechet_pixels"] = quality(wgan, x_test)

    g, d = dcgan_networks(
        image_shape,
        config["latent_dim"],
        config["filters"],
        discriminator_normalization="layer",
    )
    wgan_gp = WGANGP(
        g,
        d,
        config["latent_dim"],
        gradient_penalty_weight=10.0,
        n_critic=config["n_critic"],
        seed=0,
    )
    wgan_gp.compile(d_optimizer=adam(1e-4, 0.0, 0.9), g_optimizer=adam(1e-4, 0.0, 0.9))
    results["wgan_gp"] = fit(wgan_gp, x_train, None, config, **budget)
    results["wgan_gp"]["frechet_pixels"] = quality(wgan_gp, x_test)
    for name, model in (("wgan", wgan), ("wgan_gp", wgan_gp)):
        viz.save_image_grid(
            os.path.join(out, f"{name}_samples.png"),
            model.sample(64, seed=0),
            value_range=(-1, 1),
            scale=2,
        )


# ## 6. A conditional GAN
#
# Labels go into both networks. The generator concatenates a label embedding
# to z; the projection discriminator adds `<embed(y), phi(x)>` to its
# unconditional logit (Miyato & Koyama, 2018). Each row below is one class.


def train_conditional(x_train, y_train, x_test, config, out, results):
    num_classes = int(y_train.max()) + 1
    g, d = dcgan_networks(
        x_train.shape[1:],
        config["latent_dim"],
        config["filters"],
        num_classes=num_classes,
        conditioning="projection",
    )
    # Conditioning is one constructor argument (ConditionalGAN is the same
    # class with num_classes required); fit takes the labels as y.
    model = GAN(g, d, config["latent_dim"], num_classes=num_classes, seed=0)
    model.compile(
        d_optimizer=adam(), g_optimizer=adam(), run_eagerly=config["run_eagerly"]
    )
    results["conditional"] = fit(model, x_train, y_train, config)
    per_row = 8
    labels = np.repeat(np.arange(num_classes), per_row)
    images = model.sample(len(labels), seed=0, conditions=labels)
    viz.save_image_grid(
        os.path.join(out, "conditional_samples.png"),
        images,
        num_columns=per_row,
        value_range=(-1, 1),
        scale=2,
    )
    test_labels = np.random.default_rng(0).integers(0, num_classes, size=1000)
    results["conditional"]["frechet_pixels"] = quality(
        model, x_test, conditions=test_labels[: min(1000, len(x_test))]
    )


def main(argv=None):
    args = parse_args(argv)
    config = settings(args)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    results = {"backend": keras.config.backend(), "data": args.data, "config": config}

    print("1. The objective")
    results["objective_gradients"] = objective_gradients()

    x_train, y_train, x_test = load(args, config)
    print(f"2. DCGAN on {args.data} {x_train.shape}")
    model = train_dcgan(x_train, x_test, config, args.out, results)
    print("3. Interpolation")
    interpolation_figure(model, config, args.out)
    print("4. Vector arithmetic")
    arithmetic_figure(model, x_train, y_train, config, args.out, results)
    print("5. WGAN and WGAN-GP")
    train_wgans(x_train, x_test, config, args.out, results)
    print("6. Conditional GAN")
    train_conditional(x_train, y_train, x_test, config, args.out, results)
    results["frechet_pixels_real_floor"] = round(
        frechet_distance(x_train[:1000], x_test[:1000]), 3
    )
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(json.dumps({k: results[k] for k in results if k != "config"}, indent=1))
    return results


if __name__ == "__main__":
    main()
