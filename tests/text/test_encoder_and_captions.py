"""TextEncoder and captions from labels and measured attributes."""

import keras
import numpy as np
import pytest

from kgen.text import (
    FASHION_MNIST_NAMES,
    TextEncoder,
    attribute_captions,
    attribute_thresholds,
    measure_attributes,
)


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def test_the_encoder_ignores_padding_and_maps_the_empty_caption_to_its_bias():
    encoder = TextEncoder(vocabulary_size=8, output_dim=3, embedding_dim=4)
    ids = np.array([[2, 5, 0, 0], [2, 5, 0, 0], [0, 0, 0, 0]])
    out = _np(encoder(ids))
    padded = _np(encoder(np.array([[2, 5, 0, 0, 0, 0]])))
    np.testing.assert_allclose(out[0], padded[0], atol=1e-6)  # padding adds nothing
    np.testing.assert_allclose(out[2], _np(encoder.projection.bias), atol=1e-6)
    # the padding embedding is never used: changing it changes nothing
    table = _np(encoder.embedding.embeddings).copy()
    table[0] = 100.0
    encoder.embedding.embeddings.assign(table)
    np.testing.assert_allclose(_np(encoder(ids)), out, atol=1e-5)
    # word order matters (the convolution sees neighbours)
    assert not np.allclose(_np(encoder(np.array([[5, 2, 0, 0]]))), out[:1])


def test_attributes_and_captions_follow_the_measured_images():
    images = np.zeros((4, 6, 6, 1), "uint8")
    images[0, :2, :2] = 100  # small dark
    images[1, :5, :5] = 250  # large bright
    images[2, :2, :2] = 250  # small bright
    images[3, :5, :5] = 100  # large dark
    labels = np.array([1, 1, 1, 1])
    measured = measure_attributes(images)
    np.testing.assert_allclose(measured["size"], [4 / 36, 25 / 36, 4 / 36, 25 / 36])
    np.testing.assert_allclose(
        measured["brightness"], [100 / 255, 250 / 255, 250 / 255, 100 / 255]
    )
    captions = attribute_captions(images, labels, FASHION_MNIST_NAMES)
    assert captions == [
        "small dark trouser",
        "large bright trouser",
        "small bright trouser",
        "large dark trouser",
    ]
    # thresholds of other images: everything brighter and larger than them
    reference = attribute_thresholds(images[[0]], [1], 10)
    brighter = attribute_captions(
        images[1:3], [1, 1], FASHION_MNIST_NAMES, thresholds=reference
    )
    assert brighter == ["large bright trouser", "small bright trouser"]
    # generated images in [-1, 1] are measured on the same scale
    signed = images.astype("float32") / 127.5 - 1.0
    np.testing.assert_allclose(
        measure_attributes(signed, value_range=(-1, 1))["brightness"],
        measured["brightness"],
        atol=1e-6,
    )
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 9\]"):
        attribute_captions(images, [10, 1, 1, 1], FASHION_MNIST_NAMES)
