"""sample_metrics / evaluate_samples from the declaration, and the callback."""

import json

import keras
import numpy as np
import pytest
from evaluation_models import GaussianModel, SampleOnlyModel, ShiftModel

from kgen.callbacks import SampleQuality
from kgen.evaluation import (
    density_coverage,
    evaluate_samples,
    frechet_distance,
    kernel_distance,
    metric_name,
    precision_recall,
    sample_metrics,
)


def test_sample_metrics_agree_with_the_single_functions():
    rng = np.random.default_rng(0)
    real, generated = rng.normal(size=(400, 3)), rng.normal(size=(300, 3)) + 0.3
    report = sample_metrics(real, generated, kernel_subsets=10, seed=2)
    assert report["frechet_distance"]["value"] == pytest.approx(
        frechet_distance(real, generated)
    )
    kid = kernel_distance(real, generated, num_subsets=10, seed=2)
    assert report["kernel_distance"]["mean"] == pytest.approx(kid.mean)
    assert report["kernel_distance"]["subset_size"] == 300
    pr = precision_recall(real, generated)
    assert report["precision_recall"]["precision"] == pr.precision
    assert (
        report["density_coverage"]["coverage"]
        == density_coverage(real, generated).coverage
    )
    for key in ("frechet_distance", "kernel_distance", "precision_recall"):
        assert (report[key]["num_real"], report[key]["num_generated"]) == (400, 300)
    assert report["precision_recall"]["name"] == "precision and recall (k=3) in pixels"
    json.dumps(report)  # a report is JSON-ready
    renamed = sample_metrics(real, generated, metrics=["frechet_distance"], name="mine")
    assert renamed["frechet_distance"]["name"] == "Fréchet distance in mine"
    assert set(renamed) == {
        "features",
        "feature_dim",
        "num_real",
        "num_generated",
        "frechet_distance",
    }


def test_sample_metrics_bad_inputs():
    with pytest.raises(ValueError, match="same size"):
        sample_metrics(np.zeros((10, 3)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="metrics must name"):
        sample_metrics(np.zeros((10, 3)), np.zeros((10, 3)), metrics=["fid"])
    with pytest.raises(ValueError, match="class probabilities"):
        sample_metrics(
            np.zeros((10, 3)), np.zeros((10, 3)), metrics=["classifier_score"]
        )
    with pytest.raises(ValueError, match="Unknown metric"):
        metric_name("fid")


def test_evaluate_samples_reads_the_declaration():
    rng = np.random.default_rng(1)
    train = rng.uniform(-1, 1, (50, 4, 4, 1)).astype("float32")
    model = SampleOnlyModel(train)  # a "signed" model that copies training images
    report = evaluate_samples(
        model, train, num_samples=200, metrics=["frechet_distance", "precision_recall"]
    )
    assert report["model"] == "SampleOnlyModel" and report["num_generated"] == 200
    assert report["features"] == "pixels"
    # compared as [0, 1] pixels: the signed range halves every distance
    samples = model.sample(200, seed=0)
    unit = frechet_distance((train + 1) / 2, (samples + 1) / 2)
    assert report["frechet_distance"]["value"] == pytest.approx(unit, rel=1e-5)
    assert report["precision_recall"]["precision"] == 1.0
    assert report["frechet_distance_floor"]["num_samples"] == 25
    gaussian = GaussianModel(np.zeros(2), np.eye(2))
    points = rng.normal(size=(500, 2)).astype("float32")
    report = evaluate_samples(
        gaussian,
        points,
        metrics=["kernel_distance"],
        kernel_subsets=20,
        kernel_subset_size=100,
    )
    assert report["features"] == "points" and report["num_generated"] == 500
    assert abs(report["kernel_distance"]["mean"]) < 3 * report["kernel_distance"]["std"]


def test_evaluate_samples_needs_the_sample_capability():
    class NoSampling(GaussianModel):
        capabilities = frozenset()

    with pytest.raises(ValueError, match="'sample' capability"):
        evaluate_samples(NoSampling(np.zeros(2), np.eye(2)), np.zeros((10, 2)))


def test_callback_logs_metrics_every_n_epochs():
    rng = np.random.default_rng(2)
    data = (rng.normal(size=(512, 2)) + 3.0).astype("float32")
    reference = (rng.normal(size=(400, 2)) + 3.0).astype("float32")
    model = ShiftModel()
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    callback = SampleQuality(
        reference, every_n_epochs=2, num_samples=300, kernel_subsets=10, seed=5
    )
    history = model.fit(data, batch_size=64, epochs=4, callbacks=[callback], verbose=0)
    assert [entry["epoch"] for entry in callback.history] == [2, 4]
    logged = history.history["frechet_distance"]
    assert len(logged) == 2 and logged[1] < logged[0]
    assert len(history.history["kernel_distance_std"]) == 2
    # the last value is the distance of the final model's seeded samples
    samples = model.sample(300, seed=5)
    assert logged[1] == pytest.approx(frechet_distance(reference, samples), rel=1e-6)
    entry = callback.history[-1]
    assert entry["frechet_distance"]["name"] == "Fréchet distance in points"
    assert entry["num_real"] == 400 and entry["num_generated"] == 300


def test_callback_needs_the_sample_capability():
    class NoSampling(ShiftModel):
        capabilities = frozenset()

    model = NoSampling()
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="'sample' capability"):
        model.fit(
            np.zeros((8, 2), "float32"),
            epochs=1,
            callbacks=[SampleQuality(np.zeros((8, 2), "float32"))],
            verbose=0,
        )
    with pytest.raises(ValueError, match="metrics must name"):
        SampleQuality(np.zeros((8, 2)), metrics=("fid",))
