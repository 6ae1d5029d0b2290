"""StyleGAN2's networks: a mapping + synthesis generator and a ResNet critic.

``stylegan2_networks(image_shape, ...)`` returns ``(generator,
discriminator)``:

- `StyleGenerator`: a `kgen.layers.MappingNetwork` ``z -> w`` and a
  `StyleSynthesis` network that starts from a learned constant and, at each
  resolution, applies modulated convolutions (`kgen.layers.ModulatedConv2D`)
  with per-pixel noise, each controlled by one style ``w_i`` (so different
  layers may get different styles: style mixing), and sums the upsampled
  "toRGB" outputs of every resolution (StyleGAN2's skip generator);
- `StyleDiscriminator`: residual blocks of equalized convolutions that halve
  the resolution, a minibatch standard deviation feature, and two dense
  layers (StyleGAN2's ResNet discriminator).

Resolutions follow `kgen.layers.synthesis_resolutions`: 8x8 images use 4 and
8, 28x28 images 7, 14 and 28. Channels are ``base_filters`` at the image's
resolution and double at each halving, up to ``max_filters``.
"""

import math

import keras
from keras import ops

from kgen.api_export import kgen_export
from kgen.layers.style import (
    EqualizedConv2D,
    EqualizedDense,
    MappingNetwork,
    MinibatchStandardDeviation,
    ModulatedConv2D,
    synthesis_resolutions,
)
from kgen.validation import check_positive_int

__all__ = [
    "StyleDiscriminator",
    "StyleGenerator",
    "StyleSynthesis",
    "stylegan2_networks",
]


def _channels(resolutions, base_filters, max_filters):
    top = resolutions[-1]
    return [min(base_filters * top // r, max_filters) for r in resolutions]


def _check_image_shape(image_shape):
    shape = tuple(int(s) for s in image_shape)
    synthesis_resolutions(shape)  # raises for unusable shapes
    return shape


@kgen_export
class StyleSynthesis(keras.layers.Layer):
    """StyleGAN2's synthesis network: per-layer styles to an image.

    From a learned constant at the first resolution, each resolution has
    modulated 3x3 convolutions with noise, bias and leaky ReLU (one at the
    first, two at the others; the first of them upsamples) and a "toRGB"
    modulated 1x1 convolution without demodulation; the image is the sum of
    the toRGB outputs, each upsampled (bilinear) to the next resolution.
    Convolution ``i`` takes style ``w_i``; a toRGB takes the style after its
    resolution's last convolution, so ``num_ws = num_convolutions + 1``.

    The output is linear (no tanh, as in StyleGAN2): images in the signed
    convention are clipped to [-1, 1] when sampled.

    Args:
        image_shape: ``(size, size, channels)``.
        style_dim: size of each style vector.
        base_filters: channels at the image's resolution.
        max_filters: channel cap at the low resolutions.
        **kwargs: base layer arguments.

    Call arguments:
        styles: ``(batch, num_ws, style_dim)``.
        noise: list of ``num_convolutions`` noise maps ``(batch, r, r, 1)``
            at each convolution's resolution ``noise_shapes``; ``None`` uses
            the layer's fixed noise maps (the same for every example:
            deterministic images).

    Returns:
        ``(batch, size, size, channels)`` images.

    Examples:
        >>> import numpy as np
        >>> synthesis = StyleSynthesis((8, 8, 1), style_dim=4, base_filters=4)
        >>> synthesis.num_ws, synthesis.noise_shapes
        (4, ((4, 4, 1), (8, 8, 1), (8, 8, 1)))
        >>> tuple(synthesis(np.ones((2, 4, 4), "float32")).shape)
        (2, 8, 8, 1)
    """

    def __init__(
        self, image_shape, style_dim, base_filters=32, max_filters=256, **kwargs
    ):
        super().__init__(**kwargs)
        self.image_shape = _check_image_shape(image_shape)
        self.style_dim = check_positive_int(style_dim, "style_dim")
        self.base_filters = check_positive_int(base_filters, "base_filters")
        self.max_filters = check_positive_int(max_filters, "max_filters")
        self.resolutions = synthesis_resolutions(self.image_shape)
        channels = _channels(self.resolutions, self.base_filters, self.max_filters)
        self.channels = channels
        out_channels = self.image_shape[-1]
        self.convolutions, self.to_rgb = [], []
        shapes = []
        for block, (resolution, filters) in enumerate(zip(self.resolutions, channels)):
            count = 1 if block == 0 else 2
            for i in range(count):
                self.convolutions.append(
                    ModulatedConv2D(
                        filters,
                        3,
                        upsample=block > 0 and i == 0,
                        use_noise=True,
                        use_bias=True,
                        activation="leaky_relu",
                        name=f"conv_{resolution}_{i}",
                    )
                )
                shapes.append((resolution, resolution, 1))
            self.to_rgb.append(
                ModulatedConv2D(
                    out_channels,
                    1,
                    demodulate=False,
                    use_bias=True,
                    name=f"to_rgb_{resolution}",
                )
            )
        self.noise_shapes = tuple(shapes)
        self.num_ws = len(self.convolutions) + 1

    def build(self, input_shape):
        batch = input_shape[0]
        start, channels = self.resolutions[0], self.channels
        self.constant = self.add_weight(
            name="constant",
            shape=(1, start, start, channels[0]),
            initializer=keras.initializers.RandomNormal(stddev=1.0, seed=0),
        )
        style_shape = (batch, self.style_dim)
        index = 0
        in_channels = channels[0]
        for block, (resolution, filters) in enumerate(zip(self.resolutions, channels)):
            count = 1 if block == 0 else 2
            for i in range(count):
                side = resolution // 2 if (block > 0 and i == 0) else resolution
                self.convolutions[index].build(
                    [(batch, side, side, in_channels), style_shape]
                )
                in_channels = filters
                index += 1
            self.to_rgb[block].build(
                [(batch, resolution, resolution, filters), style_shape]
            )
        # fixed noise maps for deterministic images (decode)
        self.fixed_noise = [
            self.add_weight(
                name=f"fixed_noise_{i}",
                shape=(1, *shape),
                initializer=keras.initializers.RandomNormal(stddev=1.0, seed=100 + i),
                trainable=False,
            )
            for i, shape in enumerate(self.noise_shapes)
        ]

    def call(self, styles, noise=None):
        styles = ops.convert_to_tensor(styles)
        if len(styles.shape) != 3 or styles.shape[1] != self.num_ws:
            raise ValueError(
                f"Expected styles with shape (batch, {self.num_ws}, "
                f"{self.style_dim}); received {tuple(styles.shape)}."
            )
        batch = ops.shape(styles)[0]
        if noise is None:
            noise = [
                ops.broadcast_to(n, (batch, *n.shape[1:])) for n in self.fixed_noise
            ]
        if len(noise) != len(self.convolutions):
            raise ValueError(
                f"Expected {len(self.convolutions)} noise maps (one per "
                f"convolution, shapes {self.noise_shapes}); received {len(noise)}."
            )
        x = ops.broadcast_to(self.constant, (batch, *self.constant.shape[1:]))
        x = ops.cast(x, styles.dtype)
        image = None
        index = 0
        for block, resolution in enumerate(self.resolutions):
            count = 1 if block == 0 else 2
            for _ in range(count):
                x = self.convolutions[index]([x, styles[:, index]], noise=noise[index])
                index += 1
            rgb = self.to_rgb[block]([x, styles[:, index]])
            if image is not None:
                image = ops.image.resize(
                    image, (resolution, resolution), interpolation="bilinear"
                )
                rgb = rgb + image
            image = rgb
        return image

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.image_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_shape": self.image_shape,
                "style_dim": self.style_dim,
                "base_filters": self.base_filters,
                "max_filters": self.max_filters,
            }
        )
        return config


@kgen_export
class StyleGenerator(keras.layers.Layer):
    """StyleGAN2's generator: `MappingNetwork` then `StyleSynthesis`.

    ``generator(z)`` maps ``z`` to one style ``w``, repeats it for every
    layer and synthesizes with the fixed noise maps (deterministic). The
    pieces are reachable for what a style model does with them:
    ``mapping`` (``z -> w``, ``w_avg``, ``truncate``) and ``synthesis``
    (per-layer styles and noise -> image); ``StyleGAN2`` draws the noise and
    mixes styles itself.

    Args:
        image_shape: ``(size, size, channels)``.
        latent_dim: size of ``z``.
        style_dim: size of ``w`` (default ``latent_dim``).
        mapping_layers: dense layers of the mapping network.
        base_filters: synthesis channels at the image's resolution.
        max_filters: channel cap.
        mapping_lr_multiplier: learning-rate multiplier of the mapping (0.01).
        w_avg_beta: decay of the running mean style.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: ``z`` ``(batch, latent_dim)``.
        training: update the running mean style when true.

    Returns:
        Images ``(batch,) + image_shape``.

    Examples:
        >>> import numpy as np
        >>> generator = StyleGenerator((8, 8, 1), latent_dim=4, base_filters=4)
        >>> tuple(generator(np.ones((2, 4), "float32")).shape)
        (2, 8, 8, 1)
    """

    def __init__(
        self,
        image_shape,
        latent_dim,
        style_dim=None,
        mapping_layers=4,
        base_filters=32,
        max_filters=256,
        mapping_lr_multiplier=0.01,
        w_avg_beta=0.995,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.image_shape = _check_image_shape(image_shape)
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.style_dim = check_positive_int(style_dim or latent_dim, "style_dim")
        self.mapping_layers = check_positive_int(mapping_layers, "mapping_layers")
        self.base_filters = base_filters
        self.max_filters = max_filters
        self.mapping_lr_multiplier = mapping_lr_multiplier
        self.w_avg_beta = w_avg_beta
        self.mapping = MappingNetwork(
            self.latent_dim,
            self.style_dim,
            num_layers=self.mapping_layers,
            lr_multiplier=mapping_lr_multiplier,
            w_avg_beta=w_avg_beta,
            name="mapping",
        )
        self.synthesis = StyleSynthesis(
            self.image_shape,
            self.style_dim,
            base_filters=base_filters,
            max_filters=max_filters,
            name="synthesis",
        )

    @property
    def num_ws(self):
        """Styles per image (one per synthesis convolution, plus one)."""
        return self.synthesis.num_ws

    def build(self, input_shape):
        self.mapping.build(input_shape)
        self.synthesis.build((input_shape[0], self.num_ws, self.style_dim))

    def broadcast_styles(self, w):
        """``(batch, style_dim)`` -> ``(batch, num_ws, style_dim)``."""
        return ops.repeat(w[:, None, :], self.num_ws, axis=1)

    def call(self, inputs, training=False):
        w = self.mapping(inputs, training=training)
        return self.synthesis(self.broadcast_styles(w))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.image_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_shape": self.image_shape,
                "latent_dim": self.latent_dim,
                "style_dim": self.style_dim,
                "mapping_layers": self.mapping_layers,
                "base_filters": self.base_filters,
                "max_filters": self.max_filters,
                "mapping_lr_multiplier": self.mapping_lr_multiplier,
                "w_avg_beta": self.w_avg_beta,
            }
        )
        return config


@kgen_export
class StyleDiscriminator(keras.layers.Layer):
    """StyleGAN2's residual discriminator.

    "fromRGB" (1x1 equalized convolution) at the image's resolution, then
    one residual block per halving (two 3x3 convolutions, the second one
    downsampling, plus a 1x1 downsampling skip; their sum scaled by
    ``1/sqrt(2)``), then at the first synthesis resolution a minibatch
    standard deviation feature, a 3x3 convolution and two dense layers to
    one logit. Leaky ReLU and equalized learning rates throughout; no
    normalization (the R1 penalty is per example).

    Args:
        image_shape: ``(size, size, channels)``.
        base_filters: channels at the image's resolution.
        max_filters: channel cap.
        mbstd_group_size: examples per minibatch-standard-deviation group.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: images ``(batch,) + image_shape``.

    Returns:
        Logits ``(batch, 1)``.

    Examples:
        >>> import numpy as np
        >>> critic = StyleDiscriminator((8, 8, 1), base_filters=4)
        >>> tuple(critic(np.zeros((4, 8, 8, 1), "float32")).shape)
        (4, 1)
    """

    def __init__(
        self,
        image_shape,
        base_filters=32,
        max_filters=256,
        mbstd_group_size=4,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.image_shape = _check_image_shape(image_shape)
        self.base_filters = check_positive_int(base_filters, "base_filters")
        self.max_filters = check_positive_int(max_filters, "max_filters")
        self.mbstd_group_size = check_positive_int(mbstd_group_size, "mbstd_group_size")
        resolutions = synthesis_resolutions(self.image_shape)
        channels = _channels(resolutions, self.base_filters, self.max_filters)
        # from the image's resolution down: (resolution, in, out) per block
        self.resolutions = resolutions[::-1]
        channels = channels[::-1]
        self.from_rgb = EqualizedConv2D(
            channels[0], 1, activation="leaky_relu", name="from_rgb"
        )
        self.blocks = []
        for i in range(len(self.resolutions) - 1):
            c_in, c_out = channels[i], channels[i + 1]
            resolution = self.resolutions[i]
            self.blocks.append(
                (
                    EqualizedConv2D(
                        c_in, 3, activation="leaky_relu", name=f"conv_{resolution}_0"
                    ),
                    EqualizedConv2D(
                        c_out,
                        3,
                        activation="leaky_relu",
                        downsample=True,
                        name=f"conv_{resolution}_1",
                    ),
                    EqualizedConv2D(
                        c_out,
                        1,
                        use_bias=False,
                        downsample=True,
                        name=f"skip_{resolution}",
                    ),
                )
            )
        last = channels[-1]
        self.minibatch_std = MinibatchStandardDeviation(
            self.mbstd_group_size, name="minibatch_std"
        )
        self.final_conv = EqualizedConv2D(
            last, 3, activation="leaky_relu", name="final_conv"
        )
        self.final_dense = EqualizedDense(
            last, activation="leaky_relu", name="final_dense"
        )
        self.logit = EqualizedDense(1, name="logit")
        self._channels = channels

    def build(self, input_shape):
        batch = input_shape[0]
        self.from_rgb.build(input_shape)
        for i, (conv0, conv1, skip) in enumerate(self.blocks):
            side = self.resolutions[i]
            shape = (batch, side, side, self._channels[i])
            conv0.build(shape)
            conv1.build(shape)
            skip.build(shape)
        side, last = self.resolutions[-1], self._channels[-1]
        self.minibatch_std.build((batch, side, side, last))
        self.final_conv.build((batch, side, side, last + 1))
        self.final_dense.build((batch, side * side * last))
        self.logit.build((batch, last))

    def call(self, inputs):
        x = self.from_rgb(inputs)
        for conv0, conv1, skip in self.blocks:
            y = conv1(conv0(x))
            x = (y + skip(x)) * (1.0 / math.sqrt(2.0))
        x = self.final_conv(self.minibatch_std(x))
        x = ops.reshape(x, (ops.shape(x)[0], -1))
        return self.logit(self.final_dense(x))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_shape": self.image_shape,
                "base_filters": self.base_filters,
                "max_filters": self.max_filters,
                "mbstd_group_size": self.mbstd_group_size,
            }
        )
        return config


def stylegan2_networks(
    image_shape,
    latent_dim=64,
    style_dim=None,
    mapping_layers=4,
    base_filters=32,
    max_filters=256,
    mbstd_group_size=4,
):
    """StyleGAN2's generator and discriminator for ``image_shape``.

    Args:
        image_shape: ``(size, size, channels)``, with ``size = s * 2**k`` for
            ``4 <= s < 8`` (8, 16, 28, 32, 64, ...).
        latent_dim: size of ``z`` (512 in the paper).
        style_dim: size of ``w`` (default ``latent_dim``).
        mapping_layers: dense layers of the mapping network (8 in the paper).
        base_filters: channels at the image's resolution (both networks).
        max_filters: channel cap (512 in the paper).
        mbstd_group_size: minibatch standard deviation group (4).

    Returns:
        ``(StyleGenerator, StyleDiscriminator)``.

    Raises:
        ValueError: for an unusable image shape or sizes.

    Examples:
        >>> generator, discriminator = stylegan2_networks((8, 8, 1), latent_dim=8,
        ...                                              base_filters=4)
        >>> generator.num_ws, generator.synthesis.resolutions
        (4, (4, 8))

    References:
        Karras et al., "Analyzing and Improving the Image Quality of
        StyleGAN", CVPR 2020.
    """
    generator = StyleGenerator(
        image_shape,
        latent_dim,
        style_dim=style_dim,
        mapping_layers=mapping_layers,
        base_filters=base_filters,
        max_filters=max_filters,
        name="style_generator",
    )
    discriminator = StyleDiscriminator(
        image_shape,
        base_filters=base_filters,
        max_filters=max_filters,
        mbstd_group_size=mbstd_group_size,
        name="style_discriminator",
    )
    return generator, discriminator
