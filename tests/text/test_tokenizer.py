"""WordTokenizer: ids, padding, unknown words, vocabulary files, config."""

import json

import keras
import numpy as np
import pytest

from kgen.text import WordTokenizer


def test_encode_pads_cuts_and_marks_unknown_words():
    tokenizer = WordTokenizer(["dark", "small", "trouser"], max_length=3)
    ids = tokenizer.encode(
        ["Small, DARK trouser!", "dark hat", "", "small small small small"]
    )
    np.testing.assert_array_equal(ids, [[3, 2, 4], [2, 1, 0], [0, 0, 0], [3, 3, 3]])
    assert ids.dtype == np.int32
    assert tokenizer.vocabulary_size == 5
    assert tokenizer.decode(ids[:2]) == ["small dark trouser", "dark [unk]"]
    assert tokenizer.decode([0, 0, 0]) == [""]


def test_from_texts_orders_words_by_frequency_then_alphabetically():
    tokenizer = WordTokenizer.from_texts(["b a", "a c", "c a"])
    assert tokenizer.vocabulary == ["a", "c", "b"]
    assert tokenizer.max_length == 2
    assert WordTokenizer.from_texts(["b a", "a c"], max_words=1).vocabulary == ["a"]


def test_vocabulary_file_and_config_round_trip(tmp_path):
    tokenizer = WordTokenizer(["bright", "large", "bag"], max_length=4)
    path = tmp_path / "vocabulary.txt"
    tokenizer.save_vocabulary(path)
    assert path.read_text() == "bright\nlarge\nbag\n"
    again = WordTokenizer.from_vocabulary_file(path, max_length=4)
    assert again.get_config() == tokenizer.get_config()
    serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(tokenizer)))
    assert serialized["registered_name"] == "kgen>WordTokenizer"
    restored = keras.saving.deserialize_keras_object(serialized)
    np.testing.assert_array_equal(
        restored.encode(["large bag"]), tokenizer.encode(["large bag"])
    )


def test_bad_vocabularies_and_ids_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        WordTokenizer(["a", "a"])
    with pytest.raises(ValueError, match="single token"):
        WordTokenizer(["two words"])
    tokenizer = WordTokenizer(["a"], max_length=2)
    with pytest.raises(ValueError, match=r"shape \(batch, 2\)"):
        tokenizer.check_ids(np.zeros((2, 3), "int32"))
    with pytest.raises(ValueError, match=r"token ids in \[0, 2\]"):
        tokenizer.check_ids(np.array([[3, 0]]))
    with pytest.raises(ValueError, match="caption string"):
        tokenizer.encode([3])
    np.testing.assert_array_equal(
        tokenizer.to_ids(np.array(["a", "b"])), [[2, 0], [1, 0]]
    )
