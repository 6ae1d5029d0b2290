"""The ``kgen`` command line: train, sample, evaluate, demo, list.

Run ``kgen --help`` or ``kgen COMMAND --help``. Choose the backend with
``--backend jax|tensorflow|torch`` (or the ``KERAS_BACKEND`` environment
variable). Keras reads the backend once, when it is first imported, so this
module imports Keras and the rest of kgen lazily, and ``kgen/__init__.py``
calls `apply_backend_flag` before its own imports.
"""

import argparse
import inspect
import json
import math
import os
import sys
import time

BACKENDS = ("jax", "tensorflow", "torch")
_PROGRAM_NAMES = ("kgen", "kgen.exe", "kgen-script.py")
DEMO_RECIPE = "vae"
DEMO_EPOCHS = 300
DEMO_BATCH_SIZE = 64
EVALUATION_BATCH_SIZE = 1024


class CommandError(Exception):
    """A user error: printed as ``kgen: error: ...`` with exit status 2."""


# ------------------------------------------------------------------ backend


def _backend_in(argv):
    for index, arg in enumerate(argv):
        if arg == "--backend" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--backend="):
            return arg.split("=", 1)[1]
    return None


def apply_backend_flag(argv=None):
    """Set ``KERAS_BACKEND`` from ``--backend NAME`` before Keras is imported.

    Called by ``kgen/__init__.py`` when the running program is the ``kgen``
    command (``sys.argv`` is used when ``argv`` is None), and by `main`.

    Returns:
        The backend named on the command line, or None.

    Raises:
        CommandError: for an unknown backend, or when Keras is already
            imported with another backend (possible only in-process).
    """
    if argv is None:
        if not sys.argv or os.path.basename(sys.argv[0]) not in _PROGRAM_NAMES:
            return None
        argv = sys.argv[1:]
        # the command line keeps TensorFlow's C++ start-up chatter out of the way
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    name = _backend_in(argv)
    if name is None:
        return None
    if name not in BACKENDS:
        raise CommandError(
            f"Unknown backend {name!r}; choose one of {', '.join(BACKENDS)}."
        )
    if "keras" in sys.modules:
        current = sys.modules["keras"].config.backend()
        if current != name:
            raise CommandError(
                f"Keras is already running on {current!r} in this process; "
                f"--backend {name} takes effect only when it is given before "
                "Keras starts (on the kgen command line, or KERAS_BACKEND)."
            )
        return name
    os.environ["KERAS_BACKEND"] = name
    return name


# ------------------------------------------------------------------ helpers


def _parse_option(text):
    """``KEY=VALUE`` with VALUE read as JSON (numbers, lists, true) or a string."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE (e.g. latent_dim=2); received {text!r}"
        )
    key, value = text.split("=", 1)
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    if isinstance(parsed, list):
        parsed = tuple(parsed)
    return key.strip(), parsed


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer; received {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer; received {text!r}"
        )
    return value


def _write_json(path, payload):
    with open(path, "w") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True, default=_json_default)
        handle.write("\n")
    return path


def _json_default(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _load(name, split, image_size, data_dir=None):
    from kgen import data

    try:
        return data.load(name, split, image_size=image_size, data_dir=data_dir)
    except (ValueError, RuntimeError, FileNotFoundError) as error:
        raise CommandError(
            f"{error}\nData sets: {', '.join(data.available())} (or a "
            "tensorflow-datasets name)."
        ) from error


def _load_model(path):
    import keras

    import kgen  # noqa: F401 - registers kgen classes for deserialization

    if not os.path.isfile(path):
        raise CommandError(f"No model file at {path!r} (expected a .keras file).")
    return keras.saving.load_model(path)


def _scale_for(image_shape):
    """Enlarge small images so that a grid is comfortable to look at."""
    return max(1, 64 // max(int(image_shape[0]), 1))


def _sample_conditions(model, num_samples, num_classes):
    import numpy as np

    if num_classes:
        return {"conditions": np.arange(num_samples) % num_classes}
    return {}


def _fast_sampling(model):
    """``method="fast"`` for models with a cached sampler (Gated PixelCNN)."""
    return {"method": "fast"} if getattr(model, "supports_fast_sampling", False) else {}


def _active_dims(model, x, labels, max_dims=8):
    """Latent dimensions the encoder uses most, by variance of their codes.

    A VAE switches some dimensions off (their posterior equals the prior for
    every image); traversing those shows nothing, so the traversal picks the
    ``max_dims`` dimensions whose posterior means vary most over ``x`` and
    leaves out those that hardly vary at all.
    """
    import numpy as np

    latent_dim = int(getattr(model, "latent_dim", max_dims))
    try:
        extra = {} if labels is None else {"conditions": labels}
        codes = model.encode(x, **extra)
        means = np.asarray(codes[0] if isinstance(codes, tuple) else codes)
        if means.ndim != 2 or means.shape[1] != latent_dim:
            raise ValueError("codes are not (batch, latent_dim) vectors")
    except (TypeError, ValueError, AttributeError):
        return tuple(range(min(latent_dim, max_dims)))
    variances = means.var(axis=0)
    order = np.argsort(-variances, kind="stable")[:max_dims]
    # drop switched-off dimensions (below 5% of the busiest one's variance)
    keep = [int(d) for d in order if variances[d] >= 0.05 * variances[order[0]]]
    return tuple(keep)


def _save_pictures(
    model,
    out,
    x_test,
    labels,
    seed,
    num_samples,
    num_classes,
    conditional,
    value_range=(0.0, 1.0),
):
    """Sample grid, reconstructions and traversal, as far as the model has verbs.

    Conditional models sample 8 images of each class, one class per column,
    reconstruct with the true labels, and traverse around the encoding of the
    first test image with its label.
    """
    import numpy as np

    from kgen import viz

    image_shape = x_test.shape[1:]
    scale = _scale_for(image_shape)
    written = {}
    if callable(getattr(model, "sample", None)):
        if conditional and num_classes <= 16:
            num_samples = 8 * num_classes
        extra = _sample_conditions(
            model, num_samples, num_classes if conditional else 0
        )
        samples = np.asarray(
            model.sample(num_samples, seed=seed, **extra, **_fast_sampling(model))
        )
        written["samples"] = viz.save_image_grid(
            os.path.join(out, "samples.png"),
            samples,
            num_columns=num_classes if conditional and num_classes <= 16 else None,
            scale=scale,
            value_range=value_range,
        )
    if callable(getattr(model, "reconstruct", None)):
        originals = x_test[:16]
        extra = {"conditions": labels[:16]} if conditional else {}
        reconstructions = np.asarray(model.reconstruct(originals, **extra))
        written["reconstructions"] = viz.save_traversal_grid(
            os.path.join(out, "reconstructions.png"),
            np.stack([originals, reconstructions]),
            scale=scale,
            value_range=value_range,
        )
    if callable(getattr(model, "complete", None)):
        # rows: test images, their top halves, completions of the bottom half
        originals = x_test[:8]
        given = image_shape[0] // 2
        extra = {"conditions": labels[:8]} if conditional else {}
        completions = np.asarray(
            model.complete(
                originals, given, seed=seed, **extra, **_fast_sampling(model)
            )
        )
        occluded = np.array(originals)
        occluded[:, given:] = 0
        written["completions"] = viz.save_traversal_grid(
            os.path.join(out, "completions.png"),
            np.stack([originals, occluded, completions]),
            scale=scale,
            value_range=value_range,
        )
    if callable(getattr(model, "traverse", None)):
        dims = _active_dims(model, x_test, labels if conditional else None)
        extra = {"x": x_test[:1], "conditions": labels[:1]} if conditional else {}
        grid = np.asarray(
            model.traverse(dims=dims, values=np.linspace(-3.0, 3.0, 9), **extra)
        )
        written["traversal"] = viz.save_traversal_grid(
            os.path.join(out, "traversal.png"),
            grid,
            scale=scale,
            value_range=value_range,
        )
    return written


def evaluate_model(
    model, x, labels=None, *, iwae_samples=100, seed=0, conditional=False
):
    """Metrics for a trained model on data in its own pixel convention.

    Chosen by the verbs the model has: ``elbo`` gives the mean ELBO, the
    IWAE estimate of log p(x) with ``iwae_samples`` samples and bits/dim;
    ``log_prob`` gives the negative log-likelihood and bits/dim; a model with
    only ``reconstruct`` gives the reconstruction error; others (GANs) get a
    note on which metrics apply.

    Returns:
        A JSON-ready dict (numbers in nats unless named bits).
    """
    import numpy as np

    num_dims = int(np.prod(x.shape[1:]))
    metrics = {"num_examples": int(len(x)), "num_dims": num_dims}
    conditions = {"conditions": labels} if conditional and labels is not None else {}

    def batched(verb):
        # one batch shape instead of a full one plus a remainder: eager
        # backends compile once per shape
        if "batch_size" in inspect.signature(verb).parameters:
            return {"batch_size": int(min(len(x), EVALUATION_BATCH_SIZE))}
        return {}

    if callable(getattr(model, "elbo", None)):
        elbo = np.asarray(
            model.elbo(x, seed=seed, **conditions, **batched(model.elbo)),
            dtype=np.float64,
        )
        iwae = np.asarray(
            model.iwae_log_likelihood(
                x,
                iwae_samples,
                seed=seed,
                **conditions,
                **batched(model.iwae_log_likelihood),
            ),
            dtype=np.float64,
        )
        metrics.update(
            {
                "elbo_nats": float(elbo.mean()),
                "iwae_log_likelihood_nats": float(iwae.mean()),
                "iwae_samples": int(iwae_samples),
                # bits/dim = -log p(x) / (D ln 2), log p(x) from the IWAE bound
                "bits_per_dim": float(-iwae.mean() / (num_dims * math.log(2.0))),
            }
        )
    elif callable(getattr(model, "log_prob", None)):
        log_prob = np.asarray(
            model.log_prob(x, **conditions, **batched(model.log_prob)),
            dtype=np.float64,
        )
        metrics.update(
            {
                "nll_nats": float(-log_prob.mean()),
                "bits_per_dim": float(-log_prob.mean() / (num_dims * math.log(2.0))),
            }
        )
    elif callable(getattr(model, "reconstruct", None)):
        reconstructions = np.asarray(model.reconstruct(x), dtype=np.float64)
        squared = (reconstructions - x.astype(np.float64)) ** 2
        metrics["reconstruction_mse_per_pixel"] = float(squared.mean())
        metrics["note"] = (
            "A deterministic autoencoder has no likelihood; reconstruction error only."
        )
    else:
        metrics["note"] = (
            f"{type(model).__name__} has no likelihood (no elbo or log_prob): "
            "measure samples with kgen.evaluation (Frechet distance, KID, "
            "precision/recall) instead."
        )
    return metrics


def _print_metrics(metrics):
    for key in sorted(metrics):
        value = metrics[key]
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        print(f"  {key}: {text}")


# ----------------------------------------------------------------- commands


def _epoch_summary(epochs, num_lines=10):
    """A callback printing the logs about ``num_lines`` times during ``fit``."""
    import keras

    every = max(1, math.ceil(epochs / num_lines))

    class EpochSummary(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if (epoch + 1) % every and epoch + 1 != epochs:
                return
            values = " - ".join(
                f"{key}: {float(value):.4f}"
                for key, value in sorted((logs or {}).items())
            )
            elapsed = time.perf_counter() - self.start
            print(
                f"epoch {epoch + 1}/{epochs} ({elapsed:.0f} s) - {values}", flush=True
            )

    return EpochSummary()


def _train(args, *, recipe_name=None):
    import keras

    from kgen import recipes

    name = recipe_name or args.model
    try:
        recipe = recipes.get(name)
    except ValueError as error:
        raise CommandError(str(error)) from error
    options = dict(args.option or [])
    epochs = args.epochs or recipe.epochs
    batch_size = args.batch_size or recipe.batch_size
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)

    images, labels = _load(args.data, "train", args.image_size, args.data_dir)
    test_images, test_labels = _load(args.data, "test", args.image_size, args.data_dir)
    num_classes = int(max(labels.max(), test_labels.max()) + 1)

    keras.utils.set_random_seed(args.seed)
    try:
        model = recipe.build_model(
            images.shape[1:],
            num_classes,
            learning_rate=args.learning_rate,
            seed=args.seed,
            **options,
        )
    except (TypeError, ValueError) as error:
        raise CommandError(
            f"Bad --option for recipe {name!r}: {error}. Its options: "
            f"{', '.join(f'{k}={v!r}' for k, v in recipe.options.items()) or 'none'}."
        ) from error
    # The model declares what data it takes (kgen.contract).
    convention = model.data_convention
    x = convention.from_uint8(images)
    x_test = convention.from_uint8(test_images)
    conditional = model.num_classes is not None
    print(
        f"Training {name} on {args.data} {tuple(x.shape[1:])} ({len(x)} images) "
        f"for {epochs} epochs, batch size {batch_size}, backend "
        f"{keras.config.backend()}."
    )
    start = time.perf_counter()
    history = model.fit(
        x,
        labels if conditional else None,
        epochs=epochs,
        batch_size=batch_size,
        verbose=0 if args.verbose == 3 else args.verbose,
        callbacks=[_epoch_summary(epochs)] if args.verbose == 3 else None,
        shuffle=True,
    )
    train_seconds = time.perf_counter() - start

    model_path = os.path.join(out, "model.keras")
    model.save(model_path)
    run_info = {
        "recipe": name,
        "data": args.data,
        "image_size": args.image_size,
        "image_shape": list(x.shape[1:]),
        "data_convention": convention.describe(),
        "num_classes": model.num_classes,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": args.learning_rate or recipe.learning_rate,
        "seed": args.seed,
        "options": {**recipe.options, **options},
        "backend": keras.config.backend(),
        "train_seconds": round(train_seconds, 2),
    }
    _write_json(os.path.join(out, "run.json"), run_info)
    history_path = _write_json(
        os.path.join(out, "history.json"),
        {k: [float(v) for v in values] for k, values in history.history.items()},
    )
    metrics = evaluate_model(
        model,
        x_test,
        test_labels,
        iwae_samples=args.iwae_samples,
        seed=args.seed,
        conditional=conditional,
    )
    metrics.update(
        {"split": "test", "data": args.data, "train_seconds": round(train_seconds, 2)}
    )
    metrics_path = _write_json(os.path.join(out, "metrics.json"), metrics)
    pictures = _save_pictures(
        model,
        out,
        x_test,
        test_labels,
        args.seed,
        64,
        num_classes,
        conditional,
        value_range=convention.value_range,
    )
    print(f"Trained in {train_seconds:.1f} s. Test metrics ({len(x_test)} images):")
    _print_metrics({k: v for k, v in metrics.items() if k not in ("split", "data")})
    print("Wrote:")
    for path in [model_path, history_path, metrics_path, *pictures.values()]:
        print(f"  {path}")
    return 0


def _sample(args):
    import numpy as np

    from kgen import viz

    model = _load_model(args.model_path)
    if not callable(getattr(model, "sample", None)):
        raise CommandError(
            f"{type(model).__name__} cannot sample (it has no sample() method); "
            "a deterministic autoencoder only reconstructs."
        )
    extra = _sample_conditions(model, args.num_samples, model.num_classes)
    samples = np.asarray(
        model.sample(args.num_samples, seed=args.seed, **extra, **_fast_sampling(model))
    )
    scale = args.scale or _scale_for(samples.shape[1:])
    value_range = model.data_convention.value_range
    path = viz.save_image_grid(args.out, samples, scale=scale, value_range=value_range)
    if args.npy:
        np.save(args.npy, samples)
        print(f"Wrote {args.npy}")
    print(f"Wrote {args.num_samples} samples to {os.path.abspath(path)}")
    return 0


def _evaluate(args):
    model = _load_model(args.model_path)
    convention = model.data_convention
    image_size = args.image_size
    if image_size is None and convention.is_image:
        image_size = convention.shape[:2]
    images, labels = _load(args.data, args.split, image_size, args.data_dir)
    if args.max_examples:
        images, labels = images[: args.max_examples], labels[: args.max_examples]
    x = convention.from_uint8(images)
    metrics = evaluate_model(
        model,
        x,
        labels,
        iwae_samples=args.iwae_samples,
        seed=args.seed,
        conditional=model.num_classes is not None,
    )
    metrics.update({"split": args.split, "data": args.data})
    print(f"{type(model).__name__} on {args.data} ({args.split}, {len(x)} images):")
    _print_metrics(metrics)
    if args.out:
        print(f"Wrote {os.path.abspath(_write_json(args.out, metrics))}")
    return 0


def _demo(args):
    args.model = DEMO_RECIPE
    args.data = "digits"
    args.image_size = None
    args.data_dir = None
    args.batch_size = DEMO_BATCH_SIZE
    args.learning_rate = None
    args.option = []
    args.iwae_samples = 100
    print(
        "kgen demo: a VAE learns the 8x8 handwritten digits bundled with "
        "scikit-learn (under a minute on 2 CPU cores)."
    )
    return _train(args, recipe_name=DEMO_RECIPE)


def _list(args):
    from kgen import data, recipes

    print("Models (kgen train MODEL):")
    for name in sorted(recipes.RECIPES):
        recipe = recipes.RECIPES[name]
        print(f"  {name:<16} {recipe.description}")
    print("Data sets (--data NAME):")
    for name, description in data.DATASETS.items():
        print(f"  {name:<16} {description}")
    print("  (any other name is looked up in tensorflow-datasets)")
    return 0


# ------------------------------------------------------------------- parser


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def build_parser():
    """The argument parser of the ``kgen`` command."""
    parser = argparse.ArgumentParser(
        prog="kgen",
        formatter_class=_Formatter,
        description="Train, sample and evaluate deep generative models (Keras 3).",
        epilog=(
            "examples:\n"
            "  kgen demo --out runs/demo\n"
            "  kgen list\n"
            "  kgen train vae --data digits --epochs 20 --out runs/vae\n"
            "  kgen sample runs/vae/model.keras -n 64 --out grid.png\n"
            "  kgen evaluate runs/vae/model.keras --data digits --split test\n"
            "Run 'kgen COMMAND --help' for the options of a command."
        ),
    )
    backend_help = "Keras backend (default: $KERAS_BACKEND, else Keras's default)"
    parser.add_argument("--backend", choices=BACKENDS, help=backend_help)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add_common(sub):
        # SUPPRESS: a sub-command default must not overwrite `kgen --backend X`
        sub.add_argument(
            "--backend", choices=BACKENDS, default=argparse.SUPPRESS, help=backend_help
        )
        sub.add_argument("--seed", type=int, default=0, help="random seed (default 0)")

    def add_data(sub, default=None):
        sub.add_argument(
            "--data",
            default=default,
            required=default is None,
            help="data set: digits, fashion_mnist, color_patches, mnist, ... "
            "(see 'kgen list')" + (f" (default {default})" if default else ""),
        )
        sub.add_argument(
            "--image-size",
            type=_positive_int,
            help="resize images to this side length (e.g. 16)",
        )
        sub.add_argument(
            "--data-dir", help="directory with the data files (e.g. Fashion-MNIST IDX)"
        )

    train = commands.add_parser(
        "train",
        formatter_class=_Formatter,
        help="train a model recipe and write model, metrics and pictures",
        description=(
            "Train a model recipe on a data set. Writes model.keras, run.json, "
            "history.json, metrics.json (test split) and samples.png; latent "
            "models also write reconstructions.png and traversal.png, autoregressive "
            "models completions.png (the bottom half of test images sampled)."
        ),
        epilog=(
            "example:\n"
            "  kgen train vae --data digits --epochs 20 --batch-size 64 --out runs/vae\n"
            "  kgen train conv_vae --data fashion_mnist --epochs 10 --out runs/fm \\\n"
            "      --option latent_dim=32\n"
            "Run 'kgen list' for the model recipes and data sets."
        ),
    )
    train.add_argument("model", help="model recipe (see 'kgen list')")
    add_data(train, default="digits")
    train.add_argument("--epochs", type=_positive_int, help="default: the recipe's")
    train.add_argument("--batch-size", type=_positive_int, help="default: the recipe's")
    train.add_argument("--learning-rate", type=float, help="default: the recipe's")
    train.add_argument(
        "--out", default=None, help="output directory (default runs/MODEL-DATA)"
    )
    train.add_argument(
        "--option",
        action="append",
        type=_parse_option,
        metavar="KEY=VALUE",
        help="recipe option, repeatable, VALUE as JSON (e.g. latent_dim=2, "
        "hidden_units=[64])",
    )
    train.add_argument(
        "--iwae-samples",
        type=_positive_int,
        default=100,
        help="importance samples for the test log-likelihood (default 100)",
    )
    train.add_argument(
        "--verbose",
        type=int,
        default=1,
        choices=(0, 1, 2, 3),
        help="0 silent, 1 progress bar, 2 one line per epoch, 3 about ten lines "
        "in all (default 1)",
    )
    add_common(train)
    train.set_defaults(handler=_train)

    sample = commands.add_parser(
        "sample",
        formatter_class=_Formatter,
        help="draw samples from a saved model into a PNG grid",
        description="Load a .keras model, draw samples, save them as a PNG grid.",
        epilog="example:\n  kgen sample runs/vae/model.keras -n 64 --out grid.png --seed 1",
    )
    sample.add_argument(
        "model_path", help="path of a .keras file written by kgen train"
    )
    sample.add_argument(
        "-n", "--num-samples", type=_positive_int, default=64, help="(default 64)"
    )
    sample.add_argument(
        "--out", default="samples.png", help="PNG path (default samples.png)"
    )
    sample.add_argument("--scale", type=_positive_int, help="pixel enlargement")
    sample.add_argument("--npy", help="also save the raw samples as a .npy file")
    add_common(sample)
    sample.set_defaults(handler=_sample)

    evaluate = commands.add_parser(
        "evaluate",
        formatter_class=_Formatter,
        help="print (and save) likelihood metrics of a saved model",
        description=(
            "Evaluate a saved model on a data split. VAEs: ELBO, IWAE "
            "log-likelihood and bits/dim; autoregressive models: NLL and "
            "bits/dim; GANs: a note on which sample metrics apply."
        ),
        epilog=(
            "example:\n"
            "  kgen evaluate runs/vae/model.keras --data digits --split test "
            "--out runs/vae/test.json"
        ),
    )
    evaluate.add_argument("model_path", help="path of a .keras file")
    add_data(evaluate, default="digits")
    evaluate.add_argument(
        "--split",
        default="test",
        choices=("train", "test", "all"),
        help="(default test)",
    )
    evaluate.add_argument(
        "--iwae-samples", type=_positive_int, default=100, help="(default 100)"
    )
    evaluate.add_argument("--max-examples", type=_positive_int, help="use the first N")
    evaluate.add_argument("--out", help="also write the metrics to this JSON file")
    add_common(evaluate)
    evaluate.set_defaults(handler=_evaluate)

    demo = commands.add_parser(
        "demo",
        formatter_class=_Formatter,
        help="train a VAE on the embedded digits (under a minute)",
        description=(
            "Train the 'vae' recipe on the 8x8 digits bundled with scikit-learn "
            "and write samples, reconstructions, a latent traversal, test "
            "metrics (ELBO, IWAE, bits/dim) and model.keras."
        ),
        epilog="example:\n  kgen demo --out runs/demo --backend jax",
    )
    demo.add_argument("--out", default="runs/demo", help="(default runs/demo)")
    demo.add_argument(
        "--epochs",
        type=_positive_int,
        default=DEMO_EPOCHS,
        help=f"(default {DEMO_EPOCHS})",
    )
    demo.add_argument(
        "--verbose",
        type=int,
        default=3,
        choices=(0, 1, 2, 3),
        help="0 silent, 1 progress bar, 2 one line per epoch, 3 about ten lines "
        "in all (default 3)",
    )
    add_common(demo)
    demo.set_defaults(handler=_demo)

    listing = commands.add_parser(
        "list",
        help="list model recipes and data sets",
        description="List the model recipes and data sets.",
    )
    listing.add_argument(
        "--backend", choices=BACKENDS, default=argparse.SUPPRESS, help=backend_help
    )
    listing.set_defaults(handler=_list)
    return parser


def main(argv=None):
    """Entry point of the ``kgen`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        apply_backend_flag(argv)
    except CommandError as error:
        parser.exit(2, f"kgen: error: {error}\n")
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    if getattr(args, "out", "") is None and args.command == "train":
        args.out = os.path.join("runs", f"{args.model}-{args.data}")
    try:
        return args.handler(args)
    except CommandError as error:
        print(f"kgen: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
