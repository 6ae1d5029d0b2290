"""Feature extractors for sample-quality metrics, and the one pixel-range check.

A sample-quality metric compares two sets of *features*; which features is
the user's choice and is part of the metric's name:

- `InceptionFeatures`: the 2048-d pool features of Keras's InceptionV3 with
  ImageNet weights (fetched once by Keras, or read from a local file), on
  images resized to 299x299 (bilinear);
- `domain_classifier`: a small convolutional classifier that kgen trains on
  a data set's labels (Fashion-MNIST, digits) in about a minute, caches as a
  ``.keras`` file and reuses; its metrics are named after it
  ("Fréchet distance in Fashion-MNIST classifier features"), never "FID";
- any callable mapping a batch to features.

Extractors take images in ``[0, 1]`` (floats) or ``uint8``; data in a
model's convention is converted with ``convention=model.data_convention``
(`to_unit_images`). Images in another range without a stated convention
raise a ``ValueError`` instead of being silently mis-scaled.
"""

import json
import math
import os

import numpy as np

from kgen.contract import DataConvention, data_convention_of
from kgen.validation import (
    check_finite,
    check_images,
    check_positive_int,
    describe,
    to_numpy,
)

__all__ = [
    "ClassifierFeatures",
    "FeatureExtractor",
    "InceptionFeatures",
    "INCEPTION_WEIGHTS_FILE",
    "INCEPTION_WEIGHTS_URL",
    "default_cache_dir",
    "domain_classifier",
    "features_name",
    "to_unit_images",
]

INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
INCEPTION_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
    + INCEPTION_WEIGHTS_FILE
)
# Keras's published md5 of the file (keras.applications.inception_v3)
_INCEPTION_WEIGHTS_HASH = "bcbd6486424b2319ff4ef7d526e38f63"
_INCEPTION_SIZE = 299

# Bump when the classifier's architecture or training changes: cached files
# of another version are not reused.
_CLASSIFIER_VERSION = 1
_DATASET_TITLES = {
    "fashion_mnist": "Fashion-MNIST",
    "digits": "digits",
    "color_patches": "colour-patches",
}
#: the data sets `domain_classifier` can train a classifier of
DOMAIN_CLASSIFIER_DATASETS = tuple(_DATASET_TITLES)


def _convention(convention):
    """A `DataConvention` from a convention or a kgen model; ``None`` stays."""
    if convention is None or isinstance(convention, DataConvention):
        return convention
    return data_convention_of(convention)


def to_unit_images(x, convention=None, *, name="images"):
    """Images as float32 in [0, 1], from any kgen convention or ``uint8``.

    Without ``convention``, ``uint8`` images are 8-bit pictures (divided by
    255) and floats must already lie in [0, 1]; anything else is ambiguous
    and raises. With ``convention`` (a `kgen.contract.DataConvention` or a
    kgen model), ``x`` is checked against it and mapped linearly from its
    ``value_range`` to [0, 1]: ``"signed"`` floats ``(x + 1) / 2``,
    ``"integer"`` levels ``x / (num_levels - 1)``.

    Args:
        x: a batch of images ``(N, H, W, C)`` (or any array when checking
            ranges only).
        convention: how ``x`` is encoded, e.g. ``model.data_convention``.
        name: what to call ``x`` in messages.

    Returns:
        float32 NumPy array, same shape, values in [0, 1].

    Raises:
        ValueError: for values outside the stated (or assumed) range, a
            ``"real"`` convention (points, not images) or an example shape
            that does not match the convention.

    Examples:
        >>> import numpy as np
        >>> from kgen.contract import DataConvention
        >>> signed = DataConvention("signed", (1, 2, 1), 256)
        >>> to_unit_images(np.array([[[[-1.0], [1.0]]]]), signed)[0, 0, :, 0]
        array([0., 1.], dtype=float32)
        >>> to_unit_images(np.array([[[[-1.0], [1.0]]]]))
        Traceback (most recent call last):
        ...
        ValueError: Expected images as floats in [0, 1] or uint8 ...
    """
    convention = _convention(convention)
    x = to_numpy(x)
    if convention is not None:
        if convention.kind == "real":
            raise ValueError(
                f"{name} follow a 'real' data convention (points, not images); "
                "compare points directly (no feature_extractor, or one that "
                "takes points)."
            )
        shape = (None, *convention.shape)
        x = check_images(
            x,
            convention.kind,
            shape=shape if x.ndim == len(shape) else None,
            num_levels=convention.num_levels or 256,
            name=name,
        )
        if x.ndim != len(shape) or x.shape[1:] != convention.shape:
            raise ValueError(
                f"Expected {name} with examples of shape {convention.shape} (the "
                f"convention: {convention.describe()}); received shape "
                f"{tuple(x.shape)}."
            )
        low, high = convention.value_range
        unit = (x.astype("float64") - low) / (high - low)
        return np.clip(unit, 0.0, 1.0).astype("float32")
    if x.dtype == np.uint8:
        return x.astype("float32") / 255.0
    if np.issubdtype(x.dtype, np.floating):
        check_finite(x, name=name)
        tolerance = 1e-4
        if not x.size or (x.min() >= -tolerance and x.max() <= 1.0 + tolerance):
            return np.clip(x, 0.0, 1.0).astype("float32")
    raise ValueError(
        f"Expected images as floats in [0, 1] or uint8 in [0, 255] for {name}; "
        f"received {describe(x)}. Say how they are encoded: "
        "convention=model.data_convention for a kgen model's data (floats in "
        "[-1, 1], integer levels, ...), or convert with kgen.data.to_uint8(...)."
    )


def features_name(feature_extractor, convention=None):
    """What a set of features is called in metric names.

    ``"Fashion-MNIST classifier features"`` for a domain classifier,
    ``"InceptionV3 features (ImageNet weights)"``, ``"pixels"`` without an
    extractor (``"points"`` for ``"real"`` data), the ``name`` attribute of
    a callable that has one, else ``"custom features"``.
    """
    if feature_extractor is None:
        convention = _convention(convention)
        if convention is not None and convention.kind == "real":
            return "points"
        return "pixels"
    if isinstance(feature_extractor, FeatureExtractor):
        return feature_extractor.features_name
    name = getattr(feature_extractor, "name", None)
    return f"{name} features" if isinstance(name, str) and name else "custom features"


class FeatureExtractor:
    """A callable ``images -> features`` that checks what it is given.

    Subclasses set ``name`` (what the features are called in metric names),
    ``feature_dim``, ``input_shape`` (``None``: any size) and implement
    ``_features(unit_images, batch_size)`` on float32 images in [0, 1].

    Call arguments:
        x: images ``(N, H, W, C)``: floats in [0, 1], ``uint8``, or data in
            the convention given as ``convention``.
        convention: a ``DataConvention`` or kgen model whose convention ``x``
            follows.
        batch_size: images per network call (default: the extractor's).

    Returns:
        float64 NumPy features ``(N, feature_dim)``.
    """

    name = "features"
    feature_dim = None
    input_shape = None
    provides_probabilities = False

    def __init__(self, batch_size=64):
        self.batch_size = check_positive_int(batch_size, "batch_size")

    @property
    def features_name(self):
        return f"{self.name} features"

    def _check(self, x, convention):
        images = to_unit_images(x, convention)
        if images.ndim != 4:
            raise ValueError(
                f"{type(self).__name__} takes image batches (N, H, W, C); received "
                f"shape {tuple(images.shape)}."
            )
        if self.input_shape is not None and images.shape[1:] != tuple(self.input_shape):
            raise ValueError(
                f"{self.name} takes images of shape {tuple(self.input_shape)}; "
                f"received {tuple(images.shape[1:])}. Resize them first, e.g. "
                "with kgen.data.resize_images(kgen.data.to_uint8(x), size)."
            )
        return images

    def __call__(self, x, convention=None, *, batch_size=None):
        images = self._check(x, convention)
        batch_size = check_positive_int(batch_size or self.batch_size, "batch_size")
        if len(images) == 0:
            return np.zeros((0, self.feature_dim or 0))
        return np.asarray(self._features(images, batch_size), "float64").reshape(
            len(images), -1
        )

    def _features(self, images, batch_size):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__}: {self.name}, {self.feature_dim}-d>"


# ----------------------------------------------------------------- Inception


def _keras_models_dir():
    from kgen.data.datasets import _keras_home

    return os.path.join(_keras_home(), "models")


def _inception_weights(weights):
    """A local weights file for ``weights`` ("imagenet", a path or None)."""
    if weights is None:
        return None
    if weights != "imagenet":
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise ValueError(
                f"weights must be 'imagenet', None or the path of a weights file; "
                f"{path!r} is not a file."
            )
        return path
    cached = os.path.join(_keras_models_dir(), INCEPTION_WEIGHTS_FILE)
    if os.path.isfile(cached):
        return cached
    import keras

    try:
        return keras.utils.get_file(
            INCEPTION_WEIGHTS_FILE,
            INCEPTION_WEIGHTS_URL,
            cache_subdir="models",
            file_hash=_INCEPTION_WEIGHTS_HASH,
        )
    except Exception as error:  # noqa: BLE001 - any failure means "not available"
        raise FileNotFoundError(
            "The ImageNet weights of InceptionV3 are not on this machine and "
            f"could not be downloaded ({type(error).__name__}: {error}). Fetch "
            f"{INCEPTION_WEIGHTS_URL} on a machine with network access, then "
            f"either copy it to {cached} (Keras's cache, $KERAS_HOME/models) or "
            "pass its path: InceptionFeatures(weights='/path/to/"
            f"{INCEPTION_WEIGHTS_FILE}')."
        ) from error


class InceptionFeatures(FeatureExtractor):
    """InceptionV3 pool features (2048-d) from ``keras.applications``.

    Images in [0, 1] (or ``uint8``, or any kgen convention) are resized to
    ``image_size`` x ``image_size`` with bilinear interpolation (Keras's
    ``Resizing`` layer, no antialiasing, as the original FID code), grey
    images are repeated to three channels, and values are scaled to
    [-1, 1] (InceptionV3's ``preprocess_input``).

    Which numbers this gives: with ``weights="imagenet"`` this is the Fréchet
    Inception Distance *recipe* in Keras's InceptionV3, whose weights and
    last block differ from the TensorFlow Inception graph of 2015 used by
    published FIDs (TTUR, pytorch-fid, clean-fid). Numbers are close to, but
    not the same as, published ones; see the evaluation guide.

    Args:
        weights: ``"imagenet"`` (Keras's cache ``$KERAS_HOME/models``, else
            downloaded once by ``keras.utils.get_file``), the path of a local
            weights file (``INCEPTION_WEIGHTS_FILE``), or ``None`` for random
            weights (tests only: their features mean nothing).
        image_size: side of the resized input; 299 for comparable numbers
            (75 is InceptionV3's smallest).
        batch_size: images per network call.

    Raises:
        FileNotFoundError: when ``weights="imagenet"`` and the file is neither
            cached nor downloadable; the message says how to provide it.
        ValueError: for a weights path that is not a file or an image size
            below 75.

    Examples:
        >>> extractor = InceptionFeatures(weights=None, image_size=75)
        >>> extractor.name, extractor.feature_dim
        ('InceptionV3 (random weights)', 2048)
    """

    feature_dim = 2048

    def __init__(
        self, weights="imagenet", *, image_size=_INCEPTION_SIZE, batch_size=32
    ):
        super().__init__(batch_size)
        self.image_size = check_positive_int(image_size, "image_size")
        if self.image_size < 75:
            raise ValueError(
                f"InceptionV3 needs images of at least 75x75; received "
                f"image_size={image_size!r}."
            )
        self.weights_path = _inception_weights(weights)
        if weights is None:
            self.name = "InceptionV3 (random weights)"
        elif weights == "imagenet":
            self.name = "InceptionV3 (ImageNet weights)"
        else:
            self.name = f"InceptionV3 ({os.path.basename(self.weights_path)})"
        self.weights = weights
        self._networks = {}

    def _network(self, input_shape):
        import keras

        if input_shape not in self._networks:
            if "inception" not in self._networks:
                size = self.image_size
                inception = keras.applications.InceptionV3(
                    include_top=False,
                    weights=None,
                    input_shape=(size, size, 3),
                    pooling="avg",
                )
                if self.weights_path is not None:
                    inception.load_weights(self.weights_path)
                self._networks["inception"] = inception
            inception = self._networks["inception"]
            inputs = keras.Input(input_shape)
            x = keras.layers.Resizing(
                self.image_size, self.image_size, interpolation="bilinear"
            )(inputs)
            if input_shape[-1] == 1:
                x = keras.layers.Concatenate()([x, x, x])
            elif input_shape[-1] != 3:
                raise ValueError(
                    "InceptionFeatures takes grey (1 channel) or RGB (3 channels) "
                    f"images; received {input_shape[-1]} channels."
                )
            # [0, 1] -> [-1, 1], what InceptionV3's preprocess_input gives for
            # [0, 255]
            x = keras.layers.Rescaling(2.0, offset=-1.0)(x)
            self._networks[input_shape] = keras.Model(inputs, inception(x))
        return self._networks[input_shape]

    def _features(self, images, batch_size):
        network = self._network(tuple(images.shape[1:]))
        return network.predict(images, batch_size=batch_size, verbose=0)


# ---------------------------------------------------------- domain classifier


class ClassifierFeatures(FeatureExtractor):
    """Penultimate-layer features and class probabilities of a classifier.

    What `domain_classifier` returns. Wraps a Keras model whose output is
    class logits and which has a layer named ``"features"``.

    Args:
        model: the Keras classifier.
        name: what it is called in metric names (``"Fashion-MNIST
            classifier"``).
        info: a dict describing how it was trained (data set, seed, epochs,
            test accuracy, backend), kept as ``info``.
        batch_size: images per network call.
    """

    provides_probabilities = True

    def __init__(self, model, *, name, info=None, batch_size=256):
        import keras

        super().__init__(batch_size)
        self.model = model
        self.name = name
        self.info = dict(info or {})
        self.input_shape = tuple(model.input_shape[1:])
        features = model.get_layer("features").output
        self._both = keras.Model(model.inputs, [features, model.output])
        self.feature_dim = int(features.shape[-1])
        self.num_classes = int(model.output.shape[-1])

    def _features(self, images, batch_size):
        return self._both.predict(images, batch_size=batch_size, verbose=0)[0]

    def probabilities(self, x, convention=None, *, batch_size=None):
        """Class probabilities ``(N, num_classes)`` (softmax of the logits)."""
        images = self._check(x, convention)
        batch_size = check_positive_int(batch_size or self.batch_size, "batch_size")
        logits = np.asarray(
            self.model.predict(images, batch_size=batch_size, verbose=0), "float64"
        )
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        return probabilities / probabilities.sum(axis=1, keepdims=True)


def default_cache_dir():
    """Where `domain_classifier` caches its files: ``$KERAS_HOME/kgen``.

    ``KERAS_HOME`` defaults to ``~/.keras`` (where Keras keeps its own data
    sets and weights).
    """
    from kgen.data.datasets import _keras_home

    return os.path.join(_keras_home(), "kgen")


def _classifier_network(input_shape, num_classes, seed):
    import keras

    def init(offset):
        return keras.initializers.GlorotUniform(seed=seed * 100 + offset)

    # Two convolution blocks, a 128-unit feature layer and the logits:
    # ~90% on Fashion-MNIST after two epochs, small enough for a minute on
    # two CPU cores.
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(
        16, 3, padding="same", activation="relu", kernel_initializer=init(1)
    )(inputs)
    x = keras.layers.MaxPooling2D(2, padding="same")(x)
    x = keras.layers.Conv2D(
        32, 3, padding="same", activation="relu", kernel_initializer=init(2)
    )(x)
    x = keras.layers.MaxPooling2D(2, padding="same")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(
        128, activation="relu", kernel_initializer=init(3), name="features"
    )(x)
    outputs = keras.layers.Dense(
        num_classes, kernel_initializer=init(4), name="logits"
    )(x)
    return keras.Model(inputs, outputs, name="domain_classifier")


def _load_local(dataset, split, image_size):
    from kgen.data import load_or_stand_in

    images, labels, source = load_or_stand_in(dataset, split, image_size=image_size)
    if source.stand_in:
        raise ValueError(
            f"A {dataset} classifier needs the {dataset} data on this machine: "
            f"{source}."
        )
    return images, labels


def _train_classifier(dataset, image_size, seed, epochs, verbose):
    import keras

    x, y = _load_local(dataset, "train", image_size)
    x_test, y_test = _load_local(dataset, "test", image_size)
    x, x_test = x.astype("float32") / 255.0, x_test.astype("float32") / 255.0
    num_classes = int(max(y.max(), y_test.max())) + 1
    if epochs is None:
        # about 120,000 training examples seen: two epochs of Fashion-MNIST
        epochs = int(min(60, max(2, math.ceil(120_000 / len(x)))))
    epochs = check_positive_int(epochs, "epochs")
    model = _classifier_network(x.shape[1:], num_classes, seed)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    # the data are shuffled here (seeded), not by fit, so that a run is
    # reproducible on one backend
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        model.fit(
            x[order],
            y[order],
            batch_size=128,
            epochs=epoch + 1,
            initial_epoch=epoch,
            shuffle=False,
            verbose=verbose,
        )
    logits = model.predict(x_test, batch_size=512, verbose=0)
    accuracy = float(np.mean(np.argmax(logits, axis=1) == y_test))
    info = {
        "dataset": dataset,
        "image_shape": list(x.shape[1:]),
        "num_classes": num_classes,
        "seed": seed,
        "epochs": epochs,
        "num_train": int(len(x)),
        "num_test": int(len(x_test)),
        "test_accuracy": accuracy,
        "backend": keras.config.backend(),
        "version": _CLASSIFIER_VERSION,
    }
    return model, info


def domain_classifier(
    dataset="fashion_mnist",
    *,
    cache_dir=None,
    seed=0,
    image_size=None,
    epochs=None,
    retrain=False,
    verbose=0,
):
    """A classifier of ``dataset``'s labels as a feature extractor; cached.

    The first call trains a small convolutional network (two conv blocks, a
    128-unit ``"features"`` layer) on the training split's labels (about a
    minute on two CPU cores for Fashion-MNIST; seconds for digits), saves it
    as ``<cache_dir>/<dataset>_classifier_seed<seed>_v1.keras`` with a
    ``.json`` beside it (data set, epochs, test accuracy, backend), and later
    calls load it. Training is seeded (initializers and the shuffling), so a
    run is reproducible on one backend; the saved file loads on every
    backend, so one cached classifier gives the same features everywhere.
    The data are read from local files only (`kgen.data.load_or_stand_in`);
    nothing is downloaded.

    Metrics in these features are named after the classifier ("Fréchet
    distance in Fashion-MNIST classifier features"): they are not FIDs and
    are not comparable with published FIDs.

    Args:
        dataset: ``"fashion_mnist"``, ``"digits"`` or ``"color_patches"``.
        cache_dir: directory of the cached files (default
            `default_cache_dir`: ``$KERAS_HOME/kgen``).
        seed: integer seed of the initial weights and the shuffling.
        image_size: resize the data set's images (as in `kgen.data.load`);
            ``None``: native size.
        epochs: training epochs (default: about 120,000 examples seen, at
            least two epochs).
        retrain: train (and overwrite the cached file) even if it exists.
        verbose: Keras's ``fit`` verbosity.

    Returns:
        A `ClassifierFeatures` extractor; ``.info`` holds the training record
        (``"test_accuracy"``, ...).

    Raises:
        ValueError: when the data set is not on this machine, or for an
            unknown data set.

    Examples:
        >>> classifier = domain_classifier("digits", cache_dir=".", epochs=2)
        >>> classifier.name, classifier.feature_dim, classifier.input_shape
        ('digits classifier', 128, (8, 8, 1))
    """
    import keras

    if dataset not in _DATASET_TITLES:
        raise ValueError(
            f"domain_classifier knows {', '.join(map(repr, _DATASET_TITLES))}; "
            f"received {dataset!r}."
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer; received {seed!r}.")
    seed = int(seed)
    cache_dir = os.fspath(cache_dir) if cache_dir is not None else default_cache_dir()
    size = "" if image_size is None else f"_{image_size}px"
    stem = f"{dataset}{size}_classifier_seed{seed}_v{_CLASSIFIER_VERSION}"
    path = os.path.join(cache_dir, stem + ".keras")
    info_path = os.path.join(cache_dir, stem + ".json")
    name = f"{_DATASET_TITLES[dataset]} classifier"
    if os.path.isfile(path) and not retrain:
        model = keras.saving.load_model(path)
        info = {}
        if os.path.isfile(info_path):
            with open(info_path) as handle:
                info = json.load(handle)
        info["path"] = path
        return ClassifierFeatures(model, name=name, info=info)
    model, info = _train_classifier(dataset, image_size, seed, epochs, verbose)
    os.makedirs(cache_dir, exist_ok=True)
    # write then rename: a concurrent reader never sees half a file
    temporary = os.path.join(cache_dir, f".{stem}.{os.getpid()}.keras")
    model.save(temporary)
    os.replace(temporary, path)
    with open(info_path + f".{os.getpid()}", "w") as handle:
        json.dump(info, handle, indent=2)
    os.replace(info_path + f".{os.getpid()}", info_path)
    info["path"] = path
    return ClassifierFeatures(model, name=name, info=info)
