"""
Title: Discrete latents: VQ-VAE, VQ-VAE-2 and a DALL-E-style model
Author: kgen contributors
Description: A VQ-VAE on Fashion-MNIST with a codebook trained by gradient
    beside EMA codebooks with dead-code restarts (and k-means
    initialisation): reconstruction error, perplexity and the fraction of
    codes the test set uses; a class-conditional VQ-VAE-2 trained stage by
    stage (tokenizer, top prior, bottom prior) with samples per class and
    the priors' code lengths in bits per code; and text to image with a
    causal token transformer over [caption words, image codes], captions
    written from class names and measured attributes, prompts printed
    under each row of images, with and without classifier-free guidance.
    A small-scale demonstration of the methods, not of their published
    scale.
Accelerator: none required (about 15-20 minutes on 2 CPU cores with the
    default budget)

Run it top to bottom:

    python examples/vq_vae_and_dalle.py --out runs/vq          # Fashion-MNIST
    python examples/vq_vae_and_dalle.py --quick                # smoke test

It writes PNG figures and `results.json` (every number printed) into `--out`.
The same code runs on JAX, TensorFlow and PyTorch (`KERAS_BACKEND`).
"""

# ## Setup
#
# Keras picks its backend once, at import; JAX is the default here.

import argparse
import json
import math
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

from kgen import data, text, viz  # noqa: E402
from kgen.layers.vector_quantizer import codebook_statistics  # noqa: E402
from kgen.models.discrete import (  # noqa: E402
    DALLE,
    TextImageTransformer,
    conv_vqvae,
    conv_vqvae2,
)
from kgen.text.prompts import attribute_caption_vocabulary  # noqa: E402

BUDGET = "about 15-20 minutes on 2 CPU cores (JAX), Fashion-MNIST"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="VQ-VAE, VQ-VAE-2 and DALL-E")
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    parser.add_argument("--out", default="runs/vq")
    parser.add_argument(
        "--data", choices=("fashion_mnist", "digits"), default="fashion_mnist"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs of every training stage"
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def settings(args):
    """Sizes of every section; `--quick` shrinks everything."""
    config = dict(
        image_size=28,
        max_train=19200,  # 300 batches of 64
        num_test=2000,
        batch=64,
        learning_rate=1e-3,
        # 1. VQ-VAE: 28 -> 14 -> 7, a 7x7 grid of codes
        vq_filters=(32, 64),
        num_residual_blocks=1,
        num_embeddings=256,
        embedding_dim=16,
        vq_epochs=2,
        # 2. VQ-VAE-2: bottom grid 14x14, top grid 7x7
        vq2_filters=32,
        vq2_bottom_halvings=1,
        vq2_num_embeddings=128,
        vq2_epochs=2,
        prior_filters=32,
        prior_layers=4,
        prior_epochs=2,
        samples_per_class=8,
        # 3. text to image
        transformer_dim=64,
        transformer_layers=2,
        transformer_heads=4,
        transformer_epochs=4,
        text_dropout=0.1,
        images_per_prompt=8,
        guidance_scale=3.0,
        num_prompts=6,
        # the key/value cache and the Gated PixelCNN's fast sampler pay off
        # on the full grids; on the quick mode's tiny grids the naive loops
        # compile faster
        sampling_method="fast",
    )
    if args.quick:
        config.update(
            image_size=16,
            max_train=128,  # two training steps per stage
            num_test=128,  # the shape of the training set: encode compiles once
            vq_filters=(8, 8),  # 16 -> 4x4 codes
            num_embeddings=16,
            embedding_dim=4,
            vq_epochs=1,
            vq2_filters=8,
            vq2_bottom_halvings=2,  # bottom 4x4, top 2x2
            vq2_num_embeddings=16,
            vq2_epochs=1,
            prior_filters=8,
            prior_layers=1,
            prior_epochs=1,
            samples_per_class=2,
            transformer_dim=8,
            transformer_layers=1,
            transformer_heads=2,
            transformer_epochs=1,
            images_per_prompt=2,
            num_prompts=3,
            sampling_method="naive",
        )
    if args.epochs is not None:
        for key in ("vq_epochs", "vq2_epochs", "prior_epochs", "transformer_epochs"):
            config[key] = args.epochs
    return config


def load(args, config):
    """uint8 and [0, 1] images, labels and the class names of the data used."""
    size = config["image_size"]
    if args.quick:
        # Local files only: the digits resized stand in for a Fashion-MNIST
        # that is not on disk (the line printed says which).
        x_train, y_train, source = data.load_or_stand_in(
            args.data, "train", image_size=size
        )
        x_test, y_test, _ = data.load_or_stand_in(args.data, "test", image_size=size)
        stand_in = args.data == "digits" or source.stand_in
    else:
        x_train, y_train = data.load(args.data, "train", image_size=size)
        x_test, y_test = data.load(args.data, "test", image_size=size)
        source, stand_in = args.data, args.data == "digits"
    print(f"data: {source}")
    x_train, y_train = x_train[: config["max_train"]], y_train[: config["max_train"]]
    x_test, y_test = x_test[: config["num_test"]], y_test[: config["num_test"]]
    names = text.DIGIT_NAMES if stand_in else text.FASHION_MNIST_NAMES
    return {
        "uint8_train": x_train,
        "uint8_test": x_test,
        "x_train": data.to_unit_float(x_train),
        "x_test": data.to_unit_float(x_test),
        "y_train": y_train.astype("int32"),
        "y_test": y_test.astype("int32"),
        "names": names,
        "source": str(source),
    }


def _font(size):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one bitmap size
        return ImageFont.load_default()


def save_labelled_rows(path, rows, labels, scale=2):
    """One row of images per label, the label printed under its row.

    ``rows``: ``(num_rows, columns, H, W, C)`` floats in [0, 1].
    """
    from PIL import Image, ImageDraw

    rows = np.asarray(rows)
    font = _font(11)
    strips = [
        viz.image_grid(row, num_columns=len(row), value_range=(0, 1)) for row in rows
    ]
    strips = [np.kron(s, np.ones((scale, scale, 1), "uint8")) for s in strips]
    height, width = strips[0].shape[:2]
    text_height = 16
    width = max(width, 8 * max(len(label) for label in labels))
    canvas = Image.new("L", (width, len(rows) * (height + text_height)), 255)
    draw = ImageDraw.Draw(canvas)
    for index, (strip, label) in enumerate(zip(strips, labels)):
        top = index * (height + text_height)
        canvas.paste(Image.fromarray(strip[..., 0]), (0, top))
        draw.text((2, top + height + 2), label, fill=0, font=font)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    canvas.save(path)
    return path


def fit_seconds(fit):
    start = time.time()
    history = fit()
    return history, round(time.time() - start, 1)


def finite(value, digits=4):
    return round(float(value), digits)


# ## 1. VQ-VAE: how the codebook is trained
#
# The encoder maps each image to a 7x7 grid of vectors; the quantizer
# replaces each by its nearest code `e_k` and passes the decoder's gradient
# straight through to the encoder. A codebook trained by gradient moves only
# the codes that win some vector, so codes that start far from the
# encoder's outputs never move and stay dead. The EMA codebook follows the
# mean of its vectors (online k-means) and restarts a code whose smoothed
# count falls below one vector per batch at an encoder output of the batch;
# k-means initialisation starts the codebook from the first batch.

VARIANTS = {
    "gradient codebook": dict(),
    "EMA + restarts": dict(decay=0.99, dead_code_threshold=1.0),
    "EMA + restarts + k-means init": dict(
        decay=0.99, dead_code_threshold=1.0, kmeans_init=True
    ),
}


def build_vqvae(image_shape, config, **codebook):
    model = conv_vqvae(
        image_shape,
        num_embeddings=config["num_embeddings"],
        embedding_dim=config["embedding_dim"],
        filters=config["vq_filters"],
        num_residual_blocks=config["num_residual_blocks"],
        seed=0,
        **codebook,
    )
    model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]))
    return model


def test_codebook_use(model, x_test):
    """Reconstruction and code statistics of the test set, one encode pass."""
    encoded = model.encode(x_test)
    reconstruction = model.decode(encoded["latent"])
    mse = float(np.mean(np.square(reconstruction - x_test)))
    counts = np.bincount(
        encoded["indices"].reshape(-1), minlength=model.num_embeddings
    ).astype("float32")
    perplexity, usage = codebook_statistics(counts)
    return (
        reconstruction,
        counts,
        {
            "mse": finite(mse, 5),
            "psnr_db": finite(-10 * math.log10(mse), 2),
            "perplexity": finite(ops.convert_to_numpy(perplexity), 2),
            "codebook_usage": finite(ops.convert_to_numpy(usage), 4),
        },
    )


def codebook_section(config, d, out, results):
    shape = d["x_train"].shape[1:]
    records, reconstructions, frequencies, models = {}, {}, {}, {}
    for name, codebook in VARIANTS.items():
        model = build_vqvae(shape, config, **codebook)
        history, seconds = fit_seconds(
            lambda model=model: model.fit(
                d["x_train"],
                batch_size=config["batch"],
                epochs=config["vq_epochs"],
                shuffle=True,
                verbose=0,
            )
        )
        logs = history.history
        reconstruction, counts, record = test_codebook_use(model, d["x_test"])
        record.update(
            seconds=seconds,
            steps=int(model.optimizer.iterations),
            last_train_loss=finite(logs["loss"][-1]),
            last_train_batch_usage=finite(logs["codebook_usage"][-1]),
        )
        records[name] = record
        reconstructions[name] = reconstruction
        frequencies[name] = np.sort(counts)[::-1] / counts.sum()
        models[name] = model
        print(
            f"  {name:<30} test MSE {record['mse']:.5f} (PSNR {record['psnr_db']:.2f}"
            f" dB), perplexity {record['perplexity']:.1f}, codes used "
            f"{record['codebook_usage']:.3f} of {model.num_embeddings} "
            f"({record['steps']} steps, {seconds:.0f} s)"
        )
    count = 8
    rows = [d["x_test"][:count]] + [r[:count] for r in reconstructions.values()]
    save_labelled_rows(
        os.path.join(out, "vq_reconstructions.png"),
        np.stack(rows),
        ["test images", *(f"reconstructed, {n}" for n in reconstructions)],
    )
    viz.save_line_plot_png(
        os.path.join(out, "vq_code_usage.png"),
        np.arange(1, config["num_embeddings"] + 1),
        frequencies,
        title="share of the test set's code vectors, codes sorted",
        x_label="code rank",
    )
    results["vqvae"] = {
        "num_embeddings": config["num_embeddings"],
        "code_grid": list(models["EMA + restarts"].code_grid_shape),
        "parameters": int(
            sum(n.count_params() for n in models["gradient codebook"].networks())
        ),
        "variants": records,
    }
    return models["EMA + restarts"]


# ## 2. VQ-VAE-2 with a class-conditional top prior
#
# Two grids: the bottom codes (14x14) hold local detail, the top codes (7x7)
# the global shape; the decoder reads both. After the tokenizer, a Gated
# PixelCNN learns the top codes given the class, and another the bottom
# codes given the whole top grid. Their log-probabilities are code lengths
# (bits needed to name the codes the tokenizer decodes), not likelihoods of
# the images.


def vqvae2_section(config, d, out, results, seed):
    shape = d["x_train"].shape[1:]
    model = conv_vqvae2(
        shape,
        num_classes=10,
        num_embeddings=config["vq2_num_embeddings"],
        embedding_dim=config["embedding_dim"],
        filters=config["vq2_filters"],
        bottom_halvings=config["vq2_bottom_halvings"],
        top_halvings=1,
        num_residual_blocks=config["num_residual_blocks"],
        prior_filters=config["prior_filters"],
        prior_layers=config["prior_layers"],
        decay=0.99,
        dead_code_threshold=1.0,
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]))
    epochs = {
        "tokenizer": config["vq2_epochs"],
        "top_prior": config["prior_epochs"],
        "bottom_prior": config["prior_epochs"],
    }
    history, seconds = fit_seconds(
        lambda: model.fit(
            d["x_train"],
            d["y_train"],
            epochs=epochs,
            batch_size=config["batch"],
            shuffle=True,
            verbose=0,
        )
    )
    logs = history.history
    grids = model.tokenizer.code_grid_shapes
    codes = model.encode_to_indices(d["x_test"])
    reconstruction = model.decode_indices(codes)
    mse = float(np.mean(np.square(reconstruction - d["x_test"])))
    nats = model.code_log_prob(None, d["y_test"], codes=codes)
    num_codes = sum(int(np.prod(g)) for g in grids.values())
    bits_per_image = float(-nats.mean() / math.log(2))
    top_bits = float(
        model.top_prior.bits_per_dim(codes["top"], d["y_test"]).mean()
    )  # bits per top code
    bottom_bits = float(
        model.bottom_prior.bits_per_dim(
            codes["bottom"], condition_grid=codes["top"]
        ).mean()
    )  # bits per bottom code
    usage = {
        level: finite(
            ops.convert_to_numpy(
                codebook_statistics(
                    np.bincount(
                        codes[level].reshape(-1),
                        minlength=config["vq2_num_embeddings"],
                    ).astype("float32")
                )[1]
            )
        )
        for level in ("top", "bottom")
    }
    start = time.time()
    per_class = config["samples_per_class"]
    labels = np.repeat(np.arange(10), per_class)
    samples = model.sample(
        len(labels),
        seed=seed,
        conditions=labels,
        method=config["sampling_method"],
        batch_size=len(labels),
    )
    sample_seconds = round(time.time() - start, 1)
    save_labelled_rows(
        os.path.join(out, "vq2_class_samples.png"),
        samples.reshape(10, per_class, *shape),
        list(d["names"]),
    )
    uniform = math.log2(config["vq2_num_embeddings"])
    print(
        f"  grids: top {grids['top']}, bottom {grids['bottom']}; trained stage by "
        f"stage in {seconds:.0f} s"
    )
    print(
        f"  tokenizer test MSE {mse:.5f} (PSNR {-10 * math.log10(mse):.2f} dB); codes "
        f"used: top {usage['top']:.3f}, bottom {usage['bottom']:.3f}"
    )
    print(
        f"  prior code lengths on the test set: {top_bits:.3f} bits per top code "
        f"(given the class), {bottom_bits:.3f} bits per bottom code (given the top "
        f"grid); uniform: {uniform:.3f}"
    )
    print(
        f"  = {bits_per_image:.1f} bits per image (codes: {num_codes} of them); "
        f"{len(labels)} class-conditional samples in {sample_seconds:.0f} s"
    )
    results["vqvae2"] = {
        "grids": {k: list(v) for k, v in grids.items()},
        "num_embeddings": config["vq2_num_embeddings"],
        "seconds": seconds,
        "epochs": epochs,
        "tokenizer_mse": finite(mse, 5),
        "tokenizer_psnr_db": finite(-10 * math.log10(mse), 2),
        "codebook_usage": usage,
        "top_prior_bits_per_code": finite(top_bits),
        "bottom_prior_bits_per_code": finite(bottom_bits),
        "uniform_bits_per_code": finite(uniform),
        "bits_per_image_codes": finite(bits_per_image, 2),
        "codes_per_image": num_codes,
        "last_train_logs": {k: finite(v[-1]) for k, v in logs.items()},
        "samples_shape": list(samples.shape),
        "sample_seconds": sample_seconds,
        "class_names": list(d["names"]),
    }


# ## 3. Text to image, DALL-E style
#
# DALL-E's three steps, small: (1) a discrete image tokenizer, here the EMA
# VQ-VAE of section 1; (2) a causal transformer over [caption words, image
# codes] that learns p(codes | caption); (3) sampling codes for a prompt and
# decoding them. The captions are written from the class and two attributes
# measured on each image, relative to its class ("small dark trouser"): a
# demonstration of the method, not captions written by people. 10% of the
# captions are dropped to the empty caption during training, so the same
# transformer is also unconditional and classifier-free guidance can push
# the samples towards the prompt.


def choose_prompts(names, count):
    classes = (
        (1, 7, 8, 9, 3, 0, 5, 2) if names == text.FASHION_MNIST_NAMES else range(10)
    )
    attributes = [("small", "dark"), ("large", "bright"), ("large", "dark"),
                  ("small", "bright")]  # fmt: skip
    return [
        f"{attributes[i % 4][0]} {attributes[i % 4][1]} {names[k]}"
        for i, k in enumerate(list(classes)[:count])
    ]


def agreement(images, prompts, per_prompt, names, thresholds):
    """Fraction of images whose measured size / brightness match the prompt."""
    measured = text.measure_attributes(images, value_range=(0, 1))
    wanted = np.repeat(np.arange(len(prompts)), per_prompt)
    labels = np.array([names.index(p.split()[-1]) for p in prompts])[wanted]
    large = np.array(["large" in p for p in prompts])[wanted]
    bright = np.array(["bright" in p for p in prompts])[wanted]
    size = np.mean((measured["size"] > thresholds["size"][labels]) == large)
    tone = np.mean(
        (measured["brightness"] > thresholds["brightness"][labels]) == bright
    )
    return finite(size, 3), finite(tone, 3)


def dalle_section(config, d, tokenizer_model, out, results, seed):
    names = d["names"]
    thresholds = text.attribute_thresholds(d["uint8_train"], d["y_train"], 10)
    captions = text.attribute_captions(
        d["uint8_train"], d["y_train"], names, thresholds=thresholds
    )
    test_captions = text.attribute_captions(
        d["uint8_test"], d["y_test"], names, thresholds=thresholds
    )
    print(f"  captions such as {captions[0]!r}, {captions[1]!r}")
    words = text.WordTokenizer(attribute_caption_vocabulary(names), max_length=3)
    transformer = TextImageTransformer(
        tokenizer_model.code_grid_shape,
        tokenizer_model.num_embeddings,
        words.vocabulary_size,
        words.max_length,
        embedding_dim=config["transformer_dim"],
        num_layers=config["transformer_layers"],
        num_heads=config["transformer_heads"],
        text_dropout=config["text_dropout"],
        seed=0,
    )
    # the image tokenizer is section 1's EMA VQ-VAE, already trained: only
    # the transformer stage is fitted here
    model = DALLE(tokenizer_model, transformer, words)
    model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]))
    history, seconds = fit_seconds(
        lambda: model.fit(
            d["x_train"],
            captions,
            stages=["transformer"],
            epochs=config["transformer_epochs"],
            batch_size=config["batch"],
            shuffle=True,
            verbose=0,
        )
    )
    codes = tokenizer_model.encode_to_indices(d["x_test"])
    ids = model.caption_ids(test_captions)
    with_caption = float(transformer.bits_per_dim(codes, captions=ids).mean())
    without = float(transformer.bits_per_dim(codes).mean())
    print(
        f"  transformer: {transformer.count_params():,} parameters, trained in "
        f"{seconds:.0f} s; test codes: {with_caption:.3f} bits per code given the "
        f"caption, {without:.3f} given the empty caption "
        f"(uniform {math.log2(transformer.num_codes):.3f})"
    )
    prompts = choose_prompts(names, config["num_prompts"])
    per_prompt = config["images_per_prompt"]
    record = {
        "transformer_parameters": int(transformer.count_params()),
        "seconds": seconds,
        "epochs": config["transformer_epochs"],
        "last_train_bits_per_code": finite(
            history.history["transformer_bits_per_dim"][-1]
        ),
        "test_bits_per_code_given_caption": finite(with_caption),
        "test_bits_per_code_empty_caption": finite(without),
        "prompts": prompts,
        "images_per_prompt": per_prompt,
        "generations": {},
    }
    shape = d["x_train"].shape[1:]
    for scale, file_name in ((1.0, "dalle_prompts.png"),
                             (config["guidance_scale"], "dalle_guided.png")):  # fmt: skip
        start = time.time()
        images = model.generate(
            prompts,
            num_images_per_prompt=per_prompt,
            seed=seed,
            guidance_scale=scale,
            method=config["sampling_method"],
            batch_size=len(prompts) * per_prompt,
        )
        elapsed = round(time.time() - start, 1)
        save_labelled_rows(
            os.path.join(out, file_name),
            images.reshape(len(prompts), per_prompt, *shape),
            prompts,
        )
        size, tone = agreement(images, prompts, per_prompt, names, thresholds)
        print(
            f"  guidance scale {scale:g} ({file_name}, {elapsed:.0f} s): one row per prompt"
        )
        for prompt in prompts:
            print(f"    {prompt}")
        print(
            f"    size agrees with the prompt for {size:.2f}, brightness for {tone:.2f}"
        )
        record["generations"][f"{scale:g}"] = {
            "figure": file_name,
            "images_shape": list(images.shape),
            "size_agreement": size,
            "brightness_agreement": tone,
            "seconds": elapsed,
        }
    results["dalle"] = record


def main(argv=None):
    args = parse_args(argv)
    config = settings(args)
    keras.utils.set_random_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    results = {
        "backend": keras.config.backend(),
        "config": config,
        "budget": (
            "the --quick smoke test"
            if args.quick
            else BUDGET
            if args.epochs is None
            else f"reduced: --epochs {args.epochs} for every stage"
        ),
        "note": "a small-scale demonstration of the methods",
    }
    start = time.time()
    d = load(args, config)
    results["data"] = d["source"]
    print("(a small-scale demonstration of the methods, not of their published scale)")
    print("1. VQ-VAE: a gradient codebook against EMA codebooks with restarts")
    tokenizer_model = codebook_section(config, d, args.out, results)
    print("2. VQ-VAE-2 with a class-conditional top prior, stage by stage")
    vqvae2_section(config, d, args.out, results, args.seed)
    print("3. Text to image: the EMA VQ-VAE's codes and a token transformer")
    dalle_section(config, d, tokenizer_model, args.out, results, args.seed)
    results["total_seconds"] = round(time.time() - start, 1)
    print(f"total: {results['total_seconds']:.0f} s on {results['backend']}")
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    return results


if __name__ == "__main__":
    main()
