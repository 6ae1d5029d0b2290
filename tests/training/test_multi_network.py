"""kgen.training.MultiNetworkModel: named networks, one optimizer each.

The model under test (``multi_network_toys.ThreeNetworks``) has three
networks and three optimizers, and a phase that runs every ``lazy_every``
steps and counts its runs in a non-trainable variable.
"""

import os

import keras
import numpy as np
import pytest
from multi_network_toys import ThreeNetworks, points, sgd_optimizers

from kgen.backend import JointPhase, Phase
from kgen.training import MultiNetworkModel, OptimizerGroup

BACKEND = keras.config.backend()


def _numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value))


def _iterations(model):
    return {
        name: int(_numpy(optimizer.iterations))
        for name, optimizer in model.network_optimizers.items()
    }


def _weights(model):
    return {name: net.get_weights() for name, net in model.networks.items()}


def _model(lazy_every=4, learning_rate=0.1, **compile_kwargs):
    model = ThreeNetworks(lazy_every=lazy_every)
    model.compile(optimizers=sgd_optimizers(learning_rate), **compile_kwargs)
    return model


# steps_per_execution > 1 runs several steps in one compiled call (JAX and
# TensorFlow; torch takes only 1).
@pytest.mark.parametrize("steps_per_execution", [1] if BACKEND == "torch" else [1, 4])
def test_every_optimizer_advances_and_the_lazy_phase_runs_every_fourth_step(
    steps_per_execution,
):
    model = _model(steps_per_execution=steps_per_execution)
    assert isinstance(model.optimizer, OptimizerGroup)
    assert model.optimizer.optimizers == list(model.network_optimizers.values())
    before = _weights(model)
    # 16 points, batch 2: 8 steps per epoch; 2 epochs = 16 steps.
    history = model.fit(points(), batch_size=2, epochs=2, shuffle=False, verbose=0)
    steps = 16
    assert _iterations(model) == {
        "encoder": steps,
        "decoder": steps,
        "critic": steps // 4,
    }
    assert int(_numpy(model.optimizer.iterations)) == steps
    assert float(_numpy(model.lazy_count)) == steps // 4
    # Every network moved: each optimizer's state was carried (on JAX a
    # member outside model.optimizer would be reset each step).
    for name, old in before.items():
        for a, b in zip(old, model.networks[name].get_weights()):
            assert not np.allclose(a, b), name
    # The lazy phase's tracker averages only the steps on which it ran.
    np.testing.assert_allclose(history.history["lazy_marker"], [1.0, 1.0])
    assert np.all(np.isfinite(history.history["critic_loss"]))


def test_the_lazy_phase_runs_exactly_on_steps_that_are_multiples_of_every():
    model = _model(lazy_every=4)
    x = points(2)
    counts, critic_steps, markers = [], [], []
    for _ in range(9):  # one step per fit call: steps 0..8
        history = model.fit(x, batch_size=2, epochs=1, verbose=0).history
        counts.append(float(_numpy(model.lazy_count)))
        critic_steps.append(_iterations(model)["critic"])
        markers.append(history["lazy_marker"][0])
    # runs on steps 0, 4 and 8
    assert counts == [1, 1, 1, 1, 2, 2, 2, 2, 3]
    assert critic_steps == [1, 1, 1, 1, 2, 2, 2, 2, 3]
    # a step without the phase logs no value for it (the tracker stays at 0)
    assert markers == [1, 0, 0, 0, 1, 0, 0, 0, 1]
    assert _iterations(model)["encoder"] == 9


def test_keras_file_restores_every_optimizer_and_resumes_identically(tmp_path):
    model = _model(learning_rate=0.05)
    model.compile(
        optimizers={
            "encoder": keras.optimizers.Adam(0.01),
            "decoder": keras.optimizers.RMSprop(0.01),
            "critic": keras.optimizers.SGD(0.05, momentum=0.9),
        }
    )
    x = points()
    # 5 steps: the lazy phase ran on steps 0 and 4, and is mid-cycle.
    model.fit(x[:10], batch_size=2, epochs=1, shuffle=False, verbose=0)
    path = os.path.join(tmp_path, "three.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is ThreeNetworks
    assert (
        _iterations(loaded)
        == _iterations(model)
        == {
            "encoder": 5,
            "decoder": 5,
            "critic": 2,
        }
    )
    assert int(_numpy(loaded.optimizer.iterations)) == 5
    for name in model.network_names:
        original = model.network_optimizers[name]
        restored = loaded.network_optimizers[name]
        assert type(restored) is type(original)
        assert len(restored.variables) == len(original.variables)
        for a, b in zip(original.variables, restored.variables):
            np.testing.assert_array_equal(_numpy(a), _numpy(b))
    # Resume: the same next steps (which needs the Adam/RMSprop/momentum
    # slots and the step counter that schedules the lazy phase).
    for m in (model, loaded):
        m.fit(x, batch_size=2, epochs=1, shuffle=False, verbose=0)
    assert _iterations(loaded) == _iterations(model)
    assert float(_numpy(loaded.lazy_count)) == float(_numpy(model.lazy_count)) == 4
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_learning_rate_scheduler_reaches_every_optimizer():
    # Epoch 0 at 0.1, epoch 1 at 0: a model trained for two epochs must end
    # where one trained for a single epoch at 0.1 does. An optimizer the
    # schedule missed would move its network in the second epoch.
    x = points(8)
    keras.utils.set_random_seed(0)
    scheduled = _model()
    keras.utils.set_random_seed(0)
    reference = _model()
    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch: 0.1 if epoch == 0 else 0.0
    )
    scheduled.fit(
        x, batch_size=2, epochs=2, shuffle=False, verbose=0, callbacks=[schedule]
    )
    reference.fit(x, batch_size=2, epochs=1, shuffle=False, verbose=0)
    for optimizer in scheduled.network_optimizers.values():
        assert float(_numpy(optimizer.learning_rate)) == 0.0
    for a, b in zip(scheduled.trainable_variables, reference.trainable_variables):
        np.testing.assert_allclose(_numpy(a), _numpy(b), rtol=1e-6, atol=1e-7)


def test_mixed_precision_scales_each_loss_by_its_own_optimizer():
    # Under mixed_float16 every optimizer is a LossScaleOptimizer, which
    # unscales the gradients it receives: had the step not multiplied each
    # loss by its optimizer's scale, every update would be `scale` times too
    # small. The updates must match float32 training.
    x = points(8)
    reference = _model(learning_rate=0.05)
    initial = reference.get_weights()
    reference.fit(x, batch_size=2, epochs=1, shuffle=False, verbose=0)
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = ThreeNetworks()
        model.compile()
        for optimizer in model.network_optimizers.values():
            assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        model.compile(
            optimizers={
                name: keras.optimizers.LossScaleOptimizer(
                    keras.optimizers.SGD(0.05), initial_scale=256.0
                )
                for name in model.network_names
            }
        )
        model.set_weights(initial)
        history = model.fit(x, batch_size=2, epochs=1, shuffle=False, verbose=0)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert np.all(np.isfinite(history.history["recon_loss"]))
    assert _iterations(model) == {"encoder": 4, "decoder": 4, "critic": 1}
    for start, mixed, full in zip(
        initial, model.get_weights(), reference.get_weights()
    ):
        np.testing.assert_allclose(mixed - start, full - start, rtol=0.05, atol=2e-3)


def test_compile_errors_name_the_networks():
    model = ThreeNetworks()
    with pytest.raises(ValueError, match="compile"):
        model.fit(points(4), verbose=0)
    with pytest.raises(ValueError, match=r"missing \['critic'\], unknown \['disc'\]"):
        model.compile(optimizers={"encoder": "sgd", "decoder": "sgd", "disc": "sgd"})
    shared = keras.optimizers.SGD()
    with pytest.raises(ValueError, match="same optimizer object"):
        model.compile(
            optimizers={"encoder": shared, "decoder": shared, "critic": "sgd"}
        )
    with pytest.raises(ValueError, match="loss="):
        model.compile(loss="mse")
    with pytest.raises(ValueError, match="unknown arguments"):
        model.compile(learning_rate=0.1)
    model.compile()  # one Adam per network
    assert all(
        isinstance(o, keras.optimizers.Adam) for o in model.network_optimizers.values()
    )
    with pytest.raises(ValueError, match="positive integer"):
        Phase(lambda: None, [], model.network_optimizers["critic"], every=0)
    with pytest.raises(ValueError, match="positive integer"):
        JointPhase(lambda: None, [], every=1.5)


def test_sample_weight_is_refused_for_arrays_and_for_datasets():
    model = _model()
    x = points(4)
    with pytest.raises(ValueError, match="cannot use sample_weight"):
        model.fit(x, sample_weight=np.ones(4), batch_size=2, verbose=0)

    class WithWeights(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return x[:2], None, np.ones(2, "float32")

    with pytest.raises(ValueError, match="cannot use sample_weight"):
        model.fit(WithWeights(), epochs=1, verbose=0)


def test_a_subclass_without_networks_or_phases_says_what_is_missing():
    class Empty(MultiNetworkModel):
        pass

    with pytest.raises(ValueError, match="network_names"):
        Empty().compile()


def test_updates_sharing_a_loss_take_one_backward_pass_with_the_same_result():
    from multi_network_toys import SharedObjective

    from kgen.backend import shared_loss_groups

    x = points(16, seed=5)
    models = []
    for shared in (True, False):
        keras.utils.set_random_seed(7)
        model = SharedObjective(shared=shared)
        model.compile(
            optimizers={n: keras.optimizers.SGD(0.1) for n in model.network_names}
        )
        model.fit(x, batch_size=8, epochs=2, shuffle=False, verbose=0)
        models.append(model)
    # the same loss tensor for both updates is one group; a copy is two
    loss = keras.ops.ones(())
    assert shared_loss_groups([loss, loss]) == [[0, 1]]
    assert shared_loss_groups([loss, loss * 1.0]) == [[0], [1]]
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for model in models:
        assert [int(o.iterations) for o in model.network_optimizers.values()] == [4, 4]
