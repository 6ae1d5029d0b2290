"""Layers of style-based generators (StyleGAN, StyleGAN2).

- `EqualizedDense`, `EqualizedConv2D`: the equalized learning rate of Karras
  et al. (2018): weights are stored as ``N(0, 1) / lr_multiplier`` and scaled
  by ``lr_multiplier / sqrt(fan_in)`` at every call, so that every layer
  learns at the same speed under Adam whatever its fan-in.
- `MappingNetwork`: ``z -> w``, an MLP of equalized dense layers after
  normalizing ``z``, with a running average ``w_avg`` of ``w`` for the
  truncation trick (``w_avg + psi * (w - w_avg)``).
- `ModulatedConv2D`: a convolution whose input channels are scaled by a
  per-example style ``s = A(w)`` and whose output channels are then
  *demodulated* (divided by the norm of the modulated weights), with
  optional per-pixel noise inputs, bias and activation (StyleGAN2's
  synthesis layer).
- `MinibatchStandardDeviation`: appends the standard deviation of the
  features over groups of examples as extra feature maps (a discriminator
  can then see the variety of a batch).

All four leave randomness to their caller: noise maps are inputs, drawn by
the model from its own seed stream.
"""

import math

import keras
from keras import ops

from kgen.api_export import kgen_export
from kgen.validation import check_positive_int

__all__ = [
    "EqualizedConv2D",
    "EqualizedDense",
    "MappingNetwork",
    "MinibatchStandardDeviation",
    "ModulatedConv2D",
    "mix_styles",
    "synthesis_resolutions",
]

_ACTIVATIONS = (None, "linear", "leaky_relu")


def _check_activation(activation):
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"activation must be None, 'linear' or 'leaky_relu'; received "
            f"{activation!r}."
        )
    return None if activation == "linear" else activation


def _activate(x, activation):
    if activation == "leaky_relu":
        # StyleGAN's bias_act: leaky ReLU (slope 0.2) times sqrt(2), which
        # keeps the second moment of a unit-variance input
        return ops.leaky_relu(x, negative_slope=0.2) * math.sqrt(2.0)
    return x


def _check_positive_number(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{name} must be a positive number; received {value!r}.")
    return float(value)


@kgen_export
class EqualizedDense(keras.layers.Layer):
    """A dense layer with an equalized learning rate.

    ``y = x @ (W * lr_multiplier / sqrt(fan_in)) + b * lr_multiplier`` with
    ``W`` initialized from ``N(0, 1 / lr_multiplier**2)``: the effective
    weights start with He's scale, and because the scale is applied at run
    time (not folded into the initialization), Adam's per-parameter step
    moves every layer at the same relative speed. ``lr_multiplier=0.01``
    slows a layer down a hundredfold (StyleGAN's mapping network).

    Args:
        units: output size.
        lr_multiplier: learning-rate multiplier of the layer.
        use_bias: whether to add a bias.
        bias_initializer: initial value of the stored bias (a float; the
            effective bias is ``bias * lr_multiplier``): StyleGAN2's style
            affines start at 1.
        activation: ``None`` or ``"leaky_relu"`` (slope 0.2, times
            ``sqrt(2)``).
        **kwargs: base layer arguments.

    Call arguments:
        inputs: tensor ``(..., fan_in)``.

    Returns:
        Tensor ``(..., units)``.

    Raises:
        ValueError: for a non-positive ``units`` or ``lr_multiplier``.

    Examples:
        >>> import numpy as np
        >>> layer = EqualizedDense(4, lr_multiplier=0.01)
        >>> tuple(layer(np.ones((2, 3), "float32")).shape)
        (2, 4)

    References:
        Karras et al., "Progressive Growing of GANs for Improved Quality,
        Stability, and Variation", ICLR 2018 (section 4.1).
    """

    def __init__(
        self,
        units,
        lr_multiplier=1.0,
        use_bias=True,
        bias_initializer=0.0,
        activation=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int(units, "units")
        self.lr_multiplier = _check_positive_number(lr_multiplier, "lr_multiplier")
        self.use_bias = bool(use_bias)
        self.bias_initializer = float(bias_initializer)
        self.activation = _check_activation(activation)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(
            name="kernel",
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(
                stddev=1.0 / self.lr_multiplier
            ),
        )
        self.weight_gain = self.lr_multiplier / math.sqrt(fan_in)
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=keras.initializers.Constant(self.bias_initializer),
            )

    def call(self, inputs):
        y = ops.matmul(inputs, self.kernel * self.weight_gain)
        if self.use_bias:
            y = y + self.bias * self.lr_multiplier
        return _activate(y, self.activation)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "lr_multiplier": self.lr_multiplier,
                "use_bias": self.use_bias,
                "bias_initializer": self.bias_initializer,
                "activation": self.activation,
            }
        )
        return config


@kgen_export
class EqualizedConv2D(keras.layers.Layer):
    """A 2-D convolution with an equalized learning rate.

    The kernel is stored as ``N(0, 1 / lr_multiplier**2)`` and scaled by
    ``lr_multiplier / sqrt(kernel_size**2 * in_channels)`` at every call
    (see `EqualizedDense`). ``"same"`` padding, stride 1; ``downsample=True``
    averages 2x2 blocks after the convolution (StyleGAN2's discriminator
    blurs and strides; a box filter is the simplest such low-pass filter).

    Args:
        filters: output channels.
        kernel_size: side of the square kernel.
        lr_multiplier: learning-rate multiplier.
        use_bias: whether to add a bias.
        activation: ``None`` or ``"leaky_relu"``.
        downsample: halve height and width after the convolution.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: NHWC tensor.

    Returns:
        NHWC tensor with ``filters`` channels.

    Raises:
        ValueError: for a non-positive ``filters`` or ``kernel_size``.

    Examples:
        >>> import numpy as np
        >>> conv = EqualizedConv2D(5, 3, downsample=True)
        >>> tuple(conv(np.ones((2, 8, 8, 3), "float32")).shape)
        (2, 4, 4, 5)

    References:
        Karras et al., ICLR 2018 (equalized learning rate).
    """

    def __init__(
        self,
        filters,
        kernel_size,
        lr_multiplier=1.0,
        use_bias=True,
        activation=None,
        downsample=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_positive_int(filters, "filters")
        self.kernel_size = check_positive_int(kernel_size, "kernel_size")
        self.lr_multiplier = _check_positive_number(lr_multiplier, "lr_multiplier")
        self.use_bias = bool(use_bias)
        self.activation = _check_activation(activation)
        self.downsample = bool(downsample)

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        k = self.kernel_size
        self.kernel = self.add_weight(
            name="kernel",
            shape=(k, k, in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(
                stddev=1.0 / self.lr_multiplier
            ),
        )
        self.weight_gain = self.lr_multiplier / math.sqrt(k * k * in_channels)
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer="zeros"
            )

    def call(self, inputs):
        y = ops.conv(inputs, self.kernel * self.weight_gain, padding="same")
        if self.downsample:
            y = ops.average_pool(y, 2, strides=2, padding="valid")
        if self.use_bias:
            y = y + self.bias * self.lr_multiplier
        return _activate(y, self.activation)

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        if self.downsample:
            height = None if height is None else height // 2
            width = None if width is None else width // 2
        return (batch, height, width, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "lr_multiplier": self.lr_multiplier,
                "use_bias": self.use_bias,
                "activation": self.activation,
                "downsample": self.downsample,
            }
        )
        return config


@kgen_export
class MappingNetwork(keras.layers.Layer):
    """StyleGAN's mapping network ``z -> w`` with a running average of ``w``.

    ``z`` is first normalized to unit second moment (``z / sqrt(mean(z**2))``,
    "pixel norm"), then passed through ``num_layers`` equalized dense layers
    with leaky ReLU and a small learning-rate multiplier. During training
    calls (``training=True``) the layer updates its non-trainable ``w_avg``
    as ``w_avg <- beta * w_avg + (1 - beta) * mean(w)``; `truncate` pulls
    styles towards it (the truncation trick).

    Args:
        latent_dim: size of ``z``.
        style_dim: size of ``w``.
        num_layers: dense layers (8 in StyleGAN; 2-4 are enough for small
            images).
        lr_multiplier: learning-rate multiplier of every layer (0.01).
        w_avg_beta: decay of the running average of ``w`` (0.995).
        **kwargs: base layer arguments.

    Call arguments:
        inputs: ``z`` with shape ``(batch, latent_dim)``.
        training: update ``w_avg`` when true.

    Returns:
        ``w`` with shape ``(batch, style_dim)``.

    Raises:
        ValueError: for invalid sizes or ``w_avg_beta`` outside [0, 1).

    Examples:
        >>> import numpy as np
        >>> mapping = MappingNetwork(latent_dim=4, style_dim=6, num_layers=2)
        >>> w = mapping(np.ones((3, 4), "float32"))
        >>> tuple(w.shape), tuple(mapping.truncate(w, 0.0).shape)
        ((3, 6), (3, 6))

    References:
        Karras, Laine & Aila, "A Style-Based Generator Architecture for
        Generative Adversarial Networks", CVPR 2019.
    """

    def __init__(
        self,
        latent_dim,
        style_dim,
        num_layers=8,
        lr_multiplier=0.01,
        w_avg_beta=0.995,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.style_dim = check_positive_int(style_dim, "style_dim")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        self.lr_multiplier = _check_positive_number(lr_multiplier, "lr_multiplier")
        if (
            isinstance(w_avg_beta, bool)
            or not isinstance(w_avg_beta, (int, float))
            or not 0.0 <= w_avg_beta < 1.0
        ):
            raise ValueError(
                f"w_avg_beta must be a number in [0, 1), e.g. 0.995; received "
                f"{w_avg_beta!r}."
            )
        self.w_avg_beta = float(w_avg_beta)
        self.dense_layers = [
            EqualizedDense(
                style_dim,
                lr_multiplier=self.lr_multiplier,
                activation="leaky_relu",
                name=f"dense_{i}",
            )
            for i in range(self.num_layers)
        ]

    def build(self, input_shape):
        shape = (input_shape[0], self.latent_dim)
        for layer in self.dense_layers:
            layer.build(shape)
            shape = (input_shape[0], self.style_dim)
        # The mean style: averaged over the batch of every replica under
        # tf.distribute (aggregation "mean").
        self.w_avg = self.add_weight(
            name="w_avg",
            shape=(self.style_dim,),
            initializer="zeros",
            trainable=False,
            aggregation="mean",
        )

    def call(self, inputs, training=False):
        z = ops.cast(inputs, self.compute_dtype)
        # normalize the second moment of z: z / sqrt(mean(z^2) + 1e-8)
        x = z * ops.rsqrt(ops.mean(ops.square(z), axis=-1, keepdims=True) + 1e-8)
        for layer in self.dense_layers:
            x = layer(x)
        if training:
            mean = ops.stop_gradient(ops.mean(ops.cast(x, "float32"), axis=0))
            beta = self.w_avg_beta
            self.w_avg.assign(beta * self.w_avg + (1.0 - beta) * mean)
        return x

    def truncate(self, w, psi):
        """The truncation trick: ``w_avg + psi * (w - w_avg)``.

        ``psi = 1`` leaves ``w`` unchanged, ``psi = 0`` gives the mean style
        for every example; ``w`` may have any leading axes (``(batch,
        style_dim)`` or ``(batch, num_ws, style_dim)``).
        """
        average = ops.cast(self.w_avg, w.dtype)
        return average + psi * (w - average)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.style_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "latent_dim": self.latent_dim,
                "style_dim": self.style_dim,
                "num_layers": self.num_layers,
                "lr_multiplier": self.lr_multiplier,
                "w_avg_beta": self.w_avg_beta,
            }
        )
        return config


def mix_styles(first, second, crossover):
    """Style mixing: per-layer styles from two latents, switching at a layer.

    ``first`` and ``second`` are styles ``(batch, style_dim)`` (or already
    per layer, ``(batch, num_ws, style_dim)``); the result holds ``first``
    for layers ``0 .. crossover - 1`` and ``second`` from layer
    ``crossover`` on.

    Args:
        first: styles of the coarse layers.
        second: styles of the layers from ``crossover`` on.
        crossover: int, or an int tensor ``(batch,)`` (one crossover per
            example); ``num_ws`` or more keeps ``first`` everywhere.

    Returns:
        ``(batch, num_ws, style_dim)``; with 2-D inputs ``num_ws`` is taken
        from ``first`` if it is 3-D, else it must be given by ``second``.

    Examples:
        >>> import numpy as np
        >>> a = np.zeros((1, 3, 2), "float32"); b = np.ones((1, 3, 2), "float32")
        >>> np.asarray(mix_styles(a, b, 1))[0, :, 0].tolist()
        [0.0, 1.0, 1.0]
    """
    first = ops.convert_to_tensor(first)
    second = ops.convert_to_tensor(second, dtype=first.dtype)
    if len(first.shape) != 3 and len(second.shape) != 3:
        raise ValueError(
            "mix_styles needs per-layer styles (batch, num_ws, style_dim) for at "
            f"least one argument; received shapes {tuple(first.shape)} and "
            f"{tuple(second.shape)}."
        )
    num_ws = int(first.shape[1] if len(first.shape) == 3 else second.shape[1])
    if len(first.shape) == 2:
        first = ops.repeat(first[:, None, :], num_ws, axis=1)
    if len(second.shape) == 2:
        second = ops.repeat(second[:, None, :], num_ws, axis=1)
    layer = ops.arange(num_ws, dtype="int32")[None, :]
    crossover = ops.reshape(ops.cast(crossover, "int32"), (-1, 1))
    use_second = ops.expand_dims(layer >= crossover, -1)
    return ops.where(use_second, second, first)


@kgen_export
class ModulatedConv2D(keras.layers.Layer):
    """StyleGAN2's modulated convolution with weight demodulation.

    With a style ``s = A(w)`` per example (``A`` an equalized dense layer
    whose bias starts at 1), the weights of example ``n`` are

    ``w'_{ijk} = s_{n,i} * w_{ijk}`` (modulation; ``i`` input channel, ``j``
    output channel, ``k`` kernel position), and with ``demodulate=True``
    ``w''_{ijk} = w'_{ijk} / sqrt(sum_{i,k} w'_{ijk}^2 + epsilon)``,

    so that for inputs of unit variance the outputs have unit variance again
    (the role instance normalization played in StyleGAN, without its
    "droplet" artifacts). The layer computes it without building per-example
    kernels: it scales the input channels by ``s``, convolves with the shared
    kernel and scales the output channels by the demodulation coefficients
    (the non-fused form of the paper; exactly the same numbers).

    Then, optionally, a per-pixel noise input scaled by a learned strength
    (initialized at 0), a bias and an activation: StyleGAN2's synthesis
    layer.

    Args:
        filters: output channels.
        kernel_size: side of the square kernel (3; 1 for "toRGB").
        demodulate: divide by the norm of the modulated weights.
        upsample: double height and width (bilinear) before the convolution.
        use_noise: add ``noise_strength * noise`` (noise given in the call).
        use_bias: add a bias.
        activation: ``None`` or ``"leaky_relu"``.
        epsilon: inside the demodulation's square root.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: ``[x, w]``: NHWC features and styles ``(batch, style_dim)``.
        noise: ``(batch, height, width, 1)`` noise at the output resolution
            (needs ``use_noise=True``); ``None`` adds none.

    Returns:
        NHWC tensor with ``filters`` channels.

    Raises:
        ValueError: for invalid sizes, or ``noise`` without ``use_noise``.

    Examples:
        >>> import numpy as np
        >>> conv = ModulatedConv2D(4, 3, upsample=True)
        >>> x, w = np.ones((2, 4, 4, 3), "float32"), np.ones((2, 5), "float32")
        >>> tuple(conv([x, w]).shape)
        (2, 8, 8, 4)

    References:
        Karras et al., "Analyzing and Improving the Image Quality of
        StyleGAN", CVPR 2020 (section 2.2).
    """

    def __init__(
        self,
        filters,
        kernel_size,
        demodulate=True,
        upsample=False,
        use_noise=False,
        use_bias=False,
        activation=None,
        epsilon=1e-8,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_positive_int(filters, "filters")
        self.kernel_size = check_positive_int(kernel_size, "kernel_size")
        self.demodulate = bool(demodulate)
        self.upsample = bool(upsample)
        self.use_noise = bool(use_noise)
        self.use_bias = bool(use_bias)
        self.activation = _check_activation(activation)
        self.epsilon = _check_positive_number(epsilon, "epsilon")
        self.affine = None

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        in_channels = int(x_shape[-1])
        k = self.kernel_size
        self.affine = EqualizedDense(in_channels, bias_initializer=1.0, name="affine")
        self.affine.build(w_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(k, k, in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
        )
        self.weight_gain = 1.0 / math.sqrt(k * k * in_channels)
        if self.use_noise:
            self.noise_strength = self.add_weight(
                name="noise_strength", shape=(), initializer="zeros"
            )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer="zeros"
            )

    def styles(self, w):
        """The per-example input-channel scales ``s = A(w)``."""
        return self.affine(w)

    def call(self, inputs, noise=None):
        x, w = inputs
        styles = ops.cast(self.styles(w), x.dtype)  # (batch, in)
        kernel = self.kernel * self.weight_gain  # (k, k, in, out)
        if self.upsample:
            batch, height, width, channels = ops.shape(x)
            x = ops.image.resize(x, (2 * height, 2 * width), interpolation="bilinear")
        y = ops.conv(x * styles[:, None, None, :], kernel, padding="same")
        if self.demodulate:
            # d_{n,j} = 1 / sqrt(sum_{i,k} (s_{n,i} w_{ijk})^2 + epsilon)
            squared = ops.sum(ops.square(kernel), axis=(0, 1))  # (in, out)
            coefficients = ops.rsqrt(
                ops.matmul(ops.square(styles), squared) + self.epsilon
            )
            y = y * coefficients[:, None, None, :]
        if noise is not None:
            if not self.use_noise:
                raise ValueError(
                    f"{self.name} was built with use_noise=False; it takes no "
                    "noise input."
                )
            y = y + self.noise_strength * ops.cast(noise, y.dtype)
        if self.use_bias:
            y = y + self.bias
        return _activate(y, self.activation)

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape[0]
        if self.upsample:
            height = None if height is None else 2 * height
            width = None if width is None else 2 * width
        return (batch, height, width, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "demodulate": self.demodulate,
                "upsample": self.upsample,
                "use_noise": self.use_noise,
                "use_bias": self.use_bias,
                "activation": self.activation,
                "epsilon": self.epsilon,
            }
        )
        return config


@kgen_export
class MinibatchStandardDeviation(keras.layers.Layer):
    """Appends the standard deviation over groups of examples as feature maps.

    The batch is split into consecutive groups of ``group_size`` examples (a
    short last group keeps its fewer members), the channels into
    ``num_features`` parts; for each group and part the standard deviation
    over the group's examples is averaged over channels and positions and
    appended to each member as a constant feature map. A discriminator that
    sees it can tell a batch of near-identical samples (mode collapse) from
    a varied real one.

    Consecutive groups (StyleGAN2's groups are strided over the batch) keep
    each group on one replica when ``tf.distribute`` hands every replica a
    consecutive slice of the batch, so several devices give the one-device
    result when each replica's share is a multiple of ``group_size``.

    Args:
        group_size: examples per group (4).
        num_features: channel parts, i.e. feature maps appended (1).
        epsilon: inside the square root.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: NHWC tensor whose channels are divisible by ``num_features``.

    Returns:
        NHWC tensor with ``num_features`` more channels.

    Raises:
        ValueError: for invalid sizes or indivisible channels.

    Examples:
        >>> import numpy as np
        >>> layer = MinibatchStandardDeviation(group_size=2)
        >>> tuple(layer(np.ones((4, 3, 3, 8), "float32")).shape)
        (4, 3, 3, 9)

    References:
        Karras et al., "Progressive Growing of GANs", ICLR 2018 (section 3).
    """

    def __init__(self, group_size=4, num_features=1, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = check_positive_int(group_size, "group_size")
        self.num_features = check_positive_int(num_features, "num_features")
        self.epsilon = _check_positive_number(epsilon, "epsilon")

    def build(self, input_shape):
        channels = int(input_shape[-1])
        if channels % self.num_features:
            raise ValueError(
                f"MinibatchStandardDeviation needs channels divisible by "
                f"num_features={self.num_features}; received {channels} channels."
            )

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        shape = ops.shape(x)
        batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
        parts = self.num_features
        group = ops.arange(batch) // self.group_size
        # same[i, j] = 1 when examples i and j are in the same group
        same = ops.cast(ops.equal(group[:, None], group[None, :]), "float32")
        count = ops.sum(same, axis=1, keepdims=True)
        flat = ops.reshape(x, (batch, -1))
        mean = ops.matmul(same, flat) / count
        variance = ops.matmul(same, ops.square(flat - mean)) / count
        std = ops.sqrt(variance + self.epsilon)
        std = ops.reshape(std, (batch, height * width, parts, channels // parts))
        feature = ops.mean(std, axis=(1, 3))  # (batch, parts)
        maps = ops.broadcast_to(
            feature[:, None, None, :], (batch, height, width, parts)
        )
        return ops.concatenate([inputs, ops.cast(maps, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.num_features)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "group_size": self.group_size,
                "num_features": self.num_features,
                "epsilon": self.epsilon,
            }
        )
        return config


def synthesis_resolutions(image_shape):
    """The resolutions of a style (or BigGAN) generator for ``image_shape``.

    Starts at the side ``s = height / 2**k`` with the largest ``k`` that
    keeps ``s >= 4`` and doubles up to the image: 8 -> (4, 8), 16 -> (4, 8,
    16), 28 -> (7, 14, 28), 32 -> (4, 8, 16, 32). Square images only.

    Raises:
        ValueError: for a non-square image or a side that cannot be halved
            down to at least 4 by whole numbers (e.g. 6).

    Examples:
        >>> from kgen.layers.style import synthesis_resolutions
        >>> synthesis_resolutions((8, 8, 1)), synthesis_resolutions((28, 28, 1))
        ((4, 8), (7, 14, 28))
    """
    if len(image_shape) != 3:
        raise ValueError(
            f"image_shape must be (height, width, channels); received {image_shape!r}."
        )
    height, width = int(image_shape[0]), int(image_shape[1])
    if height != width:
        raise ValueError(
            f"Square images only (height == width); received {tuple(image_shape)}."
        )
    if height < 8:
        raise ValueError(f"Images need a side of at least 8; received {height}.")
    num_doublings = int(math.floor(math.log2(height / 4.0)))
    start = height / 2**num_doublings
    if start != int(start):
        raise ValueError(
            f"An image side of {height} cannot be halved {num_doublings} times "
            "into whole numbers; use a side of s * 2**k with 4 <= s < 8 "
            "(8, 12, 16, 20, 24, 28, 32, ...)."
        )
    start = int(start)
    return tuple(start * 2**i for i in range(num_doublings + 1))
