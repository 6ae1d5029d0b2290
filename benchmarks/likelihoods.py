"""Likelihood families side by side: test bits/dim on the same test images.

Every kgen family that declares a likelihood of the discrete data is trained
on the same training images and scored on the same test images:

* data A, scikit-learn's 8x8 digits at their own 17 grey levels (1,497 train
  and 300 test images, the fixed split of ``kgen.data.load("digits")``);
* data B, Fashion-MNIST at 256 levels (28x28), from the Debian package
  ``dataset-fashion-mnist`` through ``kgen.data.load_or_stand_in`` (the
  digits resized to 28x28 stand in when it is absent, and the printed
  ``DataSource`` line says so), a training subset (``--fashion-train``) and
  the first ``--fashion-test`` test images.

What each row reports is read from the model's declaration
(``kgen.contract``): ``EXACT_LIKELIHOOD`` models give the exact negative
log-likelihood in bits per sub-pixel (``model.bits_per_dim(x)``);
``LIKELIHOOD_BOUND`` models give an upper bound on it, named by
``model.likelihood_estimator(K)``: the IWAE bound of a VAE with a decoder of
the discrete data, the dequantized bound of a VAE with a Gaussian decoder
trained on uniformly dequantized data, the variational bound of a diffusion
model (all ``T`` terms, or an unbiased estimate of it from sampled terms).
The uniform distribution over the levels, ``log2(levels)``, is the baseline
every model must beat. A Bernoulli VAE declares a bound too, but on grey
levels it is a cross-entropy, not a likelihood: its row gets no bits/dim and
the model's own refusal is quoted as a note.

    KERAS_BACKEND=jax python benchmarks/likelihoods.py               # both
    KERAS_BACKEND=jax python benchmarks/likelihoods.py --data digits
    python benchmarks/likelihoods.py --quick                # smoke run, digits
    python benchmarks/likelihoods.py --quick --data both    # and Fashion-MNIST

Budgets are flags (``--digits-epochs``, ``--fashion-train``,
``--fashion-epochs``, ``--iwae-samples``, ``--num-timesteps``, the diffusion
terms); every row states its epochs, training seconds and estimator.
PixelRNN runs on Fashion-MNIST only with ``--fashion-pixelrnn``. One backend
per process (``KERAS_BACKEND``, default jax); seeded (``--seed``). Results go
to ``--out``/results-DATA.json and stdout as Markdown tables. See
docs/benchmarks/likelihoods.md.
"""

import argparse
import datetime
import json
import math
import os
import platform
import resource
import sys
import time
from importlib import metadata

os.environ.setdefault("KERAS_BACKEND", "jax")
if "--quick" in sys.argv[1:]:
    # a smoke run is all compilation: XLA's cheaper code generation halves it
    # (JAX and TensorFlow only; the numbers of a smoke run mean nothing)
    os.environ.setdefault(
        "XLA_FLAGS",
        "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true",
    )

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kgen import backend, data  # noqa: E402
from kgen.contract import Capability  # noqa: E402
from kgen.evaluation import mean_and_standard_error  # noqa: E402
from kgen.models import DiffusionModel  # noqa: E402

DATASETS = ("digits", "fashion_mnist")
MODELS = (
    "vae_logistic",
    "vae_gaussian",
    "vae_bernoulli",
    "pixelcnn",
    "gated_pixelcnn",
    "pixelcnn_pp",
    "pixelrnn",
    "diffusion",
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data",
        choices=(*DATASETS, "both"),
        default=None,
        help="default: both; with --quick, digits (add --data both for the "
        "Fashion-MNIST path too)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--out", default="runs/benchmarks/likelihoods")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--models",
        default=",".join(MODELS),
        help=f"comma-separated subset of {','.join(MODELS)}",
    )
    parser.add_argument("--digits-epochs", type=int, default=15)
    parser.add_argument("--fashion-epochs", type=int, default=2)
    parser.add_argument("--fashion-train", type=int, default=5000)
    parser.add_argument("--fashion-test", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--iwae-samples", type=int, default=100, help="K of the VAEs' IWAE bounds"
    )
    parser.add_argument("--num-timesteps", type=int, default=1000, help="diffusion T")
    parser.add_argument(
        "--digits-diffusion-terms",
        default="all",
        help="'all' (every term of the bound) or a number of sampled KL terms",
    )
    parser.add_argument(
        "--fashion-diffusion-terms",
        default="32",
        help="'all' or a number of sampled KL terms (stratified, unbiased)",
    )
    parser.add_argument(
        "--fashion-all-terms-images",
        type=int,
        default=0,
        help="also score the diffusion bound with all T terms on this many "
        "of the Fashion-MNIST test images (T network calls per image)",
    )
    parser.add_argument(
        "--fashion-pixelrnn",
        action="store_true",
        help="also train PixelRNN on Fashion-MNIST (off by default: its 28 "
        "unrolled rows cost several times a PixelCNN's step on a CPU)",
    )
    return parser.parse_args(argv)


# ------------------------------------------------------------------- data


def load_dataset(name, args):
    """``(train_uint8, test_uint8, levels, description)`` of one data set."""
    if name == "digits":
        train, _, source = data.load_or_stand_in("digits", "train")
        test, _, test_source = data.load_or_stand_in("digits", "test")
        levels = 17
        if args.quick:
            train, test = train[:128], test[:32]
    else:
        train, _, source = data.load_or_stand_in("fashion_mnist", "train")
        test, _, test_source = data.load_or_stand_in("fashion_mnist", "test")
        levels = 256
        num_train, num_test = args.fashion_train, args.fashion_test
        if args.quick:
            num_train, num_test = min(num_train, 64), min(num_test, 16)
        train, test = train[:num_train], test[:num_test]
    print(f"DataSource (train): {source}")
    print(f"DataSource (test):  {test_source}")
    description = {
        "train_source": str(source),
        "test_source": str(test_source),
        "stand_in": bool(source.stand_in),
        "train_images": int(len(train)),
        "test_images": int(len(test)),
        "train_selection": f"the first {len(train):,} images of the train split",
        "test_selection": f"the first {len(test):,} images of the test split",
        "shape": list(train.shape[1:]),
        "levels": levels,
    }
    return train, test, levels, description


# ----------------------------------------------------------------- models


def sizes(name, args):
    """Architecture sizes per data set; ``--quick`` shrinks them."""
    if args.quick:
        return dict(
            hidden=(16,),
            latent=2,
            filters=4,
            pixelcnn_layers=1,
            gated_layers=1,
            pp_filters=4,
            rnn_units=4,
            unet_filters=4,
            unet_multipliers=(1, 2),
            unet_groups=2,
            # the linear schedule needs T >= 21 (beta_end = 0.02 * 1000 / T)
            num_timesteps=min(args.num_timesteps, 40),
        )
    common = dict(
        filters=32,  # the autoregressive recipes' widths
        pixelcnn_layers=5,
        gated_layers=6,
        pp_filters=32,
        unet_multipliers=(1, 2, 2),
        unet_groups=8,
        num_timesteps=args.num_timesteps,
    )
    if name == "digits":
        # the "vae" recipe's MLP (64 -> 256 -> 8) and a 32-unit Row LSTM
        return dict(common, hidden=(256,), latent=8, rnn_units=32, unet_filters=16)
    # the MLP VAE of Kingma and Welling (784 -> 400 -> 20), a 16-unit Row
    # LSTM: the CPU budget of 28x28 images
    return dict(
        common,
        hidden=(400,),
        latent=20,
        rnn_units=16,
        pp_filters=16,
        unet_filters=16,
    )


def build_model(kind, dataset, shape, levels, args):
    """``(compiled model, family, description, learning rate)``, or None (skipped)."""
    from kgen import models
    from kgen.models.diffusion import diffusion_unet
    from kgen.models.latent import mlp_vae

    s = sizes(dataset, args)
    seed = args.seed
    if kind.startswith("vae_"):
        likelihood = {
            "vae_logistic": "discretized_logistic",
            "vae_gaussian": "gaussian",
            "vae_bernoulli": "bernoulli",
        }[kind]
        extra = {"dequantize": True} if likelihood == "gaussian" else {}
        model = mlp_vae(
            shape,
            latent_dim=s["latent"],
            hidden_units=s["hidden"],
            likelihood=likelihood,
            num_levels=levels,
            seed=seed,
            **extra,
        )
        net = f"MLP {'-'.join(map(str, s['hidden']))}, {s['latent']}-d latent"
        decoder = {
            "discretized_logistic": "discretized logistic decoder",
            "gaussian": "Gaussian decoder, trained on dequantized data",
            "bernoulli": "Bernoulli decoder",
        }[likelihood]
        family, lr = "VAE", 2e-3
        description = f"VAE, {decoder} ({net})"
    elif kind == "pixelcnn":
        model = models.PixelCNN(
            shape,
            num_levels=levels,
            filters=s["filters"],
            num_layers=s["pixelcnn_layers"],
            first_kernel_size=7,
        )
        family, lr = "autoregressive", 2e-3
        description = f"PixelCNN, {s['pixelcnn_layers']} masked layers x {s['filters']}"
    elif kind == "gated_pixelcnn":
        model = models.GatedPixelCNN(
            shape,
            num_levels=levels,
            filters=s["filters"],
            num_layers=s["gated_layers"],
            first_kernel_size=7,
        )
        family, lr = "autoregressive", 2e-3
        description = f"Gated PixelCNN, {s['gated_layers']} blocks x {s['filters']}"
    elif kind == "pixelcnn_pp":
        model = models.PixelCNNPlusPlus(
            shape,
            num_levels=levels,
            num_filters=s["pp_filters"],
            num_resnet=1,
            num_scales=2,
            num_logistic_mix=5,
            dropout_rate=0.0,
            seed=seed,
        )
        family, lr = "autoregressive", 2e-3
        description = f"PixelCNN++, 2 scales x 1 block x {s['pp_filters']}, 5 logistics"
    elif kind == "pixelrnn":
        if dataset == "fashion_mnist" and not (args.fashion_pixelrnn or args.quick):
            return None
        model = models.PixelRNN(
            shape,
            num_levels=levels,
            cell="row_lstm",
            num_layers=2,
            hidden_units=s["rnn_units"],
            first_kernel_size=7,
        )
        family, lr = "autoregressive", 2e-3
        description = f"PixelRNN Row LSTM, 2 layers x {s['rnn_units']}"
    elif kind == "diffusion":
        network = diffusion_unet(
            shape,
            base_filters=s["unet_filters"],
            channel_multipliers=s["unet_multipliers"],
            num_res_blocks=1,
            num_groups=s["unet_groups"],
            seed=seed,
        )
        model = models.DiffusionModel(
            network,
            schedule="linear",
            num_timesteps=s["num_timesteps"],
            prediction_type="epsilon",
            ema_decay=0.995,
            seed=seed,
        )
        family, lr = "diffusion", 1e-3
        multipliers = "-".join(map(str, s["unet_multipliers"]))
        description = (
            f"DDPM, U-Net {s['unet_filters']} x ({multipliers}), linear schedule "
            f"T={model.num_timesteps}, epsilon, EMA 0.995"
        )
    else:
        raise ValueError(f"Unknown model {kind!r}; choose from {', '.join(MODELS)}.")
    model.compile(optimizer=keras.optimizers.Adam(lr))
    return model, family, description, lr


class EpochTimes(keras.callbacks.Callback):
    """Wall seconds of every epoch (the first one includes compiling)."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.time() - self._start)


def trainable_parameters(model):
    # count_params() would add a diffusion model's EMA copy of its weights
    return int(sum(math.prod(v.shape) for v in model.trainable_weights))


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def terms_argument(value):
    return None if value == "all" else int(value)


# ---------------------------------------------------------------- scoring


def score(model, x, args, dataset):
    """Per-example bits/dim from the model's declaration, and how obtained."""
    seed = args.seed
    if model.has(Capability.EXACT_LIKELIHOOD):
        bits = model.bits_per_dim(x, batch_size=min(len(x), 256))
        return np.asarray(bits, "float64"), "exact", {}
    if not model.has(Capability.LIKELIHOOD_BOUND):
        raise ValueError(f"{type(model).__name__} declares no likelihood.")
    if isinstance(model, DiffusionModel):
        # num_samples is the number of sampled KL terms of the bound
        terms = terms_argument(
            args.digits_diffusion_terms
            if dataset == "digits"
            else args.fashion_diffusion_terms
        )
        if args.quick and terms is not None:
            terms = min(terms, 4)
        bits = model.bits_per_dim(
            x, num_samples=terms, seed=seed, batch_size=min(len(x), 500)
        )
        extra = {"timesteps": model.num_timesteps, "terms": terms or "all"}
        return np.asarray(bits, "float64"), model.likelihood_estimator(terms), extra
    k = min(args.iwae_samples, 5) if args.quick else args.iwae_samples
    bits = model.bits_per_dim(x, num_samples=k, seed=seed)
    return np.asarray(bits, "float64"), model.likelihood_estimator(k), {"K": k}


def short_estimator(row):
    """The table's estimator column."""
    extra = row.get("estimator_details", {})
    estimator = row["estimator"]
    if estimator == "exact":
        return "exact"
    if "timesteps" in extra:
        terms = extra["terms"]
        kind = (
            "bound, all terms" if terms == "all" else f"bound estimate, {terms} terms"
        )
        return f"diffusion {kind} (T={extra['timesteps']})"
    if estimator.startswith("dequantized"):
        return f"dequantized IWAE bound, K={extra['K']}"
    return f"IWAE bound, K={extra['K']}"


def run_dataset(dataset, args, kinds):
    train_u8, test_u8, levels, description = load_dataset(dataset, args)
    shape = tuple(train_u8.shape[1:])
    epochs = args.digits_epochs if dataset == "digits" else args.fashion_epochs
    if args.quick:
        epochs = 1
    rows = [
        dict(
            family="baseline",
            model=f"uniform over {levels} levels",
            parameters=0,
            estimator="exact",
            epochs=0,
            train_seconds=0.0,
            test_bits_per_dim=math.log2(levels),
            test_bits_per_dim_standard_error=0.0,
        )
    ]
    for kind in kinds:
        keras.utils.set_random_seed(args.seed)
        built = build_model(kind, dataset, shape, levels, args)
        if built is None:
            note = (
                "not run on Fashion-MNIST by default (--fashion-pixelrnn runs "
                "it): its 28 unrolled rows cost several times a PixelCNN's "
                "training step on a CPU"
            )
            rows.append(
                dict(
                    family="autoregressive",
                    model="PixelRNN Row LSTM",
                    kind=kind,
                    parameters=None,
                    estimator="exact (not run)",
                    epochs=0,
                    train_seconds=None,
                    test_bits_per_dim=None,
                    note=note,
                )
            )
            print(f"  {kind}: {note}")
            continue
        model, family, name, lr = built
        x_train = model.data_convention.from_uint8(train_u8)
        x_test = model.data_convention.from_uint8(test_u8)
        row = dict(
            family=family,
            model=name,
            kind=kind,
            data_convention=model.data_convention.describe(),
            learning_rate=lr,
            batch_size=args.batch_size,
        )
        if kind == "vae_bernoulli":
            row["parameters"] = trainable_parameters(model)
            # declares LIKELIHOOD_BOUND, but on grey levels its bound is a
            # cross-entropy: bits_per_dim refuses, and the row says why
            try:
                model.bits_per_dim(x_test, num_samples=1, seed=args.seed)
                raise AssertionError("a Bernoulli VAE gave bits/dim on grey levels")
            except ValueError as error:
                row.update(
                    estimator="none (not trained)",
                    epochs=0,
                    train_seconds=0.0,
                    test_bits_per_dim=None,
                    note=str(error).split(". ")[0] + ".",
                )
            rows.append(row)
            print(f"  {name}: no bits/dim ({row['note']})")
            continue
        cpu, start = cpu_seconds(), time.time()
        timer = EpochTimes()
        history = model.fit(
            x_train,
            epochs=epochs,
            batch_size=args.batch_size,
            shuffle=True,
            callbacks=[timer],
            verbose=0,
        )
        train_seconds, train_cpu = time.time() - start, cpu_seconds() - cpu
        cpu, start = cpu_seconds(), time.time()
        bits, estimator, extra = score(model, x_test, args, dataset)
        mean, error = mean_and_standard_error(bits)
        row.update(
            # after fit: the autoregressive models build on their first batch
            parameters=trainable_parameters(model),
            estimator=estimator,
            estimator_details=extra,
            epochs=epochs,
            steps=int(model.optimizer.iterations),
            train_seconds=train_seconds,
            train_cpu_seconds=train_cpu,
            epoch_seconds=timer.seconds,
            final_loss=float(history.history["loss"][-1]),
            test_bits_per_dim=mean,
            test_bits_per_dim_standard_error=error,
            score_seconds=time.time() - start,
            score_cpu_seconds=cpu_seconds() - cpu,
        )
        if kind == "diffusion" and dataset == "fashion_mnist":
            count = min(args.fashion_all_terms_images, len(x_test))
            if count:
                start = time.time()
                exact_terms = model.bits_per_dim(
                    x_test[:count], seed=args.seed, batch_size=count
                )
                row["all_terms_check"] = dict(
                    images=count,
                    all_terms_bits_per_dim=float(np.mean(exact_terms, dtype="float64")),
                    sampled_estimate_same_images=float(bits[:count].mean()),
                    seconds=time.time() - start,
                )
        rows.append(row)
        print(
            f"  {name}: {mean:.3f} +- {error:.3f} bits/dim ({estimator}); "
            f"{row['parameters']:,} parameters, {epochs} epochs, "
            f"train {train_seconds:.0f} s ({train_cpu:.0f} CPU s), "
            f"score {row['score_seconds']:.0f} s",
            flush=True,
        )
    return dict(data=description, epochs=epochs, rows=rows)


def print_table(dataset, result):
    info = result["data"]
    print(
        f"\n## {dataset}: {info['levels']} levels, {tuple(info['shape'])}, "
        f"{info['train_images']:,} train / {info['test_images']:,} test images\n"
    )
    print(
        "| family | model | parameters | estimator | epochs | train s | test bits/dim |"
    )
    print("| --- | --- | ---: | --- | ---: | ---: | ---: |")
    for row in result["rows"]:
        if row["test_bits_per_dim"] is None:
            value = "— (note)"
            estimator = row["estimator"]
        else:
            value = (
                f"{row['test_bits_per_dim']:.3f} "
                f"± {row['test_bits_per_dim_standard_error']:.3f}"
            )
            estimator = (
                "uniform, exact"
                if row["family"] == "baseline"
                else short_estimator(row)
            )
        parameters = "" if row["parameters"] is None else f"{row['parameters']:,}"
        seconds = "" if row["train_seconds"] is None else f"{row['train_seconds']:.0f}"
        print(
            f"| {row['family']} | {row['model']} | {parameters} | "
            f"{estimator} | {row['epochs']} | {seconds} | {value} |"
        )
    for row in result["rows"]:
        if "note" in row:
            print(f"\nNote ({row['model']}): {row['note']}")
        if "all_terms_check" in row:
            check = row["all_terms_check"]
            print(
                f"\nDiffusion bound with all terms on the first {check['images']} "
                f"test images: {check['all_terms_bits_per_dim']:.3f} bits/dim "
                f"(the sampled estimate there: "
                f"{check['sampled_estimate_same_images']:.3f})."
            )


def main(argv=None):
    args = parse_args(argv)
    kinds = [k for k in args.models.split(",") if k]
    unknown = sorted(set(kinds) - set(MODELS))
    if unknown:
        raise SystemExit(f"Unknown models {unknown}; choose from {', '.join(MODELS)}.")
    if args.data is None:
        args.data = "digits" if args.quick else "both"
    datasets = DATASETS if args.data == "both" else (args.data,)
    versions = {}
    for package in ("keras", "jax", "tensorflow-cpu", "tensorflow", "torch"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    results = {
        "config": vars(args),
        "backend": backend.name(),
        "versions": versions,
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "datasets": {},
    }
    print(f"backend: {backend.name()}; versions: {versions}; CPUs: {os.cpu_count()}")
    total_cpu, total_start = cpu_seconds(), time.time()
    for dataset in datasets:
        print(f"\n# {dataset}", flush=True)
        results["datasets"][dataset] = run_dataset(dataset, args, kinds)
    results["total_seconds"] = time.time() - total_start
    results["total_cpu_seconds"] = cpu_seconds() - total_cpu
    for dataset, result in results["datasets"].items():
        print_table(dataset, result)
    print(
        f"\nTotal: {results['total_seconds']:.0f} s wall, "
        f"{results['total_cpu_seconds']:.0f} s CPU ({backend.name()})"
    )
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"results-{args.data}.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)
    return results


if __name__ == "__main__":
    main()
