"""Paired and unpaired image-translation data sets built from real images.

Each data set is a set of **side-by-side pairs** ``A | B`` (two images
concatenated along the width), the layout the Pix2Pix data sets are
distributed in and what kgen's translation models train on:

- ``"edges2fashion"`` (paired): the edges of a Fashion-MNIST item (Sobel
  gradient magnitude above a quarter of the image's largest, in white on
  black) beside the item; labels are the item's class.
- ``"fashion_tops2bottoms"`` (unpaired): a T-shirt/top (class 0) beside an
  unrelated trouser (class 1), each domain shuffled with a fixed seed; the
  pairing carries no information, CycleGAN needs none. Labels are 0.
- ``"gray2color_patches"`` (paired): the greyscale version (ITU-R 601 luma,
  repeated in the three channels) of a colour patch of
  ``kgen.data.load("color_patches")`` beside the patch; labels are the
  photograph.

They never download: Fashion-MNIST is read from local files as
``kgen.data.load_or_stand_in`` does, and without it the embedded digits
(resized to 28x28) stand in, with digits 0 and 1 as the two domains of
``fashion_tops2bottoms``; `load_paired` says which (``kgen.data.load`` warns).
``image_size`` sets the size of each half (a pair is twice as wide).
"""

import numpy as np

__all__ = [
    "PAIRED_DATASETS",
    "edge_map",
    "grayscale",
    "load_paired",
    "side_by_side_pairs",
]

#: name -> one-line description (``kgen list`` prints these)
PAIRED_DATASETS = {
    "edges2fashion": "paired: edges of a Fashion-MNIST item | the item (28x56), for "
    "Pix2Pix; local files only, the digits stand in without Fashion-MNIST",
    "fashion_tops2bottoms": "unpaired: a Fashion-MNIST T-shirt/top | an unrelated "
    "trouser (28x56), for CycleGAN; digits 0 | 1 stand in without Fashion-MNIST",
    "gray2color_patches": "paired: greyscale | colour patch of the embedded "
    "photographs (16x32x3 by default), for Pix2Pix",
}

# the two domains of fashion_tops2bottoms: Fashion-MNIST classes (and the
# digits' classes of the stand-in)
TOPS, BOTTOMS = 0, 1
_SHUFFLE_SEEDS = {"train": 0, "test": 1, "all": 2}


def side_by_side_pairs(a, b):
    """``uint8`` pairs ``A | B`` of two image batches of one shape."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(
            f"The halves of a pair need one shape; received {a.shape} and {b.shape}."
        )
    return np.concatenate([a, b], axis=2)


def edge_map(images, level=0.25):
    """White-on-black edges of ``uint8`` images (Sobel magnitude).

    A pixel is an edge when its Sobel gradient magnitude exceeds ``level``
    times the largest magnitude in its image.

    Args:
        images: ``uint8`` ``(N, H, W, C)``; colour is averaged to grey.
        level: relative threshold in (0, 1).

    Returns:
        ``uint8`` ``(N, H, W, 1)`` with values 0 and 255.

    Examples:
        >>> import numpy as np
        >>> square = np.zeros((1, 8, 8, 1), "uint8"); square[0, 2:6, 2:6] = 255
        >>> edges = edge_map(square)
        >>> int(edges[0, 4, 4, 0]), int(edges[0, 4, 2, 0])  # inside, on the border
        (0, 255)
    """
    from scipy.ndimage import sobel

    grey = np.asarray(images, dtype="float64").mean(axis=-1)
    magnitude = np.hypot(sobel(grey, axis=1), sobel(grey, axis=2))
    largest = magnitude.reshape(len(grey), -1).max(axis=1).reshape(-1, 1, 1)
    edges = magnitude > level * np.maximum(largest, 1e-12)
    return (edges * 255).astype("uint8")[..., None]


def grayscale(images):
    """ITU-R 601 luma of ``uint8`` RGB images, repeated in three channels."""
    images = np.asarray(images, dtype="float64")
    luma = images @ np.array([0.299, 0.587, 0.114])
    grey = np.clip(np.round(luma), 0, 255).astype("uint8")
    return np.repeat(grey[..., None], 3, axis=-1)


def _fashion(split, image_size, data_dir):
    from kgen.data import datasets

    return datasets.load_or_stand_in(
        "fashion_mnist", split, image_size=image_size, data_dir=data_dir
    )


def _source_text(source, what):
    from kgen.data.datasets import DataSource

    return DataSource(
        f"{what} from {source}", name=source.name, stand_in=source.stand_in
    )


def load_paired(name, split="train", *, image_size=None, data_dir=None):
    """Load a paired/unpaired translation data set as side-by-side pairs.

    Args:
        name: ``"edges2fashion"``, ``"fashion_tops2bottoms"`` or
            ``"gray2color_patches"``.
        split: ``"train"``, ``"test"`` or ``"all"``.
        image_size: size of each half (integer or ``(height, width)``);
            default the source's (28x28; 16x16 for the colour patches, which
            come in 8, 16 and 32).
        data_dir: directory with the Fashion-MNIST files.

    Returns:
        ``(pairs, labels, source)``: ``uint8`` ``(N, H, 2W, C)`` pairs,
        ``int64`` ``(N,)`` labels and a ``kgen.data.DataSource`` (a ``str``
        saying what the pairs were built from; ``source.stand_in`` is true
        when the digits stood in for Fashion-MNIST).

    Raises:
        ValueError: for an unknown name or bad arguments.

    Examples:
        >>> pairs, labels, source = load_paired("gray2color_patches", "test",
        ...                                     image_size=8)
        >>> pairs.shape, pairs.dtype
        ((512, 8, 16, 3), dtype('uint8'))
    """
    from kgen.data import datasets

    if name not in PAIRED_DATASETS:
        raise ValueError(
            f"Unknown paired data set {name!r}; choose one of "
            f"{', '.join(PAIRED_DATASETS)}."
        )
    if name == "gray2color_patches":
        size = datasets._check_image_size(image_size)
        if size is not None and size[0] != size[1]:
            raise ValueError(
                f"color_patches is square; received image_size={image_size!r}."
            )
        images, labels, source = datasets.load_or_stand_in(
            "color_patches", split, image_size=image_size
        )
        pairs = side_by_side_pairs(grayscale(images), images)
        return pairs, labels, _source_text(source, "greyscale | colour pairs")
    images, labels, source = _fashion(split, image_size, data_dir)
    if name == "edges2fashion":
        pairs = side_by_side_pairs(edge_map(images), images)
        return pairs, labels, _source_text(source, "edges | item pairs")
    rng = np.random.default_rng(_SHUFFLE_SEEDS[split])
    tops = images[rng.permutation(np.flatnonzero(labels == TOPS))]
    bottoms = images[rng.permutation(np.flatnonzero(labels == BOTTOMS))]
    count = min(len(tops), len(bottoms))
    pairs = side_by_side_pairs(tops[:count], bottoms[:count])
    what = (
        "unpaired digit 0 | digit 1 (standing in for tops | trousers)"
        if source.stand_in
        else "unpaired T-shirt/top | trouser"
    )
    return pairs, np.zeros(count, dtype="int64"), _source_text(source, what)
