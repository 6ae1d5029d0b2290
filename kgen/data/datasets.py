"""Image data sets: embedded, Debian-packaged, cached and online.

Every loader returns ``(images, labels)`` with images NHWC ``uint8`` in
[0, 255] and labels ``int64``; convert to a model's pixel convention with
the functions in `kgen.data.transforms`. `load_or_stand_in` reads local
files only and falls back to an embedded stand-in: what quick runs and
tests use, offline by construction.
"""

import functools
import os
import warnings

import numpy as np

from kgen.data import paired
from kgen.data.idx import read_idx

# Where Debian/Ubuntu data set packages install their files; the environment
# variable KGEN_DEBIAN_DATASETS_DIR points kgen elsewhere (see
# `debian_datasets_dir`).
DEBIAN_DATASETS_DIR = "/usr/share/datasets"
DEBIAN_DATASETS_DIR_ENV = "KGEN_DEBIAN_DATASETS_DIR"
# Where the package `dataset-fashion-mnist` installs its files (by default).
FASHION_MNIST_DEBIAN_DIR = os.path.join(DEBIAN_DATASETS_DIR, "fashion-mnist")

_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

DIGITS_NUM_TEST = 300
DIGITS_SPLIT_SEED = 0
COLOR_PATCH_SIZES = (8, 16, 32)
_COLOR_CROP = 32
_COLOR_PER_PHOTO = {"train": 1024, "test": 256}
_COLOR_TEST_COLUMN = 480  # train crops lie left of this column, test crops right
_COLOR_SEEDS = {"train": 0, "test": 1}

_KERAS_DATASETS = ("mnist", "cifar10", "cifar100")

# name -> one-line description (``kgen list`` prints these)
DATASETS = {
    "digits": "scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes), "
    "embedded; 1,497 train / 300 test",
    "fashion_mnist": "Fashion-MNIST 28x28 (60,000 / 10,000, 10 classes); offline "
    "from the Debian package dataset-fashion-mnist",
    "color_patches": "RGB patches (8/16/32 px) from scikit-learn's two sample "
    "photographs, embedded; 2,048 train / 512 test, label = photograph",
    "mnist": "MNIST 28x28 via keras.datasets (needs the network once)",
    "cifar10": "CIFAR-10 32x32x3 via keras.datasets (needs the network once)",
    "cifar100": "CIFAR-100 32x32x3 via keras.datasets (needs the network once)",
}

DATASETS.update(paired.PAIRED_DATASETS)

_SPLITS = ("train", "test", "all")


def available():
    """Names that `load` accepts directly (any tensorflow-datasets name works too).

    Returns:
        A list of data set names.

    Examples:
        >>> "digits" in available()
        True
    """
    return list(DATASETS)


def _check_split(split):
    if split not in _SPLITS:
        raise ValueError(
            f"split must be one of {', '.join(map(repr, _SPLITS))}; received {split!r}."
        )


def _check_image_size(image_size):
    if image_size is None:
        return None
    if isinstance(image_size, (tuple, list)):
        size = tuple(image_size)
    else:
        size = (image_size, image_size)
    if len(size) != 2 or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1
        for s in size
    ):
        raise ValueError(
            "image_size must be a positive integer or a (height, width) pair; "
            f"received {image_size!r}."
        )
    return tuple(int(s) for s in size)


def resize_images(images, image_size):
    """Resize a ``uint8`` NHWC batch with Pillow's bilinear filter.

    Args:
        images: ``uint8`` array of shape (N, H, W, C) with C = 1 or 3.
        image_size: an integer (square) or ``(height, width)``.

    Returns:
        ``uint8`` array of shape (N, height, width, C).

    Raises:
        ValueError: for a bad ``image_size``.
    """
    from PIL import Image

    height, width = _check_image_size(image_size)
    if images.shape[1:3] == (height, width):
        return images
    out = np.empty((len(images), height, width, images.shape[-1]), dtype=np.uint8)
    for index, image in enumerate(images):
        picture = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
        resized = np.asarray(picture.resize((width, height), Image.BILINEAR))
        out[index] = resized.reshape(height, width, -1)
    return out


def _finish(images, labels, image_size):
    if image_size is not None:
        images = resize_images(images, image_size)
    # np.array copies: callers may modify what they get (the cache stays intact)
    return np.array(images, dtype=np.uint8, order="C"), np.array(
        labels, dtype=np.int64
    ).reshape(-1)


# ----------------------------------------------------------------- digits


@functools.lru_cache(maxsize=1)
def _digits_arrays():
    """scikit-learn's digits as read-only (images 0..16, labels) arrays, cached."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images, labels = bunch.images, bunch.target
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _digits_split_indices():
    """Fixed stratified split of the 1,797 digits: (train_indices, test_indices).

    Within each class the examples are shuffled with
    ``numpy.random.default_rng(0)``; the first examples of each class go to
    the test split, as many as the class's share of 300 (largest remainder
    rounding), so the test split has 300 images with the class frequencies of
    the whole set. Both index lists are sorted.
    """
    labels = _digits_arrays()[1]
    classes, counts = np.unique(labels, return_counts=True)
    exact = DIGITS_NUM_TEST * counts / counts.sum()
    quota = np.floor(exact).astype(int)
    remainder_order = np.argsort(-(exact - quota), kind="stable")
    quota[remainder_order[: DIGITS_NUM_TEST - quota.sum()]] += 1
    rng = np.random.default_rng(DIGITS_SPLIT_SEED)
    test = []
    for cls, count in zip(classes, quota):
        members = np.flatnonzero(labels == cls)
        test.extend(rng.permutation(members)[:count])
    test = np.sort(np.asarray(test))
    train = np.setdiff1d(np.arange(len(labels)), test)
    return train, test


def _load_digits(split, image_size):
    values, labels = _digits_arrays()
    # 17 grey levels 0..16 -> [0, 255]: round(v * 255 / 16)
    images = np.round(values * (255.0 / 16.0)).astype(np.uint8)[..., None]
    if split != "all":
        train, test = _digits_split_indices()
        keep = train if split == "train" else test
        images, labels = images[keep], labels[keep]
    return _finish(images, labels, image_size)


# ---------------------------------------------------------- fashion_mnist


def debian_datasets_dir():
    """The directory kgen reads Debian/Ubuntu data set packages from.

    ``$KGEN_DEBIAN_DATASETS_DIR`` if set (and not empty), else
    ``/usr/share/datasets``; read at every call. The variable is for checks
    that simulate a fresh machine without the packages: point it at an empty
    directory (and ``KERAS_HOME`` at another, to hide Keras's cache) and
    `load_or_stand_in` gives its stand-in, `load` what it does without them.

    Returns:
        A directory path (it need not exist).

    Examples:
        >>> import os
        >>> debian_datasets_dir() == (
        ...     os.environ.get("KGEN_DEBIAN_DATASETS_DIR") or "/usr/share/datasets"
        ... )
        True
    """
    return os.environ.get(DEBIAN_DATASETS_DIR_ENV) or DEBIAN_DATASETS_DIR


def _fashion_debian_dir():
    return os.path.join(debian_datasets_dir(), "fashion-mnist")


def _keras_home():
    return os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )


def _find_file(directory, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def _read_fashion_dir(directory, split):
    splits = ("train", "test") if split == "all" else (split,)
    parts = []
    for part in splits:
        paths = [_find_file(directory, stem) for stem in _FASHION_FILES[part]]
        if None in paths:
            return None
        images, labels = (read_idx(path) for path in paths)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"Fashion-MNIST files in {directory} do not match: images with "
                f"shape {images.shape} and labels with shape {labels.shape}; "
                "expected (N, 28, 28) and (N,)."
            )
        parts.append((images, labels))
    images = np.concatenate([p[0] for p in parts])[..., None]
    labels = np.concatenate([p[1] for p in parts])
    return images, labels


def _fashion_missing_message(tried):
    listing = "\n".join(f"  - {place}" for place in tried)
    return (
        "Fashion-MNIST was not found. Looked in:\n"
        f"{listing}\n"
        "Get it offline from the Debian/Ubuntu package:\n"
        "  sudo apt-get install dataset-fashion-mnist\n"
        f"(files in {_fashion_debian_dir()}), or pass "
        "data_dir=DIRECTORY holding train-images-idx3-ubyte.gz, "
        "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and "
        "t10k-labels-idx1-ubyte.gz (gzip or plain), or run "
        "keras.datasets.fashion_mnist.load_data() once with a network."
    )


def _keras_load_data(name):
    """Call ``keras.datasets.<name>.load_data()`` (tests monkeypatch this)."""
    import keras

    return getattr(keras.datasets, name).load_data()


def _find_fashion_local(split, data_dir):
    """Fashion-MNIST from local files: ``(arrays or None, directory, tried)``.

    Looks in ``data_dir`` only if given, else in the Debian directory, then
    in Keras's cache. Never downloads.
    """
    if data_dir is not None:
        places = [os.fspath(data_dir)]
    else:
        places = [
            _fashion_debian_dir(),
            os.path.join(_keras_home(), "datasets", "fashion-mnist"),
        ]
    for directory in places:
        if os.path.isdir(directory):
            found = _read_fashion_dir(directory, split)
            if found is not None:
                return found, directory, places
    return None, None, places


def _load_fashion_mnist(split, image_size, data_dir):
    found, _, tried = _find_fashion_local(split, data_dir)
    if found is not None:
        return _finish(*found, image_size)
    if data_dir is not None:
        # an explicit directory is the only place looked at
        raise FileNotFoundError(_fashion_missing_message([f"data_dir={tried[0]}"]))
    tried = tried + ["keras.datasets.fashion_mnist.load_data() (download)"]
    try:
        (x_train, y_train), (x_test, y_test) = _keras_load_data("fashion_mnist")
    except Exception as error:  # noqa: BLE001 - keras raises a bare Exception offline
        raise FileNotFoundError(
            _fashion_missing_message(tried) + f"\nThe download failed: {error}"
        ) from error
    return _select_split(x_train, y_train, x_test, y_test, split, image_size)


# ------------------------------------------------------------- online sets


def _select_split(x_train, y_train, x_test, y_test, split, image_size):
    if split == "train":
        images, labels = x_train, y_train
    elif split == "test":
        images, labels = x_test, y_test
    else:
        images = np.concatenate([x_train, x_test])
        labels = np.concatenate([np.reshape(y_train, -1), np.reshape(y_test, -1)])
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    return _finish(images, labels, image_size)


def _offline_message(name, error):
    return (
        f"Could not get the data set {name!r}: {error}\n"
        "It needs a network connection the first time (later loads use the "
        "cache in ~/.keras/datasets or ~/tensorflow_datasets). Offline, use "
        "an embedded data set instead: 'digits' or 'color_patches', or "
        "'fashion_mnist' from the Debian package dataset-fashion-mnist."
    )


def _load_keras_dataset(name, split, image_size):
    try:
        (x_train, y_train), (x_test, y_test) = _keras_load_data(name)
    except Exception as error:  # noqa: BLE001 - keras raises a bare Exception offline
        raise RuntimeError(_offline_message(name, error)) from error
    return _select_split(x_train, y_train, x_test, y_test, split, image_size)


def _import_tfds():
    """Import tensorflow_datasets (tests monkeypatch this)."""
    import tensorflow_datasets

    return tensorflow_datasets


def _load_tfds(name, split, image_size, data_dir):
    try:
        tfds = _import_tfds()
    except ImportError as error:
        raise RuntimeError(
            f"Unknown data set {name!r}. Built in: {', '.join(available())}. "
            "Other names are looked up in tensorflow-datasets, which is not "
            "installed: pip install 'kgen[datasets]' (or tensorflow-datasets)."
        ) from error
    tfds_split = "train+test" if split == "all" else split
    try:
        images, labels = tfds.as_numpy(
            tfds.load(
                name,
                split=tfds_split,
                as_supervised=True,
                batch_size=-1,
                data_dir=None if data_dir is None else os.fspath(data_dir),
            )
        )
    except Exception as error:  # noqa: BLE001 - tfds raises many kinds offline
        raise RuntimeError(_offline_message(name, error)) from error
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(
            f"tensorflow-datasets {name!r} gives {images.dtype} images; kgen.data "
            "loads uint8 image data sets only."
        )
    if images.ndim == 3:
        images = images[..., None]
    return _finish(images, labels, image_size)


# ----------------------------------------------------------- color patches


def _load_color_patches(split, image_size):
    from PIL import Image
    from sklearn.datasets import load_sample_images

    size = 16 if image_size is None else image_size
    if size not in COLOR_PATCH_SIZES:
        raise ValueError(
            f"color_patches comes in image_size 8, 16 or 32; received {image_size!r}."
        )
    photos = load_sample_images().images  # china.jpg, flower.jpg
    splits = ("train", "test") if split == "all" else (split,)
    images, labels = [], []
    for part in splits:
        rng = np.random.default_rng(_COLOR_SEEDS[part])
        for label, photo in enumerate(photos):
            height, width = photo.shape[:2]
            # train crops: columns [0, 480); test crops: columns [480, 640)
            low, high = (
                (0, _COLOR_TEST_COLUMN - _COLOR_CROP)
                if part == "train"
                else (_COLOR_TEST_COLUMN, width - _COLOR_CROP)
            )
            count = _COLOR_PER_PHOTO[part]
            rows = rng.integers(0, height - _COLOR_CROP + 1, count)
            cols = rng.integers(low, high + 1, count)
            for row, col in zip(rows, cols):
                crop = photo[row : row + _COLOR_CROP, col : col + _COLOR_CROP]
                if size != _COLOR_CROP:
                    # box filter = average of each (32/size)^2 block
                    crop = np.asarray(
                        Image.fromarray(crop).resize((size, size), Image.BOX)
                    )
                images.append(crop)
                labels.append(label)
    return _finish(np.stack(images), np.asarray(labels), None)


# ------------------------------------------------------------------- load


def load(name, split="train", *, image_size=None, data_dir=None):
    """Load an image data set as ``(images, labels)``.

    Images are NHWC ``uint8`` in [0, 255]; labels are ``int64`` class
    indices. Convert with `to_unit_float` (VAEs), `to_signed_float` (GANs)
    or `quantize` (autoregressive models).

    Data sets:

    * ``"digits"``: scikit-learn's bundled 8x8 digits, 17 grey levels (0..16)
      scaled with ``round(v * 255 / 16)``; `quantize` with 17 levels gives
      the original values back. A fixed split, stratified by class:
      1,497 train and 300 test images (seed 0). Works offline.
    * ``"fashion_mnist"``: 60,000 train and 10,000 test 28x28 images. Looked
      for in ``data_dir`` if given (only there), else in
      ``/usr/share/datasets/fashion-mnist`` (Debian package
      ``dataset-fashion-mnist``; ``$KGEN_DEBIAN_DATASETS_DIR/fashion-mnist``
      when that variable is set, see `debian_datasets_dir`), else in Keras's
      cache
      ``~/.keras/datasets/fashion-mnist``, else downloaded by
      ``keras.datasets``.
    * ``"color_patches"``: RGB patches for offline colour models: 32x32
      crops at fixed random positions of scikit-learn's two sample
      photographs, box-filtered to ``image_size`` (8, 16 or 32; default 16).
      1,024 train crops per photograph from columns 0-479 and 256 test
      crops per photograph from columns 480-639, so the splits share no
      pixel. The label is the photograph (0: china.jpg, 1: flower.jpg).
    * ``"edges2fashion"``, ``"fashion_tops2bottoms"``,
      ``"gray2color_patches"``: side-by-side image pairs for translation
      models, built from the local Fashion-MNIST or colour patches (never
      downloaded; without Fashion-MNIST the digits stand in, with a
      warning); see `kgen.data.paired`. ``image_size`` is each half's.
    * ``"mnist"``, ``"cifar10"``, ``"cifar100"``: through
      ``keras.datasets`` (network on first use, then cached).
    * any other name: through ``tensorflow_datasets`` (optional extra
      ``kgen[datasets]``), ``data_dir`` passed on.

    Args:
        name: data set name; see `available`.
        split: ``"train"``, ``"test"`` or ``"all"`` (train then test).
        image_size: resize to this size (integer or ``(height, width)``) with
            Pillow's bilinear filter; ``None`` keeps the native size.
        data_dir: directory to read from (Fashion-MNIST IDX files, or the
            tensorflow-datasets directory).

    Returns:
        ``(images, labels)``: ``uint8`` array (N, H, W, C) and ``int64``
        array (N,).

    Raises:
        ValueError: for a bad split or image size, or a corrupt file.
        FileNotFoundError: Fashion-MNIST is neither on disk nor downloadable;
            the message says how to get it.
        RuntimeError: an online data set cannot be fetched (offline) or
            tensorflow-datasets is missing.

    Examples:
        >>> images, labels = load("digits")
        >>> images.shape, images.dtype, labels.dtype
        ((1497, 8, 8, 1), dtype('uint8'), dtype('int64'))
    """
    _check_split(split)
    size = _check_image_size(image_size)
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"name must be a data set name such as {', '.join(available())}; "
            f"received {name!r}."
        )
    if name == "digits":
        return _load_digits(split, size)
    if name == "fashion_mnist":
        return _load_fashion_mnist(split, size, data_dir)
    if name == "color_patches":
        if size is not None and size[0] != size[1]:
            raise ValueError(
                f"color_patches is square; received image_size={image_size!r}."
            )
        return _load_color_patches(split, None if size is None else size[0])
    if name in paired.PAIRED_DATASETS:
        pairs, labels, source = paired.load_paired(
            name, split, image_size=size, data_dir=data_dir
        )
        if source.stand_in:
            warnings.warn(f"kgen.data.load({name!r}): {source}", stacklevel=2)
        return pairs, labels
    if name in _KERAS_DATASETS:
        return _load_keras_dataset(name, split, size)
    return _load_tfds(name, split, size, data_dir)


# ------------------------------------------------------ local or stand-in

# the data sets `load_or_stand_in` can read without a network: name -> how
# its description calls it
_EMBEDDED = {
    "digits": "the embedded digits",
    "color_patches": "the embedded colour patches",
}
_LOCAL_ONLY = {"fashion_mnist": "Fashion-MNIST"}
# native (height, width) of the local-only sets: the stand-in's default size
_NATIVE_SIZE = {"fashion_mnist": (28, 28)}
_STAND_INS = ("digits",)


class DataSource(str):
    """What `load_or_stand_in` loaded: its one-line description, a ``str``.

    Print it or store it as text (it is a ``str``); two attributes say the
    same for code:

    Attributes:
        name: the data set the images come from (``"fashion_mnist"``, or the
            stand-in's name, e.g. ``"digits"``).
        stand_in: ``True`` when the images are the stand-in, not the data
            set asked for.
    """

    def __new__(cls, description, *, name, stand_in):
        source = super().__new__(cls, description)
        source.name = name
        source.stand_in = bool(stand_in)
        return source


def _size_text(images):
    return f"{images.shape[1]}x{images.shape[2]}"


def load_or_stand_in(
    name, split="train", *, stand_in="digits", image_size=None, data_dir=None
):
    """Load a data set from local files, or a stated stand-in: never downloads.

    For quick runs, smoke tests and examples that must work on a fresh,
    offline machine. The embedded sets (``"digits"``, ``"color_patches"``)
    are always there. ``"fashion_mnist"`` is read from ``data_dir`` if given
    (only there), else from the Debian directory
    (``/usr/share/datasets/fashion-mnist``, see `debian_datasets_dir`), else
    from Keras's cache (``$KERAS_HOME/datasets/fashion-mnist``); if it is in
    none of them, the stand-in of the same split is returned instead, resized
    to the requested set's size (28x28 for Fashion-MNIST) or to
    ``image_size``, with the same label range (10 classes). The returned
    description says which one you got; print it. Use `load` for real runs
    (it may download).

    Args:
        name: ``"fashion_mnist"``, ``"digits"`` or ``"color_patches"`` (or
            a translation data set of `kgen.data.paired`, which returns what
            ``paired.load_paired`` does). Data sets that only come from the
            network (``"mnist"``, ...) raise.
        split: ``"train"``, ``"test"`` or ``"all"``.
        stand_in: the embedded set used when ``name`` is not on disk; only
            ``"digits"`` (grey, 10 classes, like Fashion-MNIST) for now.
        image_size: resize the images (real or stand-in) to this size, as in
            `load`; ``None``: the requested set's native size.
        data_dir: directory holding the Fashion-MNIST IDX files, as in `load`.

    Returns:
        ``(images, labels, source)``: ``uint8`` (N, H, W, C) images,
        ``int64`` (N,) labels, and a `DataSource`: a one-line ``str`` such as
        ``"Fashion-MNIST (train, 60,000 images) from
        /usr/share/datasets/fashion-mnist"`` or ``"the embedded digits
        (train, 1,497 images) resized to 28x28, a stand-in: Fashion-MNIST was
        not found in ..."``, with ``source.name`` and ``source.stand_in``.

    Raises:
        ValueError: for a name without a local source, an unknown stand-in,
            a bad split or image size, or a corrupt file.

    Examples:
        >>> images, labels, source = load_or_stand_in("digits", "test")
        >>> print(source)
        the embedded digits (test, 300 images)
        >>> source.stand_in
        False
    """
    _check_split(split)
    size = _check_image_size(image_size)
    if name in paired.PAIRED_DATASETS:
        return paired.load_paired(name, split, image_size=size, data_dir=data_dir)
    if name not in _EMBEDDED and name not in _LOCAL_ONLY:
        known = ", ".join(map(repr, list(_EMBEDDED) + list(_LOCAL_ONLY)))
        raise ValueError(
            f"load_or_stand_in reads local files only and knows {known}; "
            f"received {name!r}. Use load({name!r}), which may download."
        )
    if stand_in not in _STAND_INS:
        raise ValueError(
            f"stand_in must be one of {', '.join(map(repr, _STAND_INS))} "
            f"(embedded, so always there); received {stand_in!r}."
        )
    resized = "" if size is None else f" resized to {size[0]}x{size[1]}"
    if name in _EMBEDDED:
        images, labels = load(name, split, image_size=image_size)
        description = f"{_EMBEDDED[name]} ({split}, {len(images):,} images){resized}"
        return images, labels, DataSource(description, name=name, stand_in=False)
    found, directory, tried = _find_fashion_local(split, data_dir)
    if found is not None:
        images, labels = _finish(*found, size)
        description = (
            f"{_LOCAL_ONLY[name]} ({split}, {len(images):,} images){resized} "
            f"from {directory}"
        )
        return images, labels, DataSource(description, name=name, stand_in=False)
    size = size or _NATIVE_SIZE[name]
    images, labels = load(stand_in, split, image_size=size)
    description = (
        f"{_EMBEDDED[stand_in]} ({split}, {len(images):,} images) resized to "
        f"{_size_text(images)}, a stand-in: {_LOCAL_ONLY[name]} was not found in "
        f"{' or '.join(tried)} (local files only; install the Debian package "
        "dataset-fashion-mnist or see kgen.data.load)"
    )
    return images, labels, DataSource(description, name=stand_in, stand_in=True)
