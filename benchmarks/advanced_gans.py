"""Beyond-DCGAN benchmark: sample quality, translation quality, speed per backend.

Quality (one backend, default TensorFlow): DCGAN, StyleGAN2 and a
class-conditional BigGAN trained on real Fashion-MNIST for the same budget
(the same number of generator steps of the same batch size; the wall time
each took is printed), scored by the Fréchet distance and the kernel
distance (KID) between 5,000 samples and 5,000 test images in the features
of kgen's cached Fashion-MNIST classifier (``kgen.evaluation.
domain_classifier``; not an FID, not comparable with published numbers),
beside the real-vs-real floor.

Translation: Pix2Pix on ``edges2fashion`` (L1 and SSIM of the translations
of 2,000 held-out pairs against their targets; the L1 of the edge map itself
as the trivial baseline) and CycleGAN on ``fashion_tops2bottoms`` (the cycle
error |G_BA(G_AB(a)) - a| on held-out images, and how often the Fashion-MNIST
classifier calls translated T-shirts/tops trousers and translated trousers
tops, beside its accuracy on the real images).

Speed: training steps per second of each new model (28x28, the sizes of the
quality runs) with ``fit`` on each backend, each backend in its own
subprocess, best of 3 timed runs after a warm-up.

    python benchmarks/advanced_gans.py                     # everything
    python benchmarks/advanced_gans.py --part speed        # speed only
    python benchmarks/advanced_gans.py --quick             # smoke run

Results go to ``--out`` (JSON) and stdout.
"""

import argparse
import json
import os
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")
MODELS = ("dcgan", "stylegan2", "biggan", "text_gan", "pix2pix", "cyclegan")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="beyond-DCGAN benchmark")
    parser.add_argument(
        "--part", choices=("all", "quality", "translation", "speed"), default="all"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="runs/benchmarks/advanced_gans")
    parser.add_argument("--quality-backend", default="tensorflow")
    parser.add_argument("--steps", type=int, default=None, help="generator steps")
    parser.add_argument("--backend", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--worker", choices=("speed", "quality", "translation"), help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


def _one_torch_thread(backend):
    if backend == "torch":
        import torch

        torch.set_num_threads(1)


def _signed(images):
    from kgen import data

    return data.to_signed_float(images)


def _unit(x):
    import numpy as np

    return np.clip((np.asarray(x, "float32") + 1.0) / 2.0, 0.0, 1.0)


def _adam(lr, beta_1, beta_2=0.999):
    import keras

    return keras.optimizers.Adam(lr, beta_1=beta_1, beta_2=beta_2)


def _lazy_adam(lr, every):
    import keras

    c = every / (every + 1.0)
    return keras.optimizers.Adam(lr * c, beta_1=0.0, beta_2=0.99**c, epsilon=1e-8)


# -- models at the benchmark's sizes -----------------------------------------------


def build(name, image_shape=(28, 28, 1), quick=False):
    """A compiled model and its batch size: the sizes of the quality runs."""
    from kgen import models
    from kgen.text import WordTokenizer

    f = 8 if quick else 32
    if name == "dcgan":
        g, d = models.dcgan_networks(image_shape, latent_dim=64, base_filters=f)
        model = models.GAN(g, d, 64, seed=0)
        model.compile(d_optimizer=_adam(2e-4, 0.5), g_optimizer=_adam(2e-4, 0.5))
        return model, 64
    if name == "stylegan2":
        g, d = models.stylegan2_networks(
            image_shape,
            latent_dim=64,
            mapping_layers=4,
            base_filters=f,
            max_filters=4 * f,
        )
        model = models.StyleGAN2(g, d, r1_weight=1.0, ema_decay=0.995, seed=0)
        model.compile(d_optimizer=_lazy_adam(2e-3, 16), g_optimizer=_lazy_adam(2e-3, 4))
        return model, 64
    if name == "biggan":
        g, d = models.biggan_networks(
            image_shape,
            latent_dim=64,
            num_classes=10,
            base_filters=f,
            max_filters=4 * f,
        )
        model = models.BigGAN(g, d, 64, num_classes=10, seed=0)
        model.compile(d_optimizer=_adam(4e-4, 0.0), g_optimizer=_adam(1e-4, 0.0))
        # two critic steps on fresh minibatches of 64: a batch of 128
        return model, 128
    if name == "text_gan":
        tokenizer = WordTokenizer(
            ["small", "large", "dark", "bright", "trouser", "bag"], max_length=3
        )
        g, d = models.text_gan_networks(
            image_shape, tokenizer.vocabulary_size, 3, latent_dim=32, base_filters=f
        )
        model = models.TextConditionalGAN(g, d, 32, tokenizer, seed=0)
        model.compile(d_optimizer=_adam(2e-4, 0.5), g_optimizer=_adam(2e-4, 0.5))
        return model, 64
    if name == "pix2pix":
        model = models.Pix2Pix(
            models.unet_generator(image_shape, base_filters=f),
            models.patchgan_discriminator(
                image_shape, image_shape, base_filters=f, num_layers=2
            ),
        )
        model.compile(d_optimizer=_adam(2e-4, 0.5), g_optimizer=_adam(2e-4, 0.5))
        return model, 16
    if name == "cyclegan":

        def generator():
            return models.resnet_generator(
                image_shape,
                base_filters=f // 2,
                num_downsamples=2,
                num_residual_blocks=4,
            )

        def discriminator():
            return models.patchgan_discriminator(
                image_shape, base_filters=f // 2, num_layers=2
            )

        model = models.CycleGAN(
            generator(), generator(), discriminator(), discriminator(), seed=0
        )
        model.compile(optimizers={n: _adam(2e-4, 0.5) for n in model.network_names})
        return model, 8
    raise ValueError(name)


def _speed_data(name, batch, steps):
    import numpy as np

    rng = np.random.default_rng(0)
    num = batch * steps
    if name in ("pix2pix", "cyclegan"):
        x = rng.uniform(-1, 1, size=(num, 28, 56, 1)).astype("float32")
        return x, None
    x = rng.uniform(-1, 1, size=(num, 28, 28, 1)).astype("float32")
    if name == "biggan":
        return x, rng.integers(0, 10, size=num).astype("int32")
    if name == "text_gan":
        return x, rng.integers(1, 8, size=(num, 3)).astype("int32")
    return x, None


def speed_worker(args):
    _one_torch_thread(args.backend)
    steps, repeats = (4, 1) if args.quick else (40, 3)
    result = {"backend": args.backend, "steps": steps, "repeats": repeats}
    for name in MODELS:
        model, batch = build(name, quick=args.quick)
        x, y = _speed_data(name, batch, steps)

        def run(model=model, x=x, y=y, batch=batch):
            model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)

        start = time.perf_counter()
        run()  # compile / warm up
        first = time.perf_counter() - start
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
        result[name] = {
            "steps_per_s": round(steps / best, 3),
            "batch_size": batch,
            "first_epoch_s": round(first, 1),
        }
    print("RESULT " + json.dumps(result))


# -- quality ----------------------------------------------------------------------


def _fashion():
    from kgen import data

    x_train, y_train = data.load("fashion_mnist", "train")
    x_test, y_test = data.load("fashion_mnist", "test")
    return x_train, y_train.astype("int32"), x_test, y_test.astype("int32")


def _budget(x, y, steps, batch, seed=0):
    """Exactly `steps` batches: shuffled passes over the data, cut."""
    import numpy as np

    rng = np.random.default_rng(seed)
    passes = int(np.ceil(steps * batch / len(x)))
    order = np.concatenate([rng.permutation(len(x)) for _ in range(passes)])
    order = order[: steps * batch]
    return x[order], None if y is None else y[order]


def quality_worker(args):
    import keras
    import numpy as np

    from kgen.evaluation import domain_classifier, frechet_distance, kernel_distance

    _one_torch_thread(args.backend)
    keras.utils.set_random_seed(0)
    x_train, y_train, x_test, _ = _fashion()
    x_train, x_test = _signed(x_train), _signed(x_test)
    n = 500 if args.quick else 5000
    steps = args.steps or (20 if args.quick else 2000)
    classifier = domain_classifier("fashion_mnist")
    real = _unit(x_test[:n])

    def scores(samples):
        kid = kernel_distance(real, _unit(samples), feature_extractor=classifier)
        return {
            "frechet": round(
                frechet_distance(real, _unit(samples), feature_extractor=classifier), 3
            ),
            "kid": round(float(kid.mean), 5),
            "kid_std": round(float(kid.std), 5),
        }

    result = {
        "backend": args.backend,
        "classifier": classifier.name,
        "classifier_info": classifier.info,
        "num_samples": n,
        "generator_steps": steps,
        "floor": scores(x_train[-n:]),
    }
    for name in ("dcgan", "stylegan2", "biggan"):
        model, batch = build(name, quick=args.quick)
        labels = y_train if name == "biggan" else None
        x, y = _budget(x_train, labels, steps, batch)
        start = time.time()
        history = model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
        seconds = time.time() - start
        conditions = np.arange(n) % 10 if name == "biggan" else None
        samples = model.sample(n, seed=1, conditions=conditions)
        result[name] = {
            **scores(samples),
            "batch_size": batch,
            "generator_batch": 64,
            "train_seconds": round(seconds, 1),
            "last_losses": {
                k: round(float(v[-1]), 4) for k, v in history.history.items()
            },
        }
        if name == "stylegan2":
            result[name]["truncation_0.7"] = scores(
                model.sample(n, seed=1, truncation=0.7)
            )
        if name == "biggan":
            result[name]["truncation_1.0"] = scores(
                model.sample(n, seed=1, conditions=conditions, truncation=1.0)
            )
    print("RESULT " + json.dumps(result))


def translation_worker(args):
    import keras
    import numpy as np

    from kgen import data
    from kgen.evaluation import domain_classifier
    from kgen.models import split_pairs, translation_errors

    _one_torch_thread(args.backend)
    keras.utils.set_random_seed(0)
    steps = args.steps or (10 if args.quick else 1500)
    n = 200 if args.quick else 2000
    classifier = domain_classifier("fashion_mnist")
    result = {"backend": args.backend, "steps": steps, "num_pairs": n}

    train, _ = data.load("edges2fashion", "train")
    test, _ = data.load("edges2fashion", "test")
    train, test = _signed(train), _signed(test)
    model, batch = build("pix2pix", quick=args.quick)
    x, _ = _budget(train, None, steps, batch)
    start = time.time()
    model.fit(x, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    errors = translation_errors(model, test[:n])
    a, b = split_pairs(test[:n])
    result["pix2pix_edges2fashion"] = {
        **errors,
        "l1_of_the_edge_map": round(float(np.mean(np.abs(a - b))), 4),
        "train_seconds": round(time.time() - start, 1),
        "batch_size": batch,
    }

    train, _ = data.load("fashion_tops2bottoms", "train")
    test, _ = data.load("fashion_tops2bottoms", "test")
    train, test = _signed(train), _signed(test)
    model, batch = build("cyclegan", quick=args.quick)
    x, _ = _budget(train, None, steps, batch)
    start = time.time()
    model.fit(x, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    seconds = time.time() - start
    a, b = split_pairs(test[:n])
    fake_b, fake_a = model.translate(a), model.translate(b, direction="b_to_a")

    def predicted(images):
        return classifier.probabilities(_unit(images)).argmax(axis=1)

    result["cyclegan_tops2bottoms"] = {
        "cycle_error_a": round(
            float(np.mean(np.abs(model.translate(fake_b, direction="b_to_a") - a))), 4
        ),
        "cycle_error_b": round(float(np.mean(np.abs(model.translate(fake_a) - b))), 4),
        "translated_tops_called_trouser": round(
            float(np.mean(predicted(fake_b) == 1)), 3
        ),
        "translated_trousers_called_top": round(
            float(np.mean(predicted(fake_a) == 0)), 3
        ),
        "real_tops_called_top": round(float(np.mean(predicted(a) == 0)), 3),
        "real_trousers_called_trouser": round(float(np.mean(predicted(b) == 1)), 3),
        "train_seconds": round(seconds, 1),
        "batch_size": batch,
    }
    print("RESULT " + json.dumps(result))


# -- driver -------------------------------------------------------------------------


def _subprocess(args, worker, backend):
    command = [sys.executable, os.path.abspath(__file__), "--worker", worker]
    command += ["--backend", backend]
    if args.quick:
        command.append("--quick")
    if args.steps:
        command += ["--steps", str(args.steps)]
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(
        f"{worker} worker on {backend} failed:\n{completed.stdout[-2000:]}\n"
        f"{completed.stderr[-4000:]}"
    )


def speed(args):
    results = {b: _subprocess(args, "speed", b) for b in BACKENDS}
    print("\nTraining steps per second (28x28, batch sizes of the quality runs)")
    print("  " + " ".join(f"{m:>10}" for m in ("", *BACKENDS)))
    for name in MODELS:
        rates = [results[b][name]["steps_per_s"] for b in BACKENDS]
        batch = results[BACKENDS[0]][name]["batch_size"]
        print(f"  {name + f' ({batch})':>18} " + " ".join(f"{r:10.2f}" for r in rates))
    return results


def quality(args):
    result = _subprocess(args, "quality", args.quality_backend)
    print(
        f"\nSample quality on Fashion-MNIST ({args.quality_backend}, "
        f"{result['generator_steps']} generator steps of 64 samples), in the "
        f"features of {result['classifier']}"
    )
    print(f"  real train vs test (floor): {result['floor']}")
    for name in ("dcgan", "stylegan2", "biggan"):
        print(f"  {name:<10} {result[name]}")
    return result


def translation(args):
    result = _subprocess(args, "translation", args.quality_backend)
    print(f"\nTranslation ({args.quality_backend}, {result['steps']} steps)")
    for key in ("pix2pix_edges2fashion", "cyclegan_tops2bottoms"):
        print(f"  {key}: {result[key]}")
    return result


def main(argv=None):
    args = parse_args(argv)
    if args.worker == "speed":
        return speed_worker(args)
    if args.worker == "quality":
        return quality_worker(args)
    if args.worker == "translation":
        return translation_worker(args)
    os.makedirs(args.out, exist_ok=True)
    results = {"quick": args.quick}
    if args.part in ("all", "speed"):
        results["speed"] = speed(args)
    if args.part in ("all", "quality"):
        results["quality"] = quality(args)
    if args.part in ("all", "translation"):
        results["translation"] = translation(args)
    name = f"results_{args.part}" + ("_quick" if args.quick else "") + ".json"
    path = os.path.join(args.out, name)
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nwrote {path}")
    return results


if __name__ == "__main__":
    main()
