"""Feature extractors: range checks, conventions, InceptionV3 with random
weights (nothing downloads), and the cached, seeded domain classifier."""

import json
import os

import keras
import numpy as np
import pytest

from kgen import data
from kgen.contract import DataConvention
from kgen.evaluation import (
    INCEPTION_WEIGHTS_FILE,
    InceptionFeatures,
    domain_classifier,
    features,
    frechet_distance,
    sample_metrics,
    to_unit_images,
)


def test_to_unit_images_maps_every_convention_to_unit_range():
    unit = np.linspace(0, 1, 16, dtype="float32").reshape(1, 4, 4, 1)
    signed = DataConvention("signed", (4, 4, 1), 256)
    levels = DataConvention("integer", (4, 4, 1), 16)
    np.testing.assert_allclose(to_unit_images(unit * 2 - 1, signed), unit, atol=1e-6)
    np.testing.assert_allclose(
        to_unit_images(np.round(unit * 15).astype("int32"), levels), unit, atol=1e-6
    )
    np.testing.assert_allclose(
        to_unit_images(np.round(unit * 255).astype("uint8")), unit, atol=1 / 255
    )
    np.testing.assert_array_equal(to_unit_images(unit), unit)


def test_images_in_the_wrong_range_raise_a_clear_error():
    signed = np.full((2, 4, 4, 1), -0.5, "float32")
    with pytest.raises(ValueError, match=r"floats in \[0, 1\].*convention="):
        to_unit_images(signed)
    with pytest.raises(ValueError, match="convention="):
        to_unit_images(np.full((2, 4, 4, 1), 3, "int32"))  # levels of what?
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        to_unit_images(signed * 4, DataConvention("signed", (4, 4, 1), 256))
    with pytest.raises(ValueError, match=r"shape \(batch, 4, 4, 1\)"):
        to_unit_images(
            np.zeros((2, 5, 5, 1), "float32"), DataConvention("unit", (4, 4, 1))
        )
    with pytest.raises(ValueError, match="'real'"):
        to_unit_images(np.zeros((2, 2)), DataConvention("real", (2,)))


def test_inception_weights_are_not_downloaded_without_asking(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(FileNotFoundError, match="weights='/path/to/") as error:
        InceptionFeatures()
    assert str(tmp_path / "models" / INCEPTION_WEIGHTS_FILE) in str(error.value)
    assert "network unreachable" in str(error.value)
    # a file in Keras's cache is used as it is, with no download
    (tmp_path / "models").mkdir()
    cached = tmp_path / "models" / INCEPTION_WEIGHTS_FILE
    cached.write_bytes(b"")
    assert features._inception_weights("imagenet") == str(cached)
    with pytest.raises(ValueError, match="not a file"):
        InceptionFeatures(weights=str(tmp_path / "missing.h5"))
    with pytest.raises(ValueError, match="at least 75x75"):
        InceptionFeatures(weights=None, image_size=32)


@pytest.mark.slow
def test_inception_features_with_random_weights():
    extractor = InceptionFeatures(weights=None, image_size=75, batch_size=2)
    assert extractor.name == "InceptionV3 (random weights)"
    rng = np.random.default_rng(0)
    grey = rng.random((3, 12, 12, 1)).astype("float32")
    unit = extractor(grey)
    assert unit.shape == (3, 2048) and unit.dtype == np.float64
    assert np.all(np.isfinite(unit)) and np.all(unit >= 0)  # average of ReLUs
    # the same images in a signed model's convention give the same features
    signed = extractor(grey * 2 - 1, DataConvention("signed", (12, 12, 1), 256))
    np.testing.assert_allclose(signed, unit, rtol=1e-4, atol=1e-5)
    # different images, different features
    assert np.abs(extractor(grey[::-1]) - unit[::-1]).max() < 1e-4
    assert np.abs(unit[0] - unit[1]).max() > 1e-4
    with pytest.raises(ValueError, match=r"floats in \[0, 1\]"):
        extractor(grey * 2 - 1)


@pytest.fixture(scope="module")
def digits_classifier(tmp_path_factory):
    directory = tmp_path_factory.mktemp("classifier_cache")
    return domain_classifier("digits", cache_dir=directory, epochs=4), directory


def test_domain_classifier_learns_and_is_cached(digits_classifier, monkeypatch):
    classifier, directory = digits_classifier
    assert classifier.name == "digits classifier"
    assert classifier.input_shape == (8, 8, 1) and classifier.feature_dim == 128
    images, labels = data.load("digits", "test")
    probabilities = classifier.probabilities(images)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-9)
    accuracy = np.mean(np.argmax(probabilities, axis=1) == labels)
    assert accuracy > 0.7  # ten classes: chance is 0.1
    assert accuracy == pytest.approx(classifier.info["test_accuracy"], abs=1e-6)
    path = directory / "digits_classifier_seed0_v1.keras"
    assert path.is_file()
    record = json.loads((directory / "digits_classifier_seed0_v1.json").read_text())
    assert record["epochs"] == 4 and record["num_train"] == 1497
    assert record["backend"] == keras.config.backend()

    def no_training(*args, **kwargs):
        raise AssertionError("the cached classifier should have been loaded")

    monkeypatch.setattr(features, "_train_classifier", no_training)
    again = domain_classifier("digits", cache_dir=directory, epochs=4)
    np.testing.assert_allclose(again(images), classifier(images), rtol=1e-6)
    assert again.info["test_accuracy"] == classifier.info["test_accuracy"]


def test_domain_classifier_is_reproducible(digits_classifier, tmp_path):
    classifier, _ = digits_classifier
    images, _ = data.load("digits", "test")
    retrained = domain_classifier("digits", cache_dir=tmp_path, epochs=4)
    np.testing.assert_allclose(
        retrained(images), classifier(images), rtol=1e-5, atol=1e-6
    )
    other_seed = domain_classifier("digits", cache_dir=tmp_path, epochs=4, seed=1)
    assert np.abs(other_seed(images) - classifier(images)).max() > 1e-3


def test_metrics_in_classifier_features_are_named_after_it(digits_classifier):
    classifier, _ = digits_classifier
    train, _ = data.load("digits", "train")
    test, _ = data.load("digits", "test")
    report = sample_metrics(
        train, test, feature_extractor=classifier, kernel_subsets=5, num_splits=1
    )
    names = [v["name"] for v in report.values() if isinstance(v, dict)]
    assert report["features"] == "digits classifier features"
    assert "Fréchet distance in digits classifier features" in names
    assert all("FID" not in name and "Inception" not in name for name in names)
    assert (
        report["classifier_score"]["name"]
        == "classifier score of the digits classifier"
    )
    assert report["classifier_score"]["num_samples"] == 300
    # real test digits score far above one image repeated (no diversity: 1)
    repeated = np.repeat(test[:1], 300, axis=0)
    same = sample_metrics(
        train,
        repeated,
        feature_extractor=classifier,
        metrics=["classifier_score"],
        num_splits=1,
    )
    assert same["classifier_score"]["mean"] == pytest.approx(1.0)
    assert report["classifier_score"]["mean"] > 1.2  # few epochs: soft outputs
    # data in a signed model's convention: the same distance
    signed = DataConvention("signed", (8, 8, 1), 256)
    as_signed = frechet_distance(
        train.astype("float32") / 127.5 - 1,
        test.astype("float32") / 127.5 - 1,
        feature_extractor=classifier,
        convention=signed,
    )
    assert as_signed == pytest.approx(report["frechet_distance"]["value"], rel=1e-4)


def test_domain_classifier_checks_its_input(digits_classifier):
    classifier, _ = digits_classifier
    with pytest.raises(ValueError, match=r"shape \(8, 8, 1\).*resize_images"):
        classifier(np.zeros((2, 28, 28, 1), "float32"))
    with pytest.raises(ValueError, match=r"floats in \[0, 1\]"):
        classifier(np.full((2, 8, 8, 1), -1.0, "float32"))
    with pytest.raises(ValueError, match="knows"):
        domain_classifier("cifar10", cache_dir=os.devnull)


def test_domain_classifier_needs_local_data(tmp_path, monkeypatch):
    monkeypatch.setenv("KGEN_DEBIAN_DATASETS_DIR", str(tmp_path / "debian"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(
        ValueError, match="needs the fashion_mnist data on this machine"
    ):
        domain_classifier("fashion_mnist", cache_dir=tmp_path)
