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


def _fit_one_epoch(model, x, y, batch_size):
    return model.fit(
        x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0
    ).history


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

    # Training resumes where it stopped.
    _fit_one_epoch(model, x, y, case.batch_size)
    _fit_one_epoch(loaded, x, y, case.batch_size)
    for original, restored in zip(case.optimizers(model), case.optimizers(loaded)):
        assert int(restored.iterations) == int(original.iterations)
    if case.deterministic_step:
        _assert_all_close(
            model.trainable_variables, loaded.trainable_variables, atol=1e-4
        )
