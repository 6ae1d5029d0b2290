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


def _images(num=16, seed=0):
    return np.random.default_rng(seed).random((num, *IMAGE_SHAPE)).astype("float32")


def _labels(num=16):
    return (np.arange(num) % 3).astype("int32")


def _compiled(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def _numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value))


def _vae_outputs(model, x, y):
    """Posterior parameters and decoder parameters at the posterior mean:
    deterministic, and every encoder and decoder weight enters."""
    one_hot = model._one_hot(y) if model.num_classes else None
    params = model._encode_tensor(x, one_hot)
    decoded = model._decoder_distribution(model._latent_point(params), one_hot)
    outputs = [_numpy(p) for p in (params if isinstance(params, tuple) else [params])]
    outputs += [
        _numpy(d) for d in (decoded if isinstance(decoded, tuple) else [decoded])
    ]
    return outputs


def _mixture_outputs(model, x, y):
    mean = model.encode(x)[0]
    return _vae_outputs(model, x, y) + [_numpy(model.prior(mean))]


def _autoencoder_outputs(model, x, y):
    return [model.encode(x), model.reconstruct(x)]


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
        outputs=_autoencoder_outputs,
    ),
    ModelCase(
        name="VAE",
        make=lambda: _compiled(
            mlp_vae(IMAGE_SHAPE, latent_dim=2, hidden_units=(8,), seed=1)
        ),
        data=lambda: (_images(), None),
        outputs=_vae_outputs,
    ),
    ModelCase(
        name="ConditionalVAE",
        make=lambda: _compiled(
            conditional_mlp_vae(
                IMAGE_SHAPE, num_classes=3, latent_dim=2, hidden_units=(8,), seed=1
            )
        ),
        data=lambda: (_images(), _labels()),
        outputs=_vae_outputs,
    ),
    ModelCase(
        name="MixturePriorVAE",
        make=lambda: _compiled(
            mlp_mixture_prior_vae(
                IMAGE_SHAPE, latent_dim=2, num_components=3, hidden_units=(8,), seed=1
            )
        ),
        data=lambda: (_images(), None),
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
                seed=1,
            )
        ),
        data=lambda: (_images(), None),
        outputs=_vae_outputs,
    ),
]
