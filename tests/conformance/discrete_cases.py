"""Conformance entries for the discrete-latent layers and models.

Tiny networks on 4x4 images: a 2x2 code grid for the one-level models, a
1x1 top and 2x2 bottom grid for the two-level ones, codebooks of 4 codes,
captions of 2 words. The first VQVAE case (the one the contract and the
several-devices checks use) has the EMA codebook with dead-code restarts,
so its non-trainable state, its restarts and its metrics go through every
check.
"""

import keras
import numpy as np

from conformance import LayerCase, ModelCase
from kgen.layers import CausalSelfAttention, TransformerDecoderBlock, VectorQuantizer
from kgen.models import (
    TextImageTransformer,
    conv_hierarchical_vqvae,
    conv_vqvae,
    conv_vqvae2,
    dalle,
)
from kgen.text import WordTokenizer

SHAPE = (4, 4, 1)
CAPTIONS = ["small boot", "large bag", "small bag", "large boot"]
VOCABULARY = ["small", "large", "boot", "bag"]


def _images(num=16, seed=0):
    return np.random.default_rng(seed).random((num, *SHAPE)).astype("float32")


def _labels(num=16):
    return (np.arange(num) % 2).astype("int32")


def _adam():
    return keras.optimizers.Adam(1e-3)


def _vqvae(**codebook):
    model = conv_vqvae(
        SHAPE,
        num_embeddings=4,
        embedding_dim=2,
        filters=(4,),
        num_residual_blocks=1,
        seed=5,
        **codebook,
    )
    model.compile(optimizer=_adam())
    return model


def _tokenizer_outputs(model, x, y):
    encoded = model.encode(x)
    return [encoded[k] for k in sorted(encoded)] + [model.reconstruct(x)]


def _hierarchical():
    model = conv_hierarchical_vqvae(
        SHAPE,
        num_embeddings=(4, 4),
        embedding_dim=2,
        filters=4,
        bottom_halvings=1,
        top_halvings=1,
        num_residual_blocks=1,
        decay=0.9,
        seed=5,
    )
    model.compile(optimizer=_adam())
    return model


def _vqvae2():
    model = conv_vqvae2(
        SHAPE,
        num_classes=2,
        num_embeddings=4,
        embedding_dim=2,
        filters=4,
        bottom_halvings=1,
        top_halvings=1,
        num_residual_blocks=1,
        decay=0.9,
        prior_filters=4,
        prior_layers=1,
        seed=5,
    )
    model.compile(optimizer=_adam())
    return model


def _vqvae2_outputs(model, x, y):
    return [model.reconstruct(x), model.code_log_prob(x, y)]


def _transformer():
    model = TextImageTransformer(
        (2, 2),
        num_codes=4,
        text_vocabulary_size=6,
        text_length=2,
        embedding_dim=4,
        num_layers=1,
        num_heads=2,
        text_dropout=0.25,
        seed=5,
    )
    model.compile(optimizer=_adam())
    return model


def _transformer_data():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, size=(16, 2, 2)).astype("int32")
    captions = rng.integers(0, 6, size=(16, 2)).astype("int32")
    return codes, captions


def _dalle():
    model = dalle(
        SHAPE,
        VOCABULARY,
        max_length=2,
        num_embeddings=4,
        embedding_dim=2,
        filters=(4,),
        num_residual_blocks=1,
        transformer_dim=4,
        num_layers=1,
        num_heads=2,
        text_dropout=0.25,
        seed=5,
    )
    model.compile(optimizer=_adam())
    return model


def _dalle_data():
    x = _images()
    ids = WordTokenizer(VOCABULARY, max_length=2).encode(CAPTIONS * 4)
    return x, ids


def _dalle_outputs(model, x, y):
    codes = model.image_tokenizer.encode_to_indices(x)
    return [
        model.image_tokenizer.reconstruct(x),
        model.transformer.log_prob(codes, captions=y),
    ]


def _stage_optimizers(model):
    return list(model.network_optimizers.values())


LAYER_CASES = [
    LayerCase(
        name="VectorQuantizer",
        make=lambda: VectorQuantizer(6, 3, commitment_cost=0.5, seed=1),
        inputs=lambda: (
            np.random.default_rng(0).normal(size=(2, 3, 3, 3)).astype("float32")
        ),
    ),
    LayerCase(
        name="VectorQuantizer",
        make=lambda: VectorQuantizer(
            6,
            3,
            decay=0.9,
            dead_code_threshold=0.5,
            kmeans_init=True,
            kmeans_iterations=3,
            seed=1,
        ),
        inputs=lambda: np.random.default_rng(0).normal(size=(4, 3)).astype("float32"),
        call_kwargs={"training": False},
    ),
    LayerCase(
        name="CausalSelfAttention",
        make=lambda: CausalSelfAttention(num_heads=2, key_dim=3),
        inputs=lambda: (
            np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
        ),
    ),
    LayerCase(
        name="TransformerDecoderBlock",
        make=lambda: TransformerDecoderBlock(num_heads=2, mlp_dim=6),
        inputs=lambda: (
            np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
        ),
    ),
]

MODEL_CASES = [
    # first VQVAE case: the contract and several-devices checks use it
    ModelCase(
        name="VQVAE",
        make=lambda: _vqvae(decay=0.9, dead_code_threshold=0.95),
        data=lambda: (_images(), None),
        outputs=_tokenizer_outputs,
    ),
    ModelCase(
        name="VQVAE",
        make=lambda: _vqvae(commitment_cost=0.5),
        data=lambda: (_images(), None),
        outputs=_tokenizer_outputs,
    ),
    ModelCase(
        name="HierarchicalVQVAE",
        make=_hierarchical,
        data=lambda: (_images(), None),
        outputs=_tokenizer_outputs,
    ),
    ModelCase(
        name="VQVAE2",
        make=_vqvae2,
        data=lambda: (_images(), _labels()),
        outputs=_vqvae2_outputs,
        optimizers=_stage_optimizers,
    ),
    ModelCase(
        name="TextImageTransformer",
        make=_transformer,
        data=_transformer_data,
        outputs=lambda model, x, y: model.log_prob(x, captions=y),
    ),
    ModelCase(
        name="DALLE",
        make=_dalle,
        data=_dalle_data,
        outputs=_dalle_outputs,
        optimizers=_stage_optimizers,
    ),
]
