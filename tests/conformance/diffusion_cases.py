"""Conformance entries for the diffusion family (layers, DiffusionModel)."""

import keras
import numpy as np

from conformance import LayerCase, ModelCase
from kgen.layers import (
    DiffusionResidualBlock,
    SinusoidalTimeEmbedding,
    SpatialSelfAttention,
)
from kgen.models import DiffusionModel, diffusion_mlp

IMAGE_SHAPE = (4, 4, 1)
NUM_CLASSES = 3
NUM_TIMESTEPS = 10


def _images():
    rng = np.random.default_rng(0)
    # floats on the 256-level grid of [-1, 1], the declared convention
    k = rng.integers(0, 256, size=(16, *IMAGE_SHAPE))
    return (2.0 * k / 255.0 - 1.0).astype("float32"), None


def _labelled_points():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 2)).astype("float32")
    return x, (np.arange(16) % NUM_CLASSES).astype("int32")


def _compiled(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model


def _small_image_network():
    """The U-Net's pieces in a few layers: a full diffusion_unet costs ~15 s
    to build on JAX (tracing each of its ~50 layer calls), and the registry
    builds this model a dozen times; tests/models/diffusion covers the
    U-Net and the command line trains, saves and reloads one."""
    x = keras.Input(IMAGE_SHAPE, name="x_t")
    t = keras.Input((), dtype="int32", name="timestep")
    emb = SinusoidalTimeEmbedding(8)(t)
    h = keras.layers.Conv2D(4, 3, padding="same")(x)
    h = DiffusionResidualBlock(4, num_groups=2)([h, emb])
    h = SpatialSelfAttention(num_groups=2)(h)
    out = keras.layers.Conv2D(IMAGE_SHAPE[-1], 3, padding="same")(h)
    return keras.Model([x, t], out)


def _make_image_model():
    return _compiled(
        DiffusionModel(
            _small_image_network(),
            schedule="cosine",
            num_timesteps=NUM_TIMESTEPS,
            ema_decay=0.9,
            seed=1,
        )
    )


def _make_conditional_vector_model():
    network = diffusion_mlp(
        2, hidden_units=(8,), num_classes=NUM_CLASSES, learned_variance=True
    )
    return _compiled(
        DiffusionModel(
            network,
            # a given array of betas (saved in the config as the array)
            schedule=np.linspace(1e-3, 0.3, NUM_TIMESTEPS).tolist(),
            prediction_type="v",
            variance_type="learned_range",
            loss_weighting="min_snr",
            num_classes=NUM_CLASSES,
            label_dropout=0.25,
            seed=2,
        )
    )


def _outputs(model, x, y):
    """The DDIM encoding (EMA weights where kept) and the raw network's
    prediction at a fixed timestep: deterministic, every weight enters."""
    conditions = {} if model.num_classes is None else {"conditions": y}
    latent = model.encode(x, **conditions)["latent"]
    raw = model.denoise(x, 3, use_ema=False, **conditions)
    return [latent, raw["epsilon"], raw.get("log_variance", raw["x0"])]


LAYER_CASES = [
    LayerCase(
        name="SinusoidalTimeEmbedding",
        make=lambda: SinusoidalTimeEmbedding(6),
        inputs=lambda: np.array([0, 3, 9], "int32"),
    ),
    LayerCase(
        name="DiffusionResidualBlock",
        make=lambda: DiffusionResidualBlock(4, num_groups=2),
        inputs=lambda: [
            np.linspace(-1, 1, 2 * 3 * 3 * 2).reshape(2, 3, 3, 2).astype("float32"),
            np.linspace(-1, 1, 10).reshape(2, 5).astype("float32"),
        ],
        call_kwargs={"training": False},
    ),
    LayerCase(
        name="SpatialSelfAttention",
        make=lambda: SpatialSelfAttention(num_heads=2, num_groups=2),
        inputs=lambda: (
            np.linspace(-1, 1, 2 * 3 * 3 * 4).reshape(2, 3, 3, 4).astype("float32")
        ),
    ),
]

MODEL_CASES = [
    # the first case is the one the contract tests use
    ModelCase(
        name="DiffusionModel",
        make=_make_image_model,
        data=_images,
        outputs=_outputs,
        exact_on_several_devices=True,
    ),
    ModelCase(
        name="DiffusionModel",
        make=_make_conditional_vector_model,
        data=_labelled_points,
        outputs=_outputs,
        exact_on_several_devices=True,
    ),
]
