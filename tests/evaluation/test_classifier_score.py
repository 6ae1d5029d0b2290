"""Classifier score against its closed form exp(H(y) - E H(y|x))."""

import numpy as np
import pytest

from kgen.evaluation import classifier_score


def _entropy(p):
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), -1)


def test_matches_entropy_form_per_split():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(600, 5)) * 2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    result = classifier_score(p, num_splits=3)
    expected = [
        np.exp(_entropy(part.mean(0)) - _entropy(part).mean())
        for part in np.split(p, 3)
    ]
    assert result.mean == pytest.approx(np.mean(expected), rel=1e-10)
    assert result.std == pytest.approx(np.std(expected), rel=1e-8)
    assert (result.num_splits, result.num_samples) == (3, 600)


def test_extremes():
    eye = np.eye(10)
    assert classifier_score(eye[np.arange(1000) % 10]).mean == pytest.approx(10.0)
    # one class only: confident, but no diversity
    assert classifier_score(eye[np.zeros(1000, int)]).mean == pytest.approx(1.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="softmax"):
        classifier_score(np.full((20, 3), 0.5))
    with pytest.raises(ValueError, match="at least two classes"):
        classifier_score(np.ones((20, 1)))
    with pytest.raises(ValueError, match="num_splits=10"):
        classifier_score(np.full((5, 2), 0.5))
