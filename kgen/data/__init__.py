"""Data sets and pixel transforms.

>>> from kgen import data
>>> images, labels = data.load("digits")        # uint8 (1497, 8, 8, 1)
>>> x = data.to_unit_float(images)              # float32 in [0, 1] for VAEs
"""

from kgen.data.datasets import (
    DATASETS,
    FASHION_MNIST_DEBIAN_DIR,
    available,
    load,
    resize_images,
)
from kgen.data.idx import read_idx, write_idx
from kgen.data.toy import TOY_DENSITIES, ring_of_gaussians, toy_density
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
    "FASHION_MNIST_DEBIAN_DIR",
    "TOY_DENSITIES",
    "available",
    "binarize",
    "dequantize",
    "dynamic_binarize",
    "load",
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
