"""Train every registered model on one device and on two emulated devices.

Run as a script (``tests/distribution/test_several_devices.py`` starts it in a
subprocess, because the emulated devices must be configured before the
backend starts)::

    KERAS_BACKEND=jax python tests/distribution/train_on_devices.py OUT.json

- JAX: ``XLA_FLAGS=--xla_force_host_platform_device_count=2`` (set here before
  JAX starts) and ``keras.distribution.DataParallel`` over both devices;
- TensorFlow: two logical CPU devices and ``tf.distribute.MirroredStrategy``.

For each conformance model case it recompiles the fresh model with plain SGD
(Adam normalises the gradient's scale away, so it would hide a loss that is
wrong by a factor of the number of replicas), fits one epoch on one device
and one under the distribution, from the same seed and data, and writes the
logged losses and the weight updates to ``OUT.json``.
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

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from conformance import collect  # noqa: E402


def _weights(model):
    return np.concatenate(
        [
            np.ravel(keras.ops.convert_to_numpy(v)).astype("float64")
            for v in model.trainable_variables
        ]
    )


def _run(case, distributed):
    keras.utils.clear_session()
    keras.utils.set_random_seed(1234)
    x, y = case.data()

    def build_and_fit():
        model = case.make()
        case.compile_with_sgd(model)
        before = _weights(model)
        history = model.fit(
            x, y, batch_size=case.batch_size, epochs=1, shuffle=False, verbose=0
        ).history
        return history, _weights(model) - before

    if not distributed:
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
    strategy = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(NUM_DEVICES)])
    with strategy.scope():
        return build_and_fit()


def main(out_path):
    if BACKEND == "jax":
        import jax

        assert len(jax.devices()) == NUM_DEVICES, jax.devices()
    _, model_cases = collect()
    results = {}
    for case in model_cases:
        single_history, single_update = _run(case, distributed=False)
        several_history, several_update = _run(case, distributed=True)
        results[case.name] = {
            "single": {k: [float(v) for v in vs] for k, vs in single_history.items()},
            "several": {k: [float(v) for v in vs] for k, vs in several_history.items()},
            "single_update": single_update.tolist(),
            "several_update": several_update.tolist(),
            "stochastic": not case.deterministic_step,
        }
    with open(out_path, "w") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main(sys.argv[1])
