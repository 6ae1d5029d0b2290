"""Layers of image-to-image translation models (Pix2Pix, CycleGAN).

- `ReflectionPadding2D`: pads by mirroring the border (CycleGAN's ResNet
  generator pads this way to avoid dark frames).
- `ImagePool`: the history of generated images that CycleGAN's
  discriminators are trained on (Shrivastava et al. 2017).

The networks built from them (U-Net, PatchGAN, ResNet generator) are in
``kgen.models.adversarial.translation_networks``, beside the other network
builders.
"""

import keras
from keras import ops

from kgen import backend
from kgen.api_export import kgen_export
from kgen.validation import check_positive_int

__all__ = ["ImagePool", "ReflectionPadding2D"]


@kgen_export
class ReflectionPadding2D(keras.layers.Layer):
    """Pad height and width by reflecting the border (without repeating it).

    ``[a, b, c, d]`` padded by 2 is ``[c, b, a, b, c, d, c, b]``, like
    ``numpy.pad(..., mode="reflect")``; built from slices and flips so that
    it runs the same on every backend.

    Args:
        padding: rows/columns added on each side (smaller than the side).
        **kwargs: base layer arguments.

    Call arguments:
        inputs: NHWC tensor.

    Returns:
        NHWC tensor with ``2 * padding`` more rows and columns.

    Examples:
        >>> import numpy as np
        >>> x = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
        >>> x = np.repeat(x, 3, axis=1)
        >>> y = keras.ops.convert_to_numpy(ReflectionPadding2D(2)(x))
        >>> y[0, 0, :, 0].tolist()
        [2.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0, 1.0]
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = check_positive_int(padding, "padding")

    def build(self, input_shape):
        for axis, size in ((1, input_shape[1]), (2, input_shape[2])):
            if size is not None and size <= self.padding:
                raise ValueError(
                    f"ReflectionPadding2D(padding={self.padding}) needs more than "
                    f"{self.padding} pixels along axis {axis}; received shape "
                    f"{tuple(input_shape)}."
                )

    def call(self, inputs):
        p = self.padding

        def pad(x, axis):
            size = x.shape[axis]
            head = ops.take(x, list(range(p, 0, -1)), axis=axis)
            tail = ops.take(x, list(range(size - 2, size - 2 - p, -1)), axis=axis)
            return ops.concatenate([head, x, tail], axis=axis)

        return pad(pad(inputs, 1), 2)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = 2 * self.padding
        return (
            batch,
            None if height is None else height + grow,
            None if width is None else width + grow,
            channels,
        )

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding})
        return config


@kgen_export
class ImagePool(keras.layers.Layer):
    """A history of generated images for training a discriminator.

    In a training call the layer stores the batch's images and returns a mix
    of new and past ones: while the pool holds fewer than ``pool_size``
    images, each new image is stored and returned as it is; once it is
    full, each image is, with probability ``probability`` (0.5), swapped
    for a uniformly chosen stored image (which is returned, and replaced by
    the new one in the pool), and otherwise returned as it is. Training the
    discriminator on this history (CycleGAN's pool of 50) reduces
    oscillation: it cannot forget what older generators made.

    The pool and its count are non-trainable weights, saved with the model.
    A batch is handled at once rather than image by image: when two images
    of one batch draw the same stored image, both return it (the
    one-image-at-a-time algorithm would give the second the first's image);
    with a pool of 50 and a handful of images per batch this is rare. Under
    ``tf.distribute`` the first replica's writes are kept. Outside training
    (``training=False``) the images pass through unchanged.

    Args:
        pool_size: images kept (50; 0 turns the pool off).
        probability: chance that a new image is swapped for a stored one
            once the pool is full.
        seed: integer seed of the layer's ``SeedGenerator``.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: NHWC images.
        training: store and swap when true.

    Returns:
        Images shaped like ``inputs``.

    Raises:
        ValueError: for a negative ``pool_size`` or a probability outside
            [0, 1].

    Examples:
        >>> import numpy as np
        >>> pool = ImagePool(pool_size=4, seed=0)
        >>> first = np.zeros((4, 2, 2, 1), "float32")
        >>> np.array_equal(keras.ops.convert_to_numpy(pool(first, training=True)), first)
        True
        >>> int(keras.ops.convert_to_numpy(pool.num_stored))
        4

    References:
        Shrivastava et al., "Learning from Simulated and Unsupervised Images
        through Adversarial Training", CVPR 2017; Zhu et al., "Unpaired
        Image-to-Image Translation using Cycle-Consistent Adversarial
        Networks", ICCV 2017.
    """

    def __init__(self, pool_size=50, probability=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        if (
            isinstance(pool_size, bool)
            or not isinstance(pool_size, int)
            or pool_size < 0
        ):
            raise ValueError(
                f"pool_size must be a non-negative integer (0: no pool); received "
                f"{pool_size!r}."
            )
        if (
            isinstance(probability, bool)
            or not isinstance(probability, (int, float))
            or not 0.0 <= probability <= 1.0
        ):
            raise ValueError(
                f"probability must be a number in [0, 1]; received {probability!r}."
            )
        self.pool_size = pool_size
        self.probability = float(probability)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.images = self.add_weight(
            name="images",
            shape=(max(self.pool_size, 1), *input_shape[1:]),
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
        )
        self.num_stored = self.add_weight(
            name="num_stored",
            shape=(),
            initializer="zeros",
            dtype="int32",
            trainable=False,
            aggregation="only_first_replica",
        )

    def call(self, inputs, training=False):
        if not training or self.pool_size == 0:
            return inputs
        images = ops.cast(inputs, self.images.dtype)
        batch = ops.shape(images)[0]
        size = self.pool_size
        stored = ops.convert_to_tensor(self.num_stored)
        index = ops.arange(batch, dtype="int32")
        # the first (size - stored) images fill the free slots
        fill = index < size - stored
        coins = backend.replica_draw(
            lambda rows: keras.random.uniform((rows,), seed=self.seed_generator),
            batch,
        )
        slots = backend.replica_draw(
            lambda rows: keras.random.randint(
                (rows,), 0, size, dtype="int32", seed=self.seed_generator
            ),
            batch,
        )
        swap = ops.logical_and(ops.logical_not(fill), coins < self.probability)
        # slot `size` is a scratch row for images that are not stored. First
        # fill the free slots; the images after them meet a full pool.
        pool = ops.concatenate([self.images, ops.zeros_like(self.images[:1])], 0)
        fill_target = ops.where(fill, stored + index, size)
        pool = ops.scatter_update(pool, ops.expand_dims(fill_target, -1), images)
        past = ops.take(pool, slots, axis=0)
        mask = ops.reshape(swap, (-1,) + (1,) * (len(images.shape) - 1))
        returned = ops.where(mask, past, images)
        swap_target = ops.where(swap, slots, size)
        pool = ops.scatter_update(pool, ops.expand_dims(swap_target, -1), images)
        self.images.assign(pool[:size])
        self.num_stored.assign(ops.minimum(stored + batch, size))
        return ops.cast(returned, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "pool_size": self.pool_size,
                "probability": self.probability,
                "seed": self.seed,
            }
        )
        return config
