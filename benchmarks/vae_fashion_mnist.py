"""Fully connected VAE on Fashion-MNIST: kgen on three backends vs pythae.

The lecture's VAE (784 -> 400 -> 20, ReLU, Bernoulli decoder) on dynamically
binarized Fashion-MNIST (a fresh Bernoulli draw of every training image each
epoch), trained with Adam (learning rate 1e-3) for a fixed number of epochs:

* kgen ``mlp_vae`` on each Keras backend, each in its own subprocess (Keras
  picks its backend once per process);
* pythae 0.1.2 ``VAE`` with the same encoder/decoder and
  ``reconstruction_loss="bce"``, trained by its ``BaseTrainer`` (the
  baseline; ``pip install "kgen[bench]"``).

Reported per run: seconds per epoch (mean over epochs 2..N, the first epoch
holds compilation), test ELBO (nats, on one fixed binarization of the test
set) and the IWAE log-likelihood with K importance samples on the first
``--nll-examples`` test images (pythae: its own ``get_nll``). Then a table
with the ratio of time per epoch to pythae's and the NLL difference.

    python benchmarks/vae_fashion_mnist.py --epochs 5 --batch-size 128
    python benchmarks/vae_fashion_mnist.py --quick      # tiny subset, 1 epoch
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

RESULT_PREFIX = "RESULT "
HIDDEN, LATENT = 400, 20


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--iwae-samples", type=int, default=100)
    parser.add_argument("--nll-examples", type=int, default=1000)
    parser.add_argument("--backends", default="jax,tensorflow,torch")
    parser.add_argument("--no-pythae", action="store_true")
    parser.add_argument(
        "--torch-jit-compile",
        action="store_true",
        help="compile the kgen torch train step with torch.compile",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads per framework (OpenMP, MKL, XLA, TensorFlow, torch); "
        "1 is the fair choice on a machine shared with other jobs",
    )
    parser.add_argument("--quick", action="store_true", help="tiny subset, 1 epoch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--init",
        choices=("keras", "torch"),
        default="keras",
        help="kgen: Keras's default initialization (Glorot-uniform weights, zero "
        "biases) or torch.nn.Linear's (weights and biases uniform in "
        "+-1/sqrt(fan_in)), to separate initialization from framework",
    )
    parser.add_argument(
        "--adam-epsilon",
        type=float,
        default=None,
        help="kgen: Adam's epsilon (Keras default 1e-7; torch's is 1e-8)",
    )
    parser.add_argument(
        "--steps-per-execution",
        type=int,
        default=1,
        help="kgen: training steps per compiled call (Keras compile option)",
    )
    parser.add_argument("--json", default=None, help="also write results here")
    parser.add_argument("--worker", choices=("kgen", "pythae"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = 1
        args.iwae_samples = min(args.iwae_samples, 10)
        args.nll_examples = min(args.nll_examples, 100)
    return args


def load_data(args):
    """Train images (float [0, 1]) and one fixed binarization of the test set."""
    from kgen import data

    x_train = data.to_unit_float(data.load("fashion_mnist", "train")[0])
    x_test = data.to_unit_float(data.load("fashion_mnist", "test")[0])
    if args.quick:
        x_train, x_test = x_train[:2048], x_test[:512]
    test_binary = data.dynamic_binarize(x_test, seed=args.seed + 1)
    return x_train, test_binary


def binarized_epochs(x_train, args):
    from kgen import data

    rng = np.random.default_rng(args.seed)
    for _ in range(args.epochs):
        yield data.dynamic_binarize(x_train, seed=rng)


def limit_torch_threads(args):
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
        torch.set_num_interop_threads(args.threads)


def torch_like_initialization(model, seed):
    """Re-draw every Dense layer as torch.nn.Linear initializes it."""
    import keras

    rng = np.random.default_rng(seed)
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.Dense):
            bound = 1.0 / np.sqrt(layer.kernel.shape[0])
            layer.kernel.assign(rng.uniform(-bound, bound, layer.kernel.shape))
            if layer.bias is not None:
                layer.bias.assign(rng.uniform(-bound, bound, layer.bias.shape))


def summarize(epoch_seconds):
    timed = epoch_seconds[1:] if len(epoch_seconds) > 1 else epoch_seconds
    return float(np.mean(timed))


# ----------------------------------------------------------------- kgen
def run_kgen(args):
    import keras

    from kgen.models.latent import mlp_vae

    if keras.config.backend() == "torch":
        limit_torch_threads(args)
    keras.utils.set_random_seed(args.seed)
    x_train, x_test = load_data(args)
    # Bernoulli decoder on dynamically binarized data: a likelihood of the
    # binarized images (the test set is binarized once)
    model = mlp_vae(
        (28, 28, 1),
        latent_dim=LATENT,
        hidden_units=(HIDDEN,),
        likelihood="bernoulli",
        seed=args.seed,
    )
    if args.init == "torch":
        torch_like_initialization(model, args.seed)
    jit_compile = "auto"
    if keras.config.backend() == "torch" and args.torch_jit_compile:
        jit_compile = True
    model.compile(
        optimizer=keras.optimizers.Adam(
            1e-3, **({"epsilon": args.adam_epsilon} if args.adam_epsilon else {})
        ),
        jit_compile=jit_compile,
        steps_per_execution=args.steps_per_execution,
    )
    epoch_seconds, epoch_cpu_seconds = [], []
    for x_epoch in binarized_epochs(x_train, args):
        start, start_cpu = time.perf_counter(), time.process_time()
        history = model.fit(x_epoch, batch_size=args.batch_size, epochs=1, verbose=0)
        epoch_seconds.append(time.perf_counter() - start)
        epoch_cpu_seconds.append(time.process_time() - start_cpu)
    elbo = float(np.mean(model.elbo(x_test, seed=args.seed)))
    start = time.perf_counter()
    iwae = float(
        np.mean(
            model.iwae_log_likelihood(
                x_test[: args.nll_examples], args.iwae_samples, seed=args.seed
            )
        )
    )
    return {
        "name": f"kgen/{keras.config.backend()}"
        + ("+torch.compile" if jit_compile is True else "")
        + (
            f" steps_per_execution={args.steps_per_execution}"
            if args.steps_per_execution > 1
            else ""
        )
        + (" torch init" if args.init == "torch" else "")
        + (f" eps={args.adam_epsilon:g}" if args.adam_epsilon else ""),
        "epoch_seconds": epoch_seconds,
        "seconds_per_epoch": summarize(epoch_seconds),
        "epoch_cpu_seconds": epoch_cpu_seconds,
        "cpu_seconds_per_epoch": summarize(epoch_cpu_seconds),
        "train_loss_last": float(history.history["loss"][-1]),
        "test_elbo": elbo,
        "test_iwae_log_likelihood": iwae,
        "iwae_seconds": time.perf_counter() - start,
    }


# --------------------------------------------------------------- pythae
def run_pythae(args):
    import torch
    from pythae.data.datasets import BaseDataset, DatasetOutput
    from pythae.models import VAE, VAEConfig
    from pythae.models.base.base_utils import ModelOutput
    from pythae.models.nn import BaseDecoder, BaseEncoder
    from pythae.trainers import BaseTrainer, BaseTrainerConfig
    from pythae.trainers.training_callbacks import TrainingCallback

    limit_torch_threads(args)
    torch.manual_seed(args.seed)
    x_train, x_test = load_data(args)
    x_train = torch.from_numpy(np.transpose(x_train, (0, 3, 1, 2)).copy())
    x_test = torch.from_numpy(np.transpose(x_test, (0, 3, 1, 2)).copy())

    class Encoder(BaseEncoder):
        def __init__(self):
            BaseEncoder.__init__(self)
            self.hidden = torch.nn.Sequential(
                torch.nn.Flatten(), torch.nn.Linear(784, HIDDEN), torch.nn.ReLU()
            )
            self.mean = torch.nn.Linear(HIDDEN, LATENT)
            self.log_variance = torch.nn.Linear(HIDDEN, LATENT)

        def forward(self, x):
            h = self.hidden(x)
            return ModelOutput(
                embedding=self.mean(h), log_covariance=self.log_variance(h)
            )

    class Decoder(BaseDecoder):
        def __init__(self):
            BaseDecoder.__init__(self)
            self.net = torch.nn.Sequential(
                torch.nn.Linear(LATENT, HIDDEN),
                torch.nn.ReLU(),
                torch.nn.Linear(HIDDEN, 784),
                torch.nn.Sigmoid(),
            )

        def forward(self, z):
            return ModelOutput(reconstruction=self.net(z).reshape(-1, 1, 28, 28))

    class DynamicallyBinarized(BaseDataset):
        """A fresh Bernoulli draw of each image every time it is read."""

        def __getitem__(self, index):
            return DatasetOutput(data=torch.bernoulli(self.data[index]))

    class EpochTimer(TrainingCallback):
        def __init__(self):
            self.seconds, self.cpu_seconds, self.start = [], [], None

        def on_epoch_begin(self, training_config, **kwargs):
            self.start = (time.perf_counter(), time.process_time())

        def on_epoch_end(self, training_config, **kwargs):
            self.seconds.append(time.perf_counter() - self.start[0])
            self.cpu_seconds.append(time.process_time() - self.start[1])

    config = VAEConfig(
        input_dim=(1, 28, 28), latent_dim=LATENT, reconstruction_loss="bce"
    )
    model = VAE(model_config=config, encoder=Encoder(), decoder=Decoder())
    output_dir = os.path.join("runs", "bench_pythae")
    training_config = BaseTrainerConfig(
        output_dir=output_dir,
        num_epochs=args.epochs,
        learning_rate=1e-3,
        per_device_train_batch_size=args.batch_size,
        no_cuda=True,
        seed=args.seed,
    )
    timer = EpochTimer()
    trainer = BaseTrainer(
        model=model,
        train_dataset=DynamicallyBinarized(x_train, torch.zeros(len(x_train))),
        training_config=training_config,
        callbacks=[timer],
    )
    trainer.train()
    model = trainer.model.eval()
    with torch.no_grad():
        losses = [
            float(model({"data": x_test[i : i + 500]}).loss) * len(x_test[i : i + 500])
            for i in range(0, len(x_test), 500)
        ]
        elbo = -float(np.sum(losses) / len(x_test))
        start = time.perf_counter()
        # pythae's get_nll returns the mean log-likelihood estimate (nats)
        log_likelihood = float(
            model.get_nll(
                x_test[: args.nll_examples],
                n_samples=args.iwae_samples,
                batch_size=args.iwae_samples,
            )
        )
    return {
        "name": "pythae 0.1.2 (torch)",
        "epoch_seconds": timer.seconds,
        "seconds_per_epoch": summarize(timer.seconds),
        "epoch_cpu_seconds": timer.cpu_seconds,
        "cpu_seconds_per_epoch": summarize(timer.cpu_seconds),
        "test_elbo": elbo,
        "test_iwae_log_likelihood": log_likelihood,
        "iwae_seconds": time.perf_counter() - start,
    }


# ------------------------------------------------------------ driver
def worker_command(args, worker):
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        worker,
        "--epochs",
        str(args.epochs),
        "--batch-size",
        str(args.batch_size),
        "--iwae-samples",
        str(args.iwae_samples),
        "--nll-examples",
        str(args.nll_examples),
        "--seed",
        str(args.seed),
    ]
    if args.quick:
        command.append("--quick")
    if args.threads:
        command += ["--threads", str(args.threads)]
    if args.torch_jit_compile:
        command.append("--torch-jit-compile")
    if args.steps_per_execution > 1:
        command += ["--steps-per-execution", str(args.steps_per_execution)]
    if args.init != "keras":
        command += ["--init", args.init]
    if args.adam_epsilon:
        command += ["--adam-epsilon", str(args.adam_epsilon)]
    return command


def run_worker(args, worker, backend):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    if args.threads:
        count = str(args.threads)
        env.update(
            OMP_NUM_THREADS=count,
            MKL_NUM_THREADS=count,
            TF_NUM_INTRAOP_THREADS=count,
            TF_NUM_INTEROP_THREADS=count,
            XLA_FLAGS=f"--xla_cpu_multi_thread_eigen=false "
            f"intra_op_parallelism_threads={count}",
        )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    completed = subprocess.run(
        worker_command(args, worker), env=env, capture_output=True, text=True
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    tail = (completed.stdout + completed.stderr)[-3000:]
    return {"name": f"{worker}/{backend}", "error": tail}


def table(results, args):
    baseline = next(
        (r for r in results if r["name"].startswith("pythae") and "error" not in r),
        None,
    )
    lines = [
        f"Fashion-MNIST, MLP VAE 784-{HIDDEN}-{LATENT}, Bernoulli, dynamic "
        f"binarization, {args.epochs} epoch(s), batch {args.batch_size}, "
        f"IWAE K={args.iwae_samples} on {args.nll_examples} test images, "
        f"threads: {args.threads or 'framework default'}",
        "",
        "| run | s/epoch (wall) | wall vs pythae | CPU s/epoch | CPU vs pythae "
        "| test ELBO | IWAE log p(x) | NLL - pythae NLL |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['name']} | failed | | | | | | |")
            continue
        ratio = cpu_ratio = nll_diff = ""
        if baseline is not None:
            ratio = f"{r['seconds_per_epoch'] / baseline['seconds_per_epoch']:.2f}x"
            cpu_ratio = (
                f"{r['cpu_seconds_per_epoch'] / baseline['cpu_seconds_per_epoch']:.2f}x"
            )
            difference = (
                baseline["test_iwae_log_likelihood"] - r["test_iwae_log_likelihood"]
            )
            nll_diff = f"{difference:+.2f}"
        lines.append(
            f"| {r['name']} | {r['seconds_per_epoch']:.2f} | {ratio} | "
            f"{r['cpu_seconds_per_epoch']:.2f} | {cpu_ratio} | "
            f"{r['test_elbo']:.2f} | {r['test_iwae_log_likelihood']:.2f} | {nll_diff} |"
        )
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.worker == "kgen":
        print(RESULT_PREFIX + json.dumps(run_kgen(args)), flush=True)
        return None
    if args.worker == "pythae":
        print(RESULT_PREFIX + json.dumps(run_pythae(args)), flush=True)
        return None
    results = []
    for backend in [b for b in args.backends.split(",") if b]:
        results.append(run_worker(args, "kgen", backend))
        print(json.dumps(results[-1]), flush=True)
    if not args.no_pythae:
        # kgen.data imports Keras; torch is the lightest backend for pythae's run
        results.append(run_worker(args, "pythae", "torch"))
        print(json.dumps(results[-1]), flush=True)
    print()
    print(table(results, args))
    for r in results:
        if "error" in r:
            print(f"\n{r['name']} failed:\n{r['error']}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"args": vars(args), "results": results}, handle, indent=2)
    return results


if __name__ == "__main__":
    main()
