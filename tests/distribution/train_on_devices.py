"""Train every model case on one device and on two emulated devices.

Run as a script (``test_several_devices.py`` starts it in a subprocess,
because the emulated devices must be configured before the backend starts)::

    KERAS_BACKEND=jax python tests/distribution/train_on_devices.py OUT.json
    KERAS_BACKEND=tensorflow python tests/distribution/train_on_devices.py OUT.json

- JAX: ``XLA_FLAGS=--xla_force_host_platform_device_count=2`` (set here before
  JAX starts) and ``keras.distribution.DataParallel`` over both devices;
- TensorFlow: two logical CPU devices and one ``tf.distribute.MirroredStrategy``
  for the process (a second strategy reuses the first one's collective
  instance keys: "Shape mismatch in the collective instance").

The cases are those of the conformance registry (one per model class) and
``extra_cases.EXTRA_CASES``; by default the subset
``extra_cases.DEFAULT_CASES``, all of them with ``KGEN_DEVICE_CASES=all``. Each fresh model is recompiled with plain SGD
(Adam normalises the gradient's scale away, so it would hide a loss that is
wrong by a factor of the number of replicas), then fitted on one device and
under the distribution from the same seed and data. The logged losses, the
weight updates and every optimizer's iterations go to ``OUT.json``.
``--no-replica-scaling`` turns off the division of losses by the number of
replicas, to see what it changes.
"""

import json
import os
import sys
import time

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
    raise SystemExit(f"no distribution for KERAS_BACKEND={BACKEND!r} in this Keras")

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
from conformance import collect  # noqa: E402
from extra_cases import EXTRA_CASES, selected_names  # noqa: E402

import kgen  # noqa: E402

_STRATEGY = []


def _strategy():
    if not _STRATEGY:
        devices = [f"/cpu:{i}" for i in range(NUM_DEVICES)]
        _STRATEGY.append(tf.distribute.MirroredStrategy(devices))
    return _STRATEGY[0]


def _numpy(variable):
    value = getattr(variable, "value", variable)
    if BACKEND == "tensorflow":
        value = tf.convert_to_tensor(value)  # a MirroredVariable, read across
    return np.asarray(keras.ops.convert_to_numpy(value), dtype="float64")


def _weights(model, paths=None):
    """Trainable weights, flat; ``paths``: only those variables (a staged
    model such as VQVAE2 builds its later stages' networks inside ``fit``)."""
    variables = model.trainable_variables
    if paths is not None:
        by_path = {v.path: v for v in variables}
        variables = [by_path[p] for p in paths]
    return np.concatenate([np.ravel(_numpy(v)) for v in variables])


def _iterations(model):
    optimizers = getattr(model, "network_optimizers", None) or {
        "optimizer": model.optimizer
    }
    return {name: int(_numpy(o.iterations)) for name, o in optimizers.items()}


def _run(case, distributed):
    keras.utils.clear_session()
    keras.utils.set_random_seed(1234)
    x, y = case.data()
    make = case.make
    if BACKEND == "tensorflow" and case.make_for_devices is not None:
        make = case.make_for_devices

    def build_and_fit():
        model = make()
        case.compile_with_sgd(model)
        if not model.trainable_variables:
            model.build(None)  # models that build their network lazily
        paths = [v.path for v in model.trainable_variables]
        before = _weights(model, paths)
        history = model.fit(
            x,
            y,
            batch_size=case.batch_size,
            epochs=case.epochs_on_several_devices,
            shuffle=False,
            verbose=0,
        ).history
        return {
            "history": {k: [float(v) for v in vs] for k, vs in history.items()},
            "update": (_weights(model, paths) - before).tolist(),
            "iterations": _iterations(model),
        }

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
    with _strategy().scope():
        return build_and_fit()


def _cases():
    seen, cases = set(), []
    for case in collect()[1]:
        if case.name not in seen:
            seen.add(case.name)
            cases.append(case)
    cases = cases + EXTRA_CASES
    names = selected_names([c.name for c in cases])
    return [c for c in cases if c.name in names]


def main(argv):
    if "--no-replica-scaling" in argv:
        kgen.backend.num_replicas = lambda: 1
    if BACKEND == "jax":
        import jax

        assert len(jax.devices()) == NUM_DEVICES, jax.devices()
    results = {}
    for case in _cases():
        entry = {"exact": case.exact_on_several_devices}
        start = time.perf_counter()
        for key, distributed in (("single", False), ("several", True)):
            try:
                entry[key] = _run(case, distributed)
            except Exception as error:  # reported; a failure in the test
                entry[key] = {"error": f"{type(error).__name__}: {error}"}
        entry["seconds"] = round(time.perf_counter() - start, 1)
        print(f"{case.name}: {entry['seconds']} s", file=sys.stderr, flush=True)
        results[case.name] = entry
    with open(argv[0], "w") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main(sys.argv[1:])
