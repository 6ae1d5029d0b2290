"""What image-to-image translation models share: pairs, ``translate``, metrics.

A translation model (`Pix2Pix`, `CycleGAN`) maps images of a domain A to a
domain B (CycleGAN also back). Its training examples are **pairs of images
side by side**, ``A | B`` along the width: the layout the Pix2Pix data sets
are distributed in, and what ``kgen.data.load("edges2fashion")`` (paired)
and ``kgen.data.load("fashion_tops2bottoms")`` (unpaired: the two halves are
unrelated images of the two domains) return. So ``data_shape`` is the pair,
``(height, 2 * width, channels)``, and ``image_shape`` one image; the
command line's ``fit(x)`` on such a data set trains the model. ``fit(a, b)``
with the two domains' images as separate arrays is the same (the model puts
them side by side).

These models declare ``Capability.TRANSLATE`` (``translate(x,
direction=...)``), not ``SAMPLE``: they map given images and cannot draw new
ones.
"""

import numpy as np
from keras import ops

from kgen.contract import Capability
from kgen.models.base import _is_array_like, map_batches
from kgen.training import MultiNetworkModel
from kgen.validation import check_images, check_positive_int, to_numpy

__all__ = [
    "TranslationModel",
    "side_by_side",
    "split_pairs",
    "structural_similarity",
    "translation_errors",
]

DIRECTIONS = ("a_to_b", "b_to_a")


def side_by_side(a, b):
    """Pairs ``A | B``: two image batches concatenated along the width.

    Examples:
        >>> import numpy as np
        >>> side_by_side(np.zeros((2, 4, 4, 1)), np.ones((2, 4, 4, 1))).shape
        (2, 4, 8, 1)
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(
            f"The two domains' images must have the same shape; received "
            f"{a.shape} and {b.shape}."
        )
    return np.concatenate([a, b], axis=2)


def split_pairs(pairs):
    """``(a, b)``: the left and right halves of side-by-side pairs.

    Works on NumPy arrays and backend tensors (rank 4, even width).

    Examples:
        >>> import numpy as np
        >>> a, b = split_pairs(side_by_side(np.zeros((2, 4, 4, 1)), np.ones((2, 4, 4, 1))))
        >>> a.shape, float(a.max()), b.shape, float(b.min())
        ((2, 4, 4, 1), 0.0, (2, 4, 4, 1), 1.0)
    """
    width = pairs.shape[2]
    if width is None or width % 2:
        raise ValueError(
            f"Expected side-by-side pairs with an even width; received shape "
            f"{tuple(pairs.shape)}."
        )
    half = width // 2
    return pairs[:, :, :half], pairs[:, :, half:]


def _gaussian_window(size=11, sigma=1.5):
    offsets = np.arange(size) - (size - 1) / 2.0
    window = np.exp(-(offsets**2) / (2 * sigma**2))
    return window / window.sum()


def _filter(images, window):
    """Separable 'valid' Gaussian filtering over height and width."""
    from scipy.ndimage import correlate1d

    out = correlate1d(images, window, axis=1, mode="constant")
    out = correlate1d(out, window, axis=2, mode="constant")
    half = len(window) // 2
    return out[:, half : out.shape[1] - half, half : out.shape[2] - half]


def structural_similarity(x, y, value_range=(-1.0, 1.0), window_size=None):
    """Mean SSIM per image pair (Wang et al. 2004), channels averaged.

    Gaussian window (sigma 1.5; 11x11, or the largest odd size that fits
    smaller images), ``K1 = 0.01``, ``K2 = 0.03``, over the data range
    ``L = high - low``; the SSIM map is averaged over the valid positions
    and the channels.

    Args:
        x: image batch ``(N, H, W, C)``.
        y: image batch of the same shape.
        value_range: ``(low, high)`` of the pixel values.
        window_size: odd window side (default ``min(11, H, W)`` made odd).

    Returns:
        NumPy ``(N,)``: 1 for identical images.

    Examples:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1))
        >>> structural_similarity(x, x).round(6).tolist()
        [1.0, 1.0]
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if x.shape != y.shape or x.ndim != 4:
        raise ValueError(
            f"Expected two image batches (N, H, W, C) of one shape; received "
            f"{x.shape} and {y.shape}."
        )
    low, high = value_range
    data_range = float(high - low)
    size = window_size or min(11, x.shape[1], x.shape[2])
    if size % 2 == 0:
        size -= 1
    window = _gaussian_window(size)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu_x, mu_y = _filter(x, window), _filter(y, window)
    xx = _filter(x * x, window) - mu_x**2
    yy = _filter(y * y, window) - mu_y**2
    xy = _filter(x * y, window) - mu_x * mu_y
    ssim = ((2 * mu_x * mu_y + c1) * (2 * xy + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (xx + yy + c2)
    )
    return ssim.mean(axis=(1, 2, 3))


def translation_errors(model, pairs, *, direction="a_to_b", batch_size=64):
    """L1 error and SSIM of translations against the paired targets.

    Args:
        model: a translation model.
        pairs: held-out side-by-side pairs (source | target) in the model's
            convention.
        direction: ``"a_to_b"`` (translate the left halves, compare with the
            right) or ``"b_to_a"``.
        batch_size: examples per call.

    Returns:
        ``{"l1": mean absolute error per pixel, "ssim": mean SSIM,
        "num_pairs": N}`` (pixels in [-1, 1]: the L1 error of a constant
        mid-grey guess is the targets' mean absolute value).
    """
    pairs = model.check_x(pairs, name="pairs")
    a, b = split_pairs(pairs)
    source, target = (a, b) if direction == "a_to_b" else (b, a)
    translated = model.translate(source, direction=direction, batch_size=batch_size)
    low, high = model.data_convention.value_range
    return {
        "l1": float(np.mean(np.abs(translated - target))),
        "ssim": float(np.mean(structural_similarity(translated, target, (low, high)))),
        "num_pairs": int(len(pairs)),
    }


class TranslationModel(MultiNetworkModel):
    """Base of image-to-image translation models (see the module docstring).

    Subclasses set ``network_names`` and their networks, call
    ``self.set_image_shape(shape)`` once the networks exist, implement
    ``training_phases`` (reading ``self.training_pairs(data)``) and
    ``_translate_batch(x, direction)``, and list their ``directions``.

    Examples:
        A translator without networks (B is A with the sign flipped), measured
        with `translation_errors` on pairs ``A | B``:

        >>> import numpy as np
        >>> from kgen.models import TranslationModel, side_by_side, translation_errors
        >>> class Negate(TranslationModel):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.set_image_shape((4, 4, 1))
        ...     def _translate_batch(self, x, direction):
        ...         return -x
        >>> model = Negate()
        >>> model.image_shape, model.data_shape
        ((4, 4, 1), (4, 8, 1))
        >>> a = np.random.default_rng(0).uniform(-1, 1, (3, 4, 4, 1)).astype("float32")
        >>> bool(np.allclose(model.translate(a), -a))
        True
        >>> errors = translation_errors(model, side_by_side(a, -a))
        >>> errors["l1"], round(errors["ssim"], 6), errors["num_pairs"]
        (0.0, 1.0, 3)
    """

    data_kind = "signed"
    capabilities = frozenset({Capability.TRANSLATE})
    directions = ("a_to_b",)

    def set_image_shape(self, image_shape):
        """Declare one image's shape; ``data_shape`` becomes the pair's."""
        self.image_shape = tuple(int(s) for s in image_shape)
        height, width, channels = self.image_shape
        self.data_shape = (height, 2 * width, channels)

    def check_images(self, x, name="images"):
        """Check one domain's images ``(batch,) + image_shape`` in [-1, 1]."""
        x = check_images(
            to_numpy(x), "signed", shape=(None, *self.image_shape), name=name
        )
        return x.astype("float32")

    def check_data(self, x, y=None):
        if y is not None:
            raise ValueError(
                f"{type(self).__name__} trains on side-by-side pairs, fit(pairs), or "
                "on the two domains' images, fit(a, b); it takes no labels "
                f"(received y with shape {np.shape(to_numpy(y))})."
            )
        self.check_x(x, name="pairs")

    def fit(self, x=None, y=None, *args, **kwargs):
        """Train on side-by-side pairs, ``fit(pairs)``, or ``fit(a, b)``.

        ``fit(a, b)``: ``a`` the A images (Pix2Pix: the inputs), ``b`` the B
        images (Pix2Pix: the targets), one per ``a``, both ``(num,) +
        image_shape``; they are put side by side.
        """
        if _is_array_like(x) and _is_array_like(y) and np.ndim(y) == 4:
            a, b = self.check_images(x, "x"), self.check_images(y, "y")
            if len(a) != len(b):
                raise ValueError(
                    f"fit(a, b) takes one b image per a image; received {len(a)} "
                    f"and {len(b)}."
                )
            x, y = side_by_side(a, b), None
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} has no held-out likelihood; measure its "
            "translations with kgen.models.translation_errors(model, pairs)."
        )

    def training_pairs(self, data):
        """``(a, b)`` image batches of a training batch of pairs."""
        x, y = self.unpack_batch(data)
        if y is not None:
            raise ValueError(
                f"{type(self).__name__} trains on side-by-side pairs (fit(pairs) or "
                "fit(a, b) with arrays); a dataset must yield the pairs alone."
            )
        return split_pairs(ops.cast(x, self.compute_dtype))

    def _check_direction(self, direction):
        if direction not in self.directions:
            raise ValueError(
                f"{type(self).__name__} translates {' and '.join(self.directions)}; "
                f"received direction={direction!r}."
            )
        return direction

    def translate(self, x, *, direction="a_to_b", batch_size=64):
        """Translate images of one domain into the other.

        Args:
            x: images ``(num,) + image_shape`` in [-1, 1].
            direction: ``"a_to_b"`` (or ``"b_to_a"`` for models that learn
                both directions).
            batch_size: examples per generator call.

        Returns:
            NumPy float32 images ``(num,) + image_shape`` in [-1, 1].

        Raises:
            ValueError: for images of the wrong shape or range, or an unknown
                direction.
        """
        direction = self._check_direction(direction)
        x = self.check_images(x, "x")
        batch_size = check_positive_int(batch_size, "batch_size")
        fn = self.compiled_inference(
            f"translate_{direction}", lambda t: self._translate_batch(t, direction)
        )
        return np.asarray(map_batches(fn, [x], batch_size), "float32")
