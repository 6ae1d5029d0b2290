"""Every registered model keeps the declared contract (kgen.contract).

Driven by the conformance registry: a new model gets these checks by adding
its case. The declaration is the single source the CLI, callbacks, viz and
evaluation read, so these tests check that it is true: every declared
capability is backed by verbs with the contract's meaning, the data
convention describes the model's real data, and the verbs shared by every
family behave the same way in each.
"""

import inspect

import keras
import numpy as np
import pytest
from conformance import collect

import kgen
from kgen.contract import (
    PROTOCOLS,
    Capability,
    DataConvention,
)
from kgen.losses.likelihood import nats_to_bits_per_dim
from kgen.models import GenerativeModel

_, MODEL_CASES = collect()

# One case per model class is enough for the contract checks.
_SEEN = set()
CASES = []
for _case in MODEL_CASES:
    if _case.name not in _SEEN:
        _SEEN.add(_case.name)
        CASES.append(_case)


_MODELS = {}


def _model(case):
    """The case's model, built once for all the checks of this file.

    The checks of one case run on one pytest-xdist worker (``conftest.py``
    groups this file's tests by case), in file order; none depends on the
    model being untrained, and the last one (``sample_weight``) leaves the
    weights as they were or refuses to fit.
    """
    if case.name not in _MODELS:
        _MODELS[case.name] = case.make()
    return _MODELS[case.name]


def _declares(*capabilities):
    """The cases whose model class declares any of ``capabilities``."""
    return [
        c
        for c in CASES
        if set(capabilities) & set(kgen.registered_objects()[c.name].capabilities)
    ]


def _examples(case):
    """``(x, conditions)`` of a case's data, whatever form ``fit`` takes."""
    x, y = case.data()
    if isinstance(x, dict):
        labels = x.get("labels")
        data = next(v for k, v in x.items() if k not in ("labels", "condition"))
        return np.asarray(data)[:4], None if labels is None else np.asarray(labels)[:4]
    return np.asarray(x)[:4], None if y is None else np.asarray(y)[:4]


def _conditions(model, labels, count):
    if model.num_classes is None:
        return {}
    labels = np.arange(count) % model.num_classes if labels is None else labels
    return {"conditions": labels[:count]}


def _check_in_convention(values, convention, count):
    values = np.asarray(values)
    assert isinstance(values, np.ndarray)
    assert values.shape == (count, *convention.shape)
    if convention.kind == "integer":
        assert np.issubdtype(values.dtype, np.integer)
        assert values.min() >= 0 and values.max() <= convention.num_levels - 1
    elif convention.kind in ("unit", "signed"):
        low, high = convention.value_range
        assert values.dtype == np.float32
        assert values.min() >= low - 1e-5 and values.max() <= high + 1e-5


def test_every_registered_model_class_has_a_case():
    covered = {c.name for c in MODEL_CASES} | {n for c in MODEL_CASES for n in c.covers}
    missing = [
        name
        for name, obj in kgen.registered_objects().items()
        if isinstance(obj, type)
        and issubclass(obj, GenerativeModel)
        and name not in covered
    ]
    assert not missing, f"models without a conformance case: {missing}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_declaration_is_true(case):
    model = _model(case)
    convention = model.data_convention
    assert isinstance(convention, DataConvention)
    assert model.capabilities and all(
        isinstance(c, Capability) for c in model.capabilities
    )
    # the case's training data are valid data of the declared convention
    x, labels = _examples(case)
    assert model.check_x(x).shape == x.shape
    # every declared capability is backed by its protocol's verbs, and their
    # signatures take the contract's arguments
    for capability in model.capabilities:
        protocol = PROTOCOLS.get(capability)
        if protocol is None:
            continue
        assert isinstance(model, protocol), (case.name, capability)
        for name, member in vars(protocol).items():
            if name.startswith("_") or not callable(member):
                continue
            wanted = set(inspect.signature(member).parameters) - {"self"}
            have = set(inspect.signature(getattr(model, name)).parameters)
            assert wanted <= have or "kwargs" in have, (name, wanted - have)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_conditioning_is_one_check(case):
    model = _model(case)
    x, labels = _examples(case)
    if model.num_classes is None:
        with pytest.raises(ValueError, match="unconditional"):
            model.check_conditions(np.zeros(len(x), "int32"), len(x))
        if model.has(Capability.SAMPLE):
            with pytest.raises(ValueError, match="unconditional"):
                model.sample(2, seed=0, conditions=[0, 0])
    else:
        with pytest.raises(ValueError, match="class-conditional"):
            model.check_conditions(None, len(x))
        with pytest.raises(ValueError, match=r"in \[0, "):
            model.check_conditions(np.full(len(x), model.num_classes), len(x))
        if model.has(Capability.SAMPLE):
            with pytest.raises(ValueError, match="class-conditional"):
                model.sample(2, seed=0)


@pytest.mark.parametrize("case", _declares(Capability.SAMPLE), ids=lambda c: c.name)
def test_sample_means_the_same_everywhere(case):
    model = _model(case)
    x, labels = _examples(case)
    extra = _conditions(model, labels, 2)
    first = model.sample(2, seed=3, **extra)
    _check_in_convention(first, model.data_convention, 2)
    # the same seed gives the same samples
    np.testing.assert_array_equal(first, model.sample(2, seed=3, **extra))
    # seed=None draws from the model's own sampling stream: it advances, and
    # no training noise stream moves
    training_streams = [
        g for g in model._all_seed_generators() if g is not model.sample_seed_generator
    ]
    before = [keras.ops.convert_to_numpy(g.state).copy() for g in training_streams]
    stream = keras.ops.convert_to_numpy(model.sample_seed_generator.state).copy()
    model.sample(2, **extra)
    after = [keras.ops.convert_to_numpy(g.state) for g in training_streams]
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)
    assert not np.array_equal(
        stream, keras.ops.convert_to_numpy(model.sample_seed_generator.state)
    )


@pytest.mark.parametrize(
    "case",
    _declares(Capability.EXACT_LIKELIHOOD, Capability.LIKELIHOOD_BOUND),
    ids=lambda c: c.name,
)
def test_bits_per_dim_is_per_example(case):
    model = _model(case)
    x, labels = _examples(case)
    extra = _conditions(model, labels, len(x))
    num_dims = model.data_convention.num_dims
    if model.has(Capability.EXACT_LIKELIHOOD):
        log_p = np.asarray(model.log_prob(x, **extra))
        bits = np.asarray(model.bits_per_dim(x, **extra))
        assert log_p.shape == bits.shape == (len(x),)
        np.testing.assert_allclose(
            bits, nats_to_bits_per_dim(log_p, num_dims), rtol=1e-5
        )
        return
    assert isinstance(model.likelihood_estimator(8), str)
    try:
        bits = np.asarray(model.bits_per_dim(x, num_samples=8, seed=0, **extra))
    except ValueError as error:
        # allowed only where the number would not be a likelihood of the
        # discrete data, and then the message says so
        assert "likelihood" in str(error)
        return
    assert bits.shape == (len(x),) and np.all(np.isfinite(bits))
    elbo = np.asarray(model.elbo(x, seed=0, **extra))
    assert elbo.shape == (len(x),)


@pytest.mark.parametrize("case", _declares(Capability.ENCODE), ids=lambda c: c.name)
def test_encode_returns_named_outputs_that_decode_takes(case):
    model = _model(case)
    x, labels = _examples(case)
    extra = _conditions(model, labels, len(x))
    encoded = model.encode(x, **extra)
    assert isinstance(encoded, dict) and "latent" in encoded
    assert all(isinstance(v, np.ndarray) and len(v) == len(x) for v in encoded.values())
    decoded = model.decode(encoded["latent"], **extra)
    _check_in_convention(decoded, model.data_convention, len(x))
    np.testing.assert_allclose(model.reconstruct(x, **extra), decoded, atol=1e-5)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if not kgen.registered_objects()[c.name].supports_sample_weight],
    ids=lambda c: c.name,
)
def test_sample_weight_is_refused_where_not_supported(case):
    # Models that declare supports_sample_weight are checked to honour it in
    # test_conformance.py (all-zero weights leave the weights where they
    # were), reusing the training step that test has compiled.
    model = _model(case)
    assert not model.supports_sample_weight
    x, y = case.data()
    weights = np.zeros(len(next(iter(x.values())) if isinstance(x, dict) else x))
    with pytest.raises(ValueError, match="cannot use sample_weight"):
        model.fit(x, y, sample_weight=weights, batch_size=case.batch_size)
