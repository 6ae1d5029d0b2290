"""Cross-cutting checks driven by the registry in ``tests/conformance``."""

import json
import os

import keras
import numpy as np
import pytest
from conformance import collect

import kgen

LAYER_CASES, MODEL_CASES = collect()

# Registered objects that are not layers or models needing a case of their own.
NOT_CASES = set()


def _as_list(value):
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out.extend(_as_list(v))
        return out
    return [value]


def _numpy(values):
    return [np.asarray(keras.ops.convert_to_numpy(v)) for v in _as_list(values)]


def _assert_all_close(a, b, atol=1e-5, rtol=1e-5):
    a, b = _numpy(a), _numpy(b)
    assert len(a) == len(b)
    for left, right in zip(a, b):
        np.testing.assert_allclose(left, right, atol=atol, rtol=rtol)


def test_every_public_class_has_a_case():
    covered = set()
    for case in LAYER_CASES + MODEL_CASES:
        covered.add(case.name)
        covered.update(case.covers)
    missing = []
    for name, obj in kgen.registered_objects().items():
        if name in NOT_CASES or not isinstance(obj, type):
            continue
        if issubclass(obj, keras.layers.Layer) and name not in covered:
            missing.append(name)
    assert not missing, f"public classes without a conformance case: {missing}"


def test_registry_is_not_empty():
    assert LAYER_CASES or MODEL_CASES


@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: c.name)
def test_layer_config_round_trip(case):
    layer = case.make()
    inputs = case.inputs()
    expected = layer(inputs, **case.call_kwargs)
    config = layer.get_config()
    json.dumps(keras.saving.serialize_keras_object(layer))  # JSON-safe config
    clone = type(layer).from_config(config)
    clone(inputs, **case.call_kwargs)
    clone.set_weights(layer.get_weights())
    _assert_all_close(expected, clone(inputs, **case.call_kwargs))


@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: c.name)
def test_layer_registered_for_deserialization(case):
    layer = case.make()
    layer(case.inputs(), **case.call_kwargs)
    serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is type(layer)
    assert serialized["registered_name"].startswith("kgen>")


def _num_examples(x):
    return len(next(iter(x.values())) if isinstance(x, dict) else x)


def _fit_one_epoch(model, x, y, batch_size, weights=None):
    # models that take sample_weight train with all-one weights (the same
    # objective), so that the zero-weight check at the end reuses the step
    if weights is None and model.supports_sample_weight:
        weights = np.ones(_num_examples(x), "float32")
    return model.fit(
        x,
        y,
        sample_weight=weights,
        batch_size=batch_size,
        epochs=1,
        shuffle=False,
        verbose=0,
    ).history


# Training resumed from a file is a property of the class (its optimizers and
# state travel with it): checked on each class's first case. The other cases
# (other configurations of the same class) check the config and file round
# trips and the optimizer state in the file.
_RESUMED = set()
for _case in MODEL_CASES:
    if _case.name not in {c.name for c in MODEL_CASES if id(c) in _RESUMED}:
        _RESUMED.add(id(_case))


@pytest.mark.parametrize("case", MODEL_CASES, ids=lambda c: c.name)
def test_model_fit_save_load_resume(case, tmp_path):
    x, y = case.data()
    model = case.make()
    history = _fit_one_epoch(model, x, y, case.batch_size)
    assert history, "fit returned no history"
    for key, values in history.items():
        assert np.all(np.isfinite(values)), f"{key} is not finite: {values}"

    # Config round trip: the config rebuilds the same architecture (its
    # outputs with the same weights are those of the model loaded below,
    # which is rebuilt from the same config).
    expected = case.outputs(model, x, y)
    serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    clone = keras.saving.deserialize_keras_object(serialized)
    assert type(clone) is type(model)
    assert (
        json.loads(json.dumps(keras.saving.serialize_keras_object(clone))) == serialized
    )
    assert [tuple(v.shape) for v in clone.weights] == [
        tuple(v.shape) for v in model.weights
    ]

    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    _assert_all_close(expected, case.outputs(loaded, x, y), atol=1e-5)

    # Every optimizer's state travels with the file.
    for original, restored in zip(case.optimizers(model), case.optimizers(loaded)):
        assert int(original.iterations) > 0
        assert int(restored.iterations) == int(original.iterations)
        _assert_all_close(original.variables, restored.variables)

    if id(case) in _RESUMED:
        # Training resumes where it stopped.
        _fit_one_epoch(model, x, y, case.batch_size)
        _fit_one_epoch(loaded, x, y, case.batch_size)
        for original, restored in zip(case.optimizers(model), case.optimizers(loaded)):
            assert int(restored.iterations) == int(original.iterations)
        if case.deterministic_step:
            _assert_all_close(
                model.trainable_variables, loaded.trainable_variables, atol=1e-4
            )

    # sample_weight is honoured (the contract; refusals are checked in
    # test_contract.py): all-zero weights give zero losses (every logged
    # loss: a staged model logs one per stage)
    if model.supports_sample_weight:
        zeros = np.zeros(_num_examples(x), "float32")
        history = _fit_one_epoch(model, x, y, case.batch_size, weights=zeros)
        losses = {k: v for k, v in history.items() if k.endswith("loss")}
        assert losses, f"no loss logged: {sorted(history)}"
        for key, values in losses.items():
            np.testing.assert_allclose(values, 0.0, atol=1e-7, err_msg=key)
