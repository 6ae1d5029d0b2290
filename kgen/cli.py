"""The ``kgen`` command line: train, sample, evaluate, demo, list.

Run ``kgen --help`` or ``kgen COMMAND --help``. Choose the backend with
``--backend jax|tensorflow|torch`` (or the ``KERAS_BACKEND`` environment
variable). Keras reads the backend once, when it is first imported, so the
``kgen`` console script is ``kgen_command.main``, a module outside the
``kgen`` package that sets ``KERAS_BACKEND`` from ``--backend`` before kgen
(and with it Keras) is imported. Importing ``kgen`` itself reads no command
line and changes no environment variable.

Everything a command does is composed from the library, driven by the
model's declaration (``kgen.contract``): data are converted with
``model.data_convention``, labels go to ``fit`` when ``model.num_classes`` is
set, the metrics come from ``kgen.evaluation.evaluate_model`` and the
pictures from ``kgen.viz.save_model_pictures``.
"""

import argparse
import json
import math
import os
import sys
import time

BACKENDS = ("jax", "tensorflow", "torch")
DEMO_RECIPE = "vae"
DEMO_EPOCHS = 300
DEMO_BATCH_SIZE = 64


class CommandError(Exception):
    """A user error: printed as ``kgen: error: ...`` with exit status 2."""


# ------------------------------------------------------------------ backend


def backend_in(argv):
    """The backend named by ``--backend NAME`` in ``argv``, or None."""
    for index, arg in enumerate(argv):
        if arg == "--backend" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--backend="):
            return arg.split("=", 1)[1]
    return None


def check_backend_flag(argv):
    """Check ``--backend NAME`` against the Keras backend already running.

    ``kgen_command.main`` sets ``KERAS_BACKEND`` before Keras starts; here,
    in-process (``kgen.cli.main([...])`` from Python), Keras may already run
    on another backend, which cannot change any more.

    Returns:
        The backend named on the command line, or None.

    Raises:
        CommandError: for an unknown backend, or one that differs from the
            running Keras backend.
    """
    name = backend_in(argv)
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

    from kgen import evaluation, recipes, viz

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
    metrics = evaluation.evaluate_model(
        model,
        x_test,
        test_labels if conditional else None,
        num_samples=args.iwae_samples,
        seed=args.seed,
    )
    metrics.update(
        {"split": "test", "data": args.data, "train_seconds": round(train_seconds, 2)}
    )
    metrics_path = _write_json(os.path.join(out, "metrics.json"), metrics)
    pictures = viz.save_model_pictures(
        model, out, x_test, test_labels if conditional else None, seed=args.seed
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
    from kgen.contract import Capability

    model = _load_model(args.model_path)
    if not model.has(Capability.SAMPLE):
        raise CommandError(
            f"{type(model).__name__} cannot sample (it does not declare the "
            "'sample' capability); a deterministic autoencoder only reconstructs."
        )
    extra = {}
    columns = None
    if model.num_classes is not None:
        # one class per column, as many rows as fit
        columns = min(model.num_classes, args.num_samples)
        extra["conditions"] = np.arange(args.num_samples) % model.num_classes
    options = {**viz.sampling_options(model), **dict(args.option or [])}
    try:
        samples = np.asarray(
            model.sample(args.num_samples, seed=args.seed, **extra, **options)
        )
    except (TypeError, ValueError) as error:
        raise CommandError(
            f"{type(model).__name__}.sample: {error} (options given: "
            f"{', '.join(f'{k}={v!r}' for k, v in options.items()) or 'none'})."
        ) from error
    convention = model.data_convention
    scale = args.scale or max(1, 64 // max(convention.shape[0], 1))
    path = viz.save_image_grid(
        args.out, samples, num_columns=columns, scale=scale, value_range=convention
    )
    if args.npy:
        np.save(args.npy, samples)
        print(f"Wrote {args.npy}")
    print(f"Wrote {args.num_samples} samples to {os.path.abspath(path)}")
    return 0


def _evaluate(args):
    from kgen import evaluation

    model = _load_model(args.model_path)
    convention = model.data_convention
    image_size = args.image_size
    if image_size is None and convention.is_image:
        image_size = convention.shape[:2]
    images, labels = _load(args.data, args.split, image_size, args.data_dir)
    if args.max_examples:
        images, labels = images[: args.max_examples], labels[: args.max_examples]
    x = convention.from_uint8(images)
    metrics = evaluation.evaluate_model(
        model,
        x,
        labels if model.num_classes is not None else None,
        num_samples=args.iwae_samples,
        seed=args.seed,
    )
    metrics.update({"split": args.split, "data": args.data})
    print(f"{type(model).__name__} on {args.data} ({args.split}, {len(x)} images):")
    _print_metrics(metrics)
    if args.out:
        print(f"Wrote {os.path.abspath(_write_json(args.out, metrics))}")
    if args.report:
        _write_report(args, model, x, labels, image_size)
    return 0


def _report_features(args, convention, image_size):
    """The sample metrics' features: the data set's domain classifier or pixels."""
    from kgen import evaluation

    if args.features == "pixels" or not convention.is_image:
        return None
    if args.data not in evaluation.DOMAIN_CLASSIFIER_DATASETS:
        if args.features == "domain":
            raise CommandError(
                f"--features domain: no domain classifier for {args.data!r}; "
                f"there is one for {', '.join(evaluation.DOMAIN_CLASSIFIER_DATASETS)}. "
                "Use --features pixels."
            )
        return None
    native, _ = _load(args.data, "test", None, args.data_dir)
    size = None if native.shape[1:3] == tuple(image_size) else int(image_size[0])
    print(f"features: the {args.data} domain classifier (trained once, then cached)")
    return evaluation.domain_classifier(args.data, image_size=size, seed=args.seed)


def _write_report(args, model, x, labels, image_size):
    from kgen import evaluation

    convention = model.data_convention
    history = None
    history_path = args.history or os.path.join(
        os.path.dirname(os.path.abspath(args.model_path)), "history.json"
    )
    if os.path.isfile(history_path):
        with open(history_path, encoding="utf-8") as handle:
            history = json.load(handle)
    elif args.history:
        raise CommandError(f"No history file at {args.history!r}.")
    train = None
    if convention.is_image:
        images, _ = _load(args.data, "train", image_size, args.data_dir)
        train = convention.from_uint8(images[: args.max_train_neighbours])
    report = evaluation.evaluation_report(
        model,
        x,
        labels if model.num_classes is not None else None,
        out=args.report,
        train=train,
        history=history,
        feature_extractor=_report_features(args, convention, image_size),
        num_generated=args.num_generated,
        num_samples=args.iwae_samples,
        seed=args.seed,
        data_name=f"{args.data} ({args.split} split)",
    )
    print(f"Wrote {os.path.abspath(report['files']['markdown'])} and report.html")


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
    import keras

    from kgen import data, recipes

    print(f"Keras backend: {keras.config.backend()}")
    print("Models (kgen train MODEL):")
    for name in sorted(recipes.RECIPES):
        recipe = recipes.RECIPES[name]
        print(f"  {name:<28} {recipe.description}")
    print("Data sets (--data NAME):")
    for name, description in data.DATASETS.items():
        print(f"  {name:<28} {description}")
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
        epilog=(
            "examples:\n"
            "  kgen sample runs/vae/model.keras -n 64 --out grid.png --seed 1\n"
            "  kgen sample runs/gated/model.keras --option temperature=0.9"
        ),
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
    sample.add_argument(
        "--option",
        action="append",
        type=_parse_option,
        metavar="KEY=VALUE",
        help="keyword argument of the model's sample(), repeatable, VALUE as JSON "
        "(e.g. temperature=0.8, method=naive, sampler=ddim, steps=50)",
    )
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
            "--out runs/vae/test.json\n"
            "  kgen evaluate runs/vae/model.keras --data digits --report runs/vae/report"
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
    evaluate.add_argument(
        "--report",
        metavar="DIR",
        help=(
            "write report.md / report.html / report.json and figures: likelihood, "
            "sample quality beside the real-vs-real floor, samples, nearest "
            "neighbours, training history (what the model's capabilities allow)"
        ),
    )
    evaluate.add_argument(
        "--features",
        choices=("auto", "domain", "pixels"),
        default="auto",
        help=(
            "features of the report's sample metrics: the data set's domain "
            "classifier (auto: when there is one) or [0, 1] pixels"
        ),
    )
    evaluate.add_argument(
        "--num-generated",
        type=_positive_int,
        help="samples drawn for the report's sample metrics (default: as many as data)",
    )
    evaluate.add_argument(
        "--max-train-neighbours",
        type=_positive_int,
        default=10000,
        help="training images searched for nearest neighbours (default 10000)",
    )
    evaluate.add_argument(
        "--history",
        help="history JSON to plot (default: history.json beside the model, if any)",
    )
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
        check_backend_flag(argv)
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
