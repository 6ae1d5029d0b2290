"""Captions from class labels and attributes measured on the images.

For small-scale demonstrations of text-to-image models on data sets that
have labels but no captions (Fashion-MNIST, the digits): a caption names the
class and two attributes measured on the image itself, each relative to the
median of its class, e.g. ``"small dark trouser"``. Because the attributes
are measurable, so is a model's agreement with the caption: measure the
generated images with the same thresholds (`measure_attributes`,
`attribute_thresholds`).
"""

import numpy as np

__all__ = [
    "DIGIT_NAMES",
    "FASHION_MNIST_NAMES",
    "attribute_captions",
    "attribute_thresholds",
    "measure_attributes",
]

#: One-word class names of Fashion-MNIST (labels 0-9).
FASHION_MNIST_NAMES = (
    "tshirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "boot",
)
#: Class names of the digits (labels 0-9).
DIGIT_NAMES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
)

# A pixel belongs to the object when its intensity (0..1) exceeds this.
_OBJECT_LEVEL = 0.2


def measure_attributes(images, value_range=(0, 255)):
    """Brightness and size of the object in each image.

    Args:
        images: ``(N, H, W, C)`` images (colour is averaged to grey).
        value_range: ``(low, high)`` of the pixel values: ``(0, 255)`` for
            ``uint8`` data, ``(-1, 1)`` for a GAN's samples.

    Returns:
        ``{"brightness": (N,), "size": (N,)}``: the mean intensity (0..1) of
        the object's pixels (those above 0.2) and the fraction of the image
        they cover; an image without object pixels has brightness 0.

    Examples:
        >>> import numpy as np
        >>> image = np.zeros((1, 4, 4, 1), "uint8"); image[0, :2, :2] = 255
        >>> {k: float(v[0]) for k, v in measure_attributes(image).items()}
        {'brightness': 1.0, 'size': 0.25}
    """
    images = np.asarray(images, dtype="float64")
    if images.ndim != 4:
        raise ValueError(
            f"Expected images with shape (N, H, W, C); received {images.shape}."
        )
    low, high = value_range
    grey = ((images - low) / (high - low)).mean(axis=-1)
    grey = grey.reshape(len(grey), -1)
    on = grey > _OBJECT_LEVEL
    count = on.sum(axis=1)
    brightness = np.where(
        count > 0, (grey * on).sum(axis=1) / np.maximum(count, 1), 0.0
    )
    return {"brightness": brightness, "size": count / grey.shape[1]}


def attribute_thresholds(images, labels, num_classes, value_range=(0, 255)):
    """Per-class medians of the attributes: the thresholds of the captions.

    Returns:
        ``{"brightness": (num_classes,), "size": (num_classes,)}``; a class
        without images gets the median of all images.

    Examples:
        >>> import numpy as np
        >>> from kgen.text import attribute_thresholds
        >>> images = np.zeros((4, 4, 4, 1), "uint8")
        >>> images[0, :2, :2] = 255; images[1, :, :2] = 255  # class 0: white
        >>> images[2:, :2, :2] = 128                         # class 1: grey
        >>> thresholds = attribute_thresholds(images, [0, 0, 1, 1], num_classes=2)
        >>> {name: v.round(3).tolist() for name, v in thresholds.items()}
        {'brightness': [1.0, 0.502], 'size': [0.375, 0.25]}
    """
    attributes = measure_attributes(images, value_range)
    labels = np.asarray(labels).reshape(-1)
    thresholds = {}
    for name, values in attributes.items():
        overall = float(np.median(values))
        thresholds[name] = np.array(
            [
                float(np.median(values[labels == k]))
                if np.any(labels == k)
                else overall
                for k in range(num_classes)
            ]
        )
    return thresholds


def attribute_captions(
    images, labels, class_names, *, thresholds=None, value_range=(0, 255)
):
    """One caption per image: ``"<small|large> <dark|bright> <class name>"``.

    An image is "large" when its object covers more of the image than the
    median of its class, "bright" when its object pixels are brighter than
    the class median; the thresholds come from ``thresholds`` (e.g. those of
    the training images, so that test captions use the same ones) or from
    the images themselves.

    Args:
        images: ``(N, H, W, C)`` images.
        labels: ``(N,)`` class indices.
        class_names: one word per class (`FASHION_MNIST_NAMES`,
            `DIGIT_NAMES`).
        thresholds: from `attribute_thresholds` (default: of these images).
        value_range: pixel range of ``images``.

    Returns:
        A list of ``N`` strings.

    Examples:
        >>> import numpy as np
        >>> images = np.zeros((2, 4, 4, 1), "uint8")
        >>> images[0, :1, :1] = 120; images[1] = 255
        >>> attribute_captions(images, [1, 1], FASHION_MNIST_NAMES)
        ['small dark trouser', 'large bright trouser']
    """
    labels = np.asarray(labels).reshape(-1).astype(int)
    if len(labels) != len(images):
        raise ValueError(
            f"Expected one label per image ({len(images)}); received {len(labels)}."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= len(class_names)):
        raise ValueError(
            f"labels must lie in [0, {len(class_names) - 1}] (one class name "
            f"each); received values in [{labels.min()}, {labels.max()}]."
        )
    if thresholds is None:
        thresholds = attribute_thresholds(images, labels, len(class_names), value_range)
    attributes = measure_attributes(images, value_range)
    captions = []
    for i, label in enumerate(labels):
        size = "large" if attributes["size"][i] > thresholds["size"][label] else "small"
        bright = (
            "bright"
            if attributes["brightness"][i] > thresholds["brightness"][label]
            else "dark"
        )
        captions.append(f"{size} {bright} {class_names[label]}")
    return captions
