"""The text-conditional GAN: mismatched captions, the empty caption, saving."""

import os
import zipfile

import keras
import numpy as np
import pytest

from kgen.models import TextConditionalGAN, mismatched_captions, text_gan_networks
from kgen.text import WordTokenizer

SHAPE = (8, 8, 1)
CAPTIONS = [
    "small dark boot",
    "large bright bag",
    "small bright bag",
    "large dark boot",
]


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _model(caption_dropout=0.1, max_length=None):
    tokenizer = WordTokenizer.from_texts(CAPTIONS, max_length=max_length)
    generator, discriminator = text_gan_networks(
        SHAPE,
        tokenizer.vocabulary_size,
        3,
        latent_dim=4,
        text_dim=4,
        base_filters=2,
    )
    return TextConditionalGAN(
        generator, discriminator, 4, tokenizer, caption_dropout=caption_dropout, seed=0
    )


def test_mismatched_captions_pair_neighbours_and_skip_non_mismatches():
    tokens = np.array(
        [[2, 3, 0], [4, 5, 0], [2, 3, 0], [2, 3, 0], [0, 0, 0], [4, 0, 0], [6, 0, 0]]
    )
    wrong, valid = mismatched_captions(tokens)
    np.testing.assert_array_equal(_np(wrong), tokens[[1, 0, 3, 2, 5, 4, 6]])
    # same caption (2<->3), an empty one (4<->5), the odd one out (6): no mismatch
    np.testing.assert_array_equal(_np(valid), [1, 1, 0, 0, 0, 0, 0])


def test_captions_condition_the_samples_and_the_empty_caption_is_the_marginal():
    model = _model()
    same_z = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    dark = model.decode(same_z, captions="small dark boot")
    bright = model.decode(same_z, captions=["large bright bag"] * 2)
    assert not np.allclose(dark, bright)
    # strings and their token ids are the same captions
    ids = model.tokenizer.encode(["small dark boot"] * 2)
    np.testing.assert_array_equal(model.decode(same_z, captions=ids), dark)
    # without captions: the empty caption (all padding)
    empty = model.decode(same_z)
    np.testing.assert_array_equal(
        empty, model.decode(same_z, captions=np.zeros((2, 3), "int32"))
    )
    assert model.sample(3, seed=0).shape == (3, *SHAPE)
    strict = _model(caption_dropout=0.0)
    with pytest.raises(ValueError, match="without caption_dropout"):
        strict.sample(2)
    assert strict.sample(2, seed=0, captions="large dark boot").shape == (2, *SHAPE)


def test_bad_captions_are_refused_with_clear_errors():
    model = _model()
    x = np.zeros((4, *SHAPE), "float32")
    model.compile(d_optimizer="adam", g_optimizer="adam")
    with pytest.raises(ValueError, match="fit\\(x, captions\\)"):
        model.fit(x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="one caption per"):
        model.sample(3, captions=CAPTIONS[:2])
    with pytest.raises(ValueError, match="token ids in"):
        model.sample(1, captions=np.array([[99, 0, 0]]))
    with pytest.raises(ValueError, match="unconditional"):
        model.sample(2, conditions=[0, 1])
    with pytest.raises(ValueError, match="max_length"):
        _model(max_length=5)


def test_the_vocabulary_is_saved_with_the_model(tmp_path):
    model = _model()
    model.compile(d_optimizer="adam", g_optimizer="adam")
    path = os.path.join(tmp_path, "text_gan.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.endswith("vocabulary.txt")]
        assert names
        words = archive.read(names[0]).decode().split()
    assert words == model.tokenizer.vocabulary
    loaded = keras.saving.load_model(path)
    assert loaded.tokenizer.get_config() == model.tokenizer.get_config()
    np.testing.assert_array_equal(
        loaded.tokenizer.encode(CAPTIONS), model.tokenizer.encode(CAPTIONS)
    )
    np.testing.assert_allclose(
        loaded.sample(2, seed=1, captions="small dark boot"),
        model.sample(2, seed=1, captions="small dark boot"),
        atol=1e-6,
    )
