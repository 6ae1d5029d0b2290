"""Bayes' rule with known class densities: the Bayes-optimal decision and rejection."""

import numpy as np
import pytest
from evaluation_models import (
    BoundGaussianModel,
    GaussianModel,
    SampleOnlyModel,
    gaussian_log_pdf,
)
from scipy.special import logsumexp

from kgen.evaluation import REJECTED, GenerativeClassifier

MEANS = np.array([[0.0, 0.0], [2.5, 0.5], [0.5, 2.5]])
COVARIANCES = np.array(
    [[[1.0, 0.3], [0.3, 0.6]], [[0.5, 0.0], [0.0, 1.5]], [[2.0, -0.4], [-0.4, 0.8]]]
)
PRIORS = np.array([0.5, 0.3, 0.2])


def _oracle_joint(x):
    return np.stack(
        [gaussian_log_pdf(x, m, c) for m, c in zip(MEANS, COVARIANCES)], axis=1
    ) + np.log(PRIORS)


def _mixture_points(num, seed):
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, num, p=PRIORS)
    noise = rng.standard_normal((num, 2))
    chol = np.linalg.cholesky(COVARIANCES)[labels]
    return (MEANS[labels] + np.einsum("nij,nj->ni", chol, noise)).astype(
        "float32"
    ), labels


def _decided(joint):
    # points whose two best classes are this close may flip in float32
    top = np.sort(joint, axis=1)
    return top[:, -1] - top[:, -2] > 1e-3


@pytest.mark.parametrize("conditional", [False, True], ids=["per_class", "conditional"])
def test_recovers_the_bayes_optimal_decision(conditional):
    if conditional:
        models = GaussianModel(MEANS, COVARIANCES, num_classes=3)
    else:
        models = [GaussianModel(m, c) for m, c in zip(MEANS, COVARIANCES)]
    classifier = GenerativeClassifier(models, class_priors=PRIORS * 7)
    x, labels = _mixture_points(3000, seed=0)
    joint = _oracle_joint(x)
    decided = _decided(joint)
    assert decided.mean() > 0.99
    predicted = classifier.predict(x)
    np.testing.assert_array_equal(predicted[decided], np.argmax(joint, 1)[decided])
    posterior = np.exp(joint - logsumexp(joint, axis=1, keepdims=True))
    np.testing.assert_allclose(classifier.predict_proba(x), posterior, atol=1e-4)
    np.testing.assert_allclose(
        classifier.log_marginal_likelihood(x), logsumexp(joint, axis=1), atol=1e-4
    )
    # the Bayes error of this problem, and the classifier reaches it
    report = classifier.report(x, labels)
    assert report["accuracy"] == pytest.approx(
        np.mean(np.argmax(joint, 1) == labels), abs=2e-3
    )
    assert report["estimator"] == "exact log p(x)" and report["num_examples"] == 3000


def test_uniform_priors_change_the_decision_where_they_should():
    models = [GaussianModel(m, c) for m, c in zip(MEANS, COVARIANCES)]
    x, _ = _mixture_points(2000, seed=1)
    uniform = GenerativeClassifier(models).predict(x)
    joint = _oracle_joint(x) - np.log(PRIORS)
    decided = _decided(joint)
    np.testing.assert_array_equal(uniform[decided], np.argmax(joint, 1)[decided])
    assert np.any(
        uniform != GenerativeClassifier(models, class_priors=PRIORS).predict(x)
    )


def test_rejects_at_the_calibrated_rate_and_rejects_planted_outliers():
    models = [GaussianModel(m, c) for m, c in zip(MEANS, COVARIANCES)]
    classifier = GenerativeClassifier(models, class_priors=PRIORS)
    train, _ = _mixture_points(4000, seed=2)
    classifier.calibrate_rejection(train, false_rejection_rate=0.05)
    assert classifier.calibration_size == 4000
    test, labels = _mixture_points(4000, seed=3)
    # calibrated on other draws of the same distribution: about 5% rejected
    assert classifier.reject(test).mean() == pytest.approx(0.05, abs=0.015)
    outliers = np.array([[15.0, 15.0], [-12.0, 3.0], [0.0, -20.0]], "float32")
    assert np.all(classifier.reject(outliers))
    predicted = classifier.predict(np.concatenate([test[:5], outliers]), reject=True)
    assert np.all(predicted[5:] == REJECTED)
    report = classifier.report(test, labels)
    assert report["rejection_rate"] == pytest.approx(0.05, abs=0.015)
    assert report["accuracy_on_accepted"] >= report["accuracy"] - 0.01


def test_bound_models_use_the_named_iwae_bound():
    models = [BoundGaussianModel(m, c) for m, c in zip(MEANS, COVARIANCES)]
    classifier = GenerativeClassifier(models, num_samples=7, seed=3)
    assert classifier.estimator == "IWAE bound on log p(x) (K=7)"
    x, _ = _mixture_points(500, seed=4)
    bound = _oracle_joint(x) - np.log(PRIORS) - 1.0 / 7
    np.testing.assert_allclose(classifier.class_log_likelihoods(x), bound, atol=1e-4)
    # a bias shared by all classes leaves the decision alone
    decided = _decided(bound)
    np.testing.assert_array_equal(
        classifier.predict(x)[decided], np.argmax(bound, 1)[decided]
    )
    assert all(("iwae", 7, 3) in m.calls for m in models)


def test_bad_inputs():
    model = GaussianModel(MEANS[0], COVARIANCES[0])
    with pytest.raises(ValueError, match="exact_likelihood"):
        GenerativeClassifier([model, SampleOnlyModel(np.zeros((2, 2, 2, 1)))])
    with pytest.raises(ValueError, match="at least two"):
        GenerativeClassifier([model])
    with pytest.raises(ValueError, match="must be conditional"):
        GenerativeClassifier(model)
    with pytest.raises(ValueError, match="pass it alone"):
        GenerativeClassifier([model, GaussianModel(MEANS, COVARIANCES, num_classes=3)])
    with pytest.raises(ValueError, match="one data convention"):
        GenerativeClassifier([model, GaussianModel(np.zeros(3), np.eye(3))])
    with pytest.raises(ValueError, match="positive numbers"):
        GenerativeClassifier([model, model], class_priors=[1.0, 0.0])
    classifier = GenerativeClassifier([model, model])
    with pytest.raises(ValueError, match="calibrate_rejection"):
        classifier.predict(np.zeros((2, 2), "float32"), reject=True)
    with pytest.raises(ValueError, match=r"in \(0, 1\)"):
        classifier.calibrate_rejection(np.zeros((2, 2)), false_rejection_rate=1.0)
