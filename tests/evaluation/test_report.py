"""`evaluation_report` (and `kgen evaluate --report`): one page per model."""

import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from conformance import collect  # noqa: E402
from test_contract import _examples  # noqa: E402

from kgen.contract import Capability  # noqa: E402
from kgen.evaluation import evaluation_report, sample_metrics  # noqa: E402

# one model of every family (and the autoencoder: it encodes but has no
# likelihood), from the conformance registry's tiny cases
FAMILIES = ("VAE", "Autoencoder", "PixelCNN", "GAN", "VQVAE", "DiffusionModel")
CASES = {}
for _case in collect()[1]:
    if _case.name in FAMILIES and _case.name not in CASES:
        CASES[_case.name] = _case


def _labels(model, labels, count):
    if model.num_classes is None:
        return None
    return np.arange(count) % model.num_classes if labels is None else labels


def _data(case):
    x, y = case.data()
    if isinstance(x, dict):
        return _examples(case)
    return np.asarray(x), None if y is None else np.asarray(y)


@pytest.mark.parametrize("name", FAMILIES)
def test_the_report_holds_what_the_declaration_allows(name, tmp_path):
    case = CASES[name]
    model = case.make()
    x, labels = _data(case)
    labels = _labels(model, labels, len(x))
    report = evaluation_report(
        model,
        x,
        labels,
        out=tmp_path,
        history={"loss": [2.0, 1.5, 1.2]},
        num_samples=4,
        seed=3,
        data_name="tiny",
    )
    markdown = (tmp_path / "report.md").read_text()
    page = (tmp_path / "report.html").read_text()
    assert json.loads((tmp_path / "report.json").read_text()) == report
    for path in report["files"].values():
        assert os.path.getsize(path) > 0, path
    assert "history" in report["files"] and "Training history" in markdown
    has_likelihood = model.has(Capability.EXACT_LIKELIHOOD) or model.has(
        Capability.LIKELIHOOD_BOUND
    )
    assert ("## Likelihood" in markdown) == has_likelihood
    assert ("<h2>Likelihood</h2>" in page) == has_likelihood
    if has_likelihood:
        likelihood = report["likelihood"]
        assert likelihood["num_examples"] == len(x)
        assert likelihood["estimator"] in markdown
        if "bits_per_dim" in likelihood:
            assert np.isfinite(likelihood["bits_per_dim"])
    elif model.has(Capability.ENCODE):
        assert "## Reconstruction" in markdown
    assert ("## Sample quality" in markdown) == model.has(Capability.SAMPLE)
    if model.has(Capability.SAMPLE):
        assert {"samples", "neighbours"} <= set(report["files"])
        # the table's numbers are the model's: the same seed's samples give
        # the same Fréchet distance; the floor compares two real halves
        options = {"method": "fast"} if model.has(Capability.FAST_SAMPLING) else {}
        if labels is not None:
            options["conditions"] = labels
        samples = model.sample(len(x), seed=3, **options)
        direct = sample_metrics(x, samples, convention=model.data_convention, seed=3)
        np.testing.assert_allclose(
            report["sample_quality"]["frechet_distance"]["value"],
            direct["frechet_distance"]["value"],
            rtol=1e-6,
        )
        floor = report["real_vs_real_floor"]
        assert floor["num_generated"] == len(x) // 2
        assert floor["num_real"] == len(x) - len(x) // 2
        assert "real vs real" in markdown and "real vs real" in page


def test_the_report_refuses_what_it_cannot_use(tmp_path):
    case = CASES["VAE"]
    model = case.make()
    x, _ = _data(case)
    with pytest.raises(ValueError, match="at least 2 examples"):
        evaluation_report(model, x[:1], out=tmp_path)
    with pytest.raises(ValueError, match="unconditional"):
        evaluation_report(model, x, np.zeros(len(x), "int32"), out=tmp_path)
    with pytest.raises(ValueError, match="num_generated"):
        evaluation_report(model, x, out=tmp_path, num_generated=0)
