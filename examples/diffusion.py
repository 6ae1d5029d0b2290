"""
Title: Diffusion models: DDPM and DDIM
Author: kgen contributors
Description: The forward noising process and its schedules, a class-conditional
    U-Net DDPM trained on Fashion-MNIST with label dropout (so it is also an
    unconditional model), ancestral DDPM samples, DDIM with 10 / 50 / 250
    steps from the same noise, classifier-free guidance, interpolation
    through DDIM's latent x_T, and the variational bound in bits/dim beside
    a Gated PixelCNN's exact likelihood on the same test images.
Accelerator: none required (about 30 CPU minutes with the default budget)

Run it top to bottom:

    python examples/diffusion.py --out runs/diffusion                 # Fashion-MNIST
    python examples/diffusion.py --quick                              # smoke test

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

from kgen import data, viz  # noqa: E402
from kgen.models import DiffusionModel, GatedPixelCNN, diffusion_unet  # noqa: E402
from kgen.models.diffusion import NoiseSchedule  # noqa: E402
from kgen.sampling import DDIMSampler, DDPMSampler  # noqa: E402

CLASS_NAMES = (
    "T-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "boot",
)  # fmt: skip


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="DDPM and DDIM on three backends")
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    parser.add_argument("--out", default="runs/diffusion")
    parser.add_argument(
        "--data", choices=("fashion_mnist", "digits"), default="fashion_mnist"
    )
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def settings(args):
    """Sizes of every section; `--quick` shrinks everything."""
    config = dict(
        max_train=30000,
        epochs=2,
        batch=64,
        learning_rate=1e-3,
        base_filters=16,
        channel_multipliers=(1, 2, 2),  # 28 -> 14 -> 7, attention at 7x7
        num_groups=8,
        num_timesteps=1000,
        ema_decay=0.995,
        ddim_steps=(10, 50, 250),
        num_ddpm_samples=16,
        guidance_scales=(0.0, 1.0, 3.0, 6.0),
        bound_terms=50,
        bound_images=500,
        untrained_bound_images=100,
        exact_bound_images=32,
        pixelcnn_train=12000,
        pixelcnn_epochs=2,
        pixelcnn_filters=32,
        pixelcnn_layers=6,
    )
    if args.quick:
        config.update(
            max_train=128,
            epochs=1,
            base_filters=4,
            channel_multipliers=(1, 2),
            num_groups=2,
            num_timesteps=40,
            ddim_steps=(2, 5, 10),
            num_ddpm_samples=4,
            guidance_scales=(0.0, 2.0),
            bound_terms=4,
            bound_images=16,
            untrained_bound_images=8,
            exact_bound_images=4,
            pixelcnn_train=128,
            pixelcnn_epochs=1,
            pixelcnn_filters=4,
            pixelcnn_layers=1,
        )
    if args.epochs is not None:
        config["epochs"] = args.epochs
    return config


def load(args, config):
    """``(x_train, y_train, x_test, y_test)``: floats in [-1, 1], 256 levels."""
    if args.quick:
        # Local files only: the digits resized to 28x28 stand in for a
        # Fashion-MNIST that is not on disk (the line printed says which).
        x_train, y_train, source = data.load_or_stand_in(
            args.data, "train", image_size=28
        )
        x_test, y_test, _ = data.load_or_stand_in(args.data, "test", image_size=28)
    else:
        x_train, y_train = data.load(args.data, "train", image_size=28)
        x_test, y_test = data.load(args.data, "test", image_size=28)
        source = args.data
    print(f"data: {source}")
    x_train, y_train = x_train[: config["max_train"]], y_train[: config["max_train"]]
    return (
        data.to_signed_float(x_train),
        y_train.astype("int32"),
        data.to_signed_float(x_test),
        y_test.astype("int32"),
    )


def save(out, name, images, **kwargs):
    path = os.path.join(out, name)
    if np.ndim(images) == 6 or (np.ndim(images) == 5 and images.shape[-1] == 1):
        viz.save_traversal_grid(path, images, value_range=(-1, 1), scale=2, **kwargs)
    else:
        viz.save_image_grid(path, images, value_range=(-1, 1), scale=2, **kwargs)
    return path


# ## 1. The forward process
#
# A diffusion model destroys data in T small steps, `q(x_t | x_{t-1}) =
# N(sqrt(1 - beta_t) x_{t-1}, beta_t I)`, so that `x_t = sqrt(alpha_bar_t) x_0
# + sqrt(1 - alpha_bar_t) eps` in one draw (`alpha_bar_t = prod (1 - beta_s)`).
# Ho et al.'s linear schedule (beta from 1e-4 to 0.02) removes most of the
# signal by t = 400; Nichol & Dhariwal's cosine schedule spreads the
# destruction evenly, which helps at low resolution.


def forward_process_figures(model, x_test, out, results):
    T = model.num_timesteps
    times = np.unique(np.linspace(0, T - 1, 11).round().astype(int))
    images = x_test[:4]
    rows = np.stack(
        [model.q_sample(images, int(t), seed=int(t)) for t in times], axis=1
    )
    save(out, "forward_process.png", rows)
    linear, cosine = NoiseSchedule.linear(T), NoiseSchedule.cosine(T)
    steps = np.arange(T)
    viz.save_line_plot_png(
        os.path.join(out, "schedules.png"),
        steps,
        {
            "linear: sqrt(alpha_bar)": np.sqrt(linear.alphas_cumprod),
            "cosine: sqrt(alpha_bar)": np.sqrt(cosine.alphas_cumprod),
        },
        title="signal left in x_t",
        x_label="t",
    )
    half = {
        name: int(np.argmax(s.alphas_cumprod < 0.5))
        for name, s in (("linear", linear), ("cosine", cosine))
    }
    print(f"  alpha_bar falls below 1/2 at t = {half} of {T}")
    results["forward"] = {"timesteps": times.tolist(), "half_signal_at": half}


# ## 2. Training
#
# The network sees `x_t` and `t` and predicts the noise `eps` (Ho et al.'s
# "simple" loss, `||eps - eps_theta(x_t, t)||^2`, t uniform). A U-Net with
# residual blocks, group normalization, a sinusoidal time embedding and
# self-attention at 7x7. Labels enter as an embedding; 10% of them are
# dropped to a *null* label during training, so the same network is also an
# unconditional model (classifier-free guidance, Ho & Salimans). The weights'
# exponential moving average is what we sample from.


def build(num_classes, config):
    """The class-conditional U-Net DDPM (linear schedule, T steps, EMA)."""
    network = diffusion_unet(
        (28, 28, 1),
        base_filters=config["base_filters"],
        channel_multipliers=config["channel_multipliers"],
        num_groups=config["num_groups"],
        num_classes=num_classes,
        seed=0,
    )
    model = DiffusionModel(
        network,
        schedule="linear",
        num_timesteps=config["num_timesteps"],
        num_classes=num_classes,
        label_dropout=0.1,
        ema_decay=config["ema_decay"],
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]))
    return model


def train(model, x_train, y_train, config, results):
    network = model.network
    start = time.time()
    history = model.fit(
        x_train,
        y_train,
        batch_size=config["batch"],
        epochs=config["epochs"],
        shuffle=True,
        verbose=0,
    )
    seconds = time.time() - start
    steps = int(model.optimizer.iterations)
    print(
        f"  {network.count_params():,} parameters, {steps} steps of {config['batch']} "
        f"in {seconds:.0f} s; last loss {history.history['loss'][-1]:.4f}"
    )
    results["training"] = {
        "parameters": int(network.count_params()),
        "steps": steps,
        "batch_size": config["batch"],
        "images": len(x_train),
        "epochs": config["epochs"],
        "seconds": round(seconds, 1),
        "loss": [round(float(v), 4) for v in history.history["loss"]],
    }
    return model


# ## 3. DDPM samples
#
# Ancestral sampling runs the learned reverse chain from `x_T ~ N(0, I)`:
# `x_{t-1} ~ N(mu_theta(x_t, t), beta_tilde_t)`, all T steps.
# `guidance_scale=-1` asks for `eps(x_t, null)`: the unconditional model.


def ddpm_samples(model, config, out, results, seed):
    start = time.time()
    images = model.sample(
        config["num_ddpm_samples"],
        seed=seed,
        sampler=DDPMSampler(),
        guidance_scale=-1.0,
    )
    seconds = time.time() - start
    save(out, "ddpm_samples.png", images, num_columns=8)
    print(
        f"  DDPM, {model.num_timesteps} steps, {len(images)} images: {seconds:.0f} s "
        "(with compiling the loop; benchmarks/diffusion.py times samplers)"
    )
    results["ddpm"] = {"steps": model.num_timesteps, "seconds": round(seconds, 1)}


# ## 4. DDIM: fewer steps from the same noise
#
# DDIM (Song et al.) uses the same network on a non-Markovian process with
# the same marginals: with `eta = 0` each step is deterministic, so S << T
# steps trace an ODE from `x_T` to an image. One sampler object per choice;
# the network does not change.


def ddim_steps(model, config, out, results, seed):
    count = 8
    x_T = keras.random.normal(
        (count, *model.data_shape), seed=keras.random.SeedGenerator(seed)
    )
    rows, seconds = [], {}
    for steps in config["ddim_steps"]:
        start = time.time()
        rows.append(model.decode(x_T, guidance_scale=-1.0, sampler=DDIMSampler(steps)))
        seconds[str(steps)] = round(time.time() - start, 1)
        print(f"  DDIM, {steps} steps: {seconds[str(steps)]} s for {count} images")
    save(out, "ddim_steps.png", np.stack(rows))
    change = [float(np.abs(rows[i] - rows[-1]).mean()) for i in range(len(rows) - 1)]
    results["ddim"] = {
        "seconds_with_compiling": seconds,
        "mean_abs_difference_to_most_steps": dict(
            zip(
                [str(s) for s in config["ddim_steps"][:-1]],
                np.round(change, 4).tolist(),
            )
        ),
    }


# ## 5. Classifier-free guidance
#
# `eps = (1 + w) eps(x, c) - w eps(x, null)`: w = 0 is the conditional model;
# larger w pushes samples towards what distinguishes the class from the
# unconditional model, trading diversity for fidelity. One row per w, one
# column per class, the same noise everywhere.


def guidance_sweep(model, config, out, results, seed):
    num_classes = model.num_classes
    labels = np.arange(num_classes)
    rows = [
        model.sample(
            num_classes,
            seed=seed,
            conditions=labels,
            guidance_scale=w,
            sampler=DDIMSampler(min(50, model.num_timesteps)),
        )
        for w in config["guidance_scales"]
    ]
    save(out, "guidance_sweep.png", np.stack(rows))
    # a larger w gives more saturated, less varied images: pixel spread
    spread = [float(np.std(r)) for r in rows]
    results["guidance"] = {
        "scales": list(config["guidance_scales"]),
        "pixel_std": np.round(spread, 4).tolist(),
    }
    print(
        f"  pixel std per guidance scale {config['guidance_scales']}: {np.round(spread, 3)}"
    )


# ## 6. Interpolation through x_T
#
# Deterministic DDIM is an invertible map between images and `x_T`:
# `encode` runs the ODE forwards, `decode` back. Interpolating two encodings
# (spherically: `x_T` is Gaussian) and decoding gives a path between the two
# images, the way latent-variable models interpolate.


def interpolation(model, x_test, y_test, out, results):
    ddim = DDIMSampler(min(50, model.num_timesteps))
    rows, errors = [], []
    for label in np.unique(y_test)[:2]:
        a, b = np.flatnonzero(y_test == label)[:2]
        rows.append(
            model.interpolate(
                x_test[a], x_test[b], 8, conditions=int(label), sampler=ddim
            )
        )
        ends = np.stack([x_test[a], x_test[b]])
        reconstructed = model.reconstruct(ends, conditions=int(label), sampler=ddim)
        errors.append(float(np.abs(reconstructed - ends).mean()))
    save(out, "interpolation.png", np.stack(rows))
    print(f"  DDIM encode -> decode, mean |error| per pixel: {np.round(errors, 4)}")
    results["interpolation"] = {"reconstruction_mean_abs_error": errors}


# ## 7. The likelihood bound
#
# The training objective is a reweighted variational bound. Its proper form,
# `L_T + sum_t KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) + L_0` with a
# discretized Gaussian decoder `L_0` over the 256 levels, bounds `-log P(x)`
# of the *discrete* images, so it can stand beside an autoregressive model's
# exact negative log-likelihood on the same test images (both models are
# conditioned on the class: these are bounds on -log P(x | class)). All T
# terms cost T network calls per image; an unbiased estimate from K sampled
# terms costs K.


def likelihoods(
    model, untrained, x_train, y_train, x_test, y_test, config, results, seed
):
    n, K = config["bound_images"], config["bound_terms"]
    test, labels = x_test[:n], y_test[:n]
    trained = model.bits_per_dim(test, labels, num_samples=K, seed=seed)
    fresh = untrained.bits_per_dim(
        test[: config["untrained_bound_images"]],
        labels[: config["untrained_bound_images"]],
        num_samples=K,
        seed=seed,
    )
    m = config["exact_bound_images"]
    exact = model.bits_per_dim(test[:m], labels[:m], seed=seed)
    estimate = trained[:m]
    # an autoregressive model on the same images: exact, at 256 levels
    start = time.time()
    pixelcnn = GatedPixelCNN(
        model.data_shape,
        num_levels=256,
        num_classes=model.num_classes,
        filters=config["pixelcnn_filters"],
        num_layers=config["pixelcnn_layers"],
    )
    pixelcnn.compile(optimizer=keras.optimizers.Adam(2e-3))
    to_levels = pixelcnn.data_convention.from_uint8
    count = config["pixelcnn_train"]
    train_levels = to_levels(model.data_convention.to_uint8(x_train[:count]))
    pixelcnn.fit(
        train_levels,
        y_train[:count],
        batch_size=32,
        epochs=config["pixelcnn_epochs"],
        verbose=0,
    )
    pixelcnn_seconds = time.time() - start
    pixelcnn_bits = pixelcnn.bits_per_dim(
        to_levels(model.data_convention.to_uint8(test)), labels
    )
    table = {
        "diffusion bound, trained": float(trained.mean()),
        "diffusion bound, untrained": float(fresh.mean()),
        "Gated PixelCNN (exact)": float(pixelcnn_bits.mean()),
        "uniform over 256 levels": 8.0,
    }
    print(
        f"  bits/dim on {n} test images (estimator: {model.likelihood_estimator(K)}):"
    )
    for name, value in table.items():
        print(f"    {name:<30} {value:.3f}")
    print(
        f"  on {m} of them, all {model.num_timesteps} terms: {exact.mean():.3f} "
        f"(the {K}-term estimate there: {estimate.mean():.3f})"
    )
    results["bits_per_dim"] = {
        "table": table,
        "conditioned_on": "the class label (both models)",
        "num_test_images": n,
        "estimator": model.likelihood_estimator(K),
        "all_terms": {
            "images": m,
            "bits_per_dim": float(exact.mean()),
            "sampled_estimate_same_images": float(estimate.mean()),
        },
        "pixelcnn_budget": {
            "train_images": int(len(train_levels)),
            "epochs": config["pixelcnn_epochs"],
            "seconds": round(pixelcnn_seconds, 1),
        },
    }


def untrained_copy(model):
    """A model of the same architecture with fresh weights."""
    return DiffusionModel.from_config(model.get_config())


def main(argv=None):
    args = parse_args(argv)
    config = settings(args)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    results = {"backend": keras.config.backend(), "data": args.data, "config": config}

    x_train, y_train, x_test, y_test = load(args, config)
    model = build(int(y_train.max()) + 1, config)
    untrained = untrained_copy(model)  # for the bound before training
    print("1. The forward process")
    forward_process_figures(model, x_test, args.out, results)
    print("2. Training a class-conditional DDPM")
    train(model, x_train, y_train, config, results)
    print("3. DDPM samples (unconditional: guidance_scale=-1)")
    ddpm_samples(model, config, args.out, results, args.seed)
    print("4. DDIM with fewer steps")
    ddim_steps(model, config, args.out, results, args.seed)
    print("5. Classifier-free guidance")
    guidance_sweep(model, config, args.out, results, args.seed)
    print("6. Interpolation through DDIM's x_T")
    interpolation(model, x_test, y_test, args.out, results)
    print("7. The bits/dim bound beside an autoregressive model")
    likelihoods(
        model, untrained, x_train, y_train, x_test, y_test, config, results, args.seed
    )
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    return results


if __name__ == "__main__":
    main()
