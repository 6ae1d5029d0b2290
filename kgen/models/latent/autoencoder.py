"""A regular (deterministic) autoencoder with an L2 reconstruction loss."""

import keras
from keras import ops

from kgen.api_export import kgen_export
from kgen.contract import Capability
from kgen.models.base import GenerativeModel, is_placeholder_targets
from kgen.models.latent import networks
from kgen.models.latent.latent_verbs import LatentVerbsMixin

__all__ = ["Autoencoder", "mlp_autoencoder"]


def _input_image_shape(encoder):
    shape = encoder.inputs[0].shape if getattr(encoder, "inputs", None) else None
    if shape is None or len(shape) != 4 or any(s is None for s in shape[1:]):
        raise ValueError(
            "Could not read the image shape from the encoder; pass "
            "image_shape=(height, width, channels) or use a functional encoder "
            "with a fixed input shape."
        )
    return tuple(int(s) for s in shape[1:])


def _latent_size(network):
    shape = network.inputs[0].shape if getattr(network, "inputs", None) else None
    if shape is None or shape[-1] is None:
        raise ValueError(
            "Could not read the latent size from the decoder's input; pass "
            "latent_dim explicitly."
        )
    return int(shape[-1])


@kgen_export
class Autoencoder(LatentVerbsMixin, GenerativeModel):
    """A deterministic autoencoder: ``x -> code -> x_hat``, trained with L2 loss.

    The loss is the squared error summed over pixels, one value per example,
    averaged over the batch (weighted by ``fit(..., sample_weight=...)``
    when given). The encoder is a feature extractor in its own right:
    ``encode(x)["latent"]`` gives codes for a downstream classifier. It is
    not a generative model: there is no distribution over codes, so it
    declares ``ENCODE``, ``DECODE`` and ``LATENT_TRAVERSAL`` but not
    ``SAMPLE``.

    Args:
        encoder: a functional ``keras.Model`` mapping images
            ``(batch, H, W, C)`` in [0, 1] to codes ``(batch, code_dim)``.
        decoder: a functional ``keras.Model`` mapping codes to images in
            [0, 1] (e.g. with a sigmoid output).
        image_shape: ``(H, W, C)``; read from the encoder when omitted.
        **kwargs: standard model arguments (``name``...).

    Call arguments:
        inputs: images. The forward pass returns the reconstruction.

    Raises:
        ValueError: when the image shape or the code size cannot be read from
            the networks; from ``fit`` and the verbs, for data that are not
            floats in [0, 1] of the model's shape, or for labels (the model
            is unconditional).

    Examples:
        >>> import numpy as np
        >>> from kgen.models.latent import mlp_autoencoder
        >>> x = np.random.default_rng(0).random((32, 8, 8, 1)).astype("float32")
        >>> model = mlp_autoencoder((8, 8, 1), code_dim=4, hidden_units=(32,))
        >>> model.compile(optimizer="adam")
        >>> history = model.fit(x, epochs=1, verbose=0)
        >>> model.encode(x)["latent"].shape
        (32, 4)

    References:
        Hinton and Salakhutdinov, "Reducing the Dimensionality of Data with
        Neural Networks", Science 2006.
    """

    data_kind = "unit"
    capabilities = frozenset(
        {Capability.ENCODE, Capability.DECODE, Capability.LATENT_TRAVERSAL}
    )
    supports_sample_weight = True

    config_objects = ("encoder", "decoder")

    def __init__(self, encoder, decoder, image_shape=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.image_shape = (
            _input_image_shape(encoder)
            if image_shape is None
            else tuple(int(s) for s in image_shape)
        )
        self.latent_dim = _latent_size(decoder)
        self.reconstruction_loss_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.built = True

    # hooks of LatentVerbsMixin
    def _encode_tensor(self, x, one_hot=None):
        return ops.cast(self.encoder(ops.cast(x, "float32")), "float32")

    def _encoding(self, code):
        return {"latent": code}

    def _latent_point(self, params):
        return params

    def _decode_mean(self, z, one_hot=None):
        return ops.cast(self.decoder(ops.cast(z, "float32")), "float32")

    def call(self, inputs, training=False):
        return self._decode_mean(self._encode_tensor(inputs))

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        if y is not None and not is_placeholder_targets(y):
            raise ValueError(
                "Autoencoder is unconditional and takes no labels; call fit(x) "
                "without y."
            )
        x = ops.cast(x, "float32")
        if y_pred is None:
            y_pred = self(x, training=training)
        # ||x - x_hat||^2 summed over pixels, one value per example
        squared_error = ops.sum(
            ops.reshape(ops.square(x - y_pred), (ops.shape(x)[0], -1)), axis=-1
        )
        loss = self.weighted_mean(squared_error, sample_weight)
        self.reconstruction_loss_tracker.update_state(
            loss, sample_weight=ops.shape(x)[0]
        )
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return self.scale_loss_for_distribution(loss)

    @property
    def metrics(self):
        return super().metrics

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "image_shape": list(self.image_shape),
            }
        )
        return config


def mlp_autoencoder(image_shape, code_dim=32, hidden_units=(256,), **kwargs):
    """A fully connected autoencoder for images of any size.

    ``Flatten -> Dense(ReLU) ... -> Dense(code_dim)`` and the mirror image,
    ending in a sigmoid so reconstructions lie in [0, 1].

    Args:
        image_shape: ``(H, W, C)``.
        code_dim: size of the code.
        hidden_units: widths of the hidden layers of the encoder (the decoder
            uses them in reverse).
        **kwargs: passed to ``Autoencoder``.

    Returns:
        An uncompiled ``Autoencoder``.
    """
    hidden_units = tuple(hidden_units)
    encoder = networks.mlp_encoder(image_shape, code_dim, hidden_units)
    decoder = networks.mlp_decoder(
        code_dim,
        image_shape,
        hidden_units=tuple(reversed(hidden_units)),
        final_activation="sigmoid",
    )
    return Autoencoder(encoder, decoder, image_shape=image_shape, **kwargs)
