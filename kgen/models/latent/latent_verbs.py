"""Verbs shared by every latent-variable model: encode, decode, reconstruct,
interpolate, traverse and edit.

A model that mixes in ``LatentVerbsMixin`` provides three tensor-level hooks:

- ``_encode_tensor(x, one_hot)``: the encoder's output for a batch (a code,
  or the parameters of ``q(z|x)``);
- ``_latent_point(params)``: one point per example in latent space (the code,
  or the posterior mean), shape ``(batch, latent_dim)``;
- ``_decode_mean(z, one_hot)``: images in [0, 1] (the mean of ``p(x|z)``),

and the attributes ``image_shape``, ``latent_dim`` and ``num_classes``
(``None`` for unconditional models). The mixin validates inputs, runs the
hooks in batches and returns NumPy arrays.
"""

import keras
import numpy as np
from keras import ops

from kgen.backend import compile_function
from kgen.sampling.interpolation import interpolate as _interpolate
from kgen.validation import (
    check_finite,
    check_images,
    check_labels,
    check_positive_int,
    to_numpy,
)

DEFAULT_BATCH_SIZE = 256


def _numpy_tree(value):
    if isinstance(value, (list, tuple)):
        return tuple(_numpy_tree(v) for v in value)
    return np.asarray(ops.convert_to_numpy(value))


def _concatenate(chunks):
    if isinstance(chunks[0], tuple):
        return tuple(
            _concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))
        )
    return np.concatenate(chunks, axis=0)


def _pad_rows(array, num_rows):
    extra = num_rows - len(array)
    return np.concatenate([array, np.repeat(array[-1:], extra, axis=0)], axis=0)


def _take_rows(value, num_rows):
    if isinstance(value, tuple):
        return tuple(_take_rows(v, num_rows) for v in value)
    return value[:num_rows]


def fresh_seed_generator(seed):
    """A new ``SeedGenerator`` for one verb call (``seed=None``: random)."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"seed must be an integer or None; received {seed!r}.")
    return keras.random.SeedGenerator(seed)


class LatentVerbsMixin:
    """Public latent-space verbs built on the model's tensor-level hooks."""

    num_classes = None

    def _compiled(self, key, fn):
        """``fn`` compiled once per model, with the weights passed as arguments.

        Eager JAX compiles every operation separately for each new shape;
        one compiled function per verb is much faster, and on torch it runs
        without building a gradient graph. The model's variables are read at
        each call and mapped in with a ``StatelessScope``, so the function
        never sees stale weights. ``fn`` must not draw random numbers: the
        verbs draw noise eagerly and pass it in.
        """
        cache = self.__dict__.get("_kgen_compiled_verbs")
        if cache is None:
            cache = {}
            self.__dict__["_kgen_compiled_verbs"] = cache
        if key not in cache:
            variables = list(self.variables)

            def pure(values, *args):
                with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                    return fn(*args)

            cache[key] = (compile_function(pure), variables)
        compiled, variables = cache[key]
        return lambda *args: compiled([v.value for v in variables], *args)

    # ----------------------------------------------------------------- checks
    def _check_x(self, x, name="x"):
        x = check_images(x, "unit", shape=(None, *self.image_shape), name=name)
        return x.astype("float32")

    def _check_single_or_batch(self, x, name):
        x = to_numpy(x)
        if x is not None and x.ndim == len(self.image_shape):
            x = x[None]
        return self._check_x(x, name=name)

    def _check_conditions(self, conditions, num_examples, name="conditions"):
        """Labels as int32 NumPy (or None for unconditional models)."""
        if self.num_classes is None:
            if conditions is not None:
                raise ValueError(
                    f"{type(self).__name__} is unconditional; conditions must be "
                    f"None, received {type(conditions).__name__}. Use "
                    "ConditionalVAE for label-conditioned models."
                )
            return None
        if conditions is None:
            raise ValueError(
                f"{type(self).__name__} needs conditions: integer class labels in "
                f"[0, {self.num_classes - 1}], one per example ({num_examples})."
            )
        labels = to_numpy(conditions)
        if labels.ndim == 0:
            labels = np.full((num_examples,), labels)
        return check_labels(
            labels, self.num_classes, num_examples=num_examples, name=name
        )

    def _one_hot(self, labels):
        if labels is None:
            return None
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        return ops.one_hot(labels, self.num_classes, dtype="float32")

    def _check_latents(self, z, name="z"):
        z = to_numpy(z)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"Expected {name} with shape (batch, {self.latent_dim}); received "
                f"shape {tuple(z.shape)}."
            )
        if not np.issubdtype(z.dtype, np.floating):
            z = z.astype("float32")
        check_finite(z, name=name)
        return z.astype("float32")

    @staticmethod
    def _run_batched(fn, arrays, batch_size):
        """Apply ``fn`` to row-aligned chunks of ``arrays``; NumPy results.

        A short last chunk is padded (by repeating its last row) to the full
        batch size and the extra rows are dropped, so every chunk has the
        same shape and compiled functions trace once.
        """
        batch_size = check_positive_int(batch_size, "batch_size")
        num_rows = len(arrays[0])
        if num_rows == 0:
            raise ValueError("Received an empty batch (0 examples).")
        chunks = []
        for start in range(0, num_rows, batch_size):
            part = [
                None if a is None else a[start : start + batch_size] for a in arrays
            ]
            size = len(part[0])
            if num_rows > batch_size and size < batch_size:
                part = [None if a is None else _pad_rows(a, batch_size) for a in part]
            chunks.append(_take_rows(_numpy_tree(fn(*part)), size))
        return _concatenate(chunks)

    # ------------------------------------------------------------------ verbs
    def encode(self, x, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """Encode images in [0, 1] (NHWC).

        Args:
            x: images, shape ``(batch, *image_shape)``, floats in [0, 1].
            conditions: class labels, for conditional models only.
            batch_size: examples per forward pass.

        Returns:
            NumPy: the code (autoencoders), ``(mean, log_variance)`` of
            ``q(z|x)`` (VAEs) or the logits of ``q(z|x)`` (categorical VAE).
        """
        x = self._check_x(x)
        labels = self._check_conditions(conditions, len(x))
        encode = self._compiled("encode", self._encode_tensor)
        return self._run_batched(
            lambda xb, yb: encode(xb, self._one_hot(yb)), [x, labels], batch_size
        )

    def decode(self, z, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """Decode latent vectors to images in [0, 1] (the mean of ``p(x|z)``).

        Args:
            z: latent vectors, shape ``(batch, latent_dim)``.
            conditions: class labels, for conditional models only.
            batch_size: examples per forward pass.

        Returns:
            NumPy images, shape ``(batch, *image_shape)``.
        """
        z = self._check_latents(z)
        labels = self._check_conditions(conditions, len(z))
        decode = self._compiled("decode", self._decode_mean)
        return self._run_batched(
            lambda zb, yb: decode(zb, self._one_hot(yb)), [z, labels], batch_size
        )

    def _latent_points(self, x, labels, batch_size):
        point = self._compiled(
            "latent_point",
            lambda xb, one_hot: self._latent_point(self._encode_tensor(xb, one_hot)),
        )
        return self._run_batched(
            lambda xb, yb: point(xb, self._one_hot(yb)), [x, labels], batch_size
        )

    def reconstruct(self, x, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """Decode the encoding (code or posterior mean) of ``x``.

        Args:
            x: images, shape ``(batch, *image_shape)``, floats in [0, 1].
            conditions: class labels, for conditional models only.
            batch_size: examples per forward pass.

        Returns:
            NumPy images in [0, 1], shaped like ``x``.
        """
        x = self._check_x(x)
        labels = self._check_conditions(conditions, len(x))
        points = self._latent_points(x, labels, batch_size)
        return self.decode(points, labels, batch_size=batch_size)

    def interpolate(self, x_a, x_b, num_steps=8, method="linear", conditions=None):
        """Decode a path between the encodings of two images.

        Encodes both images, interpolates their codes (posterior means) with
        ``kgen.sampling.interpolate`` and decodes every point, so the first
        and last images are the reconstructions of ``x_a`` and ``x_b``.

        Args:
            x_a: one image, shape ``image_shape`` (or ``(1, *image_shape)``).
            x_b: the other image.
            num_steps: number of points, end points included.
            method: ``"linear"`` or ``"spherical"``.
            conditions: one class label (conditional models only).

        Returns:
            NumPy images, shape ``(num_steps, *image_shape)``.
        """
        num_steps = check_positive_int(num_steps, "num_steps")
        x_a = self._check_single_or_batch(x_a, "x_a")
        x_b = self._check_single_or_batch(x_b, "x_b")
        if len(x_a) != 1 or len(x_b) != 1:
            raise ValueError(
                "interpolate takes one image per end point; received batches of "
                f"{len(x_a)} and {len(x_b)}."
            )
        labels = self._check_conditions(conditions, 1)
        points = self._latent_points(np.concatenate([x_a, x_b]), _twice(labels), 2)
        path = _interpolate(points[0], points[1], num_steps, method=method)
        return self.decode(path, _repeat(labels, num_steps))

    def traverse(
        self,
        x=None,
        z=None,
        dims=(0, 1),
        values=None,
        conditions=None,
    ):
        """Vary one latent dimension at a time around a base point.

        The "vary z1, vary z2" grid: row ``i`` sets dimension ``dims[i]`` of
        the base point to each of ``values`` (absolute values, in prior units)
        and decodes.

        Args:
            x: optional image whose encoding is the base point.
            z: optional base latent vector, shape ``(latent_dim,)``. With
                neither ``x`` nor ``z`` the base point is ``z = 0``.
            dims: latent dimensions to vary, one row each.
            values: values to set, one column each (default
                ``np.linspace(-3, 3, 7)``).
            conditions: one class label (conditional models only).

        Returns:
            NumPy images, shape ``(len(dims), len(values), *image_shape)``.

        Raises:
            ValueError: if both ``x`` and ``z`` are given or a dimension is
                out of range.
        """
        values = np.linspace(-3.0, 3.0, 7) if values is None else values
        values = np.asarray(values, dtype="float32").reshape(-1)
        dims = [int(d) for d in np.atleast_1d(dims)]
        for d in dims:
            if not 0 <= d < self.latent_dim:
                raise ValueError(
                    f"dims must be in [0, {self.latent_dim - 1}]; received {d}."
                )
        labels = self._check_conditions(conditions, 1)
        base = self._base_point(x, z, labels)
        grid = np.repeat(base[None, None], len(dims), axis=0)
        grid = np.repeat(grid, len(values), axis=1)
        for row, d in enumerate(dims):
            grid[row, :, d] = values
        images = self.decode(
            grid.reshape(-1, self.latent_dim),
            _repeat(labels, len(dims) * len(values)),
        )
        return images.reshape(len(dims), len(values), *self.image_shape)

    def _base_point(self, x, z, labels):
        if x is not None and z is not None:
            raise ValueError("Pass x or z as the base point, not both.")
        if x is not None:
            x = self._check_single_or_batch(x, "x")
            return self._latent_points(x[:1], labels, 1)[0]
        if z is not None:
            return self._check_latents(np.reshape(to_numpy(z), (1, -1)))[0]
        return np.zeros((self.latent_dim,), dtype="float32")

    def edit(self, x, changes, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """Encode, shift chosen latent dimensions, decode.

        Args:
            x: images, shape ``(batch, *image_shape)``, floats in [0, 1].
            changes: ``{dim: delta}``; each ``delta`` is added to dimension
                ``dim`` of every encoding.
            conditions: class labels, for conditional models only.
            batch_size: examples per forward pass.

        Returns:
            NumPy images shaped like ``x``.
        """
        x = self._check_x(x)
        labels = self._check_conditions(conditions, len(x))
        if not isinstance(changes, dict):
            raise ValueError(
                f"changes must be a dict {{dim: delta}}; received {changes!r}."
            )
        points = self._latent_points(x, labels, batch_size).copy()
        for dim, delta in changes.items():
            if not 0 <= int(dim) < self.latent_dim:
                raise ValueError(
                    f"changes keys must be latent dimensions in "
                    f"[0, {self.latent_dim - 1}]; received {dim!r}."
                )
            points[:, int(dim)] += float(delta)
        return self.decode(points, labels, batch_size=batch_size)


def _repeat(labels, count):
    return None if labels is None else np.repeat(labels[:1], count)


def _twice(labels):
    return _repeat(labels, 2)
