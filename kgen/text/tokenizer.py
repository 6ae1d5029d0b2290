"""A small word-level tokenizer whose vocabulary travels with the model."""

import re

import numpy as np

from kgen.api_export import kgen_export
from kgen.validation import check_positive_int

__all__ = ["WordTokenizer"]

_WORD = re.compile(r"[a-z0-9]+")


@kgen_export
class WordTokenizer:
    """Captions to padded integer token ids and back, word by word.

    Text is lower-cased (unless ``lowercase=False``) and split into runs of
    letters and digits; every other character separates words. Id 0 is
    padding (``"[pad]"``), id 1 an unknown word (``"[unk]"``), and the words
    of ``vocabulary`` follow from id 2. `encode` gives int32 arrays of
    ``max_length`` ids per caption (longer captions are cut, shorter ones
    padded with 0); the empty caption is all padding.

    The tokenizer is plain Python (token ids are computed on NumPy arrays,
    before anything reaches a backend) and serializable: a model that uses
    one stores it in its config (``keras.saving.serialize_keras_object``)
    and writes the vocabulary, one word per line, as ``vocabulary.txt`` in
    its ``.keras`` file (`save_vocabulary` / `from_vocabulary_file`).

    Args:
        vocabulary: the words, in id order (no reserved tokens, no
            duplicates).
        max_length: token ids per caption.
        lowercase: lower-case text before splitting.

    Raises:
        ValueError: for duplicate or empty words, a word the splitter would
            not produce, or a non-positive ``max_length``.

    Examples:
        >>> tokenizer = WordTokenizer(["dark", "small", "trouser"], max_length=4)
        >>> tokenizer.encode(["A dark trouser", "small hat"]).tolist()
        [[1, 2, 4, 0], [3, 1, 0, 0]]
        >>> tokenizer.decode([[2, 4, 0, 0]])
        ['dark trouser']
    """

    PAD, UNKNOWN = 0, 1
    RESERVED = ("[pad]", "[unk]")

    def __init__(self, vocabulary, max_length=16, lowercase=True):
        words = [str(w) for w in vocabulary]
        if len(set(words)) != len(words):
            duplicates = sorted({w for w in words if words.count(w) > 1})
            raise ValueError(f"vocabulary has duplicate words: {duplicates}.")
        self.lowercase = bool(lowercase)
        for word in words:
            if self.split(word) != [word]:
                raise ValueError(
                    f"vocabulary word {word!r} is not a single token of this "
                    "tokenizer (lower-case letters and digits"
                    + (")" if self.lowercase else ", any case)")
                    + "."
                )
        self.vocabulary = words
        self.max_length = check_positive_int(max_length, "max_length")
        self._ids = {w: i + len(self.RESERVED) for i, w in enumerate(words)}

    @classmethod
    def from_texts(cls, texts, max_length=None, max_words=None, lowercase=True):
        """A tokenizer with the words of ``texts``, most frequent first.

        Args:
            texts: iterable of strings.
            max_length: ids per caption (default: the longest caption).
            max_words: keep only this many words (the rest become unknown).
            lowercase: as in the constructor.

        Returns:
            A `WordTokenizer`; ties in frequency are broken alphabetically.
        """
        probe = cls([], lowercase=lowercase)
        counts, longest = {}, 1
        for text in texts:
            words = probe.split(text)
            longest = max(longest, len(words))
            for word in words:
                counts[word] = counts.get(word, 0) + 1
        words = sorted(counts, key=lambda w: (-counts[w], w))
        if max_words is not None:
            words = words[: check_positive_int(max_words, "max_words")]
        return cls(words, max_length=max_length or longest, lowercase=lowercase)

    @property
    def vocabulary_size(self):
        """Number of ids, reserved ones included (an embedding's input size)."""
        return len(self.vocabulary) + len(self.RESERVED)

    def split(self, text):
        """The words of ``text``."""
        if not isinstance(text, str):
            raise ValueError(f"Expected a caption string; received {text!r}.")
        return _WORD.findall(text.lower() if self.lowercase else text)

    def encode(self, texts):
        """Token ids ``(len(texts), max_length)`` int32 of a list of captions."""
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        ids = np.zeros((len(texts), self.max_length), dtype="int32")
        for row, text in enumerate(texts):
            words = self.split(text)[: self.max_length]
            ids[row, : len(words)] = [self._ids.get(w, self.UNKNOWN) for w in words]
        return ids

    def decode(self, ids):
        """Captions (lists of words joined by spaces) of token ids; padding dropped."""
        words = self.RESERVED + tuple(self.vocabulary)
        ids = np.asarray(ids)
        if ids.ndim == 1:
            ids = ids[None]
        return [
            " ".join(words[int(i)] for i in row if int(i) != self.PAD) for row in ids
        ]

    def check_ids(self, ids, name="captions"):
        """Check token ids ``(batch, max_length)`` in range; return int32 NumPy."""
        ids = np.asarray(ids)
        if ids.ndim != 2 or ids.shape[1] != self.max_length:
            raise ValueError(
                f"Expected {name} as token ids with shape (batch, {self.max_length}) "
                f"or a list of strings; received shape {tuple(ids.shape)}."
            )
        if not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(
                f"Expected integer token ids for {name}; received {ids.dtype}. Pass "
                "strings, or ids from tokenizer.encode(...)."
            )
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocabulary_size):
            raise ValueError(
                f"Expected token ids in [0, {self.vocabulary_size - 1}] for {name}; "
                f"received values in [{ids.min()}, {ids.max()}]."
            )
        return ids.astype("int32")

    def to_ids(self, captions, name="captions"):
        """Strings (encoded) or token ids (checked), as int32 ``(batch, max_length)``."""
        if isinstance(captions, str):
            captions = [captions]
        if isinstance(captions, (list, tuple)) and all(
            isinstance(c, str) for c in captions
        ):
            return self.encode(captions)
        array = np.asarray(captions)
        if array.dtype.kind in ("U", "S", "O"):
            return self.encode([str(c) for c in array.reshape(-1)])
        return self.check_ids(array, name=name)

    def save_vocabulary(self, path):
        """Write the vocabulary, one word per line (reserved tokens excluded)."""
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("".join(f"{word}\n" for word in self.vocabulary))

    @classmethod
    def from_vocabulary_file(cls, path, max_length=16, lowercase=True):
        """A tokenizer reading ``path`` as written by `save_vocabulary`."""
        with open(path, encoding="utf-8") as handle:
            words = [line.rstrip("\n") for line in handle if line.rstrip("\n")]
        return cls(words, max_length=max_length, lowercase=lowercase)

    def get_config(self):
        return {
            "vocabulary": list(self.vocabulary),
            "max_length": self.max_length,
            "lowercase": self.lowercase,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (
            f"WordTokenizer({len(self.vocabulary)} words, max_length={self.max_length})"
        )
