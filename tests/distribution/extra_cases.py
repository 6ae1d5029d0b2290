"""Cases the several-devices checks run besides the conformance registry.

They ask for the one-device numbers *to rounding* on TensorFlow too, where
nothing per-replica reaches the updates:

- ``WGANGP_exact``: a WGAN-GP whose samples do not depend on the noise (a
  generator that multiplies z by 0 before a bias) and a linear critic (the
  penalty does not depend on the interpolation weights), critic batches
  reused: nothing random reaches the updates;
- ``WGANGP_fresh`` / ``WGANGP_reuse``: tiny MLP WGAN-GPs. Under
  MirroredStrategy every replica draws its rows of the global batch's noise
  and interpolation weights (``kgen.backend.replica_draw``), and the strided
  critic split makes the replicas' minibatches add up to the one-device ones;
- ``ThreeNetworks``: the three-optimizer test model of
  ``tests/training/multi_network_toys.py``, with a phase that runs every 4
  steps (``tf.cond`` / ``jax.lax.cond`` under the distribution); 2 epochs of
  4 steps, so the lazy phase runs on steps 0 and 4.

Each model is compiled with plain SGD already.
"""

import os
import sys

import keras
from conformance import ModelCase

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "training"))
from multi_network_toys import ThreeNetworks, points  # noqa: E402

from kgen.models import WGANGP, mlp_networks  # noqa: E402


def _sgd(rate=0.05):
    return keras.optimizers.SGD(rate)


def _wgan_gp_exact():
    generator = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Lambda(lambda z: 0.0 * z),
            keras.layers.Dense(
                2, bias_initializer=keras.initializers.RandomNormal(seed=1)
            ),
        ]
    )
    critic = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(2.0)),
        ]
    )
    model = WGANGP(generator, critic, 3, n_critic=2, critic_batches="reuse", seed=0)
    model.compile(d_optimizer=_sgd(), g_optimizer=_sgd())
    return model


def _wgan_gp_mlp(critic_batches):
    def make():
        generator, critic = mlp_networks(2, 3, hidden_units=8, num_layers=1)
        model = WGANGP(
            generator, critic, 3, n_critic=2, critic_batches=critic_batches, seed=0
        )
        model.compile(d_optimizer=_sgd(), g_optimizer=_sgd())
        return model

    return make


def _three_networks():
    model = ThreeNetworks(lazy_every=4)
    model.compile(optimizers={name: _sgd() for name in model.network_names})
    return model


def _case(name, make):
    return ModelCase(
        name=name,
        make=make,
        data=lambda: (points(32, seed=3), None),
        outputs=lambda model, x, y: [],
        compile_with_sgd=lambda model: None,
        exact_on_several_devices=True,
        epochs_on_several_devices=2,
    )


EXTRA_CASES = [
    _case("WGANGP_exact", _wgan_gp_exact),
    _case("WGANGP_fresh", _wgan_gp_mlp("fresh")),
    _case("WGANGP_reuse", _wgan_gp_mlp("reuse")),
    _case("ThreeNetworks", _three_networks),
]
for _extra in EXTRA_CASES:
    _extra.batch_size = 8

#: The cases the suite runs by default: one per family and one per kind of
#: training step that distribution can get wrong (a loss mean, a gradient
#: penalty with fresh critic batches, synchronized batch statistics and class
#: conditioning, an EMA codebook update, a diffusion loss over random times, a
#: lazy phase under ``cond``). The other cases share these steps' code; all of
#: them run with ``KGEN_DEVICE_CASES=all`` (or a comma-separated list of names).
DEFAULT_CASES = (
    "VAE",
    "PixelCNN",
    "WGANGP",
    "WGANGP_fresh",
    "BigGAN",
    "VQVAE",
    "DiffusionModel",
    "ThreeNetworks",
)


def selected_names(all_names):
    """The case names ``KGEN_DEVICE_CASES`` selects from ``all_names``."""
    wanted = os.environ.get("KGEN_DEVICE_CASES", "")
    if wanted == "all":
        return list(all_names)
    names = wanted.split(",") if wanted else DEFAULT_CASES
    unknown = sorted(set(names) - set(all_names))
    if unknown:
        raise ValueError(f"KGEN_DEVICE_CASES names unknown cases {unknown}")
    return [n for n in all_names if n in names]
