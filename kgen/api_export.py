"""One decorator that exports a public kgen name and registers it for saving."""

import keras

_REGISTRY = {}


def kgen_export(cls_or_fn=None, *, package="kgen"):
    """Register a layer, model or function as a public, serializable kgen object.

    The object is registered with Keras under ``"kgen>Name"`` so that
    ``keras.saving.load_model`` finds it without ``custom_objects``, and it is
    recorded in kgen's own registry, which the conformance tests walk.

    Examples:
        >>> import keras
        >>> from kgen.api_export import kgen_export, registered_objects
        >>> @kgen_export(package="my_project")
        ... def doubled(x):
        ...     return 2 * x
        >>> keras.saving.get_registered_name(doubled)
        'my_project>doubled'
        >>> registered_objects()["doubled"] is doubled
        True
    """

    def decorate(obj):
        obj = keras.saving.register_keras_serializable(package=package)(obj)
        _REGISTRY[obj.__name__] = obj
        return obj

    if cls_or_fn is None:
        return decorate
    return decorate(cls_or_fn)


def registered_objects():
    """Return a copy of ``{name: object}`` for every public kgen object."""
    return dict(_REGISTRY)
