"""Tile a batch of images into one picture."""

import math

import numpy as np


def _to_uint8(images, value_range):
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    if value_range is None:
        if np.issubdtype(images.dtype, np.integer):
            top = max(int(images.max()), 1) if images.size else 1
            value_range = (0, top)
        elif images.size and images.min() < 0:
            value_range = (-1.0, 1.0)
        else:
            value_range = (0.0, 1.0)
    lo, hi = value_range
    scaled = (images.astype("float64") - lo) / max(hi - lo, 1e-12)
    return np.clip(np.round(scaled * 255.0), 0, 255).astype(np.uint8)


def image_grid(images, num_columns=None, padding=1, value_range=None, pad_value=255):
    """Tile ``images`` (N, H, W[, C]) into one ``uint8`` array (rows x columns).

    Args:
        images: batch of images; floats in [0, 1] or [-1, 1], or integers.
        num_columns: images per row (default: square-ish grid).
        padding: pixels between tiles.
        value_range: ``(low, high)`` mapped to 0 and 255; inferred if None
            (integers: 0..max, floats with negatives: [-1, 1], else [0, 1]).
        pad_value: grey level of the padding.

    Returns:
        ``uint8`` array of shape (rows*(H+p)-p, columns*(W+p)-p, C).
    """
    images = _to_uint8(images, value_range)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(
            f"Expected images with shape (N, H, W) or (N, H, W, C); received "
            f"shape {images.shape}."
        )
    n, h, w, c = images.shape
    num_columns = num_columns or int(math.ceil(math.sqrt(n)))
    num_rows = int(math.ceil(n / num_columns))
    grid = np.full(
        (num_rows * (h + padding) - padding, num_columns * (w + padding) - padding, c),
        pad_value,
        dtype=np.uint8,
    )
    for index in range(n):
        r, col = divmod(index, num_columns)
        grid[r * (h + padding) : r * (h + padding) + h,
             col * (w + padding) : col * (w + padding) + w] = images[index]
    return grid


def save_image_grid(path, images, num_columns=None, scale=1, **kwargs):
    """Save ``image_grid(images, ...)`` as a PNG at ``path``; return the path.

    ``scale`` enlarges each pixel (nearest neighbour) for small images.
    """
    import os

    from PIL import Image

    grid = image_grid(images, num_columns=num_columns, **kwargs)
    if grid.shape[-1] == 1:
        grid = grid[..., 0]
    picture = Image.fromarray(grid)
    if scale != 1:
        picture = picture.resize(
            (picture.width * scale, picture.height * scale), Image.NEAREST
        )
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    picture.save(path)
    return path
