"""Tile a batch of images into one picture."""

import math
import os

import numpy as np

from kgen.contract import DataConvention


def _to_uint8(images, value_range):
    """Map ``value_range`` to [0, 255]; the range is stated, never guessed.

    ``value_range`` is ``(low, high)`` or a ``kgen.contract.DataConvention``
    (e.g. ``model.data_convention``); ``uint8`` images need none.
    """
    images = np.asarray(images)
    if value_range is None:
        if images.dtype == np.uint8:
            return images
        raise ValueError(
            f"Received {images.dtype} images without value_range. Pass the range "
            "of the values, e.g. value_range=model.data_convention (a kgen "
            "model's declared convention), (0, 1), (-1, 1) or (0, num_levels - 1); "
            "uint8 images need none."
        )
    if isinstance(value_range, DataConvention):
        if value_range.kind == "real":
            raise ValueError(
                "A 'real' data convention holds points, not images; plot them with "
                "kgen.viz.save_scatter_png."
            )
        value_range = value_range.value_range
    lo, hi = (float(v) for v in value_range)
    if not hi > lo:
        raise ValueError(
            f"value_range must be (low, high) with high > low; received {value_range!r}."
        )
    scaled = (images.astype("float64") - lo) / (hi - lo)
    return np.clip(np.round(scaled * 255.0), 0, 255).astype(np.uint8)


def image_grid(images, num_columns=None, padding=1, value_range=None, pad_value=255):
    """Tile ``images`` (N, H, W[, C]) into one ``uint8`` array (rows x columns).

    Args:
        images: batch of images (any numeric dtype).
        num_columns: images per row (default: square-ish grid).
        padding: pixels between tiles.
        value_range: ``(low, high)`` mapped to 0 and 255, or a
            ``kgen.contract.DataConvention`` (``model.data_convention``);
            required unless ``images`` are ``uint8``.
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
        grid[
            r * (h + padding) : r * (h + padding) + h,
            col * (w + padding) : col * (w + padding) + w,
        ] = images[index]
    return grid


def _save_uint8(path, picture_array, scale=1):
    """Write a uint8 (H, W) or (H, W, C) array as PNG, enlarged ``scale`` times."""
    from PIL import Image

    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale must be a positive integer; received {scale!r}.")
    if picture_array.ndim == 3 and picture_array.shape[-1] == 1:
        picture_array = picture_array[..., 0]
    picture = Image.fromarray(picture_array)
    if scale != 1:
        picture = picture.resize(
            (picture.width * scale, picture.height * scale), Image.NEAREST
        )
    directory = os.path.dirname(os.path.abspath(os.fspath(path)))
    os.makedirs(directory, exist_ok=True)
    picture.save(path)
    return path


def save_image_grid(path, images, num_columns=None, scale=1, **kwargs):
    """Save ``image_grid(images, ...)`` as a PNG at ``path``; return the path.

    Args:
        path: destination PNG; missing directories are created.
        images: batch (N, H, W[, C]); see `image_grid`.
        num_columns: images per row (default: square-ish grid).
        scale: integer enlargement of each pixel (nearest neighbour), for
            small images.
        **kwargs: ``padding``, ``value_range``, ``pad_value`` of `image_grid`.

    Returns:
        ``path``.

    Examples:
        >>> import numpy as np
        >>> from PIL import Image
        >>> from kgen.viz import save_image_grid
        >>> save_image_grid("samples.png", np.zeros((16, 8, 8, 1), "uint8"), scale=4)
        'samples.png'
        >>> Image.open("samples.png").size  # 4 x 4 tiles of 8 pixels, 1 apart, x 4
        (140, 140)
    """
    grid = image_grid(images, num_columns=num_columns, **kwargs)
    return _save_uint8(path, grid, scale)


def save_traversal_grid(path, images, scale=1, **kwargs):
    """Save a (rows, columns, H, W[, C]) array as one grid, row by row.

    The layout of a latent traversal: row ``i`` varies latent dimension
    ``dims[i]`` over the columns' values (or any other 2-D arrangement).

    Args:
        path: destination PNG.
        images: array of shape (rows, columns, H, W) or
            (rows, columns, H, W, C).
        scale: integer enlargement of each pixel.
        **kwargs: ``padding``, ``value_range``, ``pad_value`` of `image_grid`.

    Returns:
        ``path``.

    Raises:
        ValueError: for an array of another rank.

    Examples:
        >>> import numpy as np
        >>> from PIL import Image
        >>> from kgen.viz import save_traversal_grid
        >>> save_traversal_grid("traversal.png", np.zeros((4, 7, 8, 8, 1)), value_range=(0, 1))
        'traversal.png'
        >>> Image.open("traversal.png").size  # (width, height): 7 columns, 4 rows
        (62, 35)
    """
    images = np.asarray(images)
    if images.ndim not in (4, 5):
        raise ValueError(
            "Expected images with shape (rows, columns, H, W) or (rows, columns, "
            f"H, W, C); received shape {images.shape}."
        )
    rows, columns = images.shape[:2]
    flat = images.reshape((rows * columns,) + images.shape[2:])
    return save_image_grid(path, flat, num_columns=columns, scale=scale, **kwargs)


def save_interpolation_strip(path, images, scale=1, **kwargs):
    """Save images (N, H, W[, C]) side by side in one row, e.g. an interpolation.

    A batch of strips (rows, N, H, W[, C]) gives one strip per row.

    Args:
        path: destination PNG.
        images: (N, H, W[, C]) for one strip or (rows, N, H, W[, C]) for
            several (a rank-4 array is read as one strip of colour images when
            its last axis has 1 or 3 channels).
        scale: integer enlargement of each pixel.
        **kwargs: ``padding``, ``value_range``, ``pad_value`` of `image_grid`.

    Returns:
        ``path``.

    Examples:
        >>> import numpy as np
        >>> from PIL import Image
        >>> from kgen.sampling.interpolation import lerp
        >>> from kgen.viz import save_interpolation_strip
        >>> frames = lerp(np.zeros((6, 6, 1)), np.ones((6, 6, 1)), 8)  # black to white
        >>> save_interpolation_strip("strip.png", frames, value_range=(0, 1))
        'strip.png'
        >>> Image.open("strip.png").size
        (55, 6)
    """
    images = np.asarray(images)
    one_strip = images.ndim == 3 or (images.ndim == 4 and images.shape[-1] in (1, 3))
    if one_strip:
        return save_image_grid(
            path, images, num_columns=len(images), scale=scale, **kwargs
        )
    return save_traversal_grid(path, images, scale=scale, **kwargs)
