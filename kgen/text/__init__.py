"""Text for text-conditional models: a word tokenizer, a text encoder, captions.

`WordTokenizer` turns captions into padded integer token ids and back; its
vocabulary is part of the model that uses it (saved in the ``.keras`` file,
in the config and as ``vocabulary.txt``). `TextEncoder` maps token ids to
one vector per caption. `attribute_captions` writes captions from class
labels and attributes measured on the images (brightness, size), for
small-scale demonstrations of text-to-image models. Shared by every family
that conditions on text.
"""

from kgen.text.captions import (
    DIGIT_NAMES,
    FASHION_MNIST_NAMES,
    attribute_captions,
    attribute_thresholds,
    measure_attributes,
)
from kgen.text.encoder import TextEncoder
from kgen.text.tokenizer import WordTokenizer

__all__ = [
    "DIGIT_NAMES",
    "FASHION_MNIST_NAMES",
    "TextEncoder",
    "WordTokenizer",
    "attribute_captions",
    "attribute_thresholds",
    "measure_attributes",
]
