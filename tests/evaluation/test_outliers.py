"""AUROC against a direct computation; outlier scores, the likelihood ratio and
the typicality test on problems where the answer is known."""

import numpy as np
import pytest
from evaluation_models import GaussianModel, SampleOnlyModel

from kgen.contract import DataConvention
from kgen.evaluation import (
    GaussianMixture,
    OutlierDetector,
    TypicalityTest,
    auroc,
    perturb_pixels,
)


def _direct_auroc(scores_in, scores_out):
    pairs = [
        1.0 if o > i else 0.5 if o == i else 0.0 for i in scores_in for o in scores_out
    ]
    return float(np.mean(pairs))


def test_auroc_matches_the_pairwise_definition_with_ties():
    rng = np.random.default_rng(0)
    scores_in = rng.integers(0, 8, 60).astype(float)  # many ties
    scores_out = rng.integers(2, 10, 45).astype(float)
    assert auroc(scores_in, scores_out) == pytest.approx(
        _direct_auroc(scores_in, scores_out), abs=1e-12
    )
    continuous_in, continuous_out = rng.normal(size=80), rng.normal(size=70) + 1.0
    assert auroc(continuous_in, continuous_out) == pytest.approx(
        _direct_auroc(continuous_in, continuous_out), abs=1e-12
    )
    assert auroc([0.0, 1.0], [2.0, 3.0]) == 1.0
    assert auroc([2.0, 3.0], [0.0, 1.0]) == 0.0


def test_auroc_bad_inputs():
    with pytest.raises(ValueError, match="empty"):
        auroc([], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        auroc([np.nan], [1.0])


def test_perturb_pixels_replaces_the_stated_fraction_with_valid_levels():
    x = np.full((400, 8, 8, 1), 3, "int32")
    levels = DataConvention("integer", (8, 8, 1), 4)
    perturbed = perturb_pixels(x, 0.3, convention=levels, seed=1)
    assert perturbed.dtype == x.dtype and perturbed.shape == x.shape
    assert set(np.unique(perturbed)) <= {0, 1, 2, 3}
    # replaced with probability 0.3 by a uniform level, 3 of 4 of which differ
    assert np.mean(perturbed != x) == pytest.approx(0.3 * 3 / 4, abs=0.01)
    np.testing.assert_array_equal(
        perturb_pixels(x, 0.3, convention=levels, seed=1), perturbed
    )
    np.testing.assert_array_equal(perturb_pixels(x, 0.0, convention=levels), x)
    signed = DataConvention("signed", (8, 8, 1), 256)
    y = perturb_pixels(np.zeros((50, 8, 8, 1), "float32"), 1.0, convention=signed)
    assert y.min() >= -1.0 and y.max() <= 1.0 and abs(y.mean()) < 0.02
    # values on the 256-level grid of [-1, 1]
    np.testing.assert_allclose((y + 1) * 127.5, np.round((y + 1) * 127.5), atol=1e-4)


def test_perturb_pixels_bad_inputs():
    with pytest.raises(ValueError, match="convention="):
        perturb_pixels(np.zeros((2, 2), "float32"), 0.1)
    with pytest.raises(ValueError, match="'real'"):
        perturb_pixels(np.zeros((2, 2)), 0.1, convention=DataConvention("real", (2,)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        perturb_pixels(np.zeros((2, 2), "uint8"), 1.5)


def _paradox_data(rng, num):
    """In-distribution data and OOD data that a density model prefers.

    Two "semantic" coordinates (mean +1.5 in distribution, -1.5 out) and 40
    "background" coordinates; OOD backgrounds are smoother (std 0.05 instead
    of 0.2), so a model of the in-distribution data gives them a *higher*
    likelihood, as Fashion-MNIST models do to MNIST.
    """
    semantic_in = rng.normal(1.5, 1.0, (num, 2))
    semantic_out = rng.normal(-1.5, 1.0, (num, 2))
    background_in = rng.normal(0.0, 0.2, (num, 40))
    background_out = rng.normal(0.0, 0.05, (num, 40))
    return (
        np.concatenate([semantic_in, background_in], 1).astype("float32"),
        np.concatenate([semantic_out, background_out], 1).astype("float32"),
    )


def test_likelihood_paradox_and_the_likelihood_ratio_correction():
    rng = np.random.default_rng(2)
    train, _ = _paradox_data(rng, 3000)
    test_in, test_out = _paradox_data(rng, 1000)
    model = GaussianMixture(1).fit(train)
    plain = OutlierDetector(model).report(test_in, test_out)
    assert plain["auroc"] < 0.1  # OOD scored more typical: the paradox
    # the background model learns the low-level statistics only: trained on
    # inputs whose semantic coordinates were replaced by noise
    background_train = train.copy()
    background_train[:, :2] = rng.normal(0.0, 3.0, (3000, 2))
    background = GaussianMixture(1).fit(background_train)
    ratio = OutlierDetector(model, background_model=background)
    report = ratio.report(test_in, test_out)
    assert report["auroc"] > 0.95
    assert report["score"].startswith("likelihood ratio")
    assert (report["num_in"], report["num_out"]) == (1000, 1000)


def test_typicality_test_catches_too_likely_inputs():
    rng = np.random.default_rng(3)
    dim = 20
    train = rng.normal(size=(4000, dim)).astype("float32")
    model = GaussianModel(np.zeros(dim), np.eye(dim))
    # OOD: points near the mode, more likely than any typical point
    near_mode = (0.3 * rng.normal(size=(2000, dim))).astype("float32")
    in_dist = rng.normal(size=(20000, dim)).astype("float32")
    assert OutlierDetector(model).report(in_dist[:2000], near_mode)["auroc"] < 0.01
    test = TypicalityTest(model, group_size=10, false_rejection_rate=0.05, seed=0)
    test.fit(train[:2000], train[2000:])
    # the entropy of N(0, I_20) is 20 / 2 * log(2 pi e)
    assert test.entropy == pytest.approx(10 * np.log(2 * np.pi * np.e), abs=0.2)
    report = test.report(in_dist, near_mode)
    assert report["auroc"] > 0.99 and report["flagged_out"] == 1.0
    # 2,000 in-distribution groups: flagged at about the target rate
    assert report["flagged_in"] == pytest.approx(0.05, abs=0.02)
    assert report["num_groups_in"] == 2000 and report["group_size"] == 10


def test_outlier_detector_calibration():
    rng = np.random.default_rng(4)
    model = GaussianModel(np.zeros(2), np.eye(2))
    detector = OutlierDetector(model).calibrate(
        rng.normal(size=(5000, 2)).astype("float32"), false_rejection_rate=0.1
    )
    flagged = detector.predict(rng.normal(size=(5000, 2)).astype("float32"))
    assert flagged.mean() == pytest.approx(0.1, abs=0.02)
    assert np.all(detector.predict(np.full((3, 2), 9.0, "float32")))


def test_models_without_likelihood_are_refused():
    images = np.zeros((2, 2, 2, 1), "float32")
    with pytest.raises(ValueError, match="'exact_likelihood' capability"):
        OutlierDetector(SampleOnlyModel(images))
    with pytest.raises(ValueError, match="'exact_likelihood' capability"):
        TypicalityTest(SampleOnlyModel(images))
    model = GaussianModel(np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="data convention"):
        OutlierDetector(model, background_model=GaussianModel(np.zeros(3), np.eye(3)))
    with pytest.raises(ValueError, match="calibrate"):
        OutlierDetector(model).predict(np.zeros((1, 2), "float32"))
    with pytest.raises(ValueError, match="group_size=10"):
        TypicalityTest(model).fit(np.zeros((5, 2), "float32"))
