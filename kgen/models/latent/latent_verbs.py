"""Verbs shared by every latent-variable model: encode, decode, reconstruct,
interpolate, traverse and edit.

A model that mixes in ``LatentVerbsMixin`` (next to
``kgen.models.base.GenerativeModel``, which gives the checks, the compiled
cache and the batching) provides four tensor-level hooks:

- ``_encode_tensor(x, one_hot)``: the encoder's output for a batch (a code,
  or the parameters of ``q(z|x)``);
- ``_encoding(params)``: the named outputs of ``encode`` (a dict of tensors
  with at least ``"latent"``, what ``decode`` takes);
- ``_latent_point(params)``: one point per example in latent space (the code,
  or the posterior mean), shape ``(batch, latent_dim)``;
- ``_decode_mean(z, one_hot)``: data in the model's convention (the mean of
  ``p(x|z)``),

and the attributes ``image_shape``, ``latent_dim`` and ``num_classes``
(``None`` for unconditional models). The mixin validates inputs with the
base class's ``check_x`` and ``check_conditions``, runs the hooks through
``self.compiled_inference`` and ``kgen.models.base.map_batches`` and returns NumPy.
"""

import numpy as np
from keras import ops

from kgen.models.base import map_batches
from kgen.sampling.interpolation import interpolate as _interpolate
from kgen.validation import check_finite, check_positive_int, to_numpy

DEFAULT_BATCH_SIZE = 256


class LatentVerbsMixin:
    """Public latent-space verbs built on the model's tensor-level hooks."""

    # ----------------------------------------------------------------- helpers
    def _one_hot(self, labels):
        if labels is None:
            return None
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        return ops.one_hot(labels, self.num_classes, dtype="float32")

    def _check_single_or_batch(self, x, name):
        x = to_numpy(x)
        if x is not None and x.ndim == len(self.image_shape):
            x = x[None]
        return self.check_x(x, name=name)

    def _check_latents(self, z, name="latents"):
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

    def _latent_points(self, x, labels, batch_size):
        point = self.compiled_inference(
            "latent_point",
            lambda xb, one_hot: self._latent_point(self._encode_tensor(xb, one_hot)),
        )
        return map_batches(
            lambda xb, yb: point(xb, self._one_hot(yb)), [x, labels], batch_size
        )

    # ------------------------------------------------------------------ verbs
    def encode(self, x, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """Encode data into named latent outputs.

        Args:
            x: data in the model's convention, shape ``(batch, *image_shape)``
                (floats in [0, 1]).
            conditions: class labels, one per example or one for all
                (conditional models only).
            batch_size: examples per forward pass.

        Returns:
            A dict of NumPy arrays with one row per example. ``"latent"`` is
            what ``decode`` takes: the code of an autoencoder, the posterior
            mean of a VAE (which adds ``"mean"`` and ``"log_variance"`` of
            ``q(z|x)``), the posterior probabilities of a categorical VAE
            (which adds ``"logits"``).

        Raises:
            ValueError: for data outside the model's convention or bad
                conditions.

        Examples:
            >>> import numpy as np
            >>> from kgen.models.latent import mlp_autoencoder
            >>> model = mlp_autoencoder((4, 4, 1), code_dim=3, hidden_units=(8,))
            >>> codes = model.encode(np.zeros((2, 4, 4, 1), "float32"))
            >>> codes["latent"].shape
            (2, 3)
        """
        x = self.check_x(x)
        labels = self.check_conditions(conditions, len(x))
        encode = self.compiled_inference(
            "encode",
            lambda xb, one_hot: self._encoding(self._encode_tensor(xb, one_hot)),
        )
        outputs = map_batches(
            lambda xb, yb: encode(xb, self._one_hot(yb)), [x, labels], batch_size
        )
        # writable copies: NumPy views of backend buffers may be read-only
        return {name: np.array(value) for name, value in outputs.items()}

    def decode(self, latents, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """Decode latent vectors to data: the mean of ``p(x|z)``.

        Args:
            latents: latent vectors, shape ``(batch, latent_dim)`` (what
                ``encode(x)["latent"]`` returns).
            conditions: class labels, one per latent or one for all
                (conditional models only).
            batch_size: examples per forward pass.

        Returns:
            NumPy data in the model's convention (floats in [0, 1]), shape
            ``(batch, *image_shape)``.

        Raises:
            ValueError: for latents of the wrong shape, NaN, or bad
                conditions.

        Examples:
            >>> import numpy as np
            >>> from kgen.models.latent import mlp_autoencoder
            >>> model = mlp_autoencoder((4, 4, 1), code_dim=3, hidden_units=(8,))
            >>> model.decode(np.zeros((5, 3), "float32")).shape
            (5, 4, 4, 1)
        """
        z = self._check_latents(latents)
        labels = self.check_conditions(conditions, len(z))
        decode = self.compiled_inference("decode", self._decode_mean)
        return map_batches(
            lambda zb, yb: decode(zb, self._one_hot(yb)), [z, labels], batch_size
        )

    def reconstruct(self, x, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """Decode the encoding (code or posterior mean) of ``x``.

        Args:
            x: data in the model's convention, shape ``(batch, *image_shape)``.
            conditions: class labels (conditional models only).
            batch_size: examples per forward pass.

        Returns:
            NumPy data shaped like ``x``.

        Raises:
            ValueError: for data outside the model's convention or bad
                conditions.

        Examples:
            >>> import numpy as np
            >>> from kgen.models.latent import mlp_autoencoder
            >>> model = mlp_autoencoder((4, 4, 1), code_dim=3, hidden_units=(8,))
            >>> model.reconstruct(np.zeros((2, 4, 4, 1), "float32")).shape
            (2, 4, 4, 1)
        """
        x = self.check_x(x)
        labels = self.check_conditions(conditions, len(x))
        points = self._latent_points(x, labels, batch_size)
        return self.decode(points, labels, batch_size=batch_size)

    def interpolate(self, x_a, x_b, num_steps=8, method="linear", conditions=None):
        """Decode a path between the encodings of two examples.

        Encodes both, interpolates their latent points (code or posterior
        mean) with ``kgen.sampling.interpolate`` and decodes every point, so
        the first and last images are the reconstructions of ``x_a`` and
        ``x_b``.

        Args:
            x_a: one example, shape ``image_shape`` (or ``(1, *image_shape)``).
            x_b: the other example.
            num_steps: number of points, end points included.
            method: ``"linear"`` or ``"spherical"``.
            conditions: one class label (conditional models only).

        Returns:
            NumPy data, shape ``(num_steps, *image_shape)``.

        Raises:
            ValueError: for batches of more than one example or a bad
                ``num_steps`` or ``method``.

        Examples:
            >>> import numpy as np
            >>> from kgen.models.latent import mlp_autoencoder
            >>> model = mlp_autoencoder((4, 4, 1), code_dim=3, hidden_units=(8,))
            >>> x = np.random.default_rng(0).random((2, 4, 4, 1)).astype("float32")
            >>> model.interpolate(x[0], x[1], num_steps=5).shape
            (5, 4, 4, 1)
        """
        num_steps = check_positive_int(num_steps, "num_steps")
        x_a = self._check_single_or_batch(x_a, "x_a")
        x_b = self._check_single_or_batch(x_b, "x_b")
        if len(x_a) != 1 or len(x_b) != 1:
            raise ValueError(
                "interpolate takes one example per end point; received batches of "
                f"{len(x_a)} and {len(x_b)}."
            )
        labels = self.check_conditions(conditions, 1)
        points = self._latent_points(np.concatenate([x_a, x_b]), _repeat(labels, 2), 2)
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
            x: optional example whose encoding is the base point.
            z: optional base latent vector, shape ``(latent_dim,)``. With
                neither ``x`` nor ``z`` the base point is ``z = 0``.
            dims: latent dimensions to vary, one row each.
            values: values to set, one column each (default
                ``np.linspace(-3, 3, 7)``).
            conditions: one class label (conditional models only).

        Returns:
            NumPy data, shape ``(len(dims), len(values), *image_shape)``.

        Raises:
            ValueError: if both ``x`` and ``z`` are given or a dimension is
                out of range.

        Examples:
            >>> from kgen.models.latent import mlp_autoencoder
            >>> model = mlp_autoencoder((4, 4, 1), code_dim=3, hidden_units=(8,))
            >>> model.traverse(dims=(0, 2), values=[-1.0, 0.0, 1.0]).shape
            (2, 3, 4, 4, 1)
        """
        values = np.linspace(-3.0, 3.0, 7) if values is None else values
        values = np.asarray(values, dtype="float32").reshape(-1)
        dims = [int(d) for d in np.atleast_1d(dims)]
        for d in dims:
            if not 0 <= d < self.latent_dim:
                raise ValueError(
                    f"dims must be in [0, {self.latent_dim - 1}]; received {d}."
                )
        labels = self.check_conditions(conditions, 1)
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
            return self._latent_points(x[:1], _repeat(labels, 1), 1)[0]
        if z is not None:
            return self._check_latents(np.reshape(to_numpy(z), (1, -1)), "z")[0]
        return np.zeros((self.latent_dim,), dtype="float32")

    def edit(self, x, changes, conditions=None, *, batch_size=DEFAULT_BATCH_SIZE):
        """Encode, shift chosen latent dimensions, decode.

        Args:
            x: data in the model's convention, shape ``(batch, *image_shape)``.
            changes: ``{dim: delta}``; each ``delta`` is added to dimension
                ``dim`` of every encoding.
            conditions: class labels (conditional models only).
            batch_size: examples per forward pass.

        Returns:
            NumPy data shaped like ``x``.

        Raises:
            ValueError: for a ``changes`` that is not a dict of latent
                dimensions.

        Examples:
            >>> import numpy as np
            >>> from kgen.models.latent import mlp_autoencoder
            >>> model = mlp_autoencoder((4, 4, 1), code_dim=3, hidden_units=(8,))
            >>> model.edit(np.zeros((2, 4, 4, 1), "float32"), {0: 1.5}).shape
            (2, 4, 4, 1)
        """
        x = self.check_x(x)
        labels = self.check_conditions(conditions, len(x))
        if not isinstance(changes, dict):
            raise ValueError(
                f"changes must be a dict {{dim: delta}}; received {changes!r}."
            )
        points = np.array(self._latent_points(x, labels, batch_size))
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
