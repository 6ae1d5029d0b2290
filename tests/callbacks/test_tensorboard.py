"""keras.callbacks.TensorBoard records a GAN's losses, on every backend.

Needs the `tensorboard` package, which the `test` and `dev` extras install
(TensorFlow's CPU wheel no longer brings it). The event files are read back
with tensorboard's own reader, not with TensorFlow.
"""

import keras
import numpy as np
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

from kgen.models.adversarial import GAN, mlp_networks


def _read_scalars(log_dir):
    """Every scalar in the event files of log_dir: tag -> [(step, value)]."""
    reader = event_accumulator.EventAccumulator(
        str(log_dir),
        size_guidance={event_accumulator.TENSORS: 0, event_accumulator.SCALARS: 0},
    )
    reader.Reload()
    scalars = {}
    # Keras writes tf.summary v2 scalars (tensor events); v1 ones are scalars.
    for tag in reader.Tags()["tensors"]:
        scalars[tag] = [
            (event.step, float(tensor_util.make_ndarray(event.tensor_proto)))
            for event in reader.Tensors(tag)
        ]
    for tag in reader.Tags()["scalars"]:
        scalars[tag] = [(event.step, event.value) for event in reader.Scalars(tag)]
    return scalars


def test_gan_losses_reach_the_event_files(tmp_path):
    generator, discriminator = mlp_networks(2, 3, hidden_units=8, num_layers=1)
    model = GAN(generator, discriminator, 3, seed=0)
    model.compile(
        d_optimizer=keras.optimizers.Adam(1e-3),
        g_optimizer=keras.optimizers.Adam(1e-3),
    )
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    history = model.fit(
        x,
        batch_size=16,
        epochs=3,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(log_dir=str(tmp_path))],
    )
    scalars = _read_scalars(tmp_path / "train")
    for name in ("d_loss", "g_loss"):
        assert f"epoch_{name}" in scalars, sorted(scalars)
        steps, values = zip(*scalars[f"epoch_{name}"])
        assert steps == (0, 1, 2)
        # the very numbers fit reports, one per epoch
        np.testing.assert_allclose(values, history.history[name], rtol=1e-6)
        assert len(set(values)) > 1  # training moved them
