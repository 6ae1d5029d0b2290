"""A small text encoder: token ids -> one vector per caption."""

import keras
from keras import ops

from kgen.api_export import kgen_export
from kgen.validation import check_positive_int

__all__ = ["TextEncoder"]


@kgen_export
class TextEncoder(keras.layers.Layer):
    """Token ids to a caption vector: embedding, a convolution, masked mean.

    Each token id is embedded (id 0, padding, is masked out), a 1-D
    convolution over three neighbouring words (ReLU) adds word order (so
    "dark small" and "small dark" may differ), the positions that hold words
    are averaged, and a dense layer gives ``output_dim`` features. The empty
    caption (all padding) averages nothing and maps to the dense layer's
    bias: a learned "no description" vector.

    Small on purpose: kgen's text-conditional models train it from scratch
    together with their networks on short captions. It is shared by every
    family that conditions on text (``kgen.text``).

    Args:
        vocabulary_size: number of token ids (``WordTokenizer.vocabulary_size``).
        output_dim: size of the caption vector.
        embedding_dim: size of the word embeddings (default ``output_dim``).
        activation: of the output layer (``None``: linear).
        **kwargs: base layer arguments.

    Call arguments:
        inputs: int token ids ``(batch, max_length)``.

    Returns:
        ``(batch, output_dim)`` caption vectors.

    Raises:
        ValueError: for non-positive sizes.

    Examples:
        >>> import numpy as np
        >>> encoder = TextEncoder(vocabulary_size=10, output_dim=4)
        >>> tuple(encoder(np.array([[2, 5, 0], [0, 0, 0]])).shape)
        (2, 4)

    References:
        Reed et al., "Generative Adversarial Text to Image Synthesis", ICML
        2016 (text features for both networks of a GAN).
    """

    def __init__(
        self, vocabulary_size, output_dim, embedding_dim=None, activation=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = check_positive_int(vocabulary_size, "vocabulary_size")
        self.output_dim = check_positive_int(output_dim, "output_dim")
        self.embedding_dim = check_positive_int(
            embedding_dim or output_dim, "embedding_dim"
        )
        self.activation = keras.activations.get(activation)
        self.embedding = keras.layers.Embedding(
            self.vocabulary_size, self.embedding_dim, name="embedding"
        )
        self.convolution = keras.layers.Conv1D(
            self.embedding_dim, 3, padding="same", activation="relu", name="words"
        )
        self.projection = keras.layers.Dense(self.output_dim, name="projection")

    def build(self, input_shape):
        batch, length = input_shape[0], input_shape[1]
        self.embedding.build(input_shape)
        self.convolution.build((batch, length, self.embedding_dim))
        self.projection.build((batch, self.embedding_dim))

    def call(self, inputs):
        ids = ops.cast(inputs, "int32")
        mask = ops.cast(ops.not_equal(ids, 0), self.compute_dtype)[..., None]
        words = self.convolution(self.embedding(ids) * mask) * mask
        count = ops.maximum(ops.sum(mask, axis=1), 1.0)
        return self.activation(self.projection(ops.sum(words, axis=1) / count))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "output_dim": self.output_dim,
                "embedding_dim": self.embedding_dim,
                "activation": keras.activations.serialize(self.activation),
            }
        )
        return config
