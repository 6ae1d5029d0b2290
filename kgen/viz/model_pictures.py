"""The standard pictures of a trained model, chosen from its declaration.

``save_model_pictures`` writes what the model's capabilities allow
(``kgen.contract``): a sample grid (``SAMPLE``), originals above their
reconstructions (``ENCODE``), completions of the bottom half (``COMPLETE``)
and a latent traversal (``LATENT_TRAVERSAL``), all with the value range of the
model's declared data convention. ``kgen train`` calls it; so can a script.
"""

import os

import numpy as np

from kgen.contract import Capability, data_convention_of
from kgen.viz.grid import save_image_grid, save_traversal_grid

__all__ = [
    "active_latent_dims",
    "class_grid_conditions",
    "sampling_options",
    "save_model_pictures",
]

# Classes shown one per column in a conditional sample grid, at most.
_MAX_CLASS_COLUMNS = 16


def _scale_for(image_shape):
    """Enlarge small images so that a grid is comfortable to look at."""
    return max(1, 64 // max(int(image_shape[0]), 1))


def class_grid_conditions(num_classes, num_rows=8):
    """Labels for a grid with one class per column: ``[0, 1, ..., K-1] * rows``."""
    return np.tile(np.arange(int(num_classes), dtype="int32"), int(num_rows))


def sampling_options(model):
    """Keyword arguments for the fastest exact sampler the model declares."""
    return {"method": "fast"} if model.has(Capability.FAST_SAMPLING) else {}


def active_latent_dims(model, x, conditions=None, max_dims=8):
    """Latent dimensions the encoder uses most, by variance of their codes.

    A VAE switches some dimensions off (their posterior equals the prior for
    every example); traversing those shows nothing. Returns the ``max_dims``
    dimensions (latent variables: axis 1 of ``encode(x)["latent"]``) whose
    values vary most over ``x``, leaving out those below 5% of the busiest
    one's variance.
    """
    labels = {} if conditions is None else {"conditions": conditions}
    latents = np.asarray(model.encode(x, **labels)["latent"], "float64")
    variances = latents.var(axis=0)
    if variances.ndim > 1:
        # one latent variable per row of trailing values (e.g. the categories
        # of a categorical latent): its variance is their total
        variances = variances.reshape(len(variances), -1).sum(axis=1)
    order = np.argsort(-variances, kind="stable")[:max_dims]
    return tuple(int(d) for d in order if variances[d] >= 0.05 * variances[order[0]])


def save_model_pictures(
    model, directory, x, conditions=None, *, seed=0, num_samples=64, scale=None
):
    """Write the pictures the model's capabilities allow; return ``{name: path}``.

    Conditional models sample 8 images of each class, one class per column
    (up to 16 classes), reconstruct and complete with the given labels, and
    traverse around the encoding of the first example with its label.

    Args:
        model: a kgen model.
        directory: where to write ``samples.png``, ``reconstructions.png``,
            ``completions.png`` and ``traversal.png``.
        x: a few held-out examples in the model's convention (16 are used).
        conditions: their class labels (conditional models).
        seed: integer seed of every random draw.
        num_samples: images in an unconditional sample grid.
        scale: pixel enlargement (default: about 64 pixels per image side).

    Returns:
        ``{name: path}`` of the files written.
    """
    convention = data_convention_of(model)
    if not convention.is_image:
        return {}
    value_range = convention
    scale = scale or _scale_for(convention.shape)
    conditional = model.num_classes is not None
    if conditional and conditions is None:
        raise ValueError(
            f"{type(model).__name__} is class-conditional; pass conditions= (the "
            "labels of x)."
        )
    x = np.asarray(x)
    labels = None if conditions is None else np.asarray(conditions)

    def given(count):
        return {} if labels is None else {"conditions": labels[:count]}

    written = {}
    if model.has(Capability.SAMPLE):
        columns = None
        extra = {}
        if conditional:
            if model.num_classes <= _MAX_CLASS_COLUMNS:
                columns = model.num_classes
                extra["conditions"] = class_grid_conditions(model.num_classes)
            else:
                extra["conditions"] = np.arange(num_samples) % model.num_classes
        count = len(extra["conditions"]) if extra else num_samples
        samples = model.sample(count, seed=seed, **extra, **sampling_options(model))
        written["samples"] = save_image_grid(
            os.path.join(directory, "samples.png"),
            samples,
            num_columns=columns,
            scale=scale,
            value_range=value_range,
        )
    if model.has(Capability.ENCODE):
        originals = x[:16]
        reconstructions = model.reconstruct(originals, **given(16))
        written["reconstructions"] = save_traversal_grid(
            os.path.join(directory, "reconstructions.png"),
            np.stack([originals, np.asarray(reconstructions, originals.dtype)]),
            scale=scale,
            value_range=value_range,
        )
    if model.has(Capability.COMPLETE):
        # rows: held-out images, their top halves, completions of the bottom half
        originals = x[:8]
        half = convention.shape[0] // 2
        completions = model.complete(
            originals, half, seed=seed, **given(8), **sampling_options(model)
        )
        occluded = np.array(originals)
        occluded[:, half:] = 0
        written["completions"] = save_traversal_grid(
            os.path.join(directory, "completions.png"),
            np.stack([originals, occluded, np.asarray(completions, originals.dtype)]),
            scale=scale,
            value_range=value_range,
        )
    if model.has(Capability.LATENT_TRAVERSAL):
        dims = active_latent_dims(model, x, labels)
        grid = model.traverse(
            x=x[:1], dims=dims, values=np.linspace(-3.0, 3.0, 9), **given(1)
        )
        written["traversal"] = save_traversal_grid(
            os.path.join(directory, "traversal.png"),
            grid,
            scale=scale,
            value_range=value_range,
        )
    return written
