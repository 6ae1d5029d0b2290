"""Discrete-latent benchmark: codebooks, a prior over codes, cached sampling.

(a) Codebook: a convolutional VQ-VAE with a 512-code book (28x28 -> a 7x7
    grid of codes) trained on real Fashion-MNIST with four quantizers for the
    same stated budget: the plain quantizer (codebook trained by gradient),
    the EMA codebook, EMA with dead-code restarts, and EMA with restarts and
    k-means initialisation. Scored on the test set: mean squared error and
    PSNR of the reconstructions, perplexity of the code frequencies, the
    fraction of the 512 codes used at least once (and its complement, the
    dead fraction), and the bits per image of the code grid stored with a
    uniform code (positions x log2 512).
(b) Prior: a Gated PixelCNN over the 7x7 code grids of the tokenizer with the
    lowest test MSE, trained on the codes of the training images: test bits
    per code, bits per image (49 codes) and that number over the 784
    sub-pixels. The last is the code length of a *lossy* representation per
    sub-pixel, not a likelihood of the images, and is named so.
(c) Sampling: a TextImageTransformer over an 8x8 grid (64 image tokens, 512
    codes) after a caption of 4 tokens, the naive sampler (whole sequence per
    code) against the key/value-cached one: images per second and their
    ratio, per backend, the first (compiling) call's seconds separately, and
    a check that both draw identical codes. The weights are untrained: the
    cost of a draw does not depend on them.

Each backend runs in its own subprocess with ``KERAS_BACKEND`` set; (a) and
(b) run on ``--codebook-backend`` (JAX by default), (c) on every backend of
``--backends``. (a) leaves the chosen tokenizer's code grids in
``--out``/codes.npz, which (b) reads, so ``--part prior`` can follow a
``--part codebook`` run.

    python benchmarks/vq.py                   # everything
    python benchmarks/vq.py --part sampling   # one part
    python benchmarks/vq.py --quick           # smoke run

Results go to ``--out``/results.json (parts run separately are merged into
it) and to stdout as Markdown tables.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

BACKENDS = ("jax", "tensorflow", "torch")
NUM_CODES = 512

# the four quantizers of part (a): VectorQuantizer arguments
VARIANTS = {
    "plain": {},
    "ema": {"decay": 0.99},
    "ema+restarts": {"decay": 0.99, "dead_code_threshold": 1.0},
    "ema+restarts+kmeans": {
        "decay": 0.99,
        "dead_code_threshold": 1.0,
        "kmeans_init": True,
    },
}

PASSED = (
    "filters",
    "embedding_dim",
    "train_images",
    "test_images",
    "epochs",
    "batch_size",
    "prior_train_images",
    "prior_epochs",
    "prior_filters",
    "prior_layers",
    "grid",
    "samples",
    "transformer_dim",
    "transformer_layers",
    "out",
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="VQ-VAE and token prior benchmark")
    parser.add_argument(
        "--part", choices=("all", "codebook", "prior", "sampling"), default="all"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="runs/benchmarks/vq")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--codebook-backend", default="jax")
    # (a) tokenizer
    parser.add_argument("--filters", default="32,64")
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--train-images", type=int, default=20000)
    parser.add_argument("--test-images", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    # (b) prior
    parser.add_argument("--prior-train-images", type=int, default=20000)
    parser.add_argument("--prior-epochs", type=int, default=1)
    parser.add_argument("--prior-filters", type=int, default=64)
    parser.add_argument("--prior-layers", type=int, default=6)
    # (c) sampling
    parser.add_argument("--grid", type=int, default=8, help="side of the code grid")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--transformer-dim", type=int, default=128)
    parser.add_argument("--transformer-layers", type=int, default=4)
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="torch.set_num_threads in the torch worker (default: torch's own)",
    )
    parser.add_argument(
        "--worker", choices=("codebook", "prior", "sampling"), help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


def _filters(args):
    return tuple(int(f) for f in str(args.filters).split(",") if f)


def _code_statistics(codes, num_codes=NUM_CODES):
    """Perplexity, fraction of codes used and entropy (bits) of code frequencies."""
    import numpy as np

    counts = np.bincount(np.asarray(codes).ravel(), minlength=num_codes)
    p = counts / counts.sum()
    nonzero = p[p > 0]
    entropy_bits = float(-(nonzero * np.log2(nonzero)).sum())
    return dict(
        perplexity=float(2.0**entropy_bits),
        used_fraction=float((counts > 0).mean()),
        dead_fraction=float((counts == 0).mean()),
        entropy_bits=entropy_bits,
    )


# -- workers (run inside one backend's subprocess) --------------------------


def work_codebook(args):
    import keras
    import numpy as np

    from kgen import data, models

    x, _ = data.load("fashion_mnist", split="train")
    x_test, _ = data.load("fashion_mnist", split="test")
    x = data.to_unit_float(x)
    x_test = data.to_unit_float(x_test[: args.test_images])
    x_train = x[: args.train_images]
    rows, tokenizers = [], {}
    for name, options in VARIANTS.items():
        keras.utils.set_random_seed(0)
        model = models.conv_vqvae(
            (28, 28, 1),
            num_embeddings=NUM_CODES,
            embedding_dim=args.embedding_dim,
            filters=_filters(args),
            num_residual_blocks=1,
            seed=0,
            **options,
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        start = time.time()
        history = model.fit(
            x_train, epochs=args.epochs, batch_size=args.batch_size, verbose=0
        )
        seconds = time.time() - start
        reconstruction = model.reconstruct(x_test)
        mse = float(np.mean(np.square(reconstruction - x_test)))
        codes = model.encode_to_indices(x_test)
        positions = int(np.prod(model.code_grid_shape))
        statistics = _code_statistics(codes)
        rows.append(
            dict(
                variant=name,
                options=options,
                parameters=int(model.count_params()),
                grid=list(model.code_grid_shape),
                train_images=len(x_train),
                epochs=args.epochs,
                batch_size=args.batch_size,
                train_seconds=seconds,
                test_images=len(x_test),
                test_mse=mse,
                # peak 1 (data in [0, 1]), from the mean MSE over the test set
                test_psnr=float(-10.0 * math.log10(mse)),
                # the last epoch's mean of the per-batch figures that fit logs
                train_batch_perplexity=float(history.history["perplexity"][-1]),
                train_batch_usage=float(history.history["codebook_usage"][-1]),
                **{f"test_{k}": v for k, v in statistics.items()},
                bits_per_image_uniform=positions * math.log2(NUM_CODES),
                # positions x entropy of the test set's own code frequencies:
                # what a per-position-independent code fitted to them would
                # need (optimistic: fitted on the data it is scored on)
                bits_per_image_unigram=positions * statistics["entropy_bits"],
            )
        )
        tokenizers[name] = model
    best = min(rows, key=lambda r: r["test_mse"])["variant"]
    model = tokenizers[best]
    x_prior = x[: args.prior_train_images]
    os.makedirs(args.out, exist_ok=True)
    np.savez_compressed(
        os.path.join(args.out, "codes.npz"),
        train=model.encode_to_indices(x_prior),
        test=model.encode_to_indices(x_test),
        variant=np.array(best),
    )
    return dict(rows=rows, best=best)


def work_prior(args):
    import keras
    import numpy as np

    from kgen import models

    path = os.path.join(args.out, "codes.npz")
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run --part codebook first")
    stored = np.load(path)
    train, test = stored["train"], stored["test"]
    grid = tuple(int(s) for s in train.shape[1:])
    positions = int(np.prod(grid))
    keras.utils.set_random_seed(0)
    prior = models.GatedPixelCNN(
        grid,
        num_levels=NUM_CODES,
        filters=args.prior_filters,
        num_layers=args.prior_layers,
        first_kernel_size=max(3, min(7, 2 * (min(grid) // 2) + 1)),
        kernel_size=3,
        input_embedding="embedding",
        embedding_dim=32,
    )
    prior.compile(optimizer=keras.optimizers.Adam(1e-3))
    untrained = float(prior.bits_per_dim(test).mean())
    start = time.time()
    prior.fit(train, epochs=args.prior_epochs, batch_size=64, verbose=0)
    seconds = time.time() - start
    bits_per_code = float(prior.bits_per_dim(test).mean())
    # unigram baseline: code frequencies of the training codes (add-one)
    counts = np.bincount(train.ravel(), minlength=NUM_CODES) + 1.0
    log2_p = np.log2(counts / counts.sum())
    unigram = float(-log2_p[test.ravel()].mean())
    subpixels = 28 * 28 * 1
    return dict(
        tokenizer=str(stored["variant"]),
        grid=list(grid),
        parameters=int(prior.count_params()),
        layers=args.prior_layers,
        filters=args.prior_filters,
        train_grids=len(train),
        epochs=args.prior_epochs,
        train_seconds=seconds,
        test_grids=len(test),
        untrained_bits_per_code=untrained,
        unigram_bits_per_code=unigram,
        uniform_bits_per_code=math.log2(NUM_CODES),
        test_bits_per_code=bits_per_code,
        bits_per_image=bits_per_code * positions,
        unigram_bits_per_image=unigram * positions,
        uniform_bits_per_image=math.log2(NUM_CODES) * positions,
        subpixels=subpixels,
        # the code length of a lossy representation, NOT a likelihood of the
        # images (the reconstructions differ from them)
        code_bits_per_subpixel_lossy=bits_per_code * positions / subpixels,
    )


def work_sampling(args):
    import numpy as np

    from kgen import models

    text_length, vocabulary = 4, 32
    model = models.TextImageTransformer(
        (args.grid, args.grid),
        num_codes=NUM_CODES,
        text_vocabulary_size=vocabulary,
        text_length=text_length,
        embedding_dim=args.transformer_dim,
        num_layers=args.transformer_layers,
        num_heads=4,
        seed=0,
    )
    n = args.samples
    captions = np.random.default_rng(0).integers(1, vocabulary, (n, text_length))
    out, codes = {}, {}
    for method in ("fast", "naive"):
        # compile on a first call with the same batch size, then time
        start = time.time()
        model.sample(n, seed=0, captions=captions, method=method, batch_size=n)
        first = time.time() - start
        start = time.time()
        codes[method] = model.sample(
            n, seed=1, captions=captions, method=method, batch_size=n
        )
        seconds = time.time() - start
        out[method] = dict(
            seconds=seconds, images_per_second=n / seconds, first_call_seconds=first
        )
    out["ratio"] = out["fast"]["images_per_second"] / out["naive"]["images_per_second"]
    out["identical"] = bool(np.array_equal(codes["fast"], codes["naive"]))
    out["image_tokens"] = args.grid * args.grid
    out["text_tokens"] = text_length
    out["parameters"] = int(model.count_params())
    return out


WORKERS = {
    "codebook": work_codebook,
    "prior": work_prior,
    "sampling": work_sampling,
}


def run_worker(part, backend, args):
    """Run one part on one backend in a subprocess; return its JSON result."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", part]
    for flag in PASSED:
        command += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    if args.torch_threads is not None:
        command += ["--torch-threads", str(args.torch_threads)]
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    start = time.time()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr[-2000:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.time() - start
    return result


# -- tables ------------------------------------------------------------------


def print_codebook(result, backend):
    print(f"\n## (a) Codebook: 512 codes, Fashion-MNIST test set ({backend})\n")
    if "error" in result:
        print(f"error: {result['error'][-500:]}")
        return
    r0 = result["rows"][0]
    print(
        f"Budget: {r0['train_images']} training images x {r0['epochs']} epochs, "
        f"batch {r0['batch_size']}; {r0['test_images']} test images; "
        f"code grid {r0['grid'][0]}x{r0['grid'][1]}.\n"
    )
    print(
        "| quantizer | train s | test MSE | PSNR dB | perplexity | codes used | "
        "dead | bits/image uniform | bits/image unigram |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in result["rows"]:
        print(
            f"| {r['variant']} | {r['train_seconds']:.0f} | {r['test_mse']:.5f} | "
            f"{r['test_psnr']:.2f} | {r['test_perplexity']:.1f} | "
            f"{r['test_used_fraction']:.1%} | {r['test_dead_fraction']:.1%} | "
            f"{r['bits_per_image_uniform']:.0f} | "
            f"{r['bits_per_image_unigram']:.0f} |"
        )
    print(f"\nPrior tokenizer (lowest test MSE): {result['best']}")


def print_prior(r, backend):
    print(f"\n## (b) Prior over the code grid ({backend})\n")
    if "error" in r:
        print(f"error: {r['error'][-500:]}")
        return
    print(
        f"Gated PixelCNN {r['layers']} x {r['filters']} ({r['parameters']} "
        f"parameters) over {r['grid'][0]}x{r['grid'][1]} codes of "
        f"{r['tokenizer']}; {r['train_grids']} grids x {r['epochs']} epochs, "
        f"{r['train_seconds']:.0f} s; {r['test_grids']} test grids.\n"
    )
    print(
        "| model of the codes | bits per code | bits per image | "
        "code bits per sub-pixel (lossy, not a likelihood) |"
    )
    print("| --- | ---: | ---: | ---: |")
    positions = r["grid"][0] * r["grid"][1]
    for label, bits in (
        ("uniform over 512", r["uniform_bits_per_code"]),
        ("unigram (training frequencies)", r["unigram_bits_per_code"]),
        ("Gated PixelCNN, untrained", r["untrained_bits_per_code"]),
        ("Gated PixelCNN, trained", r["test_bits_per_code"]),
    ):
        print(
            f"| {label} | {bits:.3f} | {bits * positions:.1f} | "
            f"{bits * positions / r['subpixels']:.4f} |"
        )


def print_sampling(results, args):
    print(
        f"\n## (c) Sampling {args.samples} code grids {args.grid}x{args.grid} "
        f"({args.grid * args.grid} image tokens), TextImageTransformer "
        f"{args.transformer_layers} x {args.transformer_dim}\n"
    )
    print(
        "| backend | naive img/s | fast img/s | fast / naive | identical | "
        "first call s (naive, fast) |"
    )
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for b, r in results.items():
        if "error" in r:
            print(f"| {b} | error | | | | |")
            continue
        print(
            f"| {b} | {r['naive']['images_per_second']:.2f} | "
            f"{r['fast']['images_per_second']:.2f} | {r['ratio']:.1f}x | "
            f"{r['identical']} | {r['naive']['first_call_seconds']:.1f}, "
            f"{r['fast']['first_call_seconds']:.1f} |"
        )


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        if args.torch_threads is not None and os.environ["KERAS_BACKEND"] == "torch":
            import torch

            torch.set_num_threads(args.torch_threads)
        print(json.dumps(WORKERS[args.worker](args)))
        return None
    if args.quick:
        args.filters = "8,16"
        args.embedding_dim = min(args.embedding_dim, 8)
        args.train_images, args.test_images = 256, 128
        args.epochs, args.prior_train_images, args.prior_epochs = 1, 256, 1
        args.prior_filters, args.prior_layers = 8, 2
        args.samples, args.transformer_dim, args.transformer_layers = 2, 16, 1
        if args.out == "runs/benchmarks/vq":
            args.out = "runs/benchmarks/vq-quick"
    backends = [b for b in args.backends.split(",") if b]
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "results.json")
    results = {}
    if os.path.exists(path):
        with open(path) as f:
            results = json.load(f)
    results.update(config=vars(args), cpu_count=os.cpu_count())

    def save():
        # after every part, so a later part's failure keeps the earlier ones
        with open(path, "w") as f:
            json.dump(results, f, indent=2, default=str)

    if args.part in ("all", "codebook"):
        result = run_worker("codebook", args.codebook_backend, args)
        results["codebook"] = {"backend": args.codebook_backend, **result}
        print_codebook(result, args.codebook_backend)
        save()
    if args.part in ("all", "prior"):
        result = run_worker("prior", args.codebook_backend, args)
        results["prior"] = {"backend": args.codebook_backend, **result}
        print_prior(result, args.codebook_backend)
        save()
    if args.part in ("all", "sampling"):
        results["sampling"] = {b: run_worker("sampling", b, args) for b in backends}
        print_sampling(results["sampling"], args)
        save()
    return results


if __name__ == "__main__":
    main()
