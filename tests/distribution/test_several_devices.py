"""Every registered model trains on two devices as it does on one.

Keras's own distribution, on emulated CPU devices: JAX's
``keras.distribution.DataParallel`` over two XLA host devices and
TensorFlow's ``tf.distribute.MirroredStrategy`` over two logical CPUs (see
``train_on_devices.py``). The released Keras has no distribution for torch.

With plain SGD a loss that is not divided by the number of replicas shows up
twice: in the logged loss (Keras multiplies every replica's loss back for
display) and in an update twice as large (gradients are summed over
replicas).
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from conformance import collect

BACKEND = keras.config.backend()
_, MODEL_CASES = collect()
SCRIPT = os.path.join(os.path.dirname(__file__), "train_on_devices.py")

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
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    completed = subprocess.run(
        [sys.executable, SCRIPT, str(out)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=1500,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(out.read_text())


@needs_distribution
@pytest.mark.parametrize("case", MODEL_CASES, ids=lambda c: c.name)
def test_two_devices_give_the_single_device_losses_and_updates(results, case):
    result = results[case.name]
    single, several = result["single"], result["several"]
    assert set(single) == set(several)
    single_update = np.asarray(result["single_update"])
    several_update = np.asarray(result["several_update"])
    if BACKEND == "jax":
        # one global program over sharded data: the same numbers
        for key in single:
            np.testing.assert_allclose(several[key], single[key], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(several_update, single_update, rtol=1e-3, atol=1e-6)
        return
    # MirroredStrategy: each replica draws its own noise and computes batch
    # statistics on its half of the batch, so numbers agree only closely; a
    # missing 1 / num_replicas would double the loss and the update.
    for key in single:
        np.testing.assert_allclose(several[key], single[key], rtol=0.15, atol=0.05)
    ratio = np.linalg.norm(several_update) / max(np.linalg.norm(single_update), 1e-12)
    cosine = (
        several_update
        @ single_update
        / max(np.linalg.norm(several_update) * np.linalg.norm(single_update), 1e-12)
    )
    assert 0.8 < ratio < 1.25, f"update norm ratio {ratio:.3f}"
    assert cosine > 0.9, f"update direction cosine {cosine:.3f}"
