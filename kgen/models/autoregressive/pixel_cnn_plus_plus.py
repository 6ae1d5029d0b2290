"""PixelCNN++ (Salimans, Karpathy, Chen and Kingma, 2017)."""

import keras
from keras import ops

from kgen.api_export import kgen_export
from kgen.distributions.logistic_mixture import (
    discretized_logistic_mixture_log_prob_per_channel,
    discretized_logistic_mixture_sample,
    logistic_mixture_num_parameters,
)
from kgen.layers.pixelcnn_plus_plus import (
    DownRightShiftedConv2D,
    DownRightShiftedConv2DTranspose,
    DownShiftedConv2D,
    DownShiftedConv2DTranspose,
    GatedResNetBlock,
    down_shift,
    right_shift,
)
from kgen.models.autoregressive.base import AutoregressiveModel, take_position

__all__ = ["PixelCNNPlusPlus"]


@kgen_export
class PixelCNNPlusPlus(AutoregressiveModel):
    """PixelCNN++: a two-stream U-Net of gated resnets with a logistic mixture.

    Two streams keep causality without masks: ``u`` sees the rows above
    (down-shifted convolutions), ``ul`` the rows above and the pixels to the
    left (down-right-shifted convolutions); together they have no blind spot.
    The upward pass runs ``num_resnet`` gated resnet blocks per scale and
    halves the resolution between scales (stride-2 shifted convolutions); the
    downward pass mirrors it with transposed shifted convolutions and feeds
    every upward activation back through the blocks' auxiliary input
    (shortcut connections). A 1x1 layer on ``elu(ul)`` gives the parameters
    of a discretized logistic mixture for each pixel, in float32. The network
    output at a pixel never sees that pixel: the colour order R -> G -> B
    lives in the mixture's linear coupling of the channel means.

    Conditioning enters every gated resnet block as a bias: class labels as
    a one-hot vector, a condition grid (``condition_grid_shape``) as its map,
    average-pooled to each scale's resolution (a location-dependent bias).
    The mixture treats the levels as ordered intensities; for code indices
    the categorical models (``GatedPixelCNN``, ``PixelCNN``) fit better.

    Args:
        data_shape: ``(height, width, channels)`` or ``(height, width)``;
            height and width must be multiples of ``2 ** (num_scales - 1)``.
        num_levels: values per sub-pixel (256 for 8-bit images).
        num_classes: number of classes of a class-conditional model, or None
            (labels enter every block as a one-hot bias).
        num_filters: channels of both streams.
        num_resnet: gated resnet blocks per scale in the upward pass.
        num_scales: number of resolutions (1 means no downsampling).
        num_logistic_mix: number of mixture components.
        dropout_rate: dropout inside the blocks during training.
        seed: int seed of the dropout layers (None for a random one).
        **kwargs: ``input_embedding``, ``embedding_dim``,
            ``condition_grid_shape``, ``condition_grid_levels`` (see
            ``AutoregressiveModel``) and standard ``keras.Model`` arguments.

    Call arguments:
        inputs: integer data ``(B, *data_shape)`` in ``[0, num_levels - 1]``,
            or a dict ``{"images" (or "tokens"): ..., "labels": ...,
            "condition_grid": ...}`` when conditional.
        training: whether dropout is active.

    Returns:
        Mixture parameters ``(B, H, W, P)`` (float32) with
        ``P = logistic_mixture_num_parameters(C, num_logistic_mix)``.

    Raises:
        ValueError: for bad sizes or images not divisible by the downsampling.

    Examples:
        >>> import numpy as np
        >>> from kgen.models import PixelCNNPlusPlus
        >>> model = PixelCNNPlusPlus((8, 8, 1), num_levels=17, num_filters=8,
        ...                          num_resnet=1, num_scales=2, num_logistic_mix=2)
        >>> model.compile(optimizer="adam")
        >>> x = np.random.default_rng(0).integers(0, 17, size=(4, 8, 8, 1))
        >>> model.log_prob(x).shape
        (4,)

    References:
        Salimans, Karpathy, Chen, Kingma. PixelCNN++: Improving the PixelCNN
        with Discretized Logistic Mixture Likelihood and Other Modifications.
        ICLR 2017.
    """

    def __init__(
        self,
        data_shape,
        num_levels=256,
        num_classes=None,
        num_filters=32,
        num_resnet=2,
        num_scales=3,
        num_logistic_mix=5,
        dropout_rate=0.5,
        seed=None,
        **kwargs,
    ):
        for name, value in (
            ("num_filters", num_filters),
            ("num_resnet", num_resnet),
            ("num_scales", num_scales),
            ("num_logistic_mix", num_logistic_mix),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"{name} must be a positive integer; received {value!r}."
                )
        super().__init__(data_shape, num_levels, num_classes, **kwargs)
        self.num_scales = num_scales
        factor = 2 ** (num_scales - 1)
        if self.grid_shape[0] % factor or self.grid_shape[1] % factor:
            raise ValueError(
                f"PixelCNNPlusPlus with num_scales={num_scales} halves the image "
                f"{num_scales - 1} time(s), so height and width must be multiples "
                f"of {factor}; received data_shape {self.data_shape}."
            )
        self.num_filters = num_filters
        self.num_resnet = num_resnet
        self.num_logistic_mix = num_logistic_mix
        self.dropout_rate = float(dropout_rate)
        self.seed = seed
        channels = self.grid_shape[-1]
        self.num_parameters = logistic_mixture_num_parameters(
            channels, num_logistic_mix
        )

        block_index = [0]

        def block(shift, name):
            block_seed = None if seed is None else seed + block_index[0]
            block_index[0] += 1
            return GatedResNetBlock(
                shift, dropout_rate=dropout_rate, seed=block_seed, name=name
            )

        f = num_filters
        # first layers: u sees the rows above, ul the rows above and the left
        self.u_input = DownShiftedConv2D(f, (2, 3), name="u_input")
        self.ul_input_above = DownShiftedConv2D(f, (1, 3), name="ul_input_above")
        self.ul_input_left = DownRightShiftedConv2D(f, (2, 1), name="ul_input_left")
        self.up_u_blocks, self.up_ul_blocks = [], []
        self.down_u_blocks, self.down_ul_blocks = [], []
        self.u_downsample, self.ul_downsample = [], []
        self.u_upsample, self.ul_upsample = [], []
        for scale in range(num_scales):
            self.up_u_blocks.append(
                [block("down", f"up_u_{scale}_{i}") for i in range(num_resnet)]
            )
            self.up_ul_blocks.append(
                [block("down_right", f"up_ul_{scale}_{i}") for i in range(num_resnet)]
            )
            if scale < num_scales - 1:
                self.u_downsample.append(
                    DownShiftedConv2D(f, (2, 3), strides=2, name=f"u_down_{scale}")
                )
                self.ul_downsample.append(
                    DownRightShiftedConv2D(
                        f, (2, 2), strides=2, name=f"ul_down_{scale}"
                    )
                )
        for scale in reversed(range(num_scales)):
            # the top scale pairs with the upward blocks; the lower ones also
            # with the upward pass's downsampling output
            count = num_resnet if scale == num_scales - 1 else num_resnet + 1
            self.down_u_blocks.append(
                [block("down", f"down_u_{scale}_{i}") for i in range(count)]
            )
            self.down_ul_blocks.append(
                [block("down_right", f"down_ul_{scale}_{i}") for i in range(count)]
            )
            if scale > 0:
                self.u_upsample.append(
                    DownShiftedConv2DTranspose(f, (2, 3), name=f"u_up_{scale}")
                )
                self.ul_upsample.append(
                    DownRightShiftedConv2DTranspose(f, (2, 2), name=f"ul_up_{scale}")
                )
        self.output_layer = keras.layers.Dense(
            self.num_parameters, dtype="float32", name="mixture_parameters"
        )

    def _conditions_per_scale(self, labels, condition_map, dtype):
        """The block conditioning of every scale (None without any)."""
        if labels is None and condition_map is None:
            return [None] * self.num_scales
        one_hot = None
        if labels is not None:
            one_hot = ops.one_hot(labels, self.num_classes, dtype=dtype)
        out = []
        for scale in range(self.num_scales):
            if condition_map is None:
                out.append(one_hot)
                continue
            factor = 2**scale
            spatial = ops.cast(condition_map, dtype)
            if factor > 1:
                spatial = ops.average_pool(spatial, factor, strides=factor)
            if one_hot is not None:
                shape = ops.shape(spatial)
                tiled = ops.broadcast_to(
                    one_hot[:, None, None, :],
                    (shape[0], shape[1], shape[2], self.num_classes),
                )
                spatial = ops.concatenate([tiled, spatial], axis=-1)
            out.append(spatial)
        return out

    def call_network(self, features, labels=None, condition_map=None, training=False):
        conditions = self._conditions_per_scale(labels, condition_map, features.dtype)
        # a channel of ones tells the image apart from the zero padding
        x = ops.concatenate([features, ops.ones_like(features[..., :1])], axis=-1)
        u_list = [down_shift(self.u_input(x))]
        ul_list = [
            down_shift(self.ul_input_above(x)) + right_shift(self.ul_input_left(x))
        ]
        # upward pass
        for scale in range(self.num_scales):
            condition = conditions[scale]
            for u_block, ul_block in zip(
                self.up_u_blocks[scale], self.up_ul_blocks[scale]
            ):
                u_list.append(
                    u_block(u_list[-1], condition=condition, training=training)
                )
                ul_list.append(
                    ul_block(
                        ul_list[-1],
                        auxiliary=u_list[-1],
                        condition=condition,
                        training=training,
                    )
                )
            if scale < self.num_scales - 1:
                u_list.append(self.u_downsample[scale](u_list[-1]))
                ul_list.append(self.ul_downsample[scale](ul_list[-1]))
        # downward pass, consuming the upward activations as shortcuts
        u, ul = u_list.pop(), ul_list.pop()
        for level in range(self.num_scales):
            condition = conditions[self.num_scales - 1 - level]
            for u_block, ul_block in zip(
                self.down_u_blocks[level], self.down_ul_blocks[level]
            ):
                u = u_block(
                    u, auxiliary=u_list.pop(), condition=condition, training=training
                )
                ul = ul_block(
                    ul,
                    auxiliary=ops.concatenate([u, ul_list.pop()], axis=-1),
                    condition=condition,
                    training=training,
                )
            if level < self.num_scales - 1:
                u = self.u_upsample[level](u)
                ul = self.ul_upsample[level](ul)
        return self.output_layer(ops.elu(ul))

    def log_prob_per_subpixel(self, outputs, x_int):
        return discretized_logistic_mixture_log_prob_per_channel(
            outputs, x_int, self.num_levels, self.num_logistic_mix
        )

    def draw_noise(self, num_samples, seed):
        # per pixel: one uniform per component (Gumbel-max choice of the
        # component) and one per channel (the logistic value)
        height, width, channels = self.grid_shape
        shape = (num_samples, height, width, self.num_logistic_mix + channels)
        return keras.random.uniform(shape, seed=seed)

    def sample_subpixel(self, outputs, row, col, channel, noise, temperature):
        # The parameters at a pixel do not depend on that pixel, and the noise
        # is fixed, so sampling the whole pixel again for every channel gives
        # the same earlier channels: return the one asked for.
        parameters = take_position(outputs, row, col)
        uniforms = take_position(noise, row, col)
        pixel = discretized_logistic_mixture_sample(
            parameters,
            uniforms[:, : self.num_logistic_mix],
            uniforms[:, self.num_logistic_mix :],
            num_levels=self.num_levels,
            num_mixtures=self.num_logistic_mix,
            temperature=temperature,
        )
        return ops.take(pixel, channel, axis=1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_filters": self.num_filters,
                "num_resnet": self.num_resnet,
                "num_scales": self.num_scales,
                "num_logistic_mix": self.num_logistic_mix,
                "dropout_rate": self.dropout_rate,
                "seed": self.seed,
            }
        )
        return config
