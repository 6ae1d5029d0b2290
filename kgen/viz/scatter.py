"""Scatter plots of 2-D points as PNG files, drawn with Pillow."""

import numpy as np

from kgen.validation import describe, to_numpy
from kgen.viz.grid import _save_uint8

# Tableau-10 colours: label k is drawn in PALETTE[k % 10].
PALETTE = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)
_REFERENCE_COLOUR = (214, 39, 40)


def _check_points(points, name):
    points = to_numpy(points)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(
            f"Expected {name} with shape (N, 2); received {describe(points)}."
        )
    if not np.all(np.isfinite(points)):
        raise ValueError(f"{name} contain NaN or infinite values.")
    return points.astype(np.float64)


def scatter_image(
    points,
    *,
    size=256,
    bounds=None,
    labels=None,
    reference=None,
    point_radius=0,
    colour=(31, 119, 180),
):
    """Draw 2-D points into an RGB ``uint8`` array.

    Point ``(x, y)`` lands in column ``round((x - x_min) / (x_max - x_min) *
    (size - 1))`` and row ``size - 1 - round((y - y_min) / (y_max - y_min) *
    (size - 1))`` (``y`` grows upwards); points outside ``bounds`` are not
    drawn.

    Args:
        points: array (N, 2).
        size: picture width and height in pixels.
        bounds: ``(x_min, x_max, y_min, y_max)``; default: the range of the
            points (and ``reference``) with a 5% margin, made square.
        labels: optional integer array (N,) choosing colours from `PALETTE`.
        reference: optional array (M, 2) drawn on top as red crosses, e.g.
            the centres of `kgen.data.ring_of_gaussians`.
        point_radius: 0 draws single pixels; ``r`` draws discs of radius ``r``.
        colour: RGB colour of unlabelled points.

    Returns:
        ``uint8`` array (size, size, 3) on a white background.

    Raises:
        ValueError: for points that are not (N, 2) finite numbers, labels of
            another length, or empty bounds.
    """
    from PIL import Image, ImageDraw

    points = _check_points(points, "points")
    reference = None if reference is None else _check_points(reference, "reference")
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(points):
            raise ValueError(
                f"Expected one label per point ({len(points)}); received {len(labels)}."
            )
    if bounds is None:
        everything = (
            points if reference is None else np.concatenate([points, reference])
        )
        if len(everything) == 0:
            everything = np.array([[-1.0, -1.0], [1.0, 1.0]])
        low, high = everything.min(axis=0), everything.max(axis=0)
        centre, half = (low + high) / 2, max((high - low).max() / 2, 1e-6) * 1.05
        bounds = (
            centre[0] - half,
            centre[0] + half,
            centre[1] - half,
            centre[1] + half,
        )
    x_min, x_max, y_min, y_max = (float(b) for b in bounds)
    if not (x_max > x_min and y_max > y_min):
        raise ValueError(
            f"bounds must satisfy x_min < x_max and y_min < y_max; received {bounds!r}."
        )

    def to_pixels(values):
        columns = np.round((values[:, 0] - x_min) / (x_max - x_min) * (size - 1))
        rows = (
            size - 1 - np.round((values[:, 1] - y_min) / (y_max - y_min) * (size - 1))
        )
        inside = (columns >= 0) & (columns < size) & (rows >= 0) & (rows < size)
        return columns.astype(int), rows.astype(int), inside

    picture = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    columns, rows, inside = to_pixels(points)
    for index in np.flatnonzero(inside):
        fill = colour if labels is None else PALETTE[int(labels[index]) % len(PALETTE)]
        c, r = columns[index], rows[index]
        if point_radius:
            draw.ellipse(
                (
                    c - point_radius,
                    r - point_radius,
                    c + point_radius,
                    r + point_radius,
                ),
                fill=fill,
            )
        else:
            draw.point((int(c), int(r)), fill=fill)
    if reference is not None:
        arm = max(2, size // 64)
        columns, rows, inside = to_pixels(reference)
        for c, r in zip(columns[inside], rows[inside]):
            draw.line((c - arm, r, c + arm, r), fill=_REFERENCE_COLOUR)
            draw.line((c, r - arm, c, r + arm), fill=_REFERENCE_COLOUR)
    return np.asarray(picture, dtype=np.uint8)


def save_scatter_png(path, points, *, size=256, scale=1, **kwargs):
    """Save a scatter plot of 2-D points (a density sample) as a PNG.

    Args:
        path: destination PNG; missing directories are created.
        points: array (N, 2), e.g. ``model.sample(2000)`` of a 2-D model.
        size: picture width and height before ``scale``.
        scale: integer enlargement (nearest neighbour).
        **kwargs: ``bounds``, ``labels``, ``reference``, ``point_radius``,
            ``colour`` of `scatter_image`.

    Returns:
        ``path``.

    Examples:
        >>> from PIL import Image
        >>> from kgen.data import ring_of_gaussians
        >>> from kgen.viz import save_scatter_png
        >>> points, centres = ring_of_gaussians(200)
        >>> save_scatter_png("ring.png", points, size=64, reference=centres)
        'ring.png'
        >>> Image.open("ring.png").size
        (64, 64)
    """
    return _save_uint8(path, scatter_image(points, size=size, **kwargs), scale)
