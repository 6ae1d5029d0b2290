"""The conformance registry: one entry per public layer and model.

Each family adds a module ``tests/conformance/<family>_cases.py`` that defines
``LAYER_CASES`` and/or ``MODEL_CASES`` (lists of the dataclasses below).
``tests/test_conformance.py`` collects every such module and runs the
cross-cutting checks on each entry: registration, config round trip,
``.keras`` round trip with identical outputs, one ``fit`` step, and training
resumed from a saved file continuing with the optimizer state. Covering a new
layer or model takes one entry; a public class without an entry fails
``test_every_public_class_has_a_case``.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LayerCase:
    """A public layer and a small input for it.

    Attributes:
        name: the class name (``covers`` lists extra classes the case covers).
        make: returns a fresh, unbuilt layer.
        inputs: returns the call's first argument (array, list or dict of
            NumPy arrays).
        call_kwargs: extra keyword arguments for the call (e.g.
            ``{"training": False}``); must make the call deterministic.
    """

    name: str
    make: Callable[[], Any]
    inputs: Callable[[], Any]
    call_kwargs: dict = field(default_factory=dict)
    covers: tuple = ()


@dataclass
class ModelCase:
    """A public model, tiny data for it, and a deterministic output to compare.

    Attributes:
        name: the class name (``covers`` lists extra classes the case covers).
        make: returns a fresh **compiled** model.
        data: returns ``(x, y)`` NumPy arrays for ``fit`` (``y`` may be None).
        outputs: ``outputs(model, x, y)`` returns a NumPy array (or a list of
            them) that depends on every weight and is deterministic, e.g.
            ``log_prob(x)`` or the decoder mean of ``encode(x)``.
        optimizers: ``optimizers(model)`` returns every optimizer the model
            trains with (two for a GAN).
        batch_size: batch size for the ``fit`` steps.
        deterministic_step: whether one more ``fit`` step on the original and
            on the reloaded model must give the same weights.
        compile_with_sgd: ``compile_with_sgd(model)`` recompiles the model
            with plain SGD for every optimizer (used by the several-devices
            checks: Adam would normalise a wrongly scaled gradient away).
        make_for_devices: the model the several-devices checks build on
            TensorFlow, where it differs from ``make`` (e.g. with
            ``BatchNormalization(synchronized=True)``, which only TensorFlow
            has); default ``make``.
        exact_on_several_devices: whether ``tf.distribute`` must give the
            one-device numbers to rounding, as it does when nothing
            per-replica reaches the update (noise drawn with
            ``kgen.backend.replica_draw``, synchronized batch statistics);
            ``False`` for a model with per-replica randomness (Keras's
            dropout masks), whose numbers then agree closely. JAX always
            must match exactly.
    """

    name: str
    make: Callable[[], Any]
    data: Callable[[], tuple]
    outputs: Callable[[Any, Any, Any], Any]
    optimizers: Callable[[Any], list] = lambda model: [model.optimizer]
    batch_size: int = 8
    deterministic_step: bool = True
    covers: tuple = ()
    compile_with_sgd: Callable[[Any], None] = lambda model: model.compile(
        optimizer=_sgd()
    )
    make_for_devices: Callable[[], Any] | None = None
    exact_on_several_devices: bool = True
    epochs_on_several_devices: int = 1


def _sgd():
    import keras

    return keras.optimizers.SGD(0.05)


def compile_multi_network_with_sgd(model):
    """``compile_with_sgd`` for a model with one optimizer per network."""
    model.compile(optimizers={name: _sgd() for name in model.network_names})


def collect():
    """Import every ``*_cases`` module here; return (layer_cases, model_cases)."""
    layer_cases, model_cases = [], []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.endswith("_cases"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        layer_cases.extend(getattr(module, "LAYER_CASES", []))
        model_cases.extend(getattr(module, "MODEL_CASES", []))
    return layer_cases, model_cases
