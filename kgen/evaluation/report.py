"""One page with everything a model's declaration allows (`kgen evaluate --report`).

`evaluation_report` reads the model's capabilities (``kgen.contract``) and
writes, into one directory, ``report.md`` and ``report.html`` (the same
content), ``report.json`` (every number) and the figures:

- **likelihood** (models declaring ``exact_likelihood`` or
  ``likelihood_bound``): NLL in nats and bits/dim with their standard error,
  the estimator in words and the number of examples
  (`kgen.evaluation.likelihood_report`); a model that encodes but has no
  likelihood gets its reconstruction error;
- **sample quality** (``sample``): Fréchet distance, kernel distance,
  precision/recall and density/coverage of the model's samples against the
  evaluation data, each beside the same metric between two disjoint halves
  of the real data of the same size (the real-vs-real floor: what the metric
  gives a perfect model at that sample size), in the features named in the
  table (a domain classifier's, or [0, 1] pixels);
- a **sample grid** and a **nearest-neighbour grid** (each sample beside its
  nearest training images, the memorization check), for images;
- the **training history** plot, when the history is given (``kgen train``
  writes ``history.json`` beside ``model.keras``; the command reads it).
"""

import html
import json
import math
import os

import numpy as np

from kgen.contract import Capability, data_convention_of
from kgen.evaluation.likelihood import evaluate_model
from kgen.evaluation.neighbours import nearest_neighbours, save_neighbours_grid
from kgen.evaluation.sample_quality import sample_metrics
from kgen.validation import check_positive_int, to_numpy

#: the metrics of the sample-quality table, in its order
_ROWS = (
    ("frechet_distance", "value", "Fréchet distance (lower is better)"),
    ("kernel_distance", "mean", "kernel distance, KID (lower is better)"),
    ("precision_recall", "precision", "precision (higher is better)"),
    ("precision_recall", "recall", "recall (higher is better)"),
    ("density_coverage", "density", "density (near 1 for a perfect model)"),
    ("density_coverage", "coverage", "coverage (higher is better)"),
)


def _number(value, digits=4):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return f"{float(value):.{digits}g}"


class _Page:
    """Blocks rendered both as Markdown and as HTML (no converter needed)."""

    def __init__(self):
        self.blocks = []

    def heading(self, text, level=2):
        self.blocks.append(("heading", level, text))

    def paragraph(self, text):
        self.blocks.append(("paragraph", text))

    def table(self, header, rows):
        self.blocks.append(("table", header, rows))

    def image(self, file_name, caption):
        self.blocks.append(("image", file_name, caption))

    def markdown(self):
        lines = []
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                lines += ["#" * block[1] + " " + block[2], ""]
            elif kind == "paragraph":
                lines += [block[1], ""]
            elif kind == "table":
                header, rows = block[1], block[2]
                lines.append("| " + " | ".join(header) + " |")
                lines.append("|" + "|".join("---" for _ in header) + "|")
                lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
                lines.append("")
            else:
                lines += [f"![{block[2]}]({block[1]})", "", f"*{block[2]}*", ""]
        return "\n".join(lines)

    def html(self, title):
        body = []
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                body.append(f"<h{block[1]}>{html.escape(block[2])}</h{block[1]}>")
            elif kind == "paragraph":
                body.append(f"<p>{html.escape(block[1])}</p>")
            elif kind == "table":
                head = "".join(f"<th>{html.escape(str(h))}</th>" for h in block[1])
                rows = "".join(
                    "<tr>"
                    + "".join(f"<td>{html.escape(str(c))}</td>" for c in row)
                    + "</tr>"
                    for row in block[2]
                )
                body.append(f"<table><tr>{head}</tr>{rows}</table>")
            else:
                body.append(
                    f'<figure><img src="{html.escape(block[1])}" '
                    f'alt="{html.escape(block[2])}"><figcaption>'
                    f"{html.escape(block[2])}</figcaption></figure>"
                )
        style = (
            "body{font-family:sans-serif;max-width:60em;margin:2em auto;"
            "padding:0 1em;line-height:1.4}table{border-collapse:collapse}"
            "td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left}"
            "img{image-rendering:pixelated;max-width:100%}"
        )
        return (
            "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{style}</style></head>"
            f"<body>\n" + "\n".join(body) + "\n</body></html>\n"
        )


def _json_ready(value):
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _history_plot(path, history):
    from kgen.viz.lines import save_line_plot_png

    series = {
        name: [float(v) for v in values]
        for name, values in sorted(history.items())
        if values and all(isinstance(v, (int, float)) for v in values)
    }
    if not series:
        return None
    length = max(len(v) for v in series.values())
    series = {
        name: values + [float("nan")] * (length - len(values))
        for name, values in list(series.items())[:8]
    }
    return save_line_plot_png(
        path,
        list(range(1, length + 1)),
        series,
        title="training history",
        x_label="epoch",
    )


def evaluation_report(
    model,
    x,
    conditions=None,
    *,
    out,
    train=None,
    history=None,
    feature_extractor=None,
    num_generated=None,
    num_samples=100,
    seed=0,
    title=None,
    data_name=None,
):
    """Write the evaluation page of ``model`` on ``x`` into the directory ``out``.

    Args:
        model: any kgen model; what is reported follows its declared
            capabilities.
        x: evaluation data (e.g. the test split) in the model's convention.
        conditions: class labels of ``x`` for a conditional model (the
            samples are then drawn with the same labels).
        out: directory of the page and its files (created).
        train: training data in the model's convention for the
            nearest-neighbour grid (default ``x``: then the grid shows the
            nearest evaluation images instead, and says so).
        history: ``{metric: [value per epoch]}`` (a Keras ``History``'s
            ``.history``), plotted when given.
        feature_extractor: the sample metrics' features (e.g.
            ``kgen.evaluation.domain_classifier("fashion_mnist")``); None:
            [0, 1] pixels.
        num_generated: samples drawn for the sample metrics (default
            ``len(x)``); the floor compares ``a = min(num_generated,
            len(x) // 2)`` real examples with the other ``len(x) - a``.
        num_samples: samples of a likelihood bound's estimator (IWAE ``K``,
            a diffusion model's sampled terms).
        seed: integer seed of every draw.
        title: the page's title (default the model's class name).
        data_name: the evaluation data's name, for the page.

    Returns:
        The JSON-ready dict also written to ``report.json``, with ``files``
        (every file written, by role).

    Raises:
        ValueError: for empty data, or labels missing for a conditional
            model (from the model's own checks).

    Examples:
        >>> import numpy as np
        >>> from kgen.models import mlp_vae
        >>> model = mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(8,))
        >>> model.compile(optimizer="adam")
        >>> x = np.random.default_rng(0).random((32, 4, 4, 1)).astype("float32")
        >>> report = evaluation_report(model, x, out="report", num_samples=2)
        >>> sorted(report["files"])
        ['html', 'json', 'markdown', 'neighbours', 'samples']
        >>> "likelihood" in report, "sample_quality" in report
        (True, True)
    """
    from kgen.viz.grid import save_image_grid
    from kgen.viz.model_pictures import _scale_for, sampling_options

    convention = data_convention_of(model)
    x = model.check_x(to_numpy(x))
    if len(x) < 2:
        raise ValueError(f"evaluation_report needs at least 2 examples; got {len(x)}.")
    labels = model.check_conditions(conditions, len(x))
    num_generated = check_positive_int(
        len(x) if num_generated is None else num_generated, "num_generated"
    )
    os.makedirs(out, exist_ok=True)
    name = type(model).__name__
    title = title or f"{name}: evaluation report"
    capabilities = ", ".join(sorted(c.value for c in model.capabilities))
    result = {
        "model": name,
        "data": data_name,
        "num_examples": int(len(x)),
        "data_convention": convention.describe(),
        "capabilities": sorted(c.value for c in model.capabilities),
        "files": {},
    }
    page = _Page()
    page.heading(title, 1)
    page.paragraph(
        f"{name} on {data_name or 'the evaluation data'} ({len(x):,} examples). "
        f"Data convention: {convention.describe()}. Declared capabilities: "
        f"{capabilities}."
    )

    # ---------------------------------------------------------- likelihood
    has_likelihood = model.has(Capability.EXACT_LIKELIHOOD) or model.has(
        Capability.LIKELIHOOD_BOUND
    )
    if has_likelihood or model.has(Capability.ENCODE):
        metrics = evaluate_model(model, x, labels, num_samples=num_samples, seed=seed)
        result["likelihood" if has_likelihood else "reconstruction"] = metrics
        if has_likelihood:
            page.heading("Likelihood")
            rows = [["estimator", metrics.get("estimator", "n/a")]]
            rows.append(["examples", _number(metrics["num_examples"])])
            if "bits_per_dim" in metrics:
                rows.append(["NLL (nats per example)", _number(metrics["nll_nats"])])
                rows.append(
                    [
                        "bits/dim",
                        f"{_number(metrics['bits_per_dim'])} ± "
                        f"{_number(metrics['bits_per_dim_standard_error'], 2)}",
                    ]
                )
            if "elbo_nats" in metrics:
                rows.append(["ELBO (nats per example)", _number(metrics["elbo_nats"])])
            page.table(["quantity", "value"], rows)
            page.paragraph(
                "bits/dim is the negative log-likelihood of the discrete data "
                "in bits per sub-pixel (an upper bound on it for a bound "
                "estimator), ± one standard error over the examples."
                + (f" Note: {metrics['note']}" if "note" in metrics else "")
            )
        else:
            page.heading("Reconstruction")
            page.table(
                ["quantity", "value"],
                [
                    [
                        "mean squared error per dimension",
                        _number(metrics["reconstruction_mse_per_dim"]),
                    ]
                ],
            )
            page.paragraph(metrics["note"])

    # ------------------------------------------------------ sample quality
    if model.has(Capability.SAMPLE):
        options = sampling_options(model)
        if labels is not None:
            options["conditions"] = np.resize(labels, num_generated)
        samples = to_numpy(model.sample(num_generated, seed=seed, **options))
        quality = sample_metrics(
            x,
            samples,
            feature_extractor=feature_extractor,
            convention=convention,
            seed=seed,
        )
        result["sample_quality"] = quality
        half = min(num_generated, len(x) // 2)
        floor = None
        if half >= 4:
            shuffled = np.random.default_rng(seed).permutation(len(x))
            floor = sample_metrics(
                x[shuffled[half:]],
                x[shuffled[:half]],
                feature_extractor=feature_extractor,
                convention=convention,
                seed=seed,
            )
            result["real_vs_real_floor"] = floor
        page.heading("Sample quality")
        rows = []
        for metric, key, label in _ROWS:
            if metric not in quality:
                continue
            row = [label, _number(quality[metric][key])]
            row.append(_number(floor[metric][key]) if floor else "n/a")
            rows.append(row)
        floor_header = (
            f"real vs real ({half:,} vs {len(x) - half:,})" if floor else "floor"
        )
        page.table(
            [
                f"metric ({len(samples):,} samples vs {len(x):,} real)",
                "model",
                floor_header,
            ],
            rows,
        )
        page.paragraph(
            f"Features: {quality['features']}. The last column is the same "
            "metric between two disjoint parts of the real data, about the "
            "sizes of the model's comparison: what a perfect model would get "
            "there (Fréchet and kernel distances are biased upwards for small "
            "samples)."
        )
        if convention.is_image:
            path = os.path.join(out, "samples.png")
            shown = samples[:64]
            save_image_grid(
                path, shown, value_range=convention, scale=_scale_for(x.shape[1:])
            )
            result["files"]["samples"] = path
            page.image("samples.png", f"{len(shown)} samples (seed {seed})")
            reference = x if train is None else model.check_x(to_numpy(train))
            shown = samples[:8]
            found = nearest_neighbours(shown, reference, k=4, convention=convention)
            path = os.path.join(out, "neighbours.png")
            save_neighbours_grid(
                path,
                shown,
                reference,
                found,
                convention=convention,
                scale=_scale_for(x.shape[1:]),
            )
            result["files"]["neighbours"] = path
            result["nearest_neighbours"] = {
                "num_samples": len(shown),
                "reference": "training data"
                if train is not None
                else "evaluation data",
                "num_reference": int(len(reference)),
                "nearest_distance_median": float(np.median(found.distances[:, 0])),
            }
            where = (
                "training"
                if train is not None
                else "evaluation (no training data given)"
            )
            page.image(
                "neighbours.png",
                f"each sample (left) beside its 4 nearest {where} images, "
                "in [0, 1] pixels",
            )

    # ------------------------------------------------------------- history
    if history:
        path = _history_plot(os.path.join(out, "history.png"), history)
        if path:
            result["files"]["history"] = path
            result["history"] = {k: list(map(float, v)) for k, v in history.items()}
            page.heading("Training history")
            page.image("history.png", "the logged metrics per epoch")

    result["files"]["markdown"] = os.path.join(out, "report.md")
    result["files"]["html"] = os.path.join(out, "report.html")
    result["files"]["json"] = os.path.join(out, "report.json")
    with open(result["files"]["markdown"], "w", encoding="utf-8") as handle:
        handle.write(page.markdown())
    with open(result["files"]["html"], "w", encoding="utf-8") as handle:
        handle.write(page.html(title))
    result = _json_ready(result)
    with open(result["files"]["json"], "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
    return result
