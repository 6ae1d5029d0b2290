"""Autoregressive benchmark: bits/dim on Fashion-MNIST, sampling and training speed.

(a) Quality: PixelCNN, Gated PixelCNN, PixelCNN++ (logistic mixture, three
    scales) and PixelRNN (Row LSTM), 256 levels, trained on real
    Fashion-MNIST for a stated budget (training images, epochs, backend); test
    bits/dim beside the uniform baseline of 8 bits/dim.
(b) Sampling: 28x28 images from a Gated PixelCNN with ``--layers`` (>= 12)
    blocks, naive sampler (whole network per sub-pixel) against the cached
    fast sampler: images per second and the ratio, per backend, the first
    call's seconds (compiling: XLA on JAX and TensorFlow, ``torch.compile``
    of the loop bodies on torch), and a check that both drew identical
    images.
(c) Training: steps per second of the same Gated PixelCNN (batch 32), per
    backend.

Each backend runs in its own subprocess with ``KERAS_BACKEND`` set.

    python benchmarks/autoregressive.py                  # everything
    python benchmarks/autoregressive.py --part sampling  # one part
    python benchmarks/autoregressive.py --quick          # smoke run

Results go to ``--out`` (JSON) and stdout as Markdown tables.
"""

import argparse
import json
import os
import subprocess
import sys
import time

BACKENDS = ("jax", "tensorflow", "torch")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Autoregressive benchmark")
    parser.add_argument(
        "--part", choices=("all", "quality", "sampling", "training"), default="all"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="runs/benchmarks/autoregressive")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--quality-backend", default="jax")
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--train-images", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="torch.set_num_threads in the torch worker (default: torch's own)",
    )
    parser.add_argument("--backend", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--worker", choices=("quality", "sampling", "training"), help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


def _model(args, data_shape=(28, 28, 1), num_levels=256, cls="GatedPixelCNN"):
    from kgen import models

    if cls == "PixelCNNPlusPlus":
        # 28 -> 14 -> 7: three scales; a 5-component logistic mixture head
        return models.PixelCNNPlusPlus(
            data_shape,
            num_levels=num_levels,
            num_filters=args.filters,
            num_resnet=max(args.layers // 6, 1),
            num_scales=3,
            num_logistic_mix=5,
            dropout_rate=0.0,
        )
    if cls == "PixelRNN":
        # Row LSTM: the recurrence over 28 rows is unrolled when traced
        return models.PixelRNN(
            data_shape,
            num_levels=num_levels,
            cell="row_lstm",
            num_layers=2,
            hidden_units=max(args.filters // 2, 1),
            first_kernel_size=7,
        )
    if cls == "PixelCNN":
        return models.PixelCNN(
            data_shape,
            num_levels=num_levels,
            filters=args.filters,
            num_layers=max(args.layers // 2, 1),
            first_kernel_size=7,
        )
    return models.GatedPixelCNN(
        data_shape,
        num_levels=num_levels,
        filters=args.filters,
        num_layers=args.layers,
        first_kernel_size=7,
        kernel_size=3,
    )


# -- workers (run inside one backend's subprocess) --------------------------


def work_sampling(args):
    import numpy as np

    from kgen import backend

    model = _model(args)
    model.build()
    n = args.samples
    out = {}
    images = {}
    for method in ("fast", "naive"):
        if method == "naive" and backend.name() == "torch":
            # torch compiles nothing in the naive loop (eager, op by op): the
            # first call is the measurement; a warm-up would double a
            # 10-40 minute run
            start = time.time()
            images[method] = model.sample(n, seed=1, method=method, batch_size=n)
            seconds = compile_seconds = time.time() - start
        else:
            # Compile on a first call with the same batch size, then time.
            start = time.time()
            model.sample(n, seed=0, method=method, batch_size=n)
            compile_seconds = time.time() - start
            start = time.time()
            images[method] = model.sample(n, seed=1, method=method, batch_size=n)
            seconds = time.time() - start
        out[method] = dict(
            seconds=seconds,
            images_per_second=n / seconds,
            first_call_seconds=compile_seconds,
        )
    out["ratio"] = out["fast"]["images_per_second"] / out["naive"]["images_per_second"]
    out["identical"] = bool(np.array_equal(images["fast"], images["naive"]))
    out["parameters"] = int(model.count_params())
    return out


def work_training(args):
    import keras
    import numpy as np

    from kgen import data

    x, _ = data.load("fashion_mnist", split="train")
    batch, steps = 32, (40 if not args.quick else 4)
    x = x[: batch * steps]
    model = _model(args)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x[: batch * 2], epochs=1, batch_size=batch, verbose=0)  # compile
    start = time.time()
    model.fit(x, epochs=1, batch_size=batch, verbose=0)
    seconds = time.time() - start
    del np
    return dict(steps_per_second=steps / seconds, batch=batch, steps=steps)


def work_quality(args):
    import keras

    from kgen import data

    x, _ = data.load("fashion_mnist", split="train")
    x_test, _ = data.load("fashion_mnist", split="test")
    x = x[: args.train_images]
    x_test = x_test[: 2000 if not args.quick else 64]
    rows = []
    for cls in ("PixelCNN", "GatedPixelCNN", "PixelCNNPlusPlus", "PixelRNN"):
        model = _model(args, cls=cls)
        model.compile(optimizer=keras.optimizers.Adam(2e-3))
        before = float(model.bits_per_dim(x_test).mean())
        start = time.time()
        model.fit(x, epochs=args.epochs, batch_size=32, verbose=0)
        seconds = time.time() - start
        rows.append(
            dict(
                model=cls,
                # PixelCNN++: gated resnet blocks per scale
                layers=getattr(model, "num_layers", getattr(model, "num_resnet", 0)),
                filters=args.filters,
                parameters=int(model.count_params()),
                train_images=len(x),
                epochs=args.epochs,
                train_seconds=seconds,
                test_images=len(x_test),
                untrained_bits_per_dim=before,
                test_bits_per_dim=float(model.bits_per_dim(x_test).mean()),
                uniform=8.0,
            )
        )
    return rows


WORKERS = {
    "sampling": work_sampling,
    "training": work_training,
    "quality": work_quality,
}


def run_worker(part, backend, args):
    """Run one part on one backend in a subprocess; return its JSON result."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", part]
    for flag in ("layers", "filters", "train_images", "epochs", "samples"):
        command += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    if args.torch_threads is not None:
        command += ["--torch-threads", str(args.torch_threads)]
    if args.quick:
        command.append("--quick")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        if args.torch_threads is not None and os.environ["KERAS_BACKEND"] == "torch":
            import torch

            torch.set_num_threads(args.torch_threads)
        print(json.dumps(WORKERS[args.worker](args)))
        return None
    if args.quick:
        args.layers, args.filters = min(args.layers, 2), min(args.filters, 8)
        args.train_images, args.samples = (
            min(args.train_images, 64),
            min(args.samples, 2),
        )
    backends = [b for b in args.backends.split(",") if b]
    results = {"config": vars(args), "cpu_count": os.cpu_count()}
    if args.part in ("all", "sampling"):
        results["sampling"] = {b: run_worker("sampling", b, args) for b in backends}
        print(
            f"\n## Sampling {args.samples} images 28x28, Gated PixelCNN "
            f"{args.layers} layers x {args.filters} filters\n"
        )
        print(
            "| backend | naive img/s | fast img/s | fast / naive | identical | "
            "first call s (naive, fast) |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        for b, r in results["sampling"].items():
            if "error" in r:
                print(f"| {b} | error | | | | |")
                continue
            print(
                f"| {b} | {r['naive']['images_per_second']:.3f} | "
                f"{r['fast']['images_per_second']:.2f} | {r['ratio']:.1f}x | "
                f"{r['identical']} | {r['naive']['first_call_seconds']:.0f}, "
                f"{r['fast']['first_call_seconds']:.0f} |"
            )
    if args.part in ("all", "training"):
        results["training"] = {b: run_worker("training", b, args) for b in backends}
        print("\n## Training steps/s (batch 32, 28x28, 256 levels)\n")
        print("| backend | steps/s |")
        print("| --- | --- |")
        for b, r in results["training"].items():
            value = "error" if "error" in r else f"{r['steps_per_second']:.2f}"
            print(f"| {b} | {value} |")
    if args.part in ("all", "quality"):
        rows = run_worker("quality", args.quality_backend, args)
        results["quality"] = rows
        print(f"\n## Fashion-MNIST test bits/dim ({args.quality_backend})\n")
        print(
            "| model | params | train images x epochs | train s | untrained | "
            "test bits/dim | uniform |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        if isinstance(rows, dict):
            print(f"| error | {rows['error'][-300:]} |")
        else:
            for r in rows:
                print(
                    f"| {r['model']} ({r['layers']} layers) | {r['parameters']} | "
                    f"{r['train_images']} x {r['epochs']} | {r['train_seconds']:.0f} | "
                    f"{r['untrained_bits_per_dim']:.3f} | "
                    f"{r['test_bits_per_dim']:.3f} | 8 |"
                )
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    return results


if __name__ == "__main__":
    main()
