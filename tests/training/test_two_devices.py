"""Multi-network models train on two devices as on one (loss scaling).

Runs ``train_on_two_devices.py`` in a subprocess for the active backend:
``tf.distribute.MirroredStrategy`` over two logical CPUs on TensorFlow,
``keras.distribution.DataParallel`` over two XLA host devices on JAX (the
released Keras has no distribution for torch). ``tf.distribute`` sums the
replicas' gradients, so each phase's loss is divided by the number of
replicas; without that, the deterministic WGAN-GP below diverges on two
devices (its updates are twice as large) while it converges on one.

The cross-family harness is ``tests/distribution``; this test asks for the
one-device numbers to rounding on TensorFlow too: a WGAN-GP whose updates
involve no random numbers, tiny MLP WGAN-GPs with fresh and reused critic
minibatches (each replica draws its rows of the global batch's noise with
``kgen.backend.replica_draw``, and the strided critic split makes the
replicas' minibatches add up to the one-device ones), and the three-network
model with a phase that runs every 4 steps.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

BACKEND = keras.config.backend()
SCRIPT = os.path.join(os.path.dirname(__file__), "train_on_two_devices.py")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        BACKEND == "torch", reason="the released Keras has no distribution for torch"
    ),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("two_devices") / "results.json"
    completed = subprocess.run(
        [sys.executable, SCRIPT, str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    results = json.loads(out.read_text())
    for name, result in results.items():
        for key in ("single", "several"):
            assert "error" not in result[key], (name, key, result[key])
    return results


def _assert_same(single, several, rtol, atol):
    assert single["iterations"] == several["iterations"]
    assert set(single["history"]) == set(several["history"])
    for key, values in single["history"].items():
        np.testing.assert_allclose(
            several["history"][key], values, rtol=rtol, atol=atol
        )
    np.testing.assert_allclose(
        several["weights"], single["weights"], rtol=rtol, atol=atol
    )


@pytest.mark.parametrize(
    "name", ["wgan_gp_exact", "wgan_gp_mlp", "wgan_gp_mlp_reuse", "three_networks"]
)
def test_two_devices_give_the_one_device_losses_and_weights(results, name):
    _assert_same(results[name]["single"], results[name]["several"], 1e-5, 1e-6)


def test_the_lazy_phase_runs_on_schedule_under_the_distribution(results):
    several = results["three_networks"]["several"]
    assert several["iterations"] == {"encoder": 8, "decoder": 8, "critic": 2}
    assert several["history"]["lazy_marker"] == [1.0, 1.0]
