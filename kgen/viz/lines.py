"""Line plots (with error bars) as PNG files, drawn with Pillow."""

import math
import unicodedata

import numpy as np

from kgen.validation import to_numpy
from kgen.viz.grid import _save_uint8
from kgen.viz.scatter import PALETTE

__all__ = ["line_plot_image", "save_line_plot_png"]

_MARGINS = {"left": 64, "right": 16, "top": 30, "bottom": 44}
_AXIS_COLOUR = (60, 60, 60)
_GRID_COLOUR = (225, 225, 225)


def _ticks(low, high, log):
    if log:
        first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
        ticks = []
        for power in range(first, last + 1):
            for mantissa in (1, 2, 5):
                value = mantissa * 10.0**power
                if low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
                    ticks.append(value)
        return ticks
    span = high - low
    raw = span / 5.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = min(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.ceil(low / step) * step
    return [start + i * step for i in range(int((high - start) / step + 1e-9) + 1)]


def _ascii(text):
    # Pillow's built-in font has no accented letters: "Fréchet" -> "Frechet"
    folded = unicodedata.normalize("NFKD", str(text))
    return folded.encode("ascii", "ignore").decode("ascii")


def _label(value):
    if value == 0:
        return "0"
    if abs(value) >= 1_000_000 or abs(value) < 0.01:
        return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-")
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.3g}"


def _check_series(x, series, errors):
    x = np.asarray(to_numpy(x), "float64").reshape(-1)
    if not series:
        raise ValueError("series must hold at least one named line {name: values}.")
    checked, checked_errors = {}, {}
    for name, values in series.items():
        values = np.asarray(to_numpy(values), "float64").reshape(-1)
        if values.shape != x.shape:
            raise ValueError(
                f"Series {name!r} has {values.size} values for {x.size} x values."
            )
        checked[name] = values
    for name, values in (errors or {}).items():
        if name not in checked:
            raise ValueError(f"errors names {name!r}, which is not a series.")
        values = np.asarray(to_numpy(values), "float64").reshape(-1)
        if values.shape != x.shape or np.any(values < 0):
            raise ValueError(f"errors[{name!r}] must be {x.size} non-negative values.")
        checked_errors[name] = values
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinite values.")
    return x, checked, checked_errors


def line_plot_image(
    x,
    series,
    *,
    errors=None,
    size=(480, 320),
    log_x=False,
    log_y=False,
    title=None,
    x_label=None,
    y_label=None,
):
    """Draw named lines over shared ``x`` values into an RGB ``uint8`` array.

    Args:
        x: the x values ``(n,)``.
        series: ``{name: y values (n,)}``, drawn in `PALETTE` colours with a
            legend; NaN values leave gaps.
        errors: optional ``{name: half-widths (n,)}`` drawn as error bars.
        size: ``(width, height)`` in pixels.
        log_x: logarithmic x axis (positive x only).
        log_y: logarithmic y axis (positive values only).
        title: text above the plot.
        x_label: text below the x axis.
        y_label: text beside the y axis (top left).

    Returns:
        ``uint8`` array ``(height, width, 3)`` on a white background.

    Raises:
        ValueError: for series of the wrong length, or non-positive values on
            a logarithmic axis.

    Examples:
        >>> picture = line_plot_image([1, 10, 100], {"floor": [3.0, 0.4, 0.05]}, log_x=True)
        >>> picture.shape, picture.dtype
        ((320, 480, 3), dtype('uint8'))
    """
    from PIL import Image, ImageDraw, ImageFont

    x, series, errors = _check_series(x, series, errors)
    width, height = (int(s) for s in size)
    lows = [v - errors.get(n, 0 * v) for n, v in series.items()]
    highs = [v + errors.get(n, 0 * v) for n, v in series.items()]
    y_values = np.concatenate([np.concatenate(lows), np.concatenate(highs)])
    y_values = y_values[np.isfinite(y_values)]
    if log_x and np.any(x <= 0):
        raise ValueError("log_x needs positive x values.")
    if y_values.size == 0:
        raise ValueError("series hold no finite values to plot.")
    if log_y:
        y_values = y_values[y_values > 0]
        if y_values.size == 0:
            raise ValueError("log_y needs positive values.")
    x_low, x_high = float(x.min()), float(x.max())
    y_low, y_high = float(y_values.min()), float(y_values.max())
    if not log_y:
        y_low = min(y_low, 0.0) if y_low >= 0 else y_low
    if x_high == x_low:
        x_low, x_high = (x_low / 2, x_high * 2) if log_x else (x_low - 1, x_high + 1)
    if y_high == y_low:
        y_low, y_high = (y_low / 2, y_high * 2) if log_y else (y_low - 1, y_high + 1)
    if not log_y:
        y_high += 0.05 * (y_high - y_low)

    def transform(values, low, high, log):
        if log:
            values, low, high = np.log10(values), math.log10(low), math.log10(high)
        # a 3% margin inside the frame, so end points are not on its edges
        return 0.03 + 0.94 * (values - low) / (high - low)

    left, right = _MARGINS["left"], width - _MARGINS["right"]
    top, bottom = _MARGINS["top"], height - _MARGINS["bottom"]

    def to_pixels(xs, ys):
        with np.errstate(divide="ignore", invalid="ignore"):
            columns = left + transform(xs, x_low, x_high, log_x) * (right - left)
            rows = bottom - transform(ys, y_low, y_high, log_y) * (bottom - top)
        return columns, rows

    picture = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default()
    for tick in _ticks(y_low, y_high, log_y):
        _, row = to_pixels(np.array([x_low]), np.array([tick]))
        draw.line((left, row[0], right, row[0]), fill=_GRID_COLOUR)
        text = _label(tick)
        draw.text((left - 6, row[0]), text, fill=_AXIS_COLOUR, font=font, anchor="rm")
    for tick in _ticks(x_low, x_high, log_x):
        column, _ = to_pixels(np.array([tick]), np.array([y_low]))
        draw.line((column[0], top, column[0], bottom), fill=_GRID_COLOUR)
        draw.text(
            (column[0], bottom + 6),
            _label(tick),
            fill=_AXIS_COLOUR,
            font=font,
            anchor="mt",
        )
    draw.rectangle((left, top, right, bottom), outline=_AXIS_COLOUR)
    for index, (name, values) in enumerate(series.items()):
        colour = PALETTE[index % len(PALETTE)]
        columns, rows = to_pixels(x, values)
        visible = np.isfinite(columns) & np.isfinite(rows)
        for i in range(len(x) - 1):
            if visible[i] and visible[i + 1]:
                draw.line(
                    (columns[i], rows[i], columns[i + 1], rows[i + 1]),
                    fill=colour,
                    width=2,
                )
        if name in errors:
            _, low_rows = to_pixels(x, values - errors[name])
            _, high_rows = to_pixels(x, values + errors[name])
            for c, lo, hi in zip(columns, low_rows, high_rows):
                if np.isfinite(c) and np.isfinite(lo) and np.isfinite(hi):
                    draw.line((c, lo, c, hi), fill=colour)
                    draw.line((c - 3, lo, c + 3, lo), fill=colour)
                    draw.line((c - 3, hi, c + 3, hi), fill=colour)
        for c, r in zip(columns[visible], rows[visible]):
            draw.ellipse((c - 3, r - 3, c + 3, r + 3), fill=colour)
        legend_row = top + 8 + 14 * index
        draw.line(
            (right - 150, legend_row, right - 130, legend_row), fill=colour, width=2
        )
        draw.text(
            (right - 124, legend_row),
            _ascii(name),
            fill=_AXIS_COLOUR,
            font=font,
            anchor="lm",
        )
    if title:
        draw.text((width / 2, 8), _ascii(title), fill=(0, 0, 0), font=font, anchor="mt")
    if x_label:
        draw.text(
            (width / 2, height - 8),
            _ascii(x_label),
            fill=_AXIS_COLOUR,
            font=font,
            anchor="mb",
        )
    if y_label:
        draw.text(
            (8, top - 14), _ascii(y_label), fill=_AXIS_COLOUR, font=font, anchor="lt"
        )
    return np.asarray(picture, dtype=np.uint8)


def save_line_plot_png(path, x, series, *, scale=1, **kwargs):
    """Save `line_plot_image` as a PNG; returns ``path``.

    Args:
        path: destination PNG; missing directories are created.
        x: the x values.
        series: ``{name: y values}``.
        scale: integer enlargement (nearest neighbour).
        **kwargs: ``errors``, ``size``, ``log_x``, ``log_y``, ``title``,
            ``x_label``, ``y_label`` of `line_plot_image`.

    Examples:
        >>> save_line_plot_png("floor.png", [100, 1000], {"FD": [2.0, 0.2]}, log_x=True)
        'floor.png'
    """
    return _save_uint8(path, line_plot_image(x, series, **kwargs), scale)
