"""Every model trains on two devices as it does on one.

Keras's own distribution, on emulated CPU devices: JAX's
``keras.distribution.DataParallel`` over two XLA host devices and
TensorFlow's ``tf.distribute.MirroredStrategy`` over two logical CPUs (see
``train_on_devices.py``). The released Keras has no distribution for torch.

The cases are one per model class of the conformance registry and the
multi-network cases of ``extra_cases.py``: by default one per family and per
kind of training step (``extra_cases.DEFAULT_CASES``, to keep the suite's
time), every one with ``KGEN_DEVICE_CASES=all``. With plain SGD, a loss that is not
divided by the number of replicas shows twice: in the logged loss (Keras
multiplies every replica's loss back for display) and in an update twice as
large (``tf.distribute`` sums the replicas' gradients).
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from conformance import collect

sys.path.insert(0, os.path.dirname(__file__))
from extra_cases import EXTRA_CASES, selected_names  # noqa: E402

BACKEND = keras.config.backend()
SCRIPT = os.path.join(os.path.dirname(__file__), "train_on_devices.py")
NAMES = selected_names(
    sorted({c.name for c in collect()[1]}) + [c.name for c in EXTRA_CASES]
)

needs_distribution = pytest.mark.skipif(
    BACKEND == "torch",
    reason="the released Keras has no distribution for torch (docs: several devices)",
)


@pytest.mark.skipif(BACKEND != "torch", reason="a fact about Keras on torch")
def test_the_installed_keras_has_no_distribution_for_torch():
    # Keras 3.15 ships keras.distribution for JAX (and tf.distribute works on
    # TensorFlow); on torch its device listing is missing. When a Keras
    # release adds it, this fails: then add torch to the checks below and to
    # docs/guides/several-devices.md.
    with pytest.raises(AttributeError):
        keras.distribution.list_devices()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("devices") / "results.json"
    completed = subprocess.run(
        [sys.executable, SCRIPT, str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=1500,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(out.read_text())


@needs_distribution
@pytest.mark.parametrize("name", NAMES)
def test_two_devices_give_the_single_device_losses_and_updates(results, name):
    result = results[name]
    single, several = result["single"], result["several"]
    assert "error" not in single, single
    assert "error" not in several, several
    assert several["iterations"] == single["iterations"]
    assert set(several["history"]) == set(single["history"])
    single_update = np.asarray(single["update"])
    several_update = np.asarray(several["update"])
    if BACKEND == "jax" or result["exact"]:
        # JAX runs one global program over the sharded batch; the exact cases
        # have nothing per-replica on TensorFlow either
        for key, values in single["history"].items():
            np.testing.assert_allclose(
                several["history"][key], values, rtol=1e-4, atol=1e-5
            )
        np.testing.assert_allclose(several_update, single_update, rtol=1e-3, atol=1e-6)
        return
    # MirroredStrategy with per-replica randomness (dropout masks): the
    # numbers agree closely, not exactly; a missing 1 / num_replicas would
    # double the loss and the update.
    for key, values in single["history"].items():
        np.testing.assert_allclose(
            several["history"][key], values, rtol=0.15, atol=0.05
        )
    norm = np.linalg.norm(single_update)
    ratio = np.linalg.norm(several_update) / max(norm, 1e-12)
    cosine = (
        several_update
        @ single_update
        / max(np.linalg.norm(several_update) * norm, 1e-12)
    )
    assert 0.8 < ratio < 1.25, f"update norm ratio {ratio:.3f}"
    assert cosine > 0.9, f"update direction cosine {cosine:.3f}"


@needs_distribution
def test_the_lazy_phase_runs_on_schedule_under_the_distribution(results):
    several = results["ThreeNetworks"]["several"]
    assert several["iterations"] == {"encoder": 8, "decoder": 8, "critic": 2}
    assert several["history"]["lazy_marker"] == [1.0, 1.0]
