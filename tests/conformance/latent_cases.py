"""Conformance cases for the latent-variable layers and models."""

import keras
import numpy as np

from conformance import LayerCase, ModelCase
from kgen.layers.latent import (
    GaussianSampling,
    GumbelSoftmaxSampling,
    MixtureOfGaussiansPrior,
)
from kgen.models.latent import (
    conditional_mlp_vae,
    mlp_autoencoder,
    mlp_categorical_vae,
    mlp_mixture_prior_vae,
    mlp_vae,
)

IMAGE_SHAPE = (4, 4, 1)
LEVELS = 5


def _images(num=16, seed=0):
    return np.random.default_rng(seed).random((num, *IMAGE_SHAPE)).astype("float32")


def _levels(num=16, seed=0):
    """Floats on the grid k / (LEVELS - 1), what the discrete decoders take."""
    k = np.random.default_rng(seed).integers(0, LEVELS, size=(num, *IMAGE_SHAPE))
    return (k / (LEVELS - 1)).astype("float32")


def _labels(num=16):
    return (np.arange(num) % 3).astype("int32")


def _compiled(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def _numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value))


def _latent_outputs(model, x, y):
    """Named encodings and the decoded latent: deterministic, and every
    encoder and decoder weight enters."""
    conditions = {} if model.num_classes is None else {"conditions": y}
    codes = model.encode(x, **conditions)
    return [codes[k] for k in sorted(codes)] + [
        model.decode(codes["latent"], **conditions)
    ]


def _mixture_outputs(model, x, y):
    latent = model.encode(x)["latent"]
    return _latent_outputs(model, x, y) + [_numpy(model.prior(latent))]


def _vae_case(make, data=lambda: (_images(), None), outputs=_latent_outputs):
    return ModelCase(name="VAE", make=make, data=data, outputs=outputs)


LAYER_CASES = [
    LayerCase(
        name="GaussianSampling",
        make=lambda: GaussianSampling(seed=3),
        inputs=lambda: [
            np.linspace(-1, 1, 12).reshape(4, 3).astype("float32"),
            np.zeros((4, 3), "float32"),
        ],
        call_kwargs={"use_mean": True},
    ),
    LayerCase(
        name="GumbelSoftmaxSampling",
        make=lambda: GumbelSoftmaxSampling(temperature=0.7, seed=3),
        inputs=lambda: np.linspace(-2, 2, 24).reshape(2, 3, 4).astype("float32"),
        call_kwargs={"use_mode": True},
    ),
    LayerCase(
        name="MixtureOfGaussiansPrior",
        make=lambda: MixtureOfGaussiansPrior(latent_dim=3, num_components=4, seed=3),
        inputs=lambda: np.linspace(-2, 2, 15).reshape(5, 3).astype("float32"),
    ),
]

MODEL_CASES = [
    ModelCase(
        name="Autoencoder",
        make=lambda: _compiled(
            mlp_autoencoder(IMAGE_SHAPE, code_dim=3, hidden_units=(8,))
        ),
        data=lambda: (_images(), None),
        outputs=_latent_outputs,
    ),
    # the first VAE case is the one the contract tests use
    _vae_case(
        lambda: _compiled(
            mlp_vae(
                IMAGE_SHAPE,
                latent_dim=2,
                hidden_units=(8,),
                likelihood="discretized_logistic",
                num_levels=LEVELS,
                num_logistic_mix=2,
                seed=1,
            )
        ),
        data=lambda: (_levels(), None),
    ),
    _vae_case(
        lambda: _compiled(mlp_vae(IMAGE_SHAPE, latent_dim=2, hidden_units=(8,), seed=1))
    ),
    # dequantized training: its own noise stream travels with the file
    _vae_case(
        lambda: _compiled(
            mlp_vae(
                IMAGE_SHAPE,
                latent_dim=2,
                hidden_units=(8,),
                likelihood="gaussian",
                num_levels=LEVELS,
                dequantize=True,
                seed=1,
            )
        ),
        data=lambda: (_levels(), None),
    ),
    # class-conditional through the constructor argument
    _vae_case(
        lambda: _compiled(
            mlp_vae(
                IMAGE_SHAPE,
                latent_dim=2,
                hidden_units=(8,),
                likelihood="categorical",
                num_levels=LEVELS,
                num_classes=3,
                seed=1,
            )
        ),
        data=lambda: (_levels(), _labels()),
    ),
    ModelCase(
        name="ConditionalVAE",
        make=lambda: _compiled(
            conditional_mlp_vae(
                IMAGE_SHAPE,
                num_classes=3,
                latent_dim=2,
                hidden_units=(8,),
                likelihood="discretized_logistic",
                num_levels=LEVELS,
                seed=1,
            )
        ),
        data=lambda: (_levels(), _labels()),
        outputs=_latent_outputs,
    ),
    ModelCase(
        name="MixturePriorVAE",
        make=lambda: _compiled(
            mlp_mixture_prior_vae(
                IMAGE_SHAPE,
                latent_dim=2,
                num_components=3,
                hidden_units=(8,),
                likelihood="categorical",
                num_levels=LEVELS,
                seed=1,
            )
        ),
        data=lambda: (_levels(), None),
        outputs=_mixture_outputs,
    ),
    ModelCase(
        name="CategoricalVAE",
        make=lambda: _compiled(
            mlp_categorical_vae(
                IMAGE_SHAPE,
                num_latents=2,
                num_categories=3,
                hidden_units=(8,),
                likelihood="gaussian_fixed",
                num_levels=LEVELS,
                seed=1,
            )
        ),
        data=lambda: (_levels(), None),
        outputs=_latent_outputs,
    ),
]
