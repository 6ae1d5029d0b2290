"""Networks of image-to-image translation: U-Net, PatchGAN, ResNet generator.

- `unet_generator` (Pix2Pix): an encoder-decoder whose decoder layer ``i``
  also receives the encoder's layer ``n - i`` (skip connections), so that
  fine spatial detail of the input need not pass through the bottleneck;
- `patchgan_discriminator` (Pix2Pix, CycleGAN): a fully convolutional
  discriminator whose output is a grid of logits, one per overlapping patch
  of the input (70x70 patches with three downsampling layers);
  `patchgan_receptive_field` gives the patch each logit sees;
- `resnet_generator` (CycleGAN, after Johnson et al.): downsampling
  convolutions, residual blocks, upsampling; reflection padding and
  instance normalization.
"""

import keras
from keras import layers

from kgen.layers.normalization import InstanceNormalization
from kgen.layers.translation import ReflectionPadding2D
from kgen.validation import check_positive_int

__all__ = [
    "patchgan_discriminator",
    "patchgan_receptive_field",
    "resnet_generator",
    "unet_generator",
]

NORMALIZATIONS = ("instance", "batch", None)


def _check_shape(image_shape):
    if len(image_shape) != 3:
        raise ValueError(
            f"image_shape must be (height, width, channels); received {image_shape!r}."
        )
    return tuple(int(s) for s in image_shape)


def _check_normalization(normalization):
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"normalization must be 'instance', 'batch' or None; received "
            f"{normalization!r}."
        )
    return normalization


def _norm(kind, name):
    if kind == "instance":
        return InstanceNormalization(name=name)
    if kind == "batch":
        return layers.BatchNormalization(name=name)
    return layers.Identity(name=name)


def _max_halvings(image_shape):
    height, width = image_shape[:2]
    count = 0
    while height % 2 == 0 and width % 2 == 0 and min(height, width) > 1:
        height, width, count = height // 2, width // 2, count + 1
    return count


def unet_generator(
    image_shape,
    output_channels=None,
    base_filters=64,
    num_downsamples=None,
    max_filters=512,
    normalization="instance",
    dropout=0.5,
    skip_connections=True,
):
    """Pix2Pix's U-Net generator.

    Encoder: ``num_downsamples`` 4x4 stride-2 convolutions (leaky ReLU 0.2
    before each but the first, normalization after each but the first and
    the innermost, the "bottleneck"); decoder: ReLU, 4x4 stride-2 transposed
    convolution, normalization, dropout in the three innermost decoder
    layers (training only), then concatenation with the mirrored encoder
    layer; a last ReLU, transposed convolution and tanh. Filters double from
    ``base_filters`` at each level up to ``max_filters``.

    Args:
        image_shape: ``(height, width, channels)`` of the input; height and
            width divisible by ``2**num_downsamples``.
        output_channels: channels of the output (default: the input's).
        base_filters: filters of the outermost level (64).
        num_downsamples: depth (default: as deep as the size allows, at most
            8, the paper's 256x256 U-Net).
        max_filters: filter cap (512).
        normalization: ``"instance"`` (default: what the paper's batch norm
            with batch size 1 is), ``"batch"`` or ``None``.
        dropout: rate of the innermost decoder layers (0.5; 0: none).
        skip_connections: ``False`` gives the plain encoder-decoder the paper
            compares with.

    Returns:
        A ``keras.Model`` on images, tanh output ``(height, width,
        output_channels)``.

    Raises:
        ValueError: for a depth the size does not allow, or bad options.

    Examples:
        >>> unet = unet_generator((8, 8, 1), base_filters=4)
        >>> unet.output_shape
        (None, 8, 8, 1)

    References:
        Isola et al., "Image-to-Image Translation with Conditional
        Adversarial Networks", CVPR 2017; Ronneberger et al., "U-Net", 2015.
    """
    image_shape = _check_shape(image_shape)
    normalization = _check_normalization(normalization)
    output_channels = check_positive_int(
        output_channels or image_shape[-1], "output_channels"
    )
    base_filters = check_positive_int(base_filters, "base_filters")
    max_filters = check_positive_int(max_filters, "max_filters")
    deepest = _max_halvings(image_shape)
    if num_downsamples is None:
        num_downsamples = min(deepest, 8)
    num_downsamples = check_positive_int(num_downsamples, "num_downsamples")
    if num_downsamples > deepest:
        raise ValueError(
            f"An image of {image_shape[0]}x{image_shape[1]} can be halved at most "
            f"{deepest} times; received num_downsamples={num_downsamples}."
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1); received {dropout!r}.")
    depth = num_downsamples
    filters = [min(base_filters * 2**i, max_filters) for i in range(depth)]

    inputs = keras.Input(image_shape, name="image")
    h = layers.Conv2D(filters[0], 4, strides=2, padding="same", name="down_0")(inputs)
    skips = [h]
    for i in range(1, depth):
        h = layers.LeakyReLU(0.2)(h)
        name = "bottleneck" if i == depth - 1 else f"down_{i}"
        h = layers.Conv2D(filters[i], 4, strides=2, padding="same", name=name)(h)
        if i < depth - 1:
            h = _norm(normalization, f"down_{i}_norm")(h)
        skips.append(h)
    for i in range(depth - 1, 0, -1):
        h = layers.ReLU()(h)
        h = layers.Conv2DTranspose(
            filters[i - 1], 4, strides=2, padding="same", name=f"up_{i}"
        )(h)
        h = _norm(normalization, f"up_{i}_norm")(h)
        if dropout and i >= depth - 3:
            h = layers.Dropout(dropout, name=f"up_{i}_dropout")(h)
        if skip_connections:
            h = layers.Concatenate(name=f"skip_{i}")([h, skips[i - 1]])
    h = layers.ReLU()(h)
    out = layers.Conv2DTranspose(
        output_channels,
        4,
        strides=2,
        padding="same",
        activation="tanh",
        name="up_0",
    )(h)
    name = "unet_generator" if skip_connections else "encoder_decoder"
    return keras.Model(inputs, out, name=name)


def patchgan_receptive_field(num_layers=3, kernel_size=4):
    """The patch of the input that each logit of `patchgan_discriminator` sees.

    Receptive-field arithmetic over its ``num_layers`` stride-2 and two
    stride-1 convolutions, with Keras's ``"same"`` padding (``k - s`` rows
    in all for stride ``s`` on an even side, ``k - 1`` otherwise; the
    smaller half before the input): logit ``(i, j)`` sees input rows ``first + jump * i`` to ``first + jump
    * i + size - 1`` (and the same columns), clipped to the image.

    Args:
        num_layers: stride-2 convolutions (3 gives the paper's 70x70 patches).
        kernel_size: side of every kernel (4).

    Returns:
        ``{"size": r, "jump": j, "first": f}``.

    Examples:
        >>> patchgan_receptive_field(3)
        {'size': 70, 'jump': 8, 'first': -23}
    """
    num_layers = check_positive_int(num_layers, "num_layers")
    k = check_positive_int(kernel_size, "kernel_size")
    size, jump, first = 1, 1, 0
    strides = [2] * num_layers + [1, 1]
    for stride in strides:
        # "same": total padding max(k - stride, 0) on even sides; TF-style
        # padding puts the smaller half before
        total = max(k - stride, 0)
        before = total // 2
        first -= before * jump
        size += (k - 1) * jump
        jump *= stride
    return {"size": size, "jump": jump, "first": first}


def patchgan_discriminator(
    image_shape,
    condition_shape=None,
    base_filters=64,
    num_layers=3,
    max_filters=512,
    normalization="instance",
):
    """The PatchGAN discriminator: a grid of logits, one per input patch.

    ``num_layers`` 4x4 stride-2 convolutions (no normalization on the first,
    leaky ReLU 0.2 after each), a 4x4 stride-1 convolution with twice the
    filters, and a 4x4 stride-1 convolution to one logit per position. Each
    logit sees a square patch of ``patchgan_receptive_field(num_layers)
    ["size"]`` pixels (70 for 3 layers): the discriminator models only
    high-frequency structure and penalizes it patch by patch, and the L1
    term of Pix2Pix the low frequencies.

    Args:
        image_shape: ``(height, width, channels)`` of the judged images.
        condition_shape: shape of the conditioning image (Pix2Pix: the
            input), concatenated to the image along channels; None (CycleGAN)
            for an unconditional discriminator.
        base_filters: filters of the first layer (64).
        num_layers: stride-2 layers (3).
        max_filters: filter cap.
        normalization: ``"instance"``, ``"batch"`` or ``None``.

    Returns:
        A ``keras.Model`` on ``[condition, image]`` (or ``image``) returning
        logits ``(batch, height / 2**n, width / 2**n, 1)`` (sides rounded up).

    Examples:
        >>> d = patchgan_discriminator((16, 16, 1), condition_shape=(16, 16, 1),
        ...                            base_filters=4, num_layers=2)
        >>> d.output_shape
        (None, 4, 4, 1)

    References:
        Isola et al., CVPR 2017 (section 3.2.2); Li & Wand, "Precomputed
        Real-Time Texture Synthesis with Markovian GANs", 2016.
    """
    image_shape = _check_shape(image_shape)
    normalization = _check_normalization(normalization)
    num_layers = check_positive_int(num_layers, "num_layers")
    base_filters = check_positive_int(base_filters, "base_filters")
    max_filters = check_positive_int(max_filters, "max_filters")
    image = keras.Input(image_shape, name="image")
    inputs = image
    h = image
    if condition_shape is not None:
        condition = keras.Input(_check_shape(condition_shape), name="condition")
        inputs = [condition, image]
        h = layers.Concatenate(name="pair")([condition, image])
    for i in range(num_layers):
        filters = min(base_filters * 2**i, max_filters)
        h = layers.Conv2D(filters, 4, strides=2, padding="same", name=f"down_{i}")(h)
        if i > 0:
            h = _norm(normalization, f"down_{i}_norm")(h)
        h = layers.LeakyReLU(0.2)(h)
    filters = min(base_filters * 2**num_layers, max_filters)
    h = layers.Conv2D(filters, 4, padding="same", name="penultimate")(h)
    h = _norm(normalization, "penultimate_norm")(h)
    h = layers.LeakyReLU(0.2)(h)
    logits = layers.Conv2D(1, 4, padding="same", name="patch_logits")(h)
    return keras.Model(inputs, logits, name="patchgan_discriminator")


def resnet_generator(
    image_shape,
    output_channels=None,
    base_filters=64,
    num_downsamples=2,
    num_residual_blocks=9,
    normalization="instance",
):
    """CycleGAN's ResNet generator (Johnson et al.'s architecture).

    A 7x7 convolution (reflection padded), ``num_downsamples`` 3x3 stride-2
    convolutions doubling the filters, ``num_residual_blocks`` residual
    blocks (two 3x3 reflection-padded convolutions with normalization), as
    many stride-2 transposed convolutions back, and a 7x7 convolution with
    tanh. Normalization and ReLU after every convolution but the last.

    Args:
        image_shape: ``(height, width, channels)``; sides of at least 4
            pixels (reflection padding by 3), divisible by
            ``2**num_downsamples`` and leaving at least 2 pixels after it.
        output_channels: default the input's.
        base_filters: 64 in the paper.
        num_downsamples: 2.
        num_residual_blocks: 9 for 256x256 images, 6 for 128x128.
        normalization: ``"instance"`` (default), ``"batch"`` or ``None``.

    Returns:
        A ``keras.Model`` on images, tanh output.

    Raises:
        ValueError: for a size the depth does not allow.

    Examples:
        >>> g = resnet_generator((8, 8, 1), base_filters=4, num_downsamples=1,
        ...                      num_residual_blocks=1)
        >>> g.output_shape
        (None, 8, 8, 1)

    References:
        Zhu et al., "Unpaired Image-to-Image Translation using
        Cycle-Consistent Adversarial Networks", ICCV 2017; Johnson, Alahi &
        Fei-Fei, "Perceptual Losses for Real-Time Style Transfer", 2016.
    """
    image_shape = _check_shape(image_shape)
    normalization = _check_normalization(normalization)
    output_channels = check_positive_int(
        output_channels or image_shape[-1], "output_channels"
    )
    base_filters = check_positive_int(base_filters, "base_filters")
    if (
        isinstance(num_downsamples, bool)
        or not isinstance(num_downsamples, int)
        or num_downsamples < 0
    ):
        raise ValueError(
            f"num_downsamples must be a non-negative integer; received {num_downsamples!r}."
        )
    if (
        isinstance(num_residual_blocks, bool)
        or not isinstance(num_residual_blocks, int)
        or num_residual_blocks < 0
    ):
        raise ValueError(
            "num_residual_blocks must be a non-negative integer; received "
            f"{num_residual_blocks!r}."
        )
    height, width = image_shape[:2]
    scale = 2**num_downsamples
    if height % scale or width % scale or min(height, width) // scale < 2:
        raise ValueError(
            f"resnet_generator halves {image_shape[0]}x{image_shape[1]} images "
            f"{num_downsamples} times; the sides must be divisible by {scale} and "
            f"leave at least 2 pixels (received image_shape {image_shape})."
        )
    if min(height, width) <= 3:
        raise ValueError(
            f"resnet_generator needs sides of at least 4 pixels; received {image_shape}."
        )

    inputs = keras.Input(image_shape, name="image")
    h = ReflectionPadding2D(3)(inputs)
    h = layers.Conv2D(base_filters, 7, name="stem")(h)
    h = _norm(normalization, "stem_norm")(h)
    h = layers.ReLU()(h)
    filters = base_filters
    for i in range(num_downsamples):
        filters *= 2
        h = layers.Conv2D(filters, 3, strides=2, padding="same", name=f"down_{i}")(h)
        h = _norm(normalization, f"down_{i}_norm")(h)
        h = layers.ReLU()(h)
    for b in range(num_residual_blocks):
        y = ReflectionPadding2D(1)(h)
        y = layers.Conv2D(filters, 3, name=f"residual_{b}_0")(y)
        y = _norm(normalization, f"residual_{b}_0_norm")(y)
        y = layers.ReLU()(y)
        y = ReflectionPadding2D(1)(y)
        y = layers.Conv2D(filters, 3, name=f"residual_{b}_1")(y)
        y = _norm(normalization, f"residual_{b}_1_norm")(y)
        h = layers.Add(name=f"residual_{b}")([h, y])
    for i in range(num_downsamples - 1, -1, -1):
        filters //= 2
        h = layers.Conv2DTranspose(
            filters, 3, strides=2, padding="same", name=f"up_{i}"
        )(h)
        h = _norm(normalization, f"up_{i}_norm")(h)
        h = layers.ReLU()(h)
    h = ReflectionPadding2D(3)(h)
    out = layers.Conv2D(output_channels, 7, activation="tanh", name="to_image")(h)
    return keras.Model(inputs, out, name="resnet_generator")
