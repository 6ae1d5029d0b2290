"""Conformance entries for the adversarial family."""

import keras
import numpy as np

from conformance import LayerCase, ModelCase, compile_multi_network_with_sgd
from kgen.layers import ClassProjection
from kgen.models import GAN, WGAN, WGANGP, ConditionalGAN, dcgan_networks, mlp_networks

IMAGE_SHAPE = (8, 8, 1)
LATENT_DIM = 4
NUM_CLASSES = 3


def _images():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, size=(16,) + IMAGE_SHAPE).astype("float32")
    y = rng.integers(0, NUM_CLASSES, size=(16,)).astype("int32")
    return x, y


def _unlabelled_images():
    return _images()[0], None


def _points():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 2)).astype("float32"), None


def _compiled(model):
    model.compile(
        d_optimizer=keras.optimizers.Adam(1e-3),
        g_optimizer=keras.optimizers.Adam(1e-3),
    )
    return model


def _make_dcgan(synchronized_batch_norm=False):
    g, d = dcgan_networks(
        IMAGE_SHAPE,
        latent_dim=LATENT_DIM,
        base_filters=2,
        synchronized_batch_norm=synchronized_batch_norm,
    )
    return _compiled(GAN(g, d, LATENT_DIM, n_critic=2, ema_decay=0.9, seed=1))


def _make_wgan():
    g, d = mlp_networks(2, LATENT_DIM, hidden_units=8, num_layers=1)
    return _compiled(WGAN(g, d, LATENT_DIM, n_critic=2, critic_batches="reuse", seed=2))


def _make_wgan_gp():
    g, d = mlp_networks(2, LATENT_DIM, hidden_units=8, num_layers=1)
    return _compiled(WGANGP(g, d, LATENT_DIM, n_critic=2, seed=3))


def _make_cgan(synchronized_batch_norm=False):
    g, d = dcgan_networks(
        IMAGE_SHAPE,
        latent_dim=LATENT_DIM,
        base_filters=2,
        num_classes=NUM_CLASSES,
        synchronized_batch_norm=synchronized_batch_norm,
    )
    return _compiled(
        ConditionalGAN(g, d, LATENT_DIM, NUM_CLASSES, r1_weight=1.0, seed=4)
    )


def _outputs(model, x, y):
    return [model.sample(4, seed=0), model.discriminate(x)]


def _conditional_outputs(model, x, y):
    return [
        model.sample(4, seed=0, conditions=[0, 1, 2, 0]),
        model.discriminate(x, conditions=y),
    ]


def _optimizers(model):
    # every network's optimizer and the group that carries their state
    return [*model.network_optimizers.values(), model.optimizer]


LAYER_CASES = [
    LayerCase(
        name="ClassProjection",
        make=lambda: ClassProjection(num_classes=3),
        inputs=lambda: [
            np.random.default_rng(0).normal(size=(4, 5)).astype("float32"),
            np.array([0, 1, 2, 1], dtype="int32"),
        ],
    ),
]

MODEL_CASES = [
    ModelCase(
        name="GAN",
        make=_make_dcgan,
        data=_unlabelled_images,
        outputs=_outputs,
        optimizers=_optimizers,
        compile_with_sgd=compile_multi_network_with_sgd,
        make_for_devices=lambda: _make_dcgan(synchronized_batch_norm=True),
    ),
    ModelCase(
        name="WGAN",
        make=_make_wgan,
        data=_points,
        outputs=_outputs,
        optimizers=_optimizers,
        compile_with_sgd=compile_multi_network_with_sgd,
    ),
    ModelCase(
        name="WGANGP",
        make=_make_wgan_gp,
        data=_points,
        outputs=_outputs,
        optimizers=_optimizers,
        compile_with_sgd=compile_multi_network_with_sgd,
    ),
    ModelCase(
        name="ConditionalGAN",
        make=_make_cgan,
        data=_images,
        outputs=_conditional_outputs,
        optimizers=_optimizers,
        compile_with_sgd=compile_multi_network_with_sgd,
        make_for_devices=lambda: _make_cgan(synchronized_batch_norm=True),
    ),
]
