"""
Title: Autoregressive models: PixelCNN, Gated PixelCNN, PixelRNN, PixelCNN++
Author: kgen contributors
Description: Exact likelihoods pixel by pixel. A PixelCNN on the 8x8 digits,
    the blind spot of stacked masked convolutions (a gradient picture of the
    receptive field), a class-conditional Gated PixelCNN without blind spot,
    samples and completions of occluded digits with the cached fast sampler,
    the R -> G -> B order on colour patches, Fashion-MNIST at 256 levels, a
    prior over a grid of tokens conditioned on a coarser grid (the set-up of
    a VQ-VAE-2 bottom prior), PixelRNN, PixelCNN++, and a bits/dim table.
Accelerator: none required (CPU minutes with the default budget)

Run it top to bottom:

    python examples/autoregressive_models.py --out runs/autoregressive
    python examples/autoregressive_models.py --quick        # smoke test

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

from kgen import backend, data, viz  # noqa: E402
from kgen.models import (  # noqa: E402
    GatedPixelCNN,
    PixelCNN,
    PixelCNNPlusPlus,
    PixelRNN,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Autoregressive image models")
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    parser.add_argument("--out", default="runs/autoregressive")
    parser.add_argument("--epochs", type=int, default=None, help="digits epochs")
    parser.add_argument("--fashion-train", type=int, default=None)
    parser.add_argument("--fashion-epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def settings(args):
    """Sizes of every section; `--quick` shrinks everything."""
    config = dict(
        digits_epochs=40,
        filters=32,
        pixel_cnn_layers=4,
        gated_layers=6,
        patch_epochs=15,
        patch_levels=8,
        fashion_train=12000,
        fashion_epochs=2,
        fashion_filters=32,
        fashion_layers=6,
        max_train=None,
        num_samples=30,
    )
    if args.quick:
        config.update(
            digits_epochs=1,
            filters=8,
            pixel_cnn_layers=1,
            gated_layers=2,
            patch_epochs=1,
            fashion_train=32,
            fashion_epochs=1,
            fashion_filters=4,
            fashion_layers=1,
            max_train=256,
            num_samples=4,
        )
    if args.epochs is not None:
        config["digits_epochs"] = args.epochs
        config["patch_epochs"] = max(1, args.epochs // 2)
    if args.fashion_train is not None:
        config["fashion_train"] = args.fashion_train
    if args.fashion_epochs is not None:
        config["fashion_epochs"] = args.fashion_epochs
    return config


def fit(model, x, epochs, batch_size=64, labels=None):
    """Train with maximum likelihood; return the wall time in seconds.

    ``x`` is the integer data (or a dict with a ``"condition_grid"``);
    ``labels`` the class labels of a class-conditional model.
    """
    start = time.time()
    model.fit(x, labels, epochs=epochs, batch_size=batch_size, verbose=0)
    return time.time() - start


def save(path, images, model, **kwargs):
    """Save a model's integer levels as a full-contrast grid.

    ``value_range=model.data_convention``: levels 0 .. num_levels - 1 map to
    black .. white (uint8 samples of a 17-level model are not 8-bit pixels).
    """
    viz.save_image_grid(path, images, value_range=model.data_convention, **kwargs)


def mean_bits_per_dim(model, x, *args, **kwargs):
    """Test bits/dim: the mean of ``bits_per_dim``'s per-example values."""
    return float(np.mean(model.bits_per_dim(x, *args, **kwargs)))


def main(argv=None):
    args = parse_args(argv)
    config = settings(args)
    os.makedirs(args.out, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    results = {"backend": backend.name(), "quick": args.quick, "table": []}

    # ## The data
    #
    # Autoregressive models take *integer* pixels: a softmax over
    # `num_levels` values per sub-pixel. The embedded digits have 17 grey
    # levels (0..16); `data.quantize` recovers them from the uint8 images.
    x_train, y_train = data.load("digits", split="train")
    x_test, y_test = data.load("digits", split="test")
    levels = 17
    x_train, x_test = data.quantize(x_train, levels), data.quantize(x_test, levels)
    if config["max_train"]:
        x_train, y_train = (
            x_train[: config["max_train"]],
            y_train[: config["max_train"]],
        )
    uniform = math.log2(levels)
    print(f"digits: train {x_train.shape}, test {x_test.shape}, {levels} levels")

    # ## PixelCNN
    #
    # p(x) = prod_i p(x_i | x_<i) in raster order. A 7x7 mask-"A" convolution
    # (the centre pixel hidden) followed by 3x3 mask-"B" layers keeps every
    # output causal; training is plain maximum likelihood with `fit`, and
    # `bits_per_dim` is the test negative log-likelihood in bits per pixel.
    pixel_cnn = PixelCNN(
        (8, 8, 1),
        num_levels=levels,
        filters=config["filters"],
        num_layers=config["pixel_cnn_layers"],
        first_kernel_size=5,
    )
    pixel_cnn.compile(optimizer=keras.optimizers.Adam(3e-3))
    seconds = fit(pixel_cnn, x_train, config["digits_epochs"])
    bpd = mean_bits_per_dim(pixel_cnn, x_test)
    print(f"PixelCNN: {bpd:.3f} bits/dim on test digits (uniform {uniform:.3f})")
    results["table"].append(
        dict(
            model="PixelCNN",
            data="digits 8x8",
            levels=levels,
            bits_per_dim=bpd,
            uniform=uniform,
            epochs=config["digits_epochs"],
            train_seconds=seconds,
        )
    )
    samples = pixel_cnn.sample(config["num_samples"], seed=args.seed)
    save(os.path.join(args.out, "pixel_cnn_samples.png"), samples, pixel_cnn, scale=4)

    # ## The blind spot
    #
    # Stacking masked 3x3 convolutions grows the receptive field up and to
    # the left, but a wedge of pixels above and to the *right* never reaches
    # the current pixel. We make it visible with gradients: the pixels whose
    # input gradient is non-zero are the ones the prediction can depend on.
    # Gated PixelCNN splits the network into a vertical stack (rows above)
    # and a horizontal stack (pixels to the left), which covers the wedge.
    def receptive_field(model, size=11):
        model.build()
        x = np.random.default_rng(0).uniform(-1, 1, (4, size, size, 1))
        centre = size // 2

        def fn(v):  # the logits of the centre pixel, from the scaled inputs
            return model.call_network(v)[:, centre, centre, 0]

        def gradient(v):
            return backend.input_gradients(fn, v)

        if backend.name() != "torch":  # compiled: faster than op by op
            gradient = backend.compile_function(gradient)
        grad = keras.ops.convert_to_numpy(
            gradient(keras.ops.convert_to_tensor(x, "float32"))
        )
        seen = np.abs(grad).sum(axis=(0, 3)) > 0
        picture = np.stack([seen * 255] * 3, axis=-1).astype("uint8")
        picture[centre, centre] = (220, 40, 40)  # the pixel being predicted
        return picture, seen

    field_kwargs = dict(num_levels=4, filters=8, first_kernel_size=3, kernel_size=3)
    plain_picture, plain_seen = receptive_field(
        PixelCNN((11, 11, 1), num_layers=3, **field_kwargs)
    )
    gated_picture, gated_seen = receptive_field(
        GatedPixelCNN((11, 11, 1), num_layers=4, **field_kwargs)
    )
    viz.save_image_grid(
        os.path.join(args.out, "receptive_fields.png"),
        np.stack([plain_picture, gated_picture]),
        scale=12,
        padding=2,
    )
    results["receptive_field_pixels"] = {
        "pixel_cnn": int(plain_seen.sum()),
        "gated_pixel_cnn": int(gated_seen.sum()),
    }
    print(
        "pixels in the receptive field of the centre pixel (4 layers): PixelCNN "
        f"{int(plain_seen.sum())}, Gated PixelCNN {int(gated_seen.sum())}"
    )

    # ## A class-conditional Gated PixelCNN
    #
    # Gated activations tanh(W_f x + V_f h) * sigmoid(W_g x + V_g h), with h
    # the one-hot class, give a model of p(x | class): `fit(x, labels)`, and
    # every verb takes `conditions=labels`.
    gated = GatedPixelCNN(
        (8, 8, 1),
        num_levels=levels,
        num_classes=10,
        filters=config["filters"],
        num_layers=config["gated_layers"],
        first_kernel_size=5,
    )
    gated.compile(optimizer=keras.optimizers.Adam(3e-3))
    seconds = fit(gated, x_train, config["digits_epochs"], labels=y_train)
    bpd = mean_bits_per_dim(gated, x_test, conditions=y_test)
    print(f"Gated PixelCNN | class: {bpd:.3f} bits/dim on test digits")
    results["table"].append(
        dict(
            model="Gated PixelCNN (class-conditional)",
            data="digits 8x8",
            levels=levels,
            bits_per_dim=bpd,
            uniform=uniform,
            epochs=config["digits_epochs"],
            train_seconds=seconds,
        )
    )
    per_class = max(1, config["num_samples"] // 10)
    classes = np.repeat(np.arange(10), per_class)
    # One column per class.
    samples = gated.sample(
        len(classes), seed=args.seed, conditions=classes, method="fast", batch_size=10
    )
    order = np.arange(len(classes)).reshape(10, per_class).T.reshape(-1)
    save(
        os.path.join(args.out, "gated_class_samples.png"),
        samples[order],
        gated,
        num_columns=10,
        scale=4,
    )

    # ## Fast sampling
    #
    # The naive sampler runs the whole network for each of the 64 pixels. The
    # fast sampler (`Capability.FAST_SAMPLING`) caches every layer's inputs:
    # the vertical stack is computed once per row, the horizontal stack and
    # the head once per pixel, from rolling windows of cached inputs. Same
    # noise, same images: exactly.
    timings = {}
    for method in ("naive", "fast"):
        # The first call compiles the loop (once per model and batch size).
        gated.sample(10, seed=0, conditions=np.arange(10), method=method)
        start = time.time()
        drawn = gated.sample(
            20, seed=1, conditions=np.arange(20) % 10, method=method, batch_size=10
        )
        timings[method] = time.time() - start
        results.setdefault("same_images", []).append(drawn.tolist())
    same = results.pop("same_images")
    results["fast_sampler"] = {
        "naive_seconds": timings["naive"],
        "fast_seconds": timings["fast"],
        "identical": same[0] == same[1],
    }
    print(
        f"20 digits: naive {timings['naive']:.2f} s, fast {timings['fast']:.2f} s, "
        f"identical: {same[0] == same[1]}"
    )

    # ## Completions
    #
    # `complete` keeps the top rows and samples the rest. Each row of the
    # figure: the test digit, its occluded version, three completions.
    count = 10
    originals, labels = x_test[:count], y_test[:count]
    occluded = originals.copy()
    occluded[:, 4:] = 0
    completions = [
        gated.complete(
            originals, 4, seed=s, conditions=labels, method="fast", batch_size=10
        )
        for s in range(3)
    ]
    figure = np.stack([originals, occluded, *completions], axis=1).reshape(-1, 8, 8, 1)
    save(
        os.path.join(args.out, "gated_completions.png"),
        figure,
        gated,
        num_columns=5,
        scale=4,
    )

    # ## Colour: R -> G -> B
    #
    # With colour, each pixel is three sub-pixels. The masks split every
    # layer's channels into three groups: red sees the pixels before, green
    # also sees red of the same pixel, blue sees red and green.
    patch_levels = config["patch_levels"]
    patches, _ = data.load("color_patches", split="train", image_size=8)
    patches_test, _ = data.load("color_patches", split="test", image_size=8)
    patches = data.quantize(patches, patch_levels)
    patches_test = data.quantize(patches_test, patch_levels)
    if config["max_train"]:
        patches = patches[: config["max_train"]]
    colour = GatedPixelCNN(
        (8, 8, 3),
        num_levels=patch_levels,
        filters=3 * max(config["filters"] // 3, 2),
        num_layers=config["gated_layers"],
        first_kernel_size=5,
    )
    colour.compile(optimizer=keras.optimizers.Adam(3e-3))
    seconds = fit(colour, patches, config["patch_epochs"])
    bpd = mean_bits_per_dim(colour, patches_test)
    print(f"Gated PixelCNN on colour patches: {bpd:.3f} bits/dim")
    results["table"].append(
        dict(
            model="Gated PixelCNN",
            data="colour patches 8x8x3",
            levels=patch_levels,
            bits_per_dim=bpd,
            uniform=math.log2(patch_levels),
            epochs=config["patch_epochs"],
            train_seconds=seconds,
        )
    )
    samples = colour.sample(config["num_samples"], seed=args.seed, method="fast")
    save(os.path.join(args.out, "colour_samples.png"), samples, colour, scale=4)

    # ## Fashion-MNIST at 256 levels
    #
    # The real test: 28x28 images with 256 levels per pixel, against the
    # uniform baseline of 8 bits/dim.
    if args.quick:
        # Local files only: the digits resized to 28x28 stand in when
        # Fashion-MNIST is not on disk (the line printed says which).
        fashion, _, source = data.load_or_stand_in("fashion_mnist", "train")
        fashion_test, _, _ = data.load_or_stand_in("fashion_mnist", "test")
    else:
        fashion, _ = data.load("fashion_mnist", split="train")
        fashion_test, _ = data.load("fashion_mnist", split="test")
        source = data.DataSource("Fashion-MNIST", name="fashion_mnist", stand_in=False)
    print(f"Fashion-MNIST section data: {source}")
    results["fashion_data"] = source
    fashion_label = (
        "digits 28x28 (stand-in)" if source.stand_in else "Fashion-MNIST 28x28"
    )
    fashion = fashion[: config["fashion_train"]]
    fashion_test = fashion_test[: 2000 if not args.quick else 32]
    fashion_model = GatedPixelCNN(
        (28, 28, 1),
        num_levels=256,
        filters=config["fashion_filters"],
        num_layers=config["fashion_layers"],
        first_kernel_size=7,
    )
    fashion_model.compile(optimizer=keras.optimizers.Adam(2e-3))
    seconds = fit(fashion_model, fashion, config["fashion_epochs"], batch_size=32)
    bpd = mean_bits_per_dim(fashion_model, fashion_test)
    print(f"Gated PixelCNN on Fashion-MNIST: {bpd:.3f} bits/dim (uniform 8)")
    results["table"].append(
        dict(
            model="Gated PixelCNN",
            data=fashion_label,
            levels=256,
            bits_per_dim=bpd,
            uniform=8.0,
            epochs=config["fashion_epochs"],
            train_seconds=seconds,
            train_images=len(fashion),
        )
    )
    count = min(config["num_samples"], 8)
    samples = fashion_model.sample(count, seed=args.seed, method="fast")
    save(os.path.join(args.out, "fashion_samples.png"), samples, fashion_model, scale=2)
    # Top half given, bottom half sampled (same batch size: no new compile).
    occluded = fashion_test[:count].copy()
    completions = fashion_model.complete(occluded, 14, seed=args.seed, method="fast")
    occluded[:, 14:] = 0
    save(
        os.path.join(args.out, "fashion_completions.png"),
        np.concatenate([fashion_test[:count], occluded, completions]),
        fashion_model,
        num_columns=count,
        scale=2,
    )

    # ## Token grids and condition grids
    #
    # The same classes model grids of *tokens* `(H, W)`, such as the code
    # indices of a VQ-VAE: `input_embedding="embedding"` learns a vector per
    # level (the order of code indices means nothing, unlike intensities).
    # A *condition grid*, here of half the resolution, enters every layer as
    # a location-dependent bias (embedded, upsampled by a learned transposed
    # convolution, projected per layer): the bottom prior of a two-level
    # VQ-VAE conditioned on the top codes. We use the digits' 17 grey levels
    # as tokens and a 4x4 grid of 4 levels (2x2 means) as the condition: the
    # model learns p(fine | coarse), a super-resolution prior.
    def coarse_grid(images):
        means = images.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4))
        return np.round(means * 3 / (levels - 1)).astype("int32")  # 0 .. 3

    tokens, tokens_test = x_train[..., 0], x_test[..., 0]
    prior_kwargs = dict(
        num_levels=levels,
        filters=config["filters"],
        num_layers=config["gated_layers"],
        first_kernel_size=5,
        input_embedding="embedding",
        embedding_dim=16,
    )
    token_prior = GatedPixelCNN((8, 8), **prior_kwargs)
    coarse_prior = GatedPixelCNN(
        (8, 8), condition_grid_shape=(4, 4), condition_grid_levels=4, **prior_kwargs
    )
    token_epochs = max(1, config["digits_epochs"] // 2)
    for name, model, train_inputs, extra in (
        ("tokens", token_prior, tokens, {}),
        (
            "tokens | coarse 4x4 grid",
            coarse_prior,
            {"tokens": tokens, "condition_grid": coarse_grid(x_train)},
            {"condition_grid": coarse_grid(x_test)},
        ),
    ):
        model.compile(optimizer=keras.optimizers.Adam(3e-3))
        seconds = fit(model, train_inputs, token_epochs)
        bpd = mean_bits_per_dim(model, tokens_test, **extra)
        print(f"Gated PixelCNN over {name}: {bpd:.3f} bits per token")
        results["table"].append(
            dict(
                model="Gated PixelCNN (embedded tokens)",
                data=f"digits 8x8 as {name}",
                levels=levels,
                bits_per_dim=bpd,
                uniform=uniform,
                epochs=token_epochs,
                train_seconds=seconds,
            )
        )
    # Rows: a coarse grid (shown at full size), the digit it came from, and
    # three fine grids the prior draws for it (fast sampler).
    count = 8
    grids = coarse_grid(x_test[:count])
    drawn = [
        coarse_prior.sample(
            count, seed=s, condition_grid=grids, method="fast", batch_size=count
        )
        for s in range(3)
    ]
    shown_grid = np.repeat(np.repeat(grids, 2, axis=1), 2, axis=2) * (levels - 1) // 3
    figure = np.stack([shown_grid, tokens_test[:count], *drawn], axis=1)
    save(
        os.path.join(args.out, "token_prior_given_coarse_grid.png"),
        figure.reshape(-1, 8, 8),
        coarse_prior,
        num_columns=5,
        scale=4,
    )

    # ## PixelRNN: Row LSTM and Diagonal BiLSTM
    #
    # Two-dimensional LSTMs in place of the convolution stack, with the same
    # masked 7x7 input convolution (here 5x5) and softmax head as PixelCNN.
    # The Row LSTM runs down the image one row at a time (a 1x3 convolution
    # of the row above feeds each state: a triangular receptive field). The
    # Diagonal BiLSTM skews the image so that diagonals become columns and
    # sweeps them in both directions; the right-to-left sweep is shifted one
    # row down so it never sees the current row.
    rnn_epochs = max(1, config["digits_epochs"] // 2)
    for cell in ("row_lstm", "diagonal_bilstm"):
        rnn = PixelRNN(
            (8, 8, 1),
            num_levels=levels,
            cell=cell,
            num_layers=1 if args.quick else 2,
            hidden_units=4 if args.quick else 16,
            first_kernel_size=5,
        )
        rnn.compile(optimizer=keras.optimizers.Adam(3e-3))
        seconds = fit(rnn, x_train, rnn_epochs)
        bpd = mean_bits_per_dim(rnn, x_test)
        print(f"PixelRNN ({cell}): {bpd:.3f} bits/dim on test digits")
        results["table"].append(
            dict(
                model=f"PixelRNN ({cell})",
                data="digits 8x8",
                levels=levels,
                bits_per_dim=bpd,
                uniform=uniform,
                epochs=rnn_epochs,
                train_seconds=seconds,
            )
        )
        samples = rnn.sample(config["num_samples"], seed=args.seed)
        save(
            os.path.join(args.out, f"pixel_rnn_{cell}_samples.png"),
            samples,
            rnn,
            scale=4,
        )

    # ## PixelCNN++
    #
    # A discretized logistic mixture replaces the 17-way (or 256-way)
    # softmax: a few means, scales and weights per pixel, with the mass of a
    # level being the logistic CDF over its bin (edge bins to +-infinity).
    # Two shifted-convolution streams (rows above; rows above and pixels to
    # the left) with gated resnet blocks, downsampling and shortcut
    # connections see every earlier pixel in their field, without masks.
    plus_plus = PixelCNNPlusPlus(
        (8, 8, 1),
        num_levels=levels,
        num_filters=4 if args.quick else 16,
        num_resnet=1,
        num_scales=2,
        num_logistic_mix=3,
        dropout_rate=0.1,
        seed=args.seed,
    )
    plus_plus.compile(optimizer=keras.optimizers.Adam(3e-3))
    plus_plus_epochs = max(1, config["digits_epochs"] // 2)
    seconds = fit(plus_plus, x_train, plus_plus_epochs)
    bpd = mean_bits_per_dim(plus_plus, x_test)
    print(f"PixelCNN++: {bpd:.3f} bits/dim on test digits")
    results["table"].append(
        dict(
            model="PixelCNN++",
            data="digits 8x8",
            levels=levels,
            bits_per_dim=bpd,
            uniform=uniform,
            epochs=plus_plus_epochs,
            train_seconds=seconds,
        )
    )
    samples = plus_plus.sample(config["num_samples"], seed=args.seed)
    save(
        os.path.join(args.out, "pixel_cnn_plus_plus_samples.png"),
        samples,
        plus_plus,
        scale=4,
    )
    # A lower temperature (sharper mixture weights, narrower logistics).
    cold = plus_plus.sample(config["num_samples"], seed=args.seed, temperature=0.7)
    save(
        os.path.join(args.out, "pixel_cnn_plus_plus_cold.png"), cold, plus_plus, scale=4
    )

    # ## Bits per dimension
    #
    # Lower is better; the uniform distribution over the levels is the
    # baseline every model must beat.
    print("\n| model | data | levels | test bits/dim | uniform | epochs | train s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in results["table"]:
        print(
            f"| {row['model']} | {row['data']} | {row['levels']} | "
            f"{row['bits_per_dim']:.3f} | {row['uniform']:.3f} | {row['epochs']} | "
            f"{row['train_seconds']:.0f} |"
        )
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
