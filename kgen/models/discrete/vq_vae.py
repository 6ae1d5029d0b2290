"""VQ-VAE: an autoencoder with a grid of discrete codes (van den Oord et al.).

``VQVAE`` is an encoder, a `kgen.layers.VectorQuantizer` and a decoder.
It learns a *discrete image tokenizer*: every image becomes a ``(h, w)``
grid of code indices (``encode_to_indices``) and any such grid decodes to
an image (``decode_indices``). It is not a generative model by itself (it
has no distribution over the codes, so it does not declare ``SAMPLE``): a
prior over its code grids, e.g. a `kgen.models.GatedPixelCNN` with
``input_embedding="embedding"``, makes it one (see ``VQVAE2`` and
``DALLE``).

``VectorQuantizedAutoencoder`` is what the one- and two-level models share:
the loss, the metrics and every verb, written once over the model's code
*levels* (``("codes",)`` for ``VQVAE``, ``("top", "bottom")`` for
``HierarchicalVQVAE``).
"""

import keras
import numpy as np
from keras import ops

from kgen.api_export import kgen_export
from kgen.contract import Capability
from kgen.layers.vector_quantizer import VectorQuantizer
from kgen.models.base import GenerativeModel, is_placeholder_targets, map_batches
from kgen.models.discrete import networks
from kgen.validation import check_finite, check_rank_and_shape, describe, to_numpy

__all__ = [
    "VQVAE",
    "VectorQuantizedAutoencoder",
    "check_code_indices",
    "conv_vqvae",
]

DEFAULT_BATCH_SIZE = 256


def check_code_indices(indices, grid_shape, num_embeddings, name="indices"):
    """Check a batch of code grids; return int32 NumPy ``(batch, h, w)``.

    Args:
        indices: integer codes ``(batch, h, w)`` (one grid ``(h, w)`` is
            taken as a batch of one).
        grid_shape: ``(h, w)`` of the model's code grid.
        num_embeddings: the codebook's size ``K``; codes lie in ``[0, K - 1]``.
        name: what to call the codes in messages.

    Raises:
        ValueError: for a wrong shape, non-integer values or codes out of
            range, naming what was expected.

    Examples:
        >>> check_code_indices([[1, 2], [3, 0]], (2, 2), 4).shape
        (1, 2, 2)
    """
    codes = to_numpy(indices)
    grid_shape = tuple(grid_shape)
    if codes.shape == grid_shape:
        codes = codes[None]
    expected = (None, *grid_shape)
    if codes.ndim != 3 or tuple(codes.shape[1:]) != grid_shape:
        raise ValueError(
            f"Expected {name} as code grids with shape (batch, {grid_shape[0]}, "
            f"{grid_shape[1]}) (what encode_to_indices returns); received shape "
            f"{tuple(codes.shape)}."
        )
    check_rank_and_shape(codes, expected, name=name)
    if np.issubdtype(codes.dtype, np.floating):
        if not (np.all(np.isfinite(codes)) and np.all(codes == np.round(codes))):
            raise ValueError(
                f"Expected integer code indices in [0, {num_embeddings - 1}] for "
                f"{name}; received {describe(codes)}."
            )
    elif not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(
            f"Expected integer code indices for {name}; received {describe(codes)}."
        )
    if codes.size and (codes.min() < 0 or codes.max() > num_embeddings - 1):
        raise ValueError(
            f"Expected code indices in [0, {num_embeddings - 1}] for {name} (a "
            f"codebook of {num_embeddings} codes); received values in "
            f"[{codes.min()}, {codes.max()}]."
        )
    return codes.astype("int32")


def _output_shape(network, index=0):
    outputs = getattr(network, "outputs", None)
    if not outputs:
        raise ValueError(
            f"Could not read the output shape of {network.name!r}; use a "
            "functional keras.Model with fixed input shapes."
        )
    shape = outputs[index].shape
    if any(s is None for s in shape[1:]):
        raise ValueError(
            f"{network.name!r} must have a fixed output shape; received {shape}."
        )
    return tuple(int(s) for s in shape[1:])


def _input_shape(network, index=0):
    inputs = getattr(network, "inputs", None)
    if not inputs:
        raise ValueError(
            f"Could not read the input shape of {network.name!r}; use a "
            "functional keras.Model with fixed input shapes."
        )
    return tuple(int(s) for s in inputs[index].shape[1:])


def _quantizer(value, name):
    if isinstance(value, dict):
        value = keras.saving.deserialize_keras_object(value)
    if not isinstance(value, VectorQuantizer):
        raise ValueError(
            f"{name} must be a kgen.layers.VectorQuantizer; received "
            f"{type(value).__name__}."
        )
    return value


class VectorQuantizedAutoencoder(GenerativeModel):
    """What the VQ-VAEs share: loss, metrics and verbs over their code levels.

    Subclasses set ``levels`` (names of the code grids, coarse to fine),
    ``self.quantizers`` ``{level: VectorQuantizer}``, ``self.code_grid_shapes``
    ``{level: (h, w)}``, ``self.image_shape``, ``self.latent_shape`` (the
    shape of ``encode(x)["latent"]`` per example) and
    ``self.latent_description`` (its layout, in words), and implement

    - ``_quantize_levels(x, training)``: ``{level: quantizer results}``
      (encoders and quantizers);
    - ``_decode_vectors(vectors, training)``: images from ``{level: code
      vectors}``;
    - ``_latent_from_vectors`` / ``_vectors_from_latent``: the layout of
      ``"latent"``.

    Training minimises, per example (averaged over the batch, weighted by
    ``fit(..., sample_weight=...)``), the mean squared error of the
    reconstruction over the sub-pixels (the data are floats in [0, 1]) plus
    every quantizer's ``codebook + beta * commitment`` loss. ``fit`` logs
    ``reconstruction_loss``, ``vq_loss`` and, per level, the batch's
    ``perplexity`` and ``codebook_usage`` (prefixed with the level's name
    when there are several). Sample weights weight the loss; the EMA
    codebook statistics count every vector of the batch.

    Examples:
        The verbs every VQ-VAE shares, on a `VQVAE`:

        >>> import numpy as np
        >>> from kgen.models import VectorQuantizedAutoencoder, conv_vqvae
        >>> model = conv_vqvae((8, 8, 1), num_embeddings=8, embedding_dim=4,
        ...                    filters=(8,), num_residual_blocks=1)
        >>> isinstance(model, VectorQuantizedAutoencoder), model.levels
        (True, ('codes',))
        >>> model.num_embeddings, model.code_grid_shapes, model.latent_shape
        (8, {'codes': (4, 4)}, (4, 4, 4))
        >>> x = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
        >>> encoded = model.encode(x)
        >>> {name: value.shape for name, value in sorted(encoded.items())}
        {'indices': (2, 4, 4), 'latent': (2, 4, 4, 4), 'quantized': (2, 4, 4, 4)}
        >>> model.decode(encoded["latent"]).shape, model.reconstruct(x).shape
        ((2, 8, 8, 1), (2, 8, 8, 1))
    """

    data_kind = "unit"
    capabilities = frozenset(
        {Capability.ENCODE, Capability.DECODE, Capability.DISCRETE_CODES}
    )
    supports_sample_weight = True
    levels = ("codes",)

    def _make_trackers(self):
        self.reconstruction_loss_tracker = keras.metrics.Mean(
            name="reconstruction_loss"
        )
        self.vq_loss_tracker = keras.metrics.Mean(name="vq_loss")
        prefix = len(self.levels) > 1
        for level in self.levels:
            start = f"{level}_" if prefix else ""
            setattr(
                self,
                f"{level}_perplexity_tracker",
                keras.metrics.Mean(name=f"{start}perplexity"),
            )
            setattr(
                self,
                f"{level}_codebook_usage_tracker",
                keras.metrics.Mean(name=f"{start}codebook_usage"),
            )

    # -------------------------------------------------------------- declaration
    @property
    def num_embeddings(self):
        """Codebook sizes: an int (one level) or ``{level: K}``."""
        sizes = {level: q.num_embeddings for level, q in self.quantizers.items()}
        return sizes[self.levels[0]] if len(self.levels) == 1 else sizes

    def networks(self):
        """The model's networks (their layer losses join the training loss)."""
        raise NotImplementedError

    # ----------------------------------------------------------------- training
    def _forward(self, x, training=False):
        """``(reconstruction, {level: quantizer results})``."""
        results = self._quantize_levels(x, training=training)
        vectors = {level: results[level]["quantized"] for level in self.levels}
        return self._decode_vectors(vectors, training=training), results

    def call(self, inputs, training=False):
        # In training, fit's forward pass returns the images unchanged: the
        # loss pass (which updates the EMA codebooks) runs once, in
        # compute_loss.
        if training:
            return inputs
        reconstruction, _ = self._forward(ops.cast(inputs, "float32"), training=False)
        return reconstruction

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        if y is not None and not is_placeholder_targets(y):
            raise ValueError(
                f"{type(self).__name__} is unconditional and takes no labels; call "
                "fit(x) without y."
            )
        x = ops.cast(x, "float32")
        reconstruction, results = self._forward(x, training=training)
        batch = ops.shape(x)[0]
        # mean squared error over the sub-pixels, one value per example
        squared_error = ops.mean(
            ops.reshape(ops.square(x - reconstruction), (batch, -1)), axis=1
        )
        vq_loss = sum(results[level]["loss"] for level in self.levels)
        loss = self.weighted_mean(squared_error + vq_loss, sample_weight)
        self.reconstruction_loss_tracker.update_state(
            self.weighted_mean(squared_error, sample_weight), sample_weight=batch
        )
        self.vq_loss_tracker.update_state(
            self.weighted_mean(vq_loss, sample_weight), sample_weight=batch
        )
        for level in self.levels:
            getattr(self, f"{level}_perplexity_tracker").update_state(
                results[level]["perplexity"]
            )
            getattr(self, f"{level}_codebook_usage_tracker").update_state(
                results[level]["codebook_usage"]
            )
        # the networks' own layer losses (weight regularizers, ...); the
        # quantizers' layer losses are the per-example vq_loss above
        extra = [loss_ for network in self.networks() for loss_ in network.losses]
        if extra:
            loss = loss + ops.sum(ops.stack(extra))
        return self.scale_loss_for_distribution(loss)

    @property
    def metrics(self):
        return super().metrics

    # -------------------------------------------------------------- inference
    def _encode_batch(self, x):
        results = self._quantize_levels(ops.cast(x, "float32"), training=False)
        vectors = {level: results[level]["quantized"] for level in self.levels}
        out = {"latent": self._latent_from_vectors(vectors)}
        for level in self.levels:
            prefix = "" if len(self.levels) == 1 else f"{level}_"
            out[f"{prefix}indices"] = results[level]["indices"]
            out[f"{prefix}quantized"] = results[level]["quantized"]
        return out

    def _decode_latent_batch(self, latent):
        return self._decode_vectors(self._vectors_from_latent(latent))

    def _decode_indices_batch(self, *codes):
        vectors = {
            level: self.quantizers[level].lookup(grid)
            for level, grid in zip(self.levels, codes)
        }
        return self._decode_vectors(vectors)

    def encode(self, x, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """Encode images into named outputs.

        Args:
            x: floats in [0, 1], shape ``(batch, *image_shape)``.
            conditions: must be None (the model is unconditional).
            batch_size: examples per network call.

        Returns:
            A dict of NumPy arrays, one row per example: ``"latent"`` (what
            ``decode`` takes: the code vectors), and per level the code
            ``"indices"`` ``(batch, h, w)`` and the code vectors
            ``"quantized"`` ``(batch, h, w, D)`` (prefixed ``"top_"`` /
            ``"bottom_"`` for a two-level model).

        Raises:
            ValueError: for data outside the model's convention or labels.
        """
        x = self.check_x(x)
        self.check_conditions(conditions, len(x))
        fn = self.compiled_inference("encode", self._encode_batch)
        outputs = map_batches(fn, [x], batch_size)
        return {name: np.array(value) for name, value in outputs.items()}

    def _check_latents(self, latents):
        z = np.asarray(to_numpy(latents))
        if z.ndim >= 1 and z.shape[1:] == self.latent_shape:
            if not np.issubdtype(z.dtype, np.floating):
                z = z.astype("float32")
            check_finite(z, name="latents")
            return z.astype("float32")
        raise ValueError(
            f"Expected latents with shape (batch, {', '.join(map(str, self.latent_shape))}) "
            f"(encode(x)['latent']: {self.latent_description}); received shape "
            f"{tuple(z.shape)}. To decode code indices use decode_indices."
        )

    def decode(self, latents, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """Decode code vectors (``encode(x)["latent"]``) to images.

        Args:
            latents: float array ``(batch, *latent_shape)``: code vectors,
                or any vectors of that shape (e.g. interpolations).
            conditions: must be None.
            batch_size: examples per network call.

        Returns:
            NumPy float32 images in [0, 1], ``(batch, *image_shape)``.

        Raises:
            ValueError: for latents of the wrong shape or NaN.
        """
        z = self._check_latents(latents)
        self.check_conditions(conditions, len(z))
        fn = self.compiled_inference("decode", self._decode_latent_batch)
        return map_batches(fn, [z], batch_size).astype("float32")

    def reconstruct(self, x, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """``decode(encode(x)["latent"])``: images through the code bottleneck.

        Returns:
            NumPy float32 images shaped like ``x``.
        """
        latent = self.encode(x, conditions, batch_size=batch_size)["latent"]
        return self.decode(latent, batch_size=batch_size)

    def encode_to_indices(self, x, *, batch_size=DEFAULT_BATCH_SIZE):
        """The code grids of images.

        Args:
            x: floats in [0, 1], shape ``(batch, *image_shape)``.
            batch_size: examples per network call.

        Returns:
            int32 NumPy ``(batch, h, w)`` for one level; ``{level: grid}``
            (``"top"``, ``"bottom"``) for a two-level model.
        """
        encoded = self.encode(x, batch_size=batch_size)
        if len(self.levels) == 1:
            return encoded["indices"].astype("int32")
        return {
            level: encoded[f"{level}_indices"].astype("int32") for level in self.levels
        }

    def check_codes(self, codes, name="codes"):
        """Check code grids (``encode_to_indices``'s output); return int32 NumPy.

        Returns:
            ``(batch, h, w)`` for one level, ``{level: grid}`` for several.

        Raises:
            ValueError: for a wrong shape or structure, non-integer values or
                codes out of range.
        """
        if len(self.levels) == 1:
            level = self.levels[0]
            return check_code_indices(
                codes,
                self.code_grid_shapes[level],
                self.quantizers[level].num_embeddings,
                name=name,
            )
        if not isinstance(codes, dict) or set(codes) != set(self.levels):
            received = (
                sorted(codes) if isinstance(codes, dict) else type(codes).__name__
            )
            raise ValueError(
                f"Expected {name} as a dict with the keys {list(self.levels)} (what "
                f"encode_to_indices returns); received {received}."
            )
        checked = {
            level: check_code_indices(
                codes[level],
                self.code_grid_shapes[level],
                self.quantizers[level].num_embeddings,
                name=f"{name}[{level!r}]",
            )
            for level in self.levels
        }
        sizes = {len(v) for v in checked.values()}
        if len(sizes) != 1:
            raise ValueError(
                f"Expected as many grids of each level in {name}; received "
                f"{ {k: len(v) for k, v in checked.items()} }."
            )
        return checked

    def decode_indices(self, codes, *, batch_size=DEFAULT_BATCH_SIZE):
        """Decode code grids to images.

        Args:
            codes: int ``(batch, h, w)`` for one level, ``{level: grid}`` for
                a two-level model (``encode_to_indices``'s output).
            batch_size: examples per network call.

        Returns:
            NumPy float32 images in [0, 1], ``(batch, *image_shape)``.

        Raises:
            ValueError: for codes of the wrong shape or out of range.
        """
        codes = self.check_codes(codes)
        grids = [codes] if len(self.levels) == 1 else [codes[lv] for lv in self.levels]
        fn = self.compiled_inference("decode_indices", self._decode_indices_batch)
        return map_batches(fn, grids, batch_size).astype("float32")


@kgen_export
class VQVAE(VectorQuantizedAutoencoder):
    """A VQ-VAE: encoder, vector quantizer, decoder (one grid of codes).

    The encoder maps an image to a ``(h, w, D)`` grid of vectors, the
    `kgen.layers.VectorQuantizer` replaces each by its nearest code (the
    gradient passes straight through) and the decoder maps the code vectors
    back to an image in [0, 1]. See ``VectorQuantizedAutoencoder`` for the
    loss and the metrics.

    **Data**: floats in [0, 1] (``data_kind = "unit"``), like the other
    autoencoders: the decoder ends in a sigmoid, so reconstructions are in
    the data's range, the loss is the mean squared error in that range, and
    PSNR is ``-10 log10(MSE)`` with a peak of 1.

    **Latents**: ``encode(x)["latent"]`` is the grid of code vectors ``(h, w,
    D)`` and ``decode`` takes vectors of that shape (codes or any others);
    ``encode_to_indices`` / ``decode_indices`` move between images and the
    integer code grids ``(h, w)`` that a prior models.

    Args:
        encoder: functional model, images ``(batch, H, W, C)`` -> ``(batch, h,
            w, D)`` with ``D = quantizer.embedding_dim``.
        decoder: functional model, ``(batch, h, w, D)`` -> images in [0, 1].
        quantizer: a `kgen.layers.VectorQuantizer`.
        image_shape: ``(H, W, C)``; read from the encoder when omitted.
        **kwargs: standard model arguments.

    Raises:
        ValueError: when the networks' shapes do not fit the quantizer or
            each other.

    Examples:
        >>> import numpy as np
        >>> from kgen.models import conv_vqvae
        >>> x = np.random.default_rng(0).random((16, 8, 8, 1)).astype("float32")
        >>> model = conv_vqvae((8, 8, 1), num_embeddings=8, embedding_dim=4,
        ...                    filters=(8,), num_residual_blocks=1, decay=0.9)
        >>> model.compile(optimizer="adam")
        >>> history = model.fit(x, epochs=1, verbose=0)
        >>> sorted(history.history)
        ['codebook_usage', 'loss', 'perplexity', 'reconstruction_loss', 'vq_loss']
        >>> codes = model.encode_to_indices(x)
        >>> codes.shape, codes.dtype
        ((16, 4, 4), dtype('int32'))
        >>> model.decode_indices(codes).shape
        (16, 8, 8, 1)

    References:
        van den Oord, Vinyals, Kavukcuoglu. "Neural Discrete Representation
        Learning", NeurIPS 2017.
    """

    levels = ("codes",)

    config_objects = ("encoder", "decoder", "quantizer")

    def __init__(self, encoder, decoder, quantizer, image_shape=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.quantizer = _quantizer(quantizer, "quantizer")
        self.image_shape = (
            _input_shape(encoder)
            if image_shape is None
            else tuple(int(s) for s in image_shape)
        )
        latent_shape = _output_shape(encoder)
        if len(latent_shape) != 3 or latent_shape[-1] != self.quantizer.embedding_dim:
            raise ValueError(
                f"The encoder outputs {latent_shape}; the quantizer takes grids of "
                f"vectors (h, w, {self.quantizer.embedding_dim}) (its embedding_dim)."
            )
        if _input_shape(decoder) != latent_shape:
            raise ValueError(
                f"The decoder takes {_input_shape(decoder)}; the encoder gives "
                f"{latent_shape}. They must match."
            )
        if _output_shape(decoder) != self.image_shape:
            raise ValueError(
                f"The decoder outputs {_output_shape(decoder)}; the images are "
                f"{self.image_shape}."
            )
        self.latent_shape = latent_shape
        self.latent_description = "the grid of code vectors"
        self.quantizers = {"codes": self.quantizer}
        self.code_grid_shapes = {"codes": latent_shape[:2]}
        if not self.quantizer.built:
            self.quantizer.build((None, *latent_shape))
        self._make_trackers()
        self.built = True

    def networks(self):
        return [self.encoder, self.decoder]

    @property
    def code_grid_shape(self):
        """``(h, w)`` of the code grid."""
        return self.code_grid_shapes["codes"]

    def _quantize_levels(self, x, training=False):
        z = self.encoder(x, training=training)
        return {"codes": self.quantizer(z, training=training)}

    def _decode_vectors(self, vectors, training=False):
        return ops.cast(self.decoder(vectors["codes"], training=training), "float32")

    def _latent_from_vectors(self, vectors):
        return vectors["codes"]

    def _vectors_from_latent(self, latent):
        return {"codes": latent}

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "quantizer": keras.saving.serialize_keras_object(self.quantizer),
                "image_shape": list(self.image_shape),
            }
        )
        return config


def conv_vqvae(
    image_shape,
    num_embeddings=512,
    embedding_dim=64,
    filters=(32, 64),
    num_residual_blocks=2,
    residual_filters=None,
    *,
    commitment_cost=0.25,
    decay=None,
    dead_code_threshold=None,
    kmeans_init=False,
    seed=None,
    **kwargs,
):
    """A convolutional VQ-VAE (the paper's architecture, scaled by ``filters``).

    Args:
        image_shape: ``(H, W, C)``, sides multiples of ``2 ** len(filters)``.
        num_embeddings: codes in the codebook.
        embedding_dim: size of the code vectors.
        filters: channels of the encoder's strided convolutions (the
            decoder uses them reversed); one halving each.
        num_residual_blocks: residual blocks in the encoder and decoder.
        residual_filters: hidden channels of the residual blocks.
        commitment_cost, decay, dead_code_threshold, kmeans_init, seed: of
            the `kgen.layers.VectorQuantizer`.
        **kwargs: passed to ``VQVAE``.

    Returns:
        An uncompiled ``VQVAE`` with a code grid of ``(H / 2^n, W / 2^n)``.

    Examples:
        >>> model = conv_vqvae((8, 8, 1), num_embeddings=16, embedding_dim=4,
        ...                    filters=(8, 8), num_residual_blocks=1)
        >>> model.code_grid_shape
        (2, 2)
    """
    filters = tuple(filters)
    encoder = networks.vq_encoder(
        image_shape, embedding_dim, filters, num_residual_blocks, residual_filters
    )
    latent_shape = _output_shape(encoder)
    decoder = networks.vq_decoder(
        latent_shape,
        image_shape[-1],
        tuple(reversed(filters)),
        num_residual_blocks,
        residual_filters,
    )
    quantizer = VectorQuantizer(
        num_embeddings,
        embedding_dim,
        commitment_cost=commitment_cost,
        decay=decay,
        dead_code_threshold=dead_code_threshold,
        kmeans_init=kmeans_init,
        seed=seed,
        name="quantizer",
    )
    return VQVAE(encoder, decoder, quantizer, image_shape=image_shape, **kwargs)
