"""Input checks that raise errors a person can act on.

Every public entry point that receives user data (``fit``, ``log_prob``,
``encode``, ``sample(conditions=...)``...) calls these on concrete arrays
before anything reaches the backend, so that bad input gives a ``ValueError``
naming what was expected and what was received, instead of a backend stack
trace, silent garbage or NaN losses.
"""

import numpy as np

try:  # tf.data datasets are checked on their first batch only
    import keras
except ImportError:  # pragma: no cover
    keras = None


def to_numpy(x):
    """Convert an array-like or backend tensor to NumPy, or return None."""
    if x is None:
        return None
    if isinstance(x, np.ndarray):
        return x
    if keras is not None:
        try:
            return np.asarray(keras.ops.convert_to_numpy(x))
        except Exception:  # noqa: BLE001 - fall back to NumPy's conversion
            pass
    return np.asarray(x)


def describe(x):
    """A short description of an array: dtype, shape and value range."""
    x = to_numpy(x)
    if x.size == 0:
        return f"{x.dtype} array with shape {x.shape} (empty)"
    if np.issubdtype(x.dtype, np.number) or x.dtype == bool:
        finite = x[np.isfinite(x)] if np.issubdtype(x.dtype, np.floating) else x
        if finite.size:
            lo, hi = finite.min(), finite.max()
            return (
                f"{x.dtype} values in [{lo:.4g}, {hi:.4g}] with shape {tuple(x.shape)}"
            )
    return f"{x.dtype} array with shape {tuple(x.shape)}"


def _shape_text(shape):
    return "(" + ", ".join("batch" if s is None else str(s) for s in shape) + ")"


def check_finite(x, name="inputs"):
    """Raise if ``x`` holds NaN or infinity."""
    x = to_numpy(x)
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        num_bad = int(np.sum(~np.isfinite(x)))
        raise ValueError(
            f"{name} contain {num_bad} NaN or infinite value(s) "
            f"(received {describe(x)}). Clean or drop those examples first."
        )
    return x


def check_rank_and_shape(x, expected_shape, name="inputs"):
    """Check ``x.shape`` against ``expected_shape`` (``None`` matches anything).

    ``expected_shape`` includes the batch axis, e.g. ``(None, 28, 28, 1)``.
    """
    x = to_numpy(x)
    if x.ndim != len(expected_shape) or any(
        e is not None and e != s for e, s in zip(expected_shape, x.shape)
    ):
        hint = ""
        if x.ndim == len(expected_shape) - 1 and len(expected_shape) == 4:
            hint = " Add a channel axis, e.g. x[..., None]."
        raise ValueError(
            f"Expected {name} with shape {_shape_text(expected_shape)}; "
            f"received shape {tuple(x.shape)}.{hint}"
        )
    return x


def check_images(
    x,
    kind,
    *,
    shape=None,
    num_levels=256,
    name="images",
    values="pixel values",
):
    """Check an image batch against the pixel convention of a model family.

    Args:
        x: array-like batch, NHWC (or any rank when ``shape`` is None).
        kind: ``"unit"`` for floats in [0, 1] (VAEs, autoencoders),
            ``"signed"`` for floats in [-1, 1] (GANs, diffusion), or
            ``"integer"`` for integer levels in ``[0, num_levels - 1]``
            (autoregressive models).
        shape: expected shape including the batch axis (``None`` entries
            match anything), or ``None`` to skip the shape check.
        num_levels: number of pixel levels for ``kind="integer"``.
        name: what to call the array in messages.
        values: what to call its integer entries in messages (``"code
            indices"`` for the grids of a VQ-VAE's codes).

    Returns:
        The batch as a NumPy array.

    Raises:
        ValueError: with what was expected and what was received.
    """
    x = to_numpy(x)
    if shape is not None:
        check_rank_and_shape(x, shape, name=name)
    if kind == "integer":
        if np.issubdtype(x.dtype, np.floating):
            if x.size and np.all(np.isfinite(x)) and np.all(x == np.round(x)):
                pass  # whole numbers stored as floats are accepted
            else:
                raise ValueError(
                    f"Expected integer {values} in [0, {num_levels - 1}] for "
                    f"{name}; received {describe(x)}. Use "
                    "kgen.data.to_uint8(...) or kgen.data.quantize(...)."
                )
        elif not (np.issubdtype(x.dtype, np.integer) or x.dtype == bool):
            raise ValueError(
                f"Expected integer {values} for {name}; received {describe(x)}."
            )
        if x.size and (x.min() < 0 or x.max() > num_levels - 1):
            raise ValueError(
                f"Expected integer {values} in [0, {num_levels - 1}] for "
                f"{name} ({num_levels} levels); received {describe(x)}."
            )
        return x
    if kind in ("unit", "signed"):
        lo = 0.0 if kind == "unit" else -1.0
        if not np.issubdtype(x.dtype, np.floating):
            fix = (
                "kgen.data.to_unit_float(...)"
                if kind == "unit"
                else "kgen.data.to_signed_float(...)"
            )
            raise ValueError(
                f"Expected float pixel values in [{lo:g}, 1] for {name}; received "
                f"{describe(x)}. Convert with {fix}."
            )
        check_finite(x, name=name)
        tolerance = 1e-4
        if x.size and (x.min() < lo - tolerance or x.max() > 1 + tolerance):
            fix = (
                "kgen.data.to_unit_float(...)"
                if kind == "unit"
                else "kgen.data.to_signed_float(...)"
            )
            raise ValueError(
                f"Expected float pixel values in [{lo:g}, 1] for {name}; received "
                f"{describe(x)}. Convert with {fix}."
            )
        return x
    raise ValueError(f"kind must be 'unit', 'signed' or 'integer'; received {kind!r}.")


def check_labels(y, num_classes, *, num_examples=None, name="labels"):
    """Check integer class labels in ``[0, num_classes - 1]``.

    Accepts shape ``(batch,)`` or ``(batch, 1)``; returns shape ``(batch,)``.
    """
    y = to_numpy(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"Expected {name} as integer class indices with shape (batch,); "
            f"received shape {tuple(y.shape)}."
        )
    if np.issubdtype(y.dtype, np.floating):
        if not (np.all(np.isfinite(y)) and np.all(y == np.round(y))):
            raise ValueError(
                f"Expected integer class indices for {name}; received {describe(y)}."
            )
    elif not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"Expected integer class indices for {name}; received {describe(y)}."
        )
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"Expected {name} in [0, {num_classes - 1}] ({num_classes} classes); "
            f"received values in [{y.min()}, {y.max()}]."
        )
    if num_examples is not None and y.shape[0] != num_examples:
        raise ValueError(
            f"Expected one label per example ({num_examples}); received "
            f"{y.shape[0]} labels."
        )
    return y.astype("int32")


def check_positive_int(value, name):
    """Raise unless ``value`` is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; received {value!r}.")
    return int(value)
