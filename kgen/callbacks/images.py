"""Callbacks that save pictures of what a model generates while it trains.

Each one calls a verb of the model (`sample`, `reconstruct`, `traverse`)
every ``every_n_epochs`` epochs and writes a PNG named after the epoch,
counted from 1 like Keras's progress bar: ``samples_epoch_001.png`` after
the first epoch. What a model can do and the range of its values are read
from its declaration (``model.capabilities``, ``model.data_convention``; see
``kgen.contract``).
"""

import os

import keras
import numpy as np

from kgen.contract import Capability, data_convention_of, require_capability
from kgen.validation import check_positive_int, to_numpy
from kgen.viz.grid import save_image_grid, save_traversal_grid
from kgen.viz.model_pictures import class_grid_conditions


def _value_range(model, value_range):
    """The stated range, else the model's declared data convention."""
    if value_range is not None:
        return value_range
    return data_convention_of(model)


class _EveryNEpochs(keras.callbacks.Callback):
    def __init__(self, directory, every_n_epochs, scale, value_range):
        super().__init__()
        self.directory = os.fspath(directory)
        self.every_n_epochs = check_positive_int(every_n_epochs, "every_n_epochs")
        self.scale = check_positive_int(scale, "scale")
        self.value_range = value_range
        self.paths = []

    def _due(self, epoch):
        return (epoch + 1) % self.every_n_epochs == 0

    def _path(self, stem, epoch):
        return os.path.join(self.directory, f"{stem}_epoch_{epoch + 1:03d}.png")

    def _require(self, capability):
        require_capability(self.model, capability, type(self).__name__)


class SampleGrid(_EveryNEpochs):
    """Save a grid of ``model.sample(num_samples, seed=seed, ...)`` per epoch.

    The same ``seed`` every time shows how the same random draws turn into
    images as training goes on. Files: ``samples_epoch_{epoch:03d}.png``.

    Args:
        directory: where to write the PNG files (created if missing).
        every_n_epochs: save after epochs ``n, 2n, ...``.
        num_samples: images per grid.
        seed: integer seed passed to ``sample``.
        scale: integer enlargement of each pixel in the PNG.
        value_range: pixel range of the samples; default: the model's
            declared ``data_convention``.
        **sample_kwargs: more keyword arguments for ``sample``
            (``conditions=``, ``temperature=``, ...). A conditional model
            given no ``conditions`` samples one class per column.

    Raises:
        ValueError: at the first save, if the model does not declare the
            ``sample`` capability.

    Examples:
        >>> import numpy as np
        >>> from kgen.models.latent import mlp_vae
        >>> x = (np.random.default_rng(0).random((16, 4, 4, 1)) > 0.5).astype("float32")
        >>> model = mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(8,))
        >>> model.compile(optimizer="adam")
        >>> from kgen.callbacks import SampleGrid
        >>> grids = SampleGrid("runs", every_n_epochs=2, num_samples=4)
        >>> _ = model.fit(x, batch_size=8, epochs=2, verbose=0, callbacks=[grids])
        >>> grids.paths
        ['runs/samples_epoch_002.png']
    """

    def __init__(
        self,
        directory,
        every_n_epochs=1,
        num_samples=64,
        seed=0,
        scale=1,
        value_range=None,
        **sample_kwargs,
    ):
        super().__init__(directory, every_n_epochs, scale, value_range)
        self.num_samples = check_positive_int(num_samples, "num_samples")
        self.seed = seed
        self.sample_kwargs = sample_kwargs

    def on_epoch_end(self, epoch, logs=None):
        if not self._due(epoch):
            return
        self._require(Capability.SAMPLE)
        kwargs = dict(self.sample_kwargs)
        num_samples, columns = self.num_samples, None
        num_classes = self.model.num_classes
        if num_classes is not None and "conditions" not in kwargs:
            columns = min(num_classes, num_samples)
            rows = max(1, num_samples // columns)
            kwargs["conditions"] = class_grid_conditions(num_classes, rows)[
                : rows * columns
            ]
            num_samples = len(kwargs["conditions"])
        images = to_numpy(self.model.sample(num_samples, seed=self.seed, **kwargs))
        path = save_image_grid(
            self._path("samples", epoch),
            images,
            num_columns=columns,
            scale=self.scale,
            value_range=_value_range(self.model, self.value_range),
        )
        self.paths.append(path)


class ReconstructionGrid(_EveryNEpochs):
    """Save originals above their reconstructions ``model.reconstruct(x)``.

    Files: ``reconstructions_epoch_{epoch:03d}.png``, two rows: the first
    row is ``x``, the second its reconstruction.

    Args:
        x: a few images in the model's input convention (8-16 is plenty).
        directory: where to write the PNG files.
        every_n_epochs: save after epochs ``n, 2n, ...``.
        scale: integer enlargement of each pixel.
        value_range: pixel range of ``x``; default: the model's declared
            ``data_convention``.
        conditions: labels of ``x``, for conditional models.

    Raises:
        ValueError: at the first save, if the model does not declare the
            ``encode`` capability.

    Examples:
        >>> import numpy as np
        >>> from kgen.models.latent import mlp_vae
        >>> x = (np.random.default_rng(0).random((16, 4, 4, 1)) > 0.5).astype("float32")
        >>> model = mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(8,))
        >>> model.compile(optimizer="adam")
        >>> from kgen.callbacks import ReconstructionGrid
        >>> grids = ReconstructionGrid(x[:4], "runs")
        >>> _ = model.fit(x, batch_size=8, epochs=1, verbose=0, callbacks=[grids])
        >>> grids.paths
        ['runs/reconstructions_epoch_001.png']
    """

    def __init__(
        self,
        x,
        directory,
        every_n_epochs=1,
        scale=1,
        value_range=None,
        conditions=None,
    ):
        super().__init__(directory, every_n_epochs, scale, value_range)
        self.x = to_numpy(x)
        self.conditions = None if conditions is None else to_numpy(conditions)

    def on_epoch_end(self, epoch, logs=None):
        if not self._due(epoch):
            return
        self._require(Capability.ENCODE)
        extra = {} if self.conditions is None else {"conditions": self.conditions}
        reconstructions = to_numpy(self.model.reconstruct(self.x, **extra))
        pair = np.stack([self.x.astype(np.float64), reconstructions.astype(np.float64)])
        value_range = _value_range(self.model, self.value_range)
        path = save_traversal_grid(
            self._path("reconstructions", epoch),
            pair,
            scale=self.scale,
            value_range=value_range,
        )
        self.paths.append(path)


class LatentTraversal(_EveryNEpochs):
    """Save ``model.traverse(x=x, dims=dims, values=values)`` as a grid.

    Row ``i`` varies latent dimension ``dims[i]`` over ``values`` (one column
    each). Files: ``traversal_epoch_{epoch:03d}.png``.

    Args:
        directory: where to write the PNG files.
        every_n_epochs: save after epochs ``n, 2n, ...``.
        dims: latent dimensions to vary (dimensions beyond the model's latent
            size are dropped).
        values: values each dimension takes (default ``linspace(-3, 3, 7)``).
        x: optional image whose encoding is the base point (default: z = 0).
        scale: integer enlargement of each pixel.
        value_range: pixel range of the decoded images; default: the model's
            declared ``data_convention``.
        conditions: one class label, for conditional models.

    Raises:
        ValueError: at the first save, if the model does not declare the
            ``latent_traversal`` capability.

    Examples:
        >>> import numpy as np
        >>> from kgen.models.latent import mlp_vae
        >>> x = (np.random.default_rng(0).random((16, 4, 4, 1)) > 0.5).astype("float32")
        >>> model = mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(8,))
        >>> model.compile(optimizer="adam")
        >>> from kgen.callbacks import LatentTraversal
        >>> grids = LatentTraversal("runs", dims=(0, 1), values=[-1.0, 0.0, 1.0])
        >>> _ = model.fit(x, batch_size=8, epochs=1, verbose=0, callbacks=[grids])
        >>> grids.paths
        ['runs/traversal_epoch_001.png']
    """

    def __init__(
        self,
        directory,
        every_n_epochs=1,
        dims=(0, 1, 2, 3),
        values=None,
        x=None,
        scale=1,
        value_range=None,
        conditions=None,
    ):
        super().__init__(directory, every_n_epochs, scale, value_range)
        self.conditions = conditions
        self.dims = tuple(int(d) for d in dims)
        self.values = (
            np.linspace(-3.0, 3.0, 7) if values is None else np.asarray(values)
        )
        self.x = None if x is None else to_numpy(x)

    def on_epoch_end(self, epoch, logs=None):
        if not self._due(epoch):
            return
        self._require(Capability.LATENT_TRAVERSAL)
        dims = tuple(d for d in self.dims if d < self.model.latent_dim) or (0,)
        extra = {} if self.conditions is None else {"conditions": self.conditions}
        images = to_numpy(
            self.model.traverse(x=self.x, dims=dims, values=self.values, **extra)
        )
        path = save_traversal_grid(
            self._path("traversal", epoch),
            images,
            scale=self.scale,
            value_range=_value_range(self.model, self.value_range),
        )
        self.paths.append(path)
