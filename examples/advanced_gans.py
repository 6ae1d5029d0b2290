"""
Title: Beyond DCGAN: StyleGAN2, BigGAN, text-to-image, Pix2Pix and CycleGAN
Author: kgen contributors
Description: A style-based generator (mapping network, modulated
    convolutions, noise, style mixing, lazy R1 and path-length
    regularization, truncation), a class-conditional BigGAN (conditional
    batch norm on a shared embedding and chunks of z, self-attention,
    spectral norm, hinge loss, orthogonal regularization, truncation), a
    text-conditional GAN with a matching-aware discriminator, paired
    translation with Pix2Pix and unpaired translation with CycleGAN, all on
    real images (Fashion-MNIST and the embedded colour patches).
Accelerator: none required (about 25 CPU minutes with the default budget)

Run it top to bottom:

    python examples/advanced_gans.py --out runs/advanced_gans    # Fashion-MNIST
    python examples/advanced_gans.py --quick                     # smoke test

It writes PNG figures and `results.json` (every number printed, with each
model's training budget) into `--out`. The same code runs on JAX,
TensorFlow and PyTorch (`KERAS_BACKEND`). `--quick` reads local files only
(the digits stand in for a Fashion-MNIST that is not on disk; the line
printed says which).
"""

# ## Setup
#
# Keras picks its backend once, at import; TensorFlow is the default here
# (the fastest of the three for these convolutions on a CPU).

import argparse
import json
import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kgen import data, text, viz  # noqa: E402
from kgen.models import (  # noqa: E402
    BigGAN,
    CycleGAN,
    Pix2Pix,
    StyleGAN2,
    TextConditionalGAN,
    biggan_networks,
    patchgan_discriminator,
    resnet_generator,
    split_pairs,
    stylegan2_networks,
    text_gan_networks,
    translation_errors,
    unet_generator,
)

SIGNED = (-1.0, 1.0)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="StyleGAN2, BigGAN, text GAN, Pix2Pix, CycleGAN"
    )
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    parser.add_argument("--out", default="runs/advanced_gans")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--budget-scale",
        type=float,
        default=1.0,
        help="multiply every model's number of training steps",
    )
    parser.add_argument(
        "--sections",
        default="stylegan2,biggan,text,pix2pix,cyclegan",
        help="comma-separated sections to run",
    )
    return parser.parse_args(argv)


def settings(args):
    """Sizes and training budgets (in steps); `--quick` shrinks everything."""
    if args.quick:
        tiny = dict(filters=4, steps=4, batch=8)
        return dict(
            quick=True,
            image_size=16,
            max_train=256,
            num_eval=64,
            stylegan2=dict(tiny, latent_dim=8, mapping_layers=1, max_filters=8),
            biggan=dict(tiny, latent_dim=8, max_filters=8),
            text=dict(tiny, latent_dim=8),
            pix2pix=dict(tiny, steps=2),
            cyclegan=dict(tiny, steps=2, residual_blocks=1),
        )
    scale = args.budget_scale
    return dict(
        quick=False,
        image_size=None,  # Fashion-MNIST's 28x28
        max_train=None,
        num_eval=2000,
        stylegan2=dict(
            latent_dim=64,
            mapping_layers=4,
            filters=32,
            max_filters=128,
            steps=int(2500 * scale),
            batch=32,
        ),
        biggan=dict(
            latent_dim=64,
            filters=32,
            max_filters=128,
            steps=int(2000 * scale),
            batch=64,
        ),
        text=dict(latent_dim=32, filters=32, steps=int(2500 * scale), batch=64),
        pix2pix=dict(filters=32, steps=int(1500 * scale), batch=16),
        cyclegan=dict(filters=16, steps=int(1500 * scale), batch=8, residual_blocks=4),
    )


# ## Data
#
# GANs take pixels in [-1, 1]. Fashion-MNIST comes from local files (the
# Debian package `dataset-fashion-mnist`); the translation data sets are
# side-by-side pairs built from real images by `kgen.data.paired`.


def load_fashion(config):
    size = config["image_size"]
    x_train, y_train, source = data.load_or_stand_in(
        "fashion_mnist", "train", image_size=size
    )
    x_test, y_test, _ = data.load_or_stand_in("fashion_mnist", "test", image_size=size)
    print(f"data: {source}")
    if config["max_train"]:
        x_train, y_train = (
            x_train[: config["max_train"]],
            y_train[: config["max_train"]],
        )
    return dict(
        x_train=data.to_signed_float(x_train),
        y_train=y_train.astype("int32"),
        x_test=data.to_signed_float(x_test),
        y_test=y_test.astype("int32"),
        uint8_train=x_train,
        uint8_test=x_test,
        source=str(source),
        stand_in=source.stand_in,
    )


def fit(model, x, y, steps, batch, seed=0):
    """Train for exactly `steps` steps of `batch` examples.

    The examples are the data in shuffled passes (one permutation after
    another), cut at ``steps * batch``, trained as one epoch.
    """
    steps = max(int(steps), 1)
    rng = np.random.default_rng(seed)
    passes = int(np.ceil(steps * batch / len(x)))
    order = np.concatenate([rng.permutation(len(x)) for _ in range(passes)])[
        : steps * batch
    ]
    start = time.time()
    history = model.fit(
        x[order],
        None if y is None else y[order],
        batch_size=batch,
        epochs=1,
        shuffle=False,
        verbose=0,
    )
    seconds = time.time() - start
    last = {k: round(float(v[-1]), 4) for k, v in history.history.items()}
    print(
        f"  {type(model).__name__}: {steps} steps of batch {batch} in {seconds:.0f} s; {last}"
    )
    return {
        "steps": steps,
        "batch_size": batch,
        "examples_seen": int(steps * batch),
        "passes_over_data": round(steps * batch / len(x), 2),
        "seconds": round(seconds, 1),
        "last_losses": last,
    }


def unit(images):
    """Signed images as floats in [0, 1] (what the classifier features take)."""
    return np.clip((np.asarray(images, "float32") + 1.0) / 2.0, 0.0, 1.0)


def classifier_metrics(config, fashion):
    """Fréchet distance in the Fashion-MNIST classifier's features (full runs)."""
    if config["quick"] or fashion["stand_in"]:
        return None
    from kgen.evaluation import domain_classifier

    return domain_classifier("fashion_mnist")


def feature_distance(classifier, samples, real):
    from kgen.evaluation import frechet_distance

    return round(
        frechet_distance(unit(samples), unit(real), feature_extractor=classifier), 3
    )


# ## 1. StyleGAN2
#
# A mapping network turns z into a style w; the synthesis network starts
# from a learned constant and each modulated convolution scales its input
# channels by a style (and divides by the norm of the modulated weights:
# demodulation), adds per-pixel noise, and upsamples between resolutions.
# Training mixes two latents' styles in 90% of the generated images, adds
# the R1 penalty every 16 steps and path-length regularization every 4
# (lazy regularization), and keeps an EMA of the generator.


def stylegan2_section(config, fashion, out, results, classifier):
    c = config["stylegan2"]
    shape = fashion["x_train"].shape[1:]
    generator, discriminator = stylegan2_networks(
        shape,
        latent_dim=c["latent_dim"],
        mapping_layers=c["mapping_layers"],
        base_filters=c["filters"],
        max_filters=c["max_filters"],
    )
    model = StyleGAN2(generator, discriminator, r1_weight=1.0, ema_decay=0.995, seed=0)
    lazy = {"r1": 16, "path_length": 4}
    # StyleGAN2's Adam with lazy regularization: lr and betas scaled by N/(N+1)
    model.compile(
        d_optimizer=_lazy_adam(2e-3, lazy["r1"]),
        g_optimizer=_lazy_adam(2e-3, lazy["path_length"]),
    )
    record = fit(model, fashion["x_train"], None, c["steps"], c["batch"])
    viz.save_image_grid(
        os.path.join(out, "stylegan2_samples.png"),
        model.sample(64, seed=0, truncation=1.0),
        num_columns=8,
        value_range=SIGNED,
        scale=2,
    )
    # truncation sweep: one latent per column, psi per row
    psis = [1.0, 0.7, 0.5, 0.25, 0.0]
    z = np.random.default_rng(0).normal(size=(8, c["latent_dim"])).astype("float32")
    rows = np.stack([model.decode(z, truncation=psi) for psi in psis])
    viz.save_traversal_grid(
        os.path.join(out, "stylegan2_truncation.png"), rows, value_range=SIGNED, scale=2
    )
    record["truncation_zero_rows_identical"] = bool(
        np.ptp(rows[-1], axis=0).max() < 1e-4
    )
    # style mixing: row r takes the coarse styles of latent A_r and, from the
    # crossover on, the styles of latent B_c (column c)
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, c["latent_dim"])).astype("float32")
    b = rng.normal(size=(6, c["latent_dim"])).astype("float32")
    crossover = max(model.num_ws // 2, 1)
    grid = [np.concatenate([np.full((1, *shape), 1.0, "float32"), model.decode(b)])]
    for row in range(len(a)):
        first = np.repeat(a[row : row + 1], len(b), axis=0)
        grid.append(
            np.concatenate(
                [model.decode(a[row : row + 1]), model.mix(first, b, crossover)]
            )
        )
    viz.save_traversal_grid(
        os.path.join(out, "stylegan2_mixing.png"),
        np.stack(grid),
        value_range=SIGNED,
        scale=2,
    )
    record["mixing_crossover"] = int(crossover)
    record["num_ws"] = int(model.num_ws)
    if classifier is not None:
        n = config["num_eval"]
        real = fashion["x_test"][:n]
        record["frechet_fashion_classifier"] = {
            f"psi={psi}": feature_distance(
                classifier, model.sample(n, seed=2, truncation=psi), real
            )
            for psi in (1.0, 0.7)
        }
    results["stylegan2"] = record
    return model


def _lazy_adam(learning_rate, every):
    c = every / (every + 1.0)
    return keras.optimizers.Adam(
        learning_rate * c, beta_1=0.0, beta_2=0.99**c, epsilon=1e-8
    )


# ## 2. BigGAN
#
# Class-conditional at scale: every residual up-block's two batch norms take
# their scale and shift from [shared class embedding, the block's chunk of
# z] (a hierarchical latent); self-attention at one resolution; spectral
# normalization everywhere; a projection discriminator trained with the
# hinge loss, two critic steps per generator step; orthogonal regularization
# of the generator's weights; sampling with a truncated normal z.


def biggan_section(config, fashion, out, results, classifier):
    c = config["biggan"]
    shape = fashion["x_train"].shape[1:]
    num_classes = 10
    generator, discriminator = biggan_networks(
        shape,
        latent_dim=c["latent_dim"],
        num_classes=num_classes,
        base_filters=c["filters"],
        max_filters=c["max_filters"],
        embedding_dim=32 if not config["quick"] else 4,
    )
    model = BigGAN(
        generator, discriminator, c["latent_dim"], num_classes=num_classes, seed=0
    )
    model.compile(
        d_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.999),
        g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.999),
    )
    # n_critic=2 with fresh minibatches: a training batch of 2 x batch
    record = fit(
        model, fashion["x_train"], fashion["y_train"], c["steps"], 2 * c["batch"]
    )
    labels = np.repeat(np.arange(num_classes), 8)
    viz.save_image_grid(
        os.path.join(out, "biggan_samples.png"),
        model.sample(len(labels), seed=0, conditions=labels, truncation=None),
        num_columns=8,
        value_range=SIGNED,
        scale=2,
    )
    # truncation: one row per threshold, the same noise (per class) in each
    thresholds = [None, 1.0, 0.5, 0.1]
    rows = [
        model.sample(10, seed=3, conditions=np.arange(10), truncation=t)
        for t in thresholds
    ]
    viz.save_traversal_grid(
        os.path.join(out, "biggan_truncation.png"),
        np.stack(rows),
        value_range=SIGNED,
        scale=2,
    )
    if classifier is not None:
        n = config["num_eval"]
        conditions = np.arange(n) % num_classes
        samples = model.sample(n, seed=2, conditions=conditions)
        record["frechet_fashion_classifier"] = feature_distance(
            classifier, samples, fashion["x_test"][:n]
        )
        predicted = classifier.probabilities(unit(samples)).argmax(axis=1)
        record["classifier_agrees_with_condition"] = round(
            float(np.mean(predicted == conditions)), 3
        )
    results["biggan"] = record
    return model


# ## 3. Text to image
#
# Captions are written from the labels and two attributes measured on each
# image, relative to its class ("small dark trouser"): a small-scale
# demonstration of the method, not captions written by people. Both networks
# read the caption through their own small text encoder; the discriminator
# is matching-aware (Reed et al.): real images with a mismatched caption
# count as fake.


def text_section(config, fashion, out, results, classifier):
    c = config["text"]
    names = text.FASHION_MNIST_NAMES if not fashion["stand_in"] else text.DIGIT_NAMES
    thresholds = text.attribute_thresholds(
        fashion["uint8_train"], fashion["y_train"], 10
    )
    captions = text.attribute_captions(
        fashion["uint8_train"], fashion["y_train"], names, thresholds=thresholds
    )
    print(f"  captions such as {captions[0]!r}, {captions[1]!r}")
    tokenizer = text.WordTokenizer.from_texts(captions)
    shape = fashion["x_train"].shape[1:]
    generator, discriminator = text_gan_networks(
        shape,
        tokenizer.vocabulary_size,
        tokenizer.max_length,
        latent_dim=c["latent_dim"],
        text_dim=32 if not config["quick"] else 4,
        base_filters=c["filters"],
    )
    model = TextConditionalGAN(
        generator, discriminator, c["latent_dim"], tokenizer, seed=0
    )
    model.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )
    record = fit(
        model, fashion["x_train"], tokenizer.encode(captions), c["steps"], c["batch"]
    )
    classes = [1, 0, 7, 8] if not fashion["stand_in"] else [0, 1, 7, 8]
    prompts = [
        f"{size} {tone} {names[k]}"
        for k in classes
        for size in ("small", "large")
        for tone in ("dark", "bright")
    ]
    per_prompt = 8
    images = model.sample(
        len(prompts) * per_prompt,
        seed=0,
        captions=np.repeat(prompts, per_prompt).tolist(),
    )
    viz.save_image_grid(
        os.path.join(out, "text_to_image.png"),
        images,
        num_columns=per_prompt,
        value_range=SIGNED,
        scale=2,
    )
    record["prompts"] = prompts
    record["images_per_prompt"] = per_prompt
    # agreement with the caption's attributes, measured as the captions were
    measured = text.measure_attributes(images, value_range=SIGNED)
    wanted = np.repeat(np.arange(len(prompts)), per_prompt)
    labels = np.repeat([classes[i // 4] for i in range(len(prompts))], per_prompt)
    large = np.array(["large" in p for p in prompts])[wanted]
    bright = np.array(["bright" in p for p in prompts])[wanted]
    record["size_agreement"] = round(
        float(np.mean((measured["size"] > thresholds["size"][labels]) == large)), 3
    )
    record["brightness_agreement"] = round(
        float(
            np.mean(
                (measured["brightness"] > thresholds["brightness"][labels]) == bright
            )
        ),
        3,
    )
    if classifier is not None:
        predicted = classifier.probabilities(unit(images)).argmax(axis=1)
        record["classifier_agrees_with_caption_class"] = round(
            float(np.mean(predicted == labels)), 3
        )
    results["text_gan"] = record
    return model


# ## 4. Pix2Pix
#
# Paired translation: a U-Net maps an input to an output, a PatchGAN judges
# (input, output) pairs patch by patch, and an L1 term (weight 100) keeps
# the output close to the target. Two real paired data sets: edges ->
# Fashion-MNIST item, greyscale -> colour on the embedded photographs.


def pix2pix_section(config, out, results):
    c = config["pix2pix"]
    results["pix2pix"] = {}
    for name, size in (
        ("edges2fashion", config["image_size"]),
        ("gray2color_patches", 16),
    ):
        train, _, source = data.load_or_stand_in(name, "train", image_size=size)
        test, _, _ = data.load_or_stand_in(name, "test", image_size=size)
        print(f"  {name}: {source}")
        train, test = data.to_signed_float(train), data.to_signed_float(test)
        if config["max_train"]:
            train = train[: config["max_train"]]
        shape = (train.shape[1], train.shape[2] // 2, train.shape[3])
        model = Pix2Pix(
            unet_generator(shape, base_filters=c["filters"]),
            patchgan_discriminator(
                shape, shape, base_filters=c["filters"], num_layers=2
            ),
        )
        model.compile(
            d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
            g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        )
        record = fit(model, train, None, c["steps"], c["batch"])
        held_out = test[: config["num_eval"]]
        record.update(translation_errors(model, held_out))
        inputs, targets = split_pairs(held_out[:8])
        # baseline: the input itself as the prediction (what L1 must beat)
        record["l1_of_the_input"] = round(
            float(np.mean(np.abs(split_pairs(held_out)[0] - split_pairs(held_out)[1]))),
            4,
        )
        rows = np.stack([inputs, model.translate(inputs), targets])
        viz.save_traversal_grid(
            os.path.join(out, f"pix2pix_{name}.png"), rows, value_range=SIGNED, scale=2
        )
        results["pix2pix"][name] = record


# ## 5. CycleGAN
#
# Unpaired translation between two real domains (T-shirts/tops and
# trousers): two ResNet generators and two least-squares PatchGANs, trained
# with cycle consistency (A -> B -> A should give A back) and identity
# losses, the discriminators on a pool of past generated images; four
# networks, four optimizers.


def cyclegan_section(config, out, results, classifier):
    c = config["cyclegan"]
    size = config["image_size"]
    train, _, source = data.load_or_stand_in(
        "fashion_tops2bottoms", "train", image_size=size
    )
    test, _, _ = data.load_or_stand_in("fashion_tops2bottoms", "test", image_size=size)
    print(f"  fashion_tops2bottoms: {source}")
    train, test = data.to_signed_float(train), data.to_signed_float(test)
    if config["max_train"]:
        train = train[: config["max_train"]]
    shape = (train.shape[1], train.shape[2] // 2, train.shape[3])

    def generator():
        return resnet_generator(
            shape,
            base_filters=c["filters"],
            num_downsamples=2,
            num_residual_blocks=c["residual_blocks"],
        )

    def discriminator():
        return patchgan_discriminator(shape, base_filters=c["filters"], num_layers=2)

    model = CycleGAN(generator(), generator(), discriminator(), discriminator(), seed=0)
    model.compile(
        optimizers={
            name: keras.optimizers.Adam(2e-4, beta_1=0.5)
            for name in model.network_names
        }
    )
    record = fit(model, train, None, c["steps"], c["batch"])
    a, b = split_pairs(test[: config["num_eval"]])
    fake_b = model.translate(a)
    fake_a = model.translate(b, direction="b_to_a")
    record["cycle_error_a"] = round(
        float(np.mean(np.abs(model.translate(fake_b, direction="b_to_a") - a))), 4
    )
    record["cycle_error_b"] = round(
        float(np.mean(np.abs(model.translate(fake_a) - b))), 4
    )
    rows = np.stack([a[:8], fake_b[:8], b[:8], fake_a[:8]])
    viz.save_traversal_grid(
        os.path.join(out, "cyclegan_tops2bottoms.png"),
        rows,
        value_range=SIGNED,
        scale=2,
    )
    if classifier is not None:
        # the domain classifier's verdict on the translations (tops 0, trousers 1)
        to_b = classifier.probabilities(unit(fake_b)).argmax(axis=1)
        to_a = classifier.probabilities(unit(fake_a)).argmax(axis=1)
        record["translated_tops_classified_trouser"] = round(
            float(np.mean(to_b == 1)), 3
        )
        record["translated_trousers_classified_top"] = round(
            float(np.mean(to_a == 0)), 3
        )
        record["real_tops_classified_top"] = round(
            float(np.mean(classifier.probabilities(unit(a)).argmax(axis=1) == 0)), 3
        )
    results["cyclegan"] = record


def main(argv=None):
    args = parse_args(argv)
    config = settings(args)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    sections = set(args.sections.split(","))
    results = {"backend": keras.config.backend(), "config": config}
    fashion = load_fashion(config)
    results["data"] = fashion["source"]
    classifier = classifier_metrics(config, fashion)
    if "stylegan2" in sections:
        print("1. StyleGAN2")
        stylegan2_section(config, fashion, args.out, results, classifier)
    if "biggan" in sections:
        print("2. BigGAN")
        biggan_section(config, fashion, args.out, results, classifier)
    if "text" in sections:
        print("3. Text to image")
        text_section(config, fashion, args.out, results, classifier)
    if "pix2pix" in sections:
        print("4. Pix2Pix")
        pix2pix_section(config, args.out, results)
    if "cyclegan" in sections:
        print("5. CycleGAN")
        cyclegan_section(config, args.out, results, classifier)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(json.dumps({k: v for k, v in results.items() if k != "config"}, indent=1))
    return results


if __name__ == "__main__":
    main()
