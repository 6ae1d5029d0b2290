"""Layers used by the adversarial models."""

import keras
from keras import ops

from kgen.api_export import kgen_export

__all__ = ["ClassProjection"]


@kgen_export
class ClassProjection(keras.layers.Layer):
    """The class-conditional term of a projection discriminator.

    Returns ``<embed(y), phi(x)>`` per example; a projection discriminator adds
    it to an unconditional logit ``psi(phi(x))``, which corresponds to a
    discriminator of the log density ratio of two class-conditional
    distributions (Miyato & Koyama, 2018).

    Args:
        num_classes: number of classes.
        embeddings_initializer: initializer of the class embedding matrix.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: list ``[features, labels]``: features shaped ``(batch, dim)``,
            integer labels shaped ``(batch,)`` or ``(batch, 1)``.

    Returns:
        Tensor of shape ``(batch, 1)``.

    Raises:
        ValueError: if ``num_classes`` is not a positive integer.

    Examples:
        >>> import numpy as np
        >>> from kgen.layers import ClassProjection
        >>> layer = ClassProjection(num_classes=3)
        >>> tuple(layer([np.ones((2, 4), "float32"), np.array([0, 2])]).shape)
        (2, 1)

    References:
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.
    """

    def __init__(self, num_classes, embeddings_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_classes, bool) or not isinstance(num_classes, int):
            raise ValueError(
                f"num_classes must be a positive integer; received {num_classes!r}."
            )
        if num_classes < 1:
            raise ValueError(
                f"num_classes must be a positive integer; received {num_classes!r}."
            )
        self.num_classes = num_classes
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def build(self, input_shape):
        features_shape = input_shape[0]
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.num_classes, features_shape[-1]),
            initializer=self.embeddings_initializer,
        )

    def call(self, inputs):
        features, labels = inputs
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        embedded = ops.take(self.embeddings, labels, axis=0)
        return ops.sum(embedded * features, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "embeddings_initializer": keras.initializers.serialize(
                    self.embeddings_initializer
                ),
            }
        )
        return config
