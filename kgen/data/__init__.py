"""Data sets and pixel transforms.

Quick runs and tests use `load_or_stand_in`: local files only, and a stated
stand-in when the data set is not on disk.

Examples:
    >>> from kgen import data
    >>> images, labels = data.load("digits")
    >>> images.dtype, images.shape
    (dtype('uint8'), (1497, 8, 8, 1))
    >>> x = data.to_unit_float(images)  # float32 in [0, 1] for VAEs
    >>> str(x.dtype), float(x.min()) >= 0.0, float(x.max()) <= 1.0
    ('float32', True, True)
"""

from kgen.data.datasets import (
    DATASETS,
    DEBIAN_DATASETS_DIR,
    DEBIAN_DATASETS_DIR_ENV,
    FASHION_MNIST_DEBIAN_DIR,
    DataSource,
    available,
    debian_datasets_dir,
    load,
    load_or_stand_in,
    resize_images,
)
from kgen.data.idx import read_idx, write_idx
from kgen.data.paired import PAIRED_DATASETS, load_paired
from kgen.data.toy import TOY_DENSITIES, bimodal_1d, ring_of_gaussians, toy_density
from kgen.data.transforms import (
    binarize,
    dequantize,
    dynamic_binarize,
    quantize,
    to_signed_float,
    to_uint8,
    to_unit_float,
)

__all__ = [
    "DATASETS",
    "DEBIAN_DATASETS_DIR",
    "DEBIAN_DATASETS_DIR_ENV",
    "FASHION_MNIST_DEBIAN_DIR",
    "PAIRED_DATASETS",
    "TOY_DENSITIES",
    "DataSource",
    "available",
    "bimodal_1d",
    "binarize",
    "debian_datasets_dir",
    "dequantize",
    "dynamic_binarize",
    "load",
    "load_or_stand_in",
    "load_paired",
    "quantize",
    "read_idx",
    "resize_images",
    "ring_of_gaussians",
    "to_signed_float",
    "to_uint8",
    "to_unit_float",
    "toy_density",
    "write_idx",
]
