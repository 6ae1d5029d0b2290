"""GAN benchmark: sample quality on Fashion-MNIST and training speed per backend.

Quality: DCGAN, WGAN-GP and a conditional GAN (projection discriminator) are
trained on real Fashion-MNIST for a stated budget; each is scored by the
Fréchet distance between 5,000 samples and 5,000 test images in the feature
space of a small CNN classifier that this script trains on Fashion-MNIST
first (penultimate layer). The distance between 5,000 *training* images and
the same test images is printed beside them: the floor a perfect model would
reach with this sample size.

Speed: training steps per second of the same DCGAN networks (28x28, batch 64)
with kgen's ``fit`` on each backend, against the usual tutorial loop written
with ``tf.GradientTape`` (two tapes, two Adam optimizers, ``tf.function``),
run in the same process as kgen-on-TensorFlow. Each backend runs in its own
subprocess. Ratios > 1 mean kgen is faster than the plain TensorFlow loop.
The tutorial loop updates both networks from one batch of samples, which is
kgen's ``update="simultaneous"``; kgen's default ``"alternating"`` step
(generator update against the *updated* discriminator, fresh samples) does
one more generator and discriminator forward pass and is timed too.

    python benchmarks/gans.py                # both parts, full budget
    python benchmarks/gans.py --part speed   # speed only
    python benchmarks/gans.py --part tutorial --seeds 3  # the loop comparison
    python benchmarks/gans.py --quick        # minutes-scale smoke run

Tutorial-loop comparison (``--part tutorial``, TensorFlow): the same DCGAN
networks (``dcgan_networks((28, 28, 1), latent_dim=64, base_filters=32)``),
data (all 60,000 training images in the same shuffled order), Adam(2e-4,
beta_1=0.5) for both networks, batch 128 and 936 steps, trained by the usual
``tf.GradientTape`` tutorial loop and by kgen's ``GAN`` with
``update="simultaneous"`` (what the loop does) and ``"alternating"``; each
scored by the Fréchet distance between 5,000 samples and 5,000 test images
in the features of kgen's cached Fashion-MNIST classifier
(``kgen.evaluation.domain_classifier``), for several seeds, beside the
real-vs-real floor.

Results go to ``--out`` (JSON) and stdout.
"""

import argparse
import json
import os
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="GAN quality and speed benchmark")
    parser.add_argument(
        "--part", choices=("all", "quality", "speed", "tutorial"), default="all"
    )
    parser.add_argument("--seeds", type=int, default=3, help="tutorial-loop seeds")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="runs/benchmarks/gans")
    parser.add_argument("--backend", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--worker", choices=("speed", "quality", "tutorial"), help=argparse.SUPPRESS
    )
    parser.add_argument("--quality-backend", default="tensorflow")
    return parser.parse_args(argv)


# -- speed -------------------------------------------------------------------


def _speed_config(quick):
    return dict(
        image_shape=(28, 28, 1),
        latent_dim=64,
        filters=32 if not quick else 8,
        batch=64,
        steps=120 if not quick else 8,
        repeats=3 if not quick else 1,
    )


def _tensorflow_baseline(x, config):
    """The tutorial loop: two GradientTapes in one tf.function step."""
    import keras
    import tensorflow as tf

    from kgen.models import dcgan_networks

    generator, discriminator = dcgan_networks(
        config["image_shape"], config["latent_dim"], config["filters"]
    )
    g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    latent_dim = config["latent_dim"]

    @tf.function
    def train_step(real):
        noise = tf.random.normal((tf.shape(real)[0], latent_dim))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(noise, training=True)
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
            d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(
                tf.zeros_like(fake_logits), fake_logits
            )
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
        d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
        return d_loss, g_loss

    dataset = tf.data.Dataset.from_tensor_slices(x).batch(config["batch"])

    def run():
        for batch in dataset:
            d_loss, g_loss = train_step(batch)
        float(d_loss)

    return run


def _kgen_runner(x, config, update, steps_per_execution=1):
    import keras

    from kgen.models import GAN, dcgan_networks

    generator, discriminator = dcgan_networks(
        config["image_shape"], config["latent_dim"], config["filters"]
    )
    model = GAN(generator, discriminator, config["latent_dim"], update=update, seed=0)
    model.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        steps_per_execution=steps_per_execution,
    )

    def run():
        model.fit(x, batch_size=config["batch"], epochs=1, shuffle=False, verbose=0)

    return run


def _time(run, steps, repeats):
    run()  # compile / warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return steps / best


def _one_torch_thread(backend):
    if backend == "torch":
        # On a small shared CPU machine torch's default thread pool spins
        # against other processes (measured ~10x slower for small models).
        import torch

        torch.set_num_threads(1)


def speed_worker(args):
    import numpy as np

    _one_torch_thread(args.backend)
    config = _speed_config(args.quick)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(config["steps"] * config["batch"], 28, 28, 1))
    x = x.astype("float32")
    result = {"backend": args.backend, "config": config}
    for update in ("simultaneous", "alternating"):
        result[f"kgen_{update}_steps_per_s"] = _time(
            _kgen_runner(x, config, update), config["steps"], config["repeats"]
        )
    if args.backend != "torch":  # torch's fit runs one step per call anyway
        result["kgen_simultaneous_spe10_steps_per_s"] = _time(
            _kgen_runner(x, config, "simultaneous", steps_per_execution=10),
            config["steps"],
            config["repeats"],
        )
    if args.backend == "tensorflow":
        result["tf_loop_steps_per_s"] = _time(
            _tensorflow_baseline(x, config), config["steps"], config["repeats"]
        )
    print("RESULT " + json.dumps(result))


def _subprocess(args, worker, backend):
    command = [sys.executable, os.path.abspath(__file__), "--worker", worker]
    command += ["--backend", backend]
    if args.quick:
        command.append("--quick")
    command += ["--seeds", str(args.seeds)]
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
    baseline = results["tensorflow"]["tf_loop_steps_per_s"]
    print("\nTraining steps per second, DCGAN 28x28, batch 64 (higher is better)")
    print(f"  tf.GradientTape loop (TensorFlow): {baseline:8.2f}")
    for backend in BACKENDS:
        for update in ("simultaneous", "alternating"):
            rate = results[backend][f"kgen_{update}_steps_per_s"]
            results[backend][f"{update}_ratio_to_tf_loop"] = rate / baseline
            print(
                f"  kgen fit, {update:<12} on {backend:<10}: {rate:8.2f}  "
                f"ratio {rate / baseline:.2f}"
            )
        rate = results[backend].get("kgen_simultaneous_spe10_steps_per_s")
        if rate is not None:
            results[backend]["simultaneous_spe10_ratio_to_tf_loop"] = rate / baseline
            print(
                f"  kgen fit, simultaneous, steps_per_execution=10 on {backend:<10}: "
                f"{rate:8.2f}  ratio {rate / baseline:.2f}"
            )
    return results


# -- quality -----------------------------------------------------------------


def _quality_config(quick):
    if quick:
        return dict(
            classifier_epochs=1,
            gan_epochs=1,
            wgan_epochs=1,
            max_train=2048,
            num_eval=500,
            latent_dim=16,
            filters=8,
            batch=128,
            n_critic=2,
        )
    return dict(
        classifier_epochs=3,
        gan_epochs=2,
        wgan_epochs=1,
        max_train=60000,
        num_eval=5000,
        latent_dim=64,
        filters=32,
        batch=128,
        n_critic=5,
    )


def _classifier(x, y, epochs):
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1))
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(inputs)
    h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Flatten()(h)
    features = layers.Dense(64, activation="relu", name="features")(h)
    outputs = layers.Dense(10)(features)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0)
    return model, keras.Model(inputs, features)


def quality_worker(args):
    import keras
    import numpy as np

    from kgen import data
    from kgen.evaluation import frechet_distance
    from kgen.models import GAN, WGANGP, ConditionalGAN, dcgan_networks

    _one_torch_thread(args.backend)
    config = _quality_config(args.quick)
    keras.utils.set_random_seed(0)
    x_train, y_train = data.load("fashion_mnist", "train")
    x_test, y_test = data.load("fashion_mnist", "test")
    x_train, y_train = x_train[: config["max_train"]], y_train[: config["max_train"]]
    x_train, x_test = data.to_signed_float(x_train), data.to_signed_float(x_test)
    y_train = y_train.astype("int32")
    n = config["num_eval"]
    result = {"backend": args.backend, "config": config}

    start = time.time()
    classifier, features = _classifier(x_train, y_train, config["classifier_epochs"])
    accuracy = classifier.evaluate(x_test, y_test, verbose=0)[1]
    result["classifier_test_accuracy"] = float(accuracy)

    def extractor(batch):
        return features.predict(batch, verbose=0)

    def distance(samples):
        return frechet_distance(samples, x_test[:n], feature_extractor=extractor)

    result["floor_train_vs_test"] = distance(x_train[-n:])

    def adam(lr, b1, b2=0.999):
        return keras.optimizers.Adam(lr, beta_1=b1, beta_2=b2)

    shape, latent, filters = (28, 28, 1), config["latent_dim"], config["filters"]
    runs = {}
    g, d = dcgan_networks(shape, latent, filters)
    batch = config["batch"]
    runs["dcgan"] = (GAN(g, d, latent, seed=0), None, config["gan_epochs"], 2e-4, batch)
    g, d = dcgan_networks(shape, latent, filters, discriminator_normalization="layer")
    # Fresh critic minibatches (the paper's algorithm): a training batch of
    # n_critic * batch examples, n_critic times the epochs, so the critic makes
    # as many updates of `batch` examples and the generator as many steps as
    # when every critic update reused one batch.
    n_critic = config["n_critic"]
    runs["wgan_gp"] = (
        WGANGP(g, d, latent, n_critic=n_critic, seed=0),
        None,
        n_critic * config["wgan_epochs"],
        1e-4,
        n_critic * batch,
    )
    g, d = dcgan_networks(shape, latent, filters, num_classes=10)
    runs["conditional_gan"] = (
        ConditionalGAN(g, d, latent, 10, seed=0),
        y_train,
        config["gan_epochs"],
        2e-4,
        batch,
    )
    for name, (model, labels, epochs, lr, batch_size) in runs.items():
        if name == "wgan_gp":
            model.compile(
                d_optimizer=adam(lr, 0.0, 0.9), g_optimizer=adam(lr, 0.0, 0.9)
            )
        else:
            model.compile(d_optimizer=adam(lr, 0.5), g_optimizer=adam(lr, 0.5))
        t = time.time()
        model.fit(x_train, labels, batch_size=batch_size, epochs=epochs, verbose=0)
        seconds = time.time() - t
        conditions = None
        if labels is not None:
            conditions = np.random.default_rng(0).integers(0, 10, size=n)
        samples = model.sample(n, seed=1, conditions=conditions)
        result[name] = {
            "frechet_distance": distance(samples),
            "epochs": epochs,
            "generator_steps": epochs * int(np.ceil(len(x_train) / batch_size)),
            "train_seconds": round(seconds, 1),
        }
    result["total_seconds"] = round(time.time() - start, 1)
    print("RESULT " + json.dumps(result))


def quality(args):
    result = _subprocess(args, "quality", args.quality_backend)
    print(
        f"\nSample quality on Fashion-MNIST ({args.quality_backend}), Fréchet distance "
        "in a small classifier's feature space (lower is better)"
    )
    print(f"  classifier test accuracy: {result['classifier_test_accuracy']:.3f}")
    print(f"  real train vs test (floor): {result['floor_train_vs_test']:.3f}")
    for name in ("dcgan", "wgan_gp", "conditional_gan"):
        r = result[name]
        print(
            f"  {name:<16} {r['frechet_distance']:8.3f}   ({r['epochs']} epochs, "
            f"{r['generator_steps']} generator steps, {r['train_seconds']} s)"
        )
    return result


# -- the tutorial loop against kgen's fit, at the same budget -----------------


TUTORIAL_STEPS = 936
TUTORIAL_BATCH = 128


def _tutorial_loop_generator(x, latent_dim, seed):
    """Train DCGAN networks with the tf.GradientTape tutorial loop."""
    import keras
    import tensorflow as tf

    from kgen.models import dcgan_networks

    keras.utils.set_random_seed(seed)
    generator, discriminator = dcgan_networks((28, 28, 1), latent_dim, 32)
    g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def train_step(real):
        noise = tf.random.normal((tf.shape(real)[0], latent_dim))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(noise, training=True)
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
            d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(
                tf.zeros_like(fake_logits), fake_logits
            )
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
        d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
        return d_loss, g_loss

    for batch in tf.data.Dataset.from_tensor_slices(x).batch(TUTORIAL_BATCH):
        train_step(batch)
    return generator


def tutorial_worker(args):
    import keras
    import numpy as np

    from kgen import data
    from kgen.evaluation import domain_classifier, frechet_distance
    from kgen.models import GAN, dcgan_networks

    steps = 8 if args.quick else TUTORIAL_STEPS
    n = 500 if args.quick else 5000
    latent_dim = 64
    x_train, _ = data.load("fashion_mnist", "train")
    x_test, _ = data.load("fashion_mnist", "test")
    x_train, x_test = data.to_signed_float(x_train), data.to_signed_float(x_test)
    classifier = domain_classifier("fashion_mnist")

    def unit(images):
        return np.clip((np.asarray(images, "float32") + 1.0) / 2.0, 0.0, 1.0)

    real = unit(x_test[:n])

    def distance(samples):
        return float(
            frechet_distance(real, unit(samples), feature_extractor=classifier)
        )

    result = {
        "backend": args.backend,
        "steps": steps,
        "batch_size": TUTORIAL_BATCH,
        "num_samples": n,
        "classifier": classifier.name,
        "floor": distance(x_train[-n:]),
        "runs": [],
    }
    for seed in range(args.seeds):
        # one shuffled order of the data for the three trainers
        order = np.concatenate(
            [
                np.random.default_rng(seed + p).permutation(len(x_train))
                for p in range(3)
            ]
        )[: steps * TUTORIAL_BATCH]
        x = x_train[order]
        run = {"seed": seed}
        start = time.time()
        generator = _tutorial_loop_generator(x, latent_dim, seed)
        z = np.random.default_rng(1000 + seed).normal(size=(n, latent_dim))
        samples = generator.predict(z.astype("float32"), batch_size=500, verbose=0)
        run["tutorial_loop"] = {
            "frechet": distance(samples),
            "seconds": time.time() - start,
        }
        for update in ("simultaneous", "alternating"):
            keras.utils.set_random_seed(seed)
            g, d = dcgan_networks((28, 28, 1), latent_dim, 32)
            model = GAN(g, d, latent_dim, update=update, seed=seed)
            model.compile(
                d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
            )
            start = time.time()
            model.fit(x, batch_size=TUTORIAL_BATCH, epochs=1, shuffle=False, verbose=0)
            samples = model.sample(n, seed=1000 + seed)
            run[f"kgen_{update}"] = {
                "frechet": distance(samples),
                "seconds": time.time() - start,
            }
        result["runs"].append(run)
        print(json.dumps(run), flush=True)
    print("RESULT " + json.dumps(result))


def tutorial(args):
    import numpy as np

    result = _subprocess(args, "tutorial", "tensorflow")
    print(
        f"\nTutorial loop vs kgen fit: DCGAN, {result['steps']} steps of batch "
        f"{result['batch_size']}, Fréchet distance in {result['classifier']} "
        f"features ({result['num_samples']} samples; {len(result['runs'])} seeds)"
    )
    print(f"  real train vs test (floor): {result['floor']:.3f}")
    summary = {}
    for key in ("tutorial_loop", "kgen_simultaneous", "kgen_alternating"):
        values = np.array([run[key]["frechet"] for run in result["runs"]])
        summary[key] = {
            "mean": float(values.mean()),
            "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        }
        print(
            f"  {key:<20} {values.mean():7.2f} +- {summary[key]['std']:.2f}   "
            f"({', '.join(f'{v:.2f}' for v in values)})"
        )
    result["summary"] = summary
    return result


def main(argv=None):
    args = parse_args(argv)
    if args.worker == "speed":
        return speed_worker(args)
    if args.worker == "quality":
        return quality_worker(args)
    if args.worker == "tutorial":
        return tutorial_worker(args)
    os.makedirs(args.out, exist_ok=True)
    results = {"quick": args.quick}
    if args.part in ("all", "speed"):
        results["speed"] = speed(args)
    if args.part in ("all", "quality"):
        results["quality"] = quality(args)
    if args.part in ("all", "tutorial"):
        results["tutorial"] = tutorial(args)
    name = "results" if args.part == "all" else f"results_{args.part}"
    path = os.path.join(
        args.out, f"{name}_quick.json" if args.quick else f"{name}.json"
    )
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nwrote {path}")
    return results


if __name__ == "__main__":
    main()
