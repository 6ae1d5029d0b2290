"""Multi-network models on one device and on two emulated devices.

Run as a script (``test_two_devices.py`` starts it in a subprocess: the
emulated devices must be configured before the backend starts)::

    KERAS_BACKEND=tensorflow python tests/training/train_on_two_devices.py OUT.json
    KERAS_BACKEND=jax python tests/training/train_on_two_devices.py OUT.json

- TensorFlow: two logical CPU devices and ``tf.distribute.MirroredStrategy``
  (models built and fitted under ``strategy.scope()``), against
  ``OneDeviceStrategy``;
- JAX: ``XLA_FLAGS=--xla_force_host_platform_device_count=2`` and
  ``keras.distribution.DataParallel`` over both devices, against no
  distribution.

Cases (plain SGD: Adam would normalise a wrongly scaled gradient away):

- ``wgan_gp_exact``: a WGAN-GP whose samples do not depend on the noise (a
  generator that multiplies z by 0 before a bias) and a linear critic (the
  penalty does not depend on the interpolation weights), critic batches
  reused: nothing random reaches the updates, so two replicas must give the
  one-device losses and weights to rounding on both backends;
- ``wgan_gp_mlp``: a tiny WGAN-GP on ``mlp_networks`` with the defaults
  (fresh critic minibatches). JAX runs one global program. Under
  MirroredStrategy every replica draws its rows of the global batch's noise
  and interpolation weights (``kgen.backend.replica_draw``), and the strided
  critic split makes the replicas' minibatches add up to the one-device
  ones: the same numbers on both backends;
- ``wgan_gp_mlp_reuse``: the same with ``critic_batches="reuse"``;
- ``three_networks``: the three-optimizer model of ``multi_network_toys``
  with its every-4-steps phase (``tf.cond`` / ``jax.lax.cond`` under the
  distribution).

``--no-replica-scaling`` turns off the division of each phase loss by the
number of replicas (what kgen did before), to measure what it changes.
"""

import json
import os
import sys

BACKEND = os.environ.get("KERAS_BACKEND", "jax")
NUM_DEVICES = 2
if BACKEND == "jax":
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "")
        + f" --xla_force_host_platform_device_count={NUM_DEVICES}"
    )
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
elif BACKEND == "tensorflow":
    import tensorflow as tf

    _cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration()] * NUM_DEVICES
    )
else:
    raise SystemExit(f"no distribution for KERAS_BACKEND={BACKEND!r} in Keras 3.15")

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from multi_network_toys import ThreeNetworks, points  # noqa: E402

import kgen  # noqa: E402
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


def _wgan_gp_mlp():
    generator, critic = mlp_networks(2, 3, hidden_units=8, num_layers=1)
    model = WGANGP(generator, critic, 3, n_critic=2, seed=0)
    model.compile(d_optimizer=_sgd(), g_optimizer=_sgd())
    return model


def _wgan_gp_mlp_reuse():
    generator, critic = mlp_networks(2, 3, hidden_units=8, num_layers=1)
    model = WGANGP(generator, critic, 3, n_critic=2, critic_batches="reuse", seed=0)
    model.compile(d_optimizer=_sgd(), g_optimizer=_sgd())
    return model


def _three_networks():
    model = ThreeNetworks(lazy_every=4)
    model.compile(optimizers={name: _sgd() for name in model.network_names})
    return model


CASES = {
    "wgan_gp_exact": _wgan_gp_exact,
    "wgan_gp_mlp": _wgan_gp_mlp,
    "wgan_gp_mlp_reuse": _wgan_gp_mlp_reuse,
    "three_networks": _three_networks,
}


def _numpy(variable):
    value = getattr(variable, "value", variable)
    if BACKEND == "tensorflow":
        # a MirroredVariable: read it in the cross-replica context
        value = tf.convert_to_tensor(value)
    return np.asarray(keras.ops.convert_to_numpy(value), dtype="float64")


_STRATEGY = []


def _mirrored_strategy():
    # One strategy for the process: a second MirroredStrategy reuses the
    # collective instance keys of the first (seen: "Shape mismatch in the
    # collective instance 100" between two models' gradients).
    if not _STRATEGY:
        devices = [f"/cpu:{i}" for i in range(NUM_DEVICES)]
        _STRATEGY.append(tf.distribute.MirroredStrategy(devices))
        assert _STRATEGY[0].num_replicas_in_sync == NUM_DEVICES
    return _STRATEGY[0]


def _run(make, distributed):
    keras.utils.clear_session()
    keras.utils.set_random_seed(1234)
    x = points(32, seed=3)

    def build_and_fit():
        model = make()
        # 8 steps: the three-network model's lazy phase runs on steps 0 and 4
        history = model.fit(x, batch_size=8, epochs=2, shuffle=False, verbose=0)
        return {
            "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "weights": np.concatenate(
                [np.ravel(_numpy(v)) for v in model.trainable_variables]
            ).tolist(),
            "iterations": {
                name: int(_numpy(o.iterations))
                for name, o in model.network_optimizers.items()
            },
        }

    if not distributed:
        if BACKEND == "tensorflow":
            with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
                return build_and_fit()
        return build_and_fit()
    if BACKEND == "jax":
        import jax

        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=jax.devices())
        )
        try:
            return build_and_fit()
        finally:
            keras.distribution.set_distribution(None)
    with _mirrored_strategy().scope():
        return build_and_fit()


def main(argv):
    out_path = argv[0]
    if "--no-replica-scaling" in argv:
        kgen.backend.num_replicas = lambda: 1
    if BACKEND == "jax":
        import jax

        assert len(jax.devices()) == NUM_DEVICES, jax.devices()
    results = {}
    for name, make in CASES.items():
        results[name] = {}
        for key, distributed in (("single", False), ("several", True)):
            try:
                results[name][key] = _run(make, distributed=distributed)
            except Exception as error:  # reported, and a failure in the test
                results[name][key] = {"error": f"{type(error).__name__}: {error}"}
    with open(out_path, "w") as handle:
        json.dump(results, handle)
    for name, result in results.items():
        single, several = result["single"], result["several"]
        if "error" in single or "error" in several:
            print(f"{name}: {single.get('error', 'ok')} / {several.get('error', 'ok')}")
            continue
        diff = np.max(np.abs(np.subtract(single["weights"], several["weights"])))
        print(f"{name}: max |weight difference| {diff:.2e}")
        for key in single["history"]:
            print(f"  {key}: one device {single['history'][key]}")
            print(f"  {key}: two devices {several['history'][key]}")


if __name__ == "__main__":
    main(sys.argv[1:])
