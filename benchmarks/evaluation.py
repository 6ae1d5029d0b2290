"""Evaluation benchmark: metric speed against direct references, and the floor.

Speed: each sample metric of ``kgen.evaluation`` on two sets of 10,000
64-d features (Gaussian, the second shifted and rescaled a little) against a
direct SciPy/NumPy reference implementation of the same estimator, with the
values side by side:

- Fréchet distance: ``np.cov`` and ``scipy.linalg.sqrtm(S_a S_b)`` (what
  pytorch-fid does) against kgen's symmetric eigen-decompositions;
- kernel distance (KID): clean-fid's loop (100 subsets of 1,000) against
  ``kgen.evaluation.kernel_distance`` (the same subsets: the values agree);
- precision/recall (k=3) and density/coverage (k=5): full distance matrices
  from ``scipy.spatial.distance.cdist`` (as the prdc package does with
  scikit-learn) against kgen's blocked float64 expansion;
- AUROC: the pairwise definition (blocked) against the Mann-Whitney ranks.

Ratios are reference time / kgen time (> 1: kgen is faster); best of
``--repeats``.

Floor: the Fréchet distance (and kernel distance) between two disjoint real
splits per sample size, in the domain classifier's features
(``kgen.evaluation.domain_classifier``, cached): the digits, and
Fashion-MNIST when ``/usr/share/datasets/fashion-mnist`` exists. The plot of
the largest data set goes to ``--plot`` (the guide's figure).

    python benchmarks/evaluation.py               # everything
    python benchmarks/evaluation.py --part speed  # speed only
    python benchmarks/evaluation.py --quick       # smoke run (small sets)

Results go to ``--out`` (JSON) and stdout.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="kgen.evaluation benchmark")
    parser.add_argument("--part", choices=("all", "speed", "floor"), default="all")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--num", type=int, default=10_000, help="examples per set")
    parser.add_argument("--dim", type=int, default=64, help="feature dimension")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="runs/benchmarks/evaluation.json")
    parser.add_argument(
        "--plot", default="docs/guides/img/evaluation_frechet_floor.png"
    )
    parser.add_argument("--cache-dir", default=None, help="domain classifier cache")
    return parser.parse_args(argv)


# -- references ----------------------------------------------------------------


def reference_frechet(a, b):
    import scipy.linalg

    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    root = np.real(root)
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2.0 * root))


def reference_kernel(a, b, num_subsets=100, max_subset_size=1000, seed=0):
    # clean-fid's kernel_distance, written out; the subsets are drawn in
    # kgen's order (a, then b) from the same seed, so the values must agree
    rng = np.random.default_rng(seed)
    dim = a.shape[1]
    m = min(len(a), len(b), max_subset_size)
    total = 0.0
    for _ in range(num_subsets):
        y = a[rng.choice(len(a), m, replace=False)]
        x = b[rng.choice(len(b), m, replace=False)]
        within = (x @ x.T / dim + 1) ** 3 + (y @ y.T / dim + 1) ** 3
        cross = (x @ y.T / dim + 1) ** 3
        total += (within.sum() - np.diag(within).sum()) / (m - 1) - cross.sum() * 2 / m
    return float(total / num_subsets / m)


def reference_manifold(real, fake, k_pr=3, k_dc=5):
    from scipy.spatial.distance import cdist

    real_real = cdist(real, real)
    fake_fake = cdist(fake, fake)
    real_fake = cdist(real, fake)
    # position k of a sorted row: the k-th neighbour after the point itself
    radii_real = {k: np.partition(real_real, k, axis=1)[:, k] for k in (k_pr, k_dc)}
    radii_fake = np.partition(fake_fake, k_pr, axis=1)[:, k_pr]
    precision = np.mean((real_fake <= radii_real[k_pr][:, None]).any(axis=0))
    recall = np.mean((real_fake <= radii_fake[None, :]).any(axis=1))
    inside = real_fake <= radii_real[k_dc][:, None]
    density = inside.sum() / (k_dc * len(fake))
    coverage = np.mean(real_fake.min(axis=1) <= radii_real[k_dc])
    return float(precision), float(recall), float(density), float(coverage)


def reference_auroc(scores_in, scores_out, block=1000):
    wins = 0.0
    for start in range(0, len(scores_out), block):
        out = scores_out[start : start + block, None]
        wins += np.sum(out > scores_in[None, :]) + 0.5 * np.sum(
            out == scores_in[None, :]
        )
    return float(wins / (len(scores_in) * len(scores_out)))


def best_time(fn, repeats):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return min(times), value


def speed(args):
    from kgen import evaluation

    num, dim = (2000, 32) if args.quick else (args.num, args.dim)
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    real = rng.normal(size=(num, dim)) @ mixing
    fake = (1.1 * rng.normal(size=(num, dim)) + 0.1) @ mixing
    scores_in, scores_out = rng.normal(size=num), rng.normal(size=num) + 0.5
    repeats = 1 if args.quick else args.repeats
    subsets = 10 if args.quick else 100
    cases = {
        "frechet_distance": (
            lambda: evaluation.frechet_distance(real, fake),
            lambda: reference_frechet(real, fake),
        ),
        "kernel_distance": (
            lambda: evaluation.kernel_distance(real, fake, num_subsets=subsets).mean,
            lambda: reference_kernel(real, fake, num_subsets=subsets),
        ),
        "precision_recall+density_coverage": (
            lambda: (
                *evaluation.precision_recall(real, fake)[:2],
                *evaluation.density_coverage(real, fake)[:2],
            ),
            lambda: reference_manifold(real, fake),
        ),
        "auroc": (
            lambda: evaluation.auroc(scores_in, scores_out),
            lambda: reference_auroc(scores_in, scores_out),
        ),
    }
    print(f"\nMetric time on {num:,} x {num:,} examples of {dim}-d features")
    print(f"{'metric':<36}{'kgen s':>9}{'reference s':>13}{'ratio':>8}   values")
    results = {}
    for name, (ours, reference) in cases.items():
        ours_time, ours_value = best_time(ours, repeats)
        reference_time, reference_value = best_time(reference, repeats)
        ratio = reference_time / ours_time
        results[name] = {
            "kgen_seconds": ours_time,
            "reference_seconds": reference_time,
            "ratio": ratio,
            "kgen_value": ours_value,
            "reference_value": reference_value,
        }

        def text(value):
            values = value if isinstance(value, tuple) else (value,)
            return ", ".join(f"{v:.6g}" for v in values)

        print(
            f"{name:<36}{ours_time:9.3f}{reference_time:13.3f}{ratio:8.2f}   "
            f"{text(ours_value)} | {text(reference_value)}"
        )
    return {"num": num, "dim": dim, "repeats": repeats, "metrics": results}


# -- floor -----------------------------------------------------------------------


def floor(args):
    import keras

    from kgen import data, evaluation

    sets = [("digits", (50, 100, 200, 400, 800))]
    fashion = os.path.join(data.debian_datasets_dir(), "fashion-mnist")
    if os.path.isdir(fashion):
        sets.append(("fashion_mnist", (100, 200, 500, 1000, 2000, 5000, 10000, 30000)))
    else:
        print(f"\n(no Fashion-MNIST at {fashion}: its floor is skipped)")
    if args.quick:
        sets = [("digits", (50, 200))]
    results = {"backend": keras.config.backend()}
    plotted = None
    for name, sizes in sets:
        start = time.perf_counter()
        classifier = evaluation.domain_classifier(name, cache_dir=args.cache_dir)
        seconds = time.perf_counter() - start
        images, _ = data.load(name, "all" if name == "digits" else "train")
        features = classifier(images)
        rows = evaluation.frechet_distance_floor(
            features,
            sizes,
            num_repeats=2 if args.quick else 3,
            kernel_subsets=5 if args.quick else 20,
        )
        info = classifier.info
        print(
            f"\nReal-vs-real floor in {classifier.features_name} ({len(images):,} "
            f"images; classifier test accuracy {info.get('test_accuracy', 0):.3f}, "
            f"{info.get('epochs')} epochs; loaded or trained in {seconds:.1f} s)"
        )
        print(
            f"{'n per split':>12}{'Fréchet':>12}{'± std':>10}{'KID':>12}{'± std':>10}"
        )
        for row in rows:
            print(
                f"{row['num_samples']:>12,}{row['frechet_distance']:12.4f}"
                f"{row['frechet_distance_std']:10.4f}{row['kernel_distance']:12.5f}"
                f"{row['kernel_distance_std']:10.5f}"
            )
        results[name] = {
            "features": classifier.features_name,
            "classifier": info,
            "classifier_seconds": seconds,
            "rows": rows,
        }
        plotted = (rows, classifier.features_name)
    if plotted and args.plot and not args.quick:
        path = evaluation.save_floor_plot(
            args.plot, plotted[0], features_name=plotted[1], size=(560, 340)
        )
        print(f"\nplot: {path}")
    return results


def main(argv=None):
    args = parse_args(argv)
    results = {}
    if args.part in ("all", "speed"):
        results["speed"] = speed(args)
    if args.part in ("all", "floor"):
        results["floor"] = floor(args)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as handle:
        json.dump(results, handle, indent=2, default=float)
    print(f"\nresults: {args.out}")


if __name__ == "__main__":
    main()
