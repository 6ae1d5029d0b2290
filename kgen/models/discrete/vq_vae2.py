"""VQ-VAE-2: two grids of codes and an autoregressive prior over each.

``HierarchicalVQVAE`` is the two-level tokenizer of Razavi et al. (2019):
a coarse *top* grid of codes and a finer *bottom* grid whose encoder sees
the quantized top codes (so the bottom codes add what the top level
misses), both decoded together and trained end to end.

``VQVAE2`` composes a trained (or to be trained) ``HierarchicalVQVAE`` with
two token-grid autoregressive models of ``kgen.models.autoregressive`` (by
default Gated PixelCNNs with ``input_embedding="embedding"``): the *top
prior* over the top codes (class-conditional when built with
``num_classes``) and the *bottom prior* over the bottom codes, conditioned
on the top grid (``condition_grid_shape``). ``fit`` trains them stage by
stage; ``sample`` draws the top codes, then the bottom codes given them,
with the priors' fast sampler, and decodes.
"""

import math

import keras
import numpy as np
from keras import ops

from kgen.api_export import kgen_export
from kgen.contract import Capability
from kgen.layers.vector_quantizer import VectorQuantizer
from kgen.models.autoregressive.base import AutoregressiveModel
from kgen.models.autoregressive.gated_pixel_cnn import GatedPixelCNN
from kgen.models.base import is_placeholder_targets
from kgen.models.discrete import networks
from kgen.models.discrete.stages import StagedModel
from kgen.models.discrete.vq_vae import (
    DEFAULT_BATCH_SIZE,
    VectorQuantizedAutoencoder,
    _input_shape,
    _output_shape,
    _quantizer,
)
from kgen.validation import check_positive_int

__all__ = [
    "HierarchicalVQVAE",
    "VQVAE2",
    "conv_hierarchical_vqvae",
    "conv_vqvae2",
    "prior_seeds",
]

SAMPLING_METHODS = ("auto", "fast", "naive")


def prior_seeds(generator, count):
    """``count`` integer seeds drawn from a ``SeedGenerator``.

    A two-stage model samples its priors with their own ``sample(seed=s)``;
    drawing those seeds from the model's sampling stream keeps one stream
    for the whole model (``seed=None`` advances it, an int seed reproduces
    it) and leaves the priors' own streams alone.

    Examples:
        >>> import keras
        >>> from kgen.models import prior_seeds
        >>> seeds = prior_seeds(keras.random.SeedGenerator(0), 2)
        >>> len(seeds), all(isinstance(s, int) for s in seeds)
        (2, True)
        >>> prior_seeds(keras.random.SeedGenerator(0), 2) == seeds  # reproducible
        True
    """
    draws = keras.random.randint((count,), 0, 2**31 - 1, seed=generator, dtype="int32")
    return [int(v) for v in np.asarray(ops.convert_to_numpy(draws)).reshape(-1)]


@kgen_export
class HierarchicalVQVAE(VectorQuantizedAutoencoder):
    """A two-level VQ-VAE (the tokenizer of VQ-VAE-2): top and bottom codes.

    ``encoder`` gives bottom-resolution features and the top latent; the top
    quantizer quantizes it; ``bottom_encoder`` maps ``[features, top code
    vectors]`` to the bottom latent (the bottom codes are conditioned on the
    top codes); the bottom quantizer quantizes it; ``decoder`` maps
    ``[bottom code vectors, top code vectors]`` to the image. Both levels
    train together (the gradient passes straight through both quantizers).
    See ``VectorQuantizedAutoencoder`` for the loss; the metrics are
    ``top_perplexity``, ``top_codebook_usage``, ``bottom_perplexity`` and
    ``bottom_codebook_usage``.

    **Latents**: ``encode(x)["latent"]`` is one vector per example, the top
    code vectors then the bottom code vectors, each flattened in raster
    order (``latent_shape``); ``encode`` also returns ``top_indices``,
    ``bottom_indices``, ``top_quantized`` and ``bottom_quantized``.
    ``encode_to_indices`` returns ``{"top": (batch, h_t, w_t), "bottom":
    (batch, h_b, w_b)}``, which ``decode_indices`` takes.

    Args:
        encoder: functional model, images -> ``[features (batch, h_b, w_b,
            F), top_latent (batch, h_t, w_t, D_t)]``.
        bottom_encoder: functional model, ``[features, top code vectors]``
            -> ``(batch, h_b, w_b, D_b)``.
        decoder: functional model, ``[bottom code vectors, top code
            vectors]`` -> images in [0, 1].
        top_quantizer: `kgen.layers.VectorQuantizer` with ``embedding_dim =
            D_t``.
        bottom_quantizer: `kgen.layers.VectorQuantizer` with ``embedding_dim
            = D_b``.
        image_shape: ``(H, W, C)``; read from the encoder when omitted.
        **kwargs: standard model arguments.

    Raises:
        ValueError: when the networks' shapes do not fit each other or the
            quantizers.

    Examples:
        >>> import numpy as np
        >>> from kgen.models import conv_hierarchical_vqvae
        >>> model = conv_hierarchical_vqvae((8, 8, 1), num_embeddings=(8, 16),
        ...                                 embedding_dim=4, filters=8,
        ...                                 bottom_halvings=1, num_residual_blocks=1)
        >>> model.code_grid_shapes
        {'top': (2, 2), 'bottom': (4, 4)}
        >>> codes = model.encode_to_indices(np.zeros((3, 8, 8, 1), "float32"))
        >>> codes["top"].shape, codes["bottom"].shape
        ((3, 2, 2), (3, 4, 4))

    References:
        Razavi, van den Oord, Vinyals. "Generating Diverse High-Fidelity
        Images with VQ-VAE-2", NeurIPS 2019.
    """

    levels = ("top", "bottom")

    config_objects = (
        "encoder",
        "bottom_encoder",
        "decoder",
        "top_quantizer",
        "bottom_quantizer",
    )

    def __init__(
        self,
        encoder,
        bottom_encoder,
        decoder,
        top_quantizer,
        bottom_quantizer,
        image_shape=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.bottom_encoder = bottom_encoder
        self.decoder = decoder
        self.top_quantizer = _quantizer(top_quantizer, "top_quantizer")
        self.bottom_quantizer = _quantizer(bottom_quantizer, "bottom_quantizer")
        self.image_shape = (
            _input_shape(encoder)
            if image_shape is None
            else tuple(int(s) for s in image_shape)
        )
        if len(getattr(encoder, "outputs", []) or []) != 2:
            raise ValueError(
                "The encoder must have two outputs, [bottom features, top latent] "
                "(see kgen.models.discrete.hierarchical_vq_networks)."
            )
        features_shape = _output_shape(encoder, 0)
        top_shape = _output_shape(encoder, 1)
        bottom_shape = _output_shape(bottom_encoder)
        for name, shape, quantizer in (
            ("top latent", top_shape, self.top_quantizer),
            ("bottom latent", bottom_shape, self.bottom_quantizer),
        ):
            if len(shape) != 3 or shape[-1] != quantizer.embedding_dim:
                raise ValueError(
                    f"The {name} has shape {shape}; its quantizer takes grids of "
                    f"vectors (h, w, {quantizer.embedding_dim})."
                )
        expected_inputs = [features_shape, top_shape]
        if [_input_shape(bottom_encoder, i) for i in range(2)] != expected_inputs:
            raise ValueError(
                "The bottom encoder must take [features, top code vectors] of shapes "
                f"{expected_inputs}."
            )
        if [_input_shape(decoder, i) for i in range(2)] != [bottom_shape, top_shape]:
            raise ValueError(
                "The decoder must take [bottom code vectors, top code vectors] of "
                f"shapes {[bottom_shape, top_shape]}."
            )
        if _output_shape(decoder) != self.image_shape:
            raise ValueError(
                f"The decoder outputs {_output_shape(decoder)}; the images are "
                f"{self.image_shape}."
            )
        self.quantizers = {"top": self.top_quantizer, "bottom": self.bottom_quantizer}
        self.code_grid_shapes = {"top": top_shape[:2], "bottom": bottom_shape[:2]}
        self._vector_shapes = {"top": top_shape, "bottom": bottom_shape}
        self.latent_shape = (int(math.prod(top_shape)) + int(math.prod(bottom_shape)),)
        self.latent_description = (
            "the top code vectors then the bottom code vectors, flattened"
        )
        for level, quantizer in self.quantizers.items():
            if not quantizer.built:
                quantizer.build((None, *self._vector_shapes[level]))
        self._make_trackers()
        self.built = True

    def networks(self):
        return [self.encoder, self.bottom_encoder, self.decoder]

    def _quantize_levels(self, x, training=False):
        features, top_latent = self.encoder(x, training=training)
        top = self.top_quantizer(top_latent, training=training)
        bottom_latent = self.bottom_encoder(
            [features, top["quantized"]], training=training
        )
        bottom = self.bottom_quantizer(bottom_latent, training=training)
        return {"top": top, "bottom": bottom}

    def _decode_vectors(self, vectors, training=False):
        out = self.decoder([vectors["bottom"], vectors["top"]], training=training)
        return ops.cast(out, "float32")

    def _latent_from_vectors(self, vectors):
        batch = ops.shape(vectors["top"])[0]
        return ops.concatenate(
            [ops.reshape(vectors[level], (batch, -1)) for level in self.levels], axis=1
        )

    def _vectors_from_latent(self, latent):
        sizes = [int(math.prod(self._vector_shapes[level])) for level in self.levels]
        top = latent[:, : sizes[0]]
        bottom = latent[:, sizes[0] :]
        return {
            "top": ops.reshape(top, (-1, *self._vector_shapes["top"])),
            "bottom": ops.reshape(bottom, (-1, *self._vector_shapes["bottom"])),
        }

    def get_config(self):
        config = super().get_config()
        for key in (
            "encoder",
            "bottom_encoder",
            "decoder",
            "top_quantizer",
            "bottom_quantizer",
        ):
            config[key] = keras.saving.serialize_keras_object(getattr(self, key))
        config["image_shape"] = list(self.image_shape)
        return config


def _pair(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be an int or a (top, bottom) pair; received {value!r}."
            )
        return tuple(value)
    return (value, value)


def conv_hierarchical_vqvae(
    image_shape,
    num_embeddings=512,
    embedding_dim=64,
    filters=64,
    bottom_halvings=2,
    top_halvings=1,
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
    """A convolutional two-level VQ-VAE (``hierarchical_vq_networks``).

    Args:
        image_shape: ``(H, W, C)``.
        num_embeddings: codebook size, or ``(top, bottom)`` sizes.
        embedding_dim: code vector size, or ``(top, bottom)`` sizes.
        filters, bottom_halvings, top_halvings, num_residual_blocks,
            residual_filters: of ``hierarchical_vq_networks``.
        commitment_cost, decay, dead_code_threshold, kmeans_init, seed: of
            both quantizers (the bottom one's seed is ``seed + 1``).
        **kwargs: passed to ``HierarchicalVQVAE``.

    Returns:
        An uncompiled ``HierarchicalVQVAE``.
    """
    top_codes, bottom_codes = _pair(num_embeddings, "num_embeddings")
    top_dim, bottom_dim = _pair(embedding_dim, "embedding_dim")
    encoder, bottom_encoder, decoder = networks.hierarchical_vq_networks(
        image_shape,
        top_dim,
        bottom_dim,
        filters=filters,
        bottom_halvings=bottom_halvings,
        top_halvings=top_halvings,
        num_residual_blocks=num_residual_blocks,
        residual_filters=residual_filters,
    )

    def quantizer(codes, dim, offset, name):
        return VectorQuantizer(
            codes,
            dim,
            commitment_cost=commitment_cost,
            decay=decay,
            dead_code_threshold=dead_code_threshold,
            kmeans_init=kmeans_init,
            seed=None if seed is None else seed + offset,
            name=name,
        )

    return HierarchicalVQVAE(
        encoder,
        bottom_encoder,
        decoder,
        quantizer(top_codes, top_dim, 0, "top_quantizer"),
        quantizer(bottom_codes, bottom_dim, 1, "bottom_quantizer"),
        image_shape=image_shape,
        **kwargs,
    )


def _check_prior(prior, name, grid_shape, num_levels, condition=None):
    if isinstance(prior, dict):
        prior = keras.saving.deserialize_keras_object(prior)
    if not isinstance(prior, AutoregressiveModel) or not prior.has(Capability.SAMPLE):
        raise ValueError(
            f"{name} must be a token-grid autoregressive model of "
            f"kgen.models.autoregressive (e.g. GatedPixelCNN); received "
            f"{type(prior).__name__}."
        )
    if tuple(prior.data_shape) != tuple(grid_shape) or prior.num_levels != num_levels:
        raise ValueError(
            f"{name} models grids {tuple(prior.data_shape)} of {prior.num_levels} "
            f"levels; the tokenizer's {name.split('_')[0]} codes are {tuple(grid_shape)} "
            f"grids of {num_levels} codes. Build it with data_shape={tuple(grid_shape)}, "
            f"num_levels={num_levels}."
        )
    wanted = None if condition is None else tuple(condition[0])
    have = prior.condition_grid_shape
    if (None if have is None else tuple(have)) != wanted or (
        condition is not None and prior.condition_grid_levels != condition[1]
    ):
        expected = (
            "no condition grid"
            if condition is None
            else f"condition_grid_shape={wanted}, condition_grid_levels={condition[1]}"
        )
        raise ValueError(f"{name} must be built with {expected}.")
    return prior


@kgen_export
class VQVAE2(StagedModel):
    """VQ-VAE-2: a two-level tokenizer and an autoregressive prior per level.

    Three saved kgen models, composed (not copied):

    - ``tokenizer``: a ``HierarchicalVQVAE`` (top and bottom code grids);
    - ``top_prior``: a token-grid autoregressive model over the top codes
      (e.g. ``GatedPixelCNN(top_grid, num_levels=K_top,
      input_embedding="embedding", num_classes=...)``); its ``num_classes``
      is the model's: a class-conditional top prior makes a class-conditional
      model;
    - ``bottom_prior``: one over the bottom codes, built with
      ``condition_grid_shape`` = the top grid and ``condition_grid_levels =
      K_top`` (it reads the whole top grid at every position); it may also
      take the class labels (its own ``num_classes``).

    **Training, stage by stage**: ``fit(x, labels)`` runs ``tokenizer.fit(x)``,
    then ``top_prior.fit(top_codes, labels)`` and ``bottom_prior.fit(
    {"tokens": bottom_codes, "condition_grid": top_codes}, labels)`` on the
    codes of the trained tokenizer; ``epochs`` may differ per stage and
    ``stages=`` trains a subset (see ``StagedModel.fit``). ``compile`` gives
    each stage its own optimizer, and the ``.keras`` file holds the three
    models with their optimizers: ``keras.saving.load_model`` restores the
    whole pipeline in one call.

    **Sampling**: ``sample`` draws the top codes from the top prior, the
    bottom codes from the bottom prior given them (``method="auto"``: each
    prior's fast sampler where it has one) and decodes both grids.

    **Codes** are lossy: ``code_log_prob`` is the exact log-probability of
    an image's *codes* under the priors (a code length), not a likelihood
    of the image, so the model declares no likelihood capability.

    Args:
        tokenizer: a ``HierarchicalVQVAE``.
        top_prior: an autoregressive model over the top grid (see above).
        bottom_prior: an autoregressive model over the bottom grid,
            conditioned on the top grid.
        **kwargs: standard model arguments.

    Raises:
        ValueError: when a prior does not model the tokenizer's grids and
            codebooks (with what to build instead).

    Examples:
        >>> import numpy as np
        >>> from kgen.models import conv_vqvae2
        >>> x = np.random.default_rng(0).random((8, 8, 8, 1)).astype("float32")
        >>> labels = np.arange(8) % 2
        >>> model = conv_vqvae2((8, 8, 1), num_classes=2, num_embeddings=8,
        ...                     embedding_dim=4, filters=8, bottom_halvings=1,
        ...                     num_residual_blocks=1, prior_filters=8,
        ...                     prior_layers=2, decay=0.9, seed=0)
        >>> model.compile(optimizer="adam")
        >>> history = model.fit(x, labels, epochs=1, verbose=0)
        >>> "top_prior_bits_per_dim" in history.history
        True
        >>> model.sample(4, seed=0, conditions=[0, 1, 0, 1]).shape
        (4, 8, 8, 1)

    References:
        Razavi, van den Oord, Vinyals. "Generating Diverse High-Fidelity
        Images with VQ-VAE-2", NeurIPS 2019; van den Oord et al. "Conditional
        Image Generation with PixelCNN Decoders", NeurIPS 2016.
    """

    data_kind = "unit"
    capabilities = frozenset(
        {
            Capability.SAMPLE,
            Capability.ENCODE,
            Capability.DECODE,
            Capability.DISCRETE_CODES,
        }
    )
    stages = ("tokenizer", "top_prior", "bottom_prior")
    config_objects = stages

    def __init__(self, tokenizer, top_prior, bottom_prior, **kwargs):
        super().__init__(**kwargs)
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        if not isinstance(tokenizer, HierarchicalVQVAE):
            raise ValueError(
                "tokenizer must be a kgen.models.HierarchicalVQVAE; received "
                f"{type(tokenizer).__name__}."
            )
        self.tokenizer = tokenizer
        grids = tokenizer.code_grid_shapes
        sizes = tokenizer.num_embeddings
        self.top_prior = _check_prior(
            top_prior, "top_prior", grids["top"], sizes["top"]
        )
        self.bottom_prior = _check_prior(
            bottom_prior,
            "bottom_prior",
            grids["bottom"],
            sizes["bottom"],
            condition=(grids["top"], sizes["top"]),
        )
        self.num_classes = self.top_prior.num_classes
        if self.bottom_prior.num_classes not in (None, self.num_classes):
            raise ValueError(
                f"The bottom prior takes {self.bottom_prior.num_classes} classes and "
                f"the top prior {self.num_classes}; they must agree (or the bottom "
                "prior be unconditional)."
            )
        self.image_shape = tokenizer.image_shape
        self.built = True

    # ---------------------------------------------------------------- stages
    def _stage_data(self, stage, x, y, state):
        if stage == "tokenizer":
            return x, None
        if "codes" not in state:
            state["codes"] = self.tokenizer.encode_to_indices(np.asarray(x))
        codes = state["codes"]
        if is_placeholder_targets(y):
            y = None
        if stage == "top_prior":
            return codes["top"], y if self.top_prior.num_classes else None
        labels = y if self.bottom_prior.num_classes else None
        return {"tokens": codes["bottom"], "condition_grid": codes["top"]}, labels

    # ------------------------------------------------------------ the codes
    def encode(self, x, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """The tokenizer's ``encode`` (labels, when given, are checked, not used)."""
        x = self.check_x(x)
        self._optional_conditions(conditions, len(x))
        return self.tokenizer.encode(x, batch_size=batch_size)

    def decode(self, latents, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """The tokenizer's ``decode`` of ``encode(x)["latent"]``."""
        images = self.tokenizer.decode(latents, batch_size=batch_size)
        self._optional_conditions(conditions, len(images))
        return images

    def reconstruct(self, x, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """Images through the two code grids (the tokenizer's ``reconstruct``)."""
        x = self.check_x(x)
        self._optional_conditions(conditions, len(x))
        return self.tokenizer.reconstruct(x, batch_size=batch_size)

    def encode_to_indices(self, x, *, batch_size=DEFAULT_BATCH_SIZE):
        """``{"top": (batch, h_t, w_t), "bottom": (batch, h_b, w_b)}`` int32 codes."""
        return self.tokenizer.encode_to_indices(x, batch_size=batch_size)

    def decode_indices(self, codes, *, batch_size=DEFAULT_BATCH_SIZE):
        """Images of ``{"top": ..., "bottom": ...}`` code grids."""
        return self.tokenizer.decode_indices(codes, batch_size=batch_size)

    def _optional_conditions(self, conditions, count):
        # the tokenizer is unconditional: labels are optional here
        if conditions is not None:
            self.check_conditions(conditions, count)

    def code_log_prob(self, x, conditions=None, *, codes=None, batch_size=64):
        """Exact ``log p(top codes) + log p(bottom codes | top codes)``, nats.

        The code length of each image under the priors: ``-code_log_prob /
        ln 2`` bits name the image's codes, from which the tokenizer decodes
        its reconstruction (a lossy code: this is not ``log p(x)``).

        Args:
            x: images (floats in [0, 1]), or None with ``codes``.
            conditions: class labels (class-conditional models).
            codes: ``{"top": ..., "bottom": ...}`` instead of ``x``.
            batch_size: examples per prior call.

        Returns:
            NumPy float32 ``(batch,)``.
        """
        if codes is None:
            codes = self.tokenizer.encode_to_indices(self.check_x(x))
        else:
            codes = self.tokenizer.check_codes(codes)
        count = len(codes["top"])
        labels = self.check_conditions(conditions, count)
        top = self.top_prior.log_prob(codes["top"], labels, batch_size=batch_size)
        bottom = self.bottom_prior.log_prob(
            codes["bottom"],
            labels if self.bottom_prior.num_classes else None,
            condition_grid=codes["top"],
            batch_size=batch_size,
        )
        return (top + bottom).astype("float32")

    # -------------------------------------------------------------- sampling
    @staticmethod
    def _method(prior, method):
        if method not in SAMPLING_METHODS:
            raise ValueError(
                f"method must be one of {SAMPLING_METHODS}; received {method!r}."
            )
        if method == "auto":
            return "fast" if prior.has(Capability.FAST_SAMPLING) else "naive"
        return method

    def sample_codes(
        self,
        num_samples,
        *,
        seed=None,
        conditions=None,
        temperature=1.0,
        method="auto",
        batch_size=16,
    ):
        """Draw code grids top-down: top codes, then bottom codes given them.

        Args: as ``sample``.

        Returns:
            ``{"top": (num_samples, h_t, w_t), "bottom": (num_samples, h_b,
            w_b)}`` int32 NumPy.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        labels = self.check_conditions(conditions, num_samples)
        top_seed, bottom_seed = prior_seeds(self.sampling_seed_generator(seed), 2)
        top = self.top_prior.sample(
            num_samples,
            seed=top_seed,
            conditions=labels,
            temperature=temperature,
            method=self._method(self.top_prior, method),
            batch_size=batch_size,
        ).astype("int32")
        bottom = self.bottom_prior.sample(
            num_samples,
            seed=bottom_seed,
            conditions=labels if self.bottom_prior.num_classes else None,
            condition_grid=top,
            temperature=temperature,
            method=self._method(self.bottom_prior, method),
            batch_size=batch_size,
        ).astype("int32")
        return {"top": top, "bottom": bottom}

    def sample(
        self,
        num_samples,
        *,
        seed=None,
        conditions=None,
        temperature=1.0,
        method="auto",
        batch_size=16,
    ):
        """Draw images: codes from the two priors, decoded by the tokenizer.

        Args:
            num_samples: number of images.
            seed: integer seed (the same seed gives the same images on one
                backend), or None for the model's own sampling stream.
            conditions: class labels, one per image or one for all
                (class-conditional models: required).
            temperature: positive float dividing the priors' logits.
            method: ``"auto"`` (each prior's fast sampler where it declares
                ``FAST_SAMPLING``), ``"fast"`` or ``"naive"``.
            batch_size: grids sampled together.

        Returns:
            NumPy float32 images in [0, 1], ``(num_samples, *image_shape)``.

        Raises:
            ValueError: for bad arguments or conditions.
        """
        codes = self.sample_codes(
            num_samples,
            seed=seed,
            conditions=conditions,
            temperature=temperature,
            method=method,
            batch_size=batch_size,
        )
        return self.tokenizer.decode_indices(codes)

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        for key in self.stages:
            config[key] = keras.saving.serialize_keras_object(getattr(self, key))
        return config


def conv_vqvae2(
    image_shape,
    num_classes=None,
    *,
    num_embeddings=512,
    embedding_dim=64,
    filters=64,
    bottom_halvings=2,
    top_halvings=1,
    num_residual_blocks=2,
    commitment_cost=0.25,
    decay=0.99,
    dead_code_threshold=None,
    kmeans_init=False,
    prior_filters=64,
    prior_layers=8,
    prior_embedding_dim=None,
    seed=None,
    **kwargs,
):
    """A VQ-VAE-2 with a convolutional tokenizer and Gated PixelCNN priors.

    The top prior is class-conditional when ``num_classes`` is set; the
    bottom prior is conditioned on the top grid (and not on the class,
    which the top codes already carry).

    Args:
        image_shape: ``(H, W, C)``.
        num_classes: classes of a class-conditional model, or None.
        num_embeddings, embedding_dim, filters, bottom_halvings,
            top_halvings, num_residual_blocks, commitment_cost, decay,
            dead_code_threshold, kmeans_init: of
            ``conv_hierarchical_vqvae``.
        prior_filters: channels of the priors' stacks.
        prior_layers: gated blocks of each prior.
        prior_embedding_dim: size of the priors' code embeddings (default:
            ``prior_filters``).
        seed: integer seed of the quantizers.
        **kwargs: passed to ``VQVAE2``.

    Returns:
        An uncompiled ``VQVAE2`` (``compile`` gives each stage an optimizer).
    """
    tokenizer = conv_hierarchical_vqvae(
        image_shape,
        num_embeddings,
        embedding_dim,
        filters,
        bottom_halvings,
        top_halvings,
        num_residual_blocks,
        commitment_cost=commitment_cost,
        decay=decay,
        dead_code_threshold=dead_code_threshold,
        kmeans_init=kmeans_init,
        seed=seed,
        name="tokenizer",
    )
    grids = tokenizer.code_grid_shapes
    sizes = tokenizer.num_embeddings
    dim = prior_embedding_dim or prior_filters

    def kernel(grid):
        # the first block's kernel: at most the grid, odd
        side = min(7, 2 * (min(grid) // 2) + 1)
        return max(3, side)

    top_prior = GatedPixelCNN(
        grids["top"],
        num_levels=sizes["top"],
        num_classes=num_classes,
        filters=prior_filters,
        num_layers=prior_layers,
        first_kernel_size=kernel(grids["top"]),
        input_embedding="embedding",
        embedding_dim=dim,
        name="top_prior",
    )
    bottom_prior = GatedPixelCNN(
        grids["bottom"],
        num_levels=sizes["bottom"],
        filters=prior_filters,
        num_layers=prior_layers,
        first_kernel_size=kernel(grids["bottom"]),
        input_embedding="embedding",
        embedding_dim=dim,
        condition_grid_shape=grids["top"],
        condition_grid_levels=sizes["top"],
        name="bottom_prior",
    )
    return VQVAE2(tokenizer, top_prior, bottom_prior, **kwargs)
