"""Normalization layers of large-scale and translation GANs.

- `SpectralNorm`: divides a wrapped layer's kernel by its largest singular
  value (power iteration), in every call, without ever writing into the
  trainable kernel (see its docstring for how it differs from Keras's own
  ``keras.layers.SpectralNormalization`` and why kgen needs it).
- `ConditionalBatchNormalization`: batch normalization whose scale and shift
  are linear functions of a conditioning vector (BigGAN: a shared class
  embedding concatenated with a chunk of ``z``).
- `InstanceNormalization`: per-example, per-channel normalization over the
  spatial axes (Keras's ``GroupNormalization`` with one group per channel).
"""

import keras
from keras import ops

from kgen.api_export import kgen_export
from kgen.validation import check_positive_int

__all__ = ["ConditionalBatchNormalization", "InstanceNormalization", "SpectralNorm"]


def _l2_normalize(x, epsilon):
    return x * ops.rsqrt(ops.sum(ops.square(x)) + epsilon)


@kgen_export
class SpectralNorm(keras.layers.Wrapper):
    """Spectral normalization of a layer's kernel, computed in every call.

    The wrapped layer runs with ``W / sigma(W)`` in place of its kernel
    ``W``, where ``sigma`` is the largest singular value of ``W`` reshaped to
    ``(-1, out_dim)``, estimated by power iteration with a persistent vector
    ``u`` (one iteration per training call, as in Miyato et al.). ``u`` and
    ``v`` are held constant in the gradient (``stop_gradient``) but
    ``sigma``'s dependence on ``W`` is not: the gradient is that of
    ``W / sigma(W)``, as in the paper's derivation and in PyTorch's
    ``spectral_norm``. The normalized kernel is passed to the layer with
    ``stateless_call``; the trainable kernel itself is never assigned.

    Why not ``keras.layers.SpectralNormalization``: in Keras 3.15 that
    wrapper *assigns* ``W / sigma`` to the trainable kernel in every training
    call and uses the stored kernel as it is at inference. Inside kgen's
    multi-network step that gives different models on different backends:
    on TensorFlow and torch the assignment replaces the raw weights (and the
    gradient sees no ``sigma``); on JAX a phase's assignment to a variable
    that the phase differentiates is discarded (the optimizer's update is
    what is kept), so the kernel stays unnormalized and inference runs with
    the raw weights, while a phase that does not differentiate the layer
    (the generator phase, for a discriminator) keeps the assignment. Keras's
    wrapper fits models trained with Keras's own single-optimizer
    ``train_step`` (one phase, where it acts as a projection after each
    step); kgen's GANs use this one. ``tests/layers/test_normalization.py``
    checks the Keras behaviour described here, so a Keras release that
    changes it shows up.

    Args:
        layer: a ``keras.layers.Layer`` with a ``kernel`` (``Dense``,
            ``Conv2D``, ``Conv2DTranspose``, ...) or ``embeddings``
            (``Embedding``, ``kgen.layers.ClassProjection``) weight.
        power_iterations: power iterations per training call (1).
        epsilon: inside the normalizations of ``u`` and ``v``.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: whatever the wrapped layer takes.
        training: update ``u`` when true.
        **kwargs: passed on to the wrapped layer.

    Returns:
        The wrapped layer's output with the normalized kernel.

    Raises:
        ValueError: for a layer without a ``kernel``/``embeddings`` weight or
            a non-positive ``power_iterations``.

    Examples:
        >>> import numpy as np
        >>> dense = SpectralNorm(keras.layers.Dense(3))
        >>> for _ in range(30):
        ...     _ = dense(np.ones((2, 4), "float32"), training=True)
        >>> kernel = keras.ops.convert_to_numpy(dense.normalized_kernel())
        >>> round(float(np.linalg.svd(kernel, compute_uv=False)[0]), 3)
        1.0

    References:
        Miyato et al., "Spectral Normalization for Generative Adversarial
        Networks", ICLR 2018.
    """

    def __init__(self, layer, power_iterations=1, epsilon=1e-12, **kwargs):
        super().__init__(layer, **kwargs)
        self.power_iterations = check_positive_int(power_iterations, "power_iterations")
        if (
            isinstance(epsilon, bool)
            or not isinstance(epsilon, (int, float))
            or epsilon <= 0
        ):
            raise ValueError(
                f"epsilon must be a positive number; received {epsilon!r}."
            )
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        # the attribute's name, not the variable: an attribute holding it
        # would make Keras track the wrapped layer's kernel a second time
        self._weight_name = next(
            (n for n in ("kernel", "embeddings") if hasattr(self.layer, n)), None
        )
        if self._weight_name is None:
            raise ValueError(
                f"SpectralNorm needs a layer with a 'kernel' or 'embeddings' "
                f"weight; {type(self.layer).__name__} has neither."
            )
        weight = self._kernel
        self.vector_u = self.add_weight(
            name="vector_u",
            shape=(1, int(weight.shape[-1])),
            initializer=keras.initializers.RandomNormal(stddev=1.0, seed=0),
            trainable=False,
            # identical on every replica (it depends on the weights only)
            aggregation="mean",
        )
        self.built = True

    @property
    def _kernel(self):
        return getattr(self.layer, self._weight_name)

    def _sigma_and_u(self):
        kernel = self._kernel
        weight = ops.reshape(kernel, (-1, int(kernel.shape[-1])))
        u = ops.cast(self.vector_u, weight.dtype)
        v = None
        for _ in range(self.power_iterations):
            v = _l2_normalize(ops.matmul(u, ops.transpose(weight)), self.epsilon)
            u = _l2_normalize(ops.matmul(v, weight), self.epsilon)
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        # sigma = v W u^T, the top singular value's estimate
        sigma = ops.sum(ops.matmul(v, weight) * u)
        return sigma, u

    def normalized_kernel(self):
        """``W / sigma(W)`` with the current ``u`` (one more iteration)."""
        sigma, _ = self._sigma_and_u()
        return self._kernel / sigma

    def call(self, inputs, training=False, **kwargs):
        sigma, u = self._sigma_and_u()
        if training:
            self.vector_u.assign(ops.cast(u, self.vector_u.dtype))
        kernel = self._kernel
        normalized = kernel / sigma
        trainable = [
            normalized if v is kernel else v.value
            for v in self.layer.trainable_variables
        ]
        non_trainable = [v.value for v in self.layer.non_trainable_variables]
        outputs, _ = self.layer.stateless_call(
            trainable, non_trainable, inputs, **kwargs
        )
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"power_iterations": self.power_iterations, "epsilon": self.epsilon}
        )
        return config


@kgen_export
class ConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalization with a scale and shift computed from a condition.

    ``y = BN(x) * (1 + c @ W_gamma + b_gamma) + (c @ W_beta + b_beta)``: the
    statistics are those of an ordinary batch normalization without its own
    scale and shift (a ``keras.layers.BatchNormalization(center=False,
    scale=False)`` inside, so moving averages, ``synchronized`` statistics
    under ``tf.distribute`` and inference mode behave as Keras's). The
    condition ``c`` is any vector per example: a one-hot class gives each
    class its own scale and shift (de Vries et al.; Miyato & Koyama), and
    BigGAN feeds a *shared* class embedding concatenated with a chunk of
    ``z``, so that the classes' scales and shifts are linear in one learned
    embedding. The projections start at zero (an unconditional batch
    normalization).

    Args:
        momentum: of the moving averages (Keras's convention: 0.99).
        epsilon: added to the variance.
        synchronized: batch statistics over every replica (TensorFlow
            strategies only; see ``keras.layers.BatchNormalization``).
        **kwargs: base layer arguments.

    Call arguments:
        inputs: ``[x, condition]``: NHWC (or ``(batch, features)``) ``x`` and
            ``(batch, condition_dim)`` condition.
        training: batch statistics (and moving-average updates) when true.

    Returns:
        A tensor shaped like ``x``.

    Examples:
        >>> import numpy as np
        >>> layer = ConditionalBatchNormalization()
        >>> x, c = np.ones((2, 4, 4, 3), "float32"), np.eye(2, dtype="float32")
        >>> tuple(layer([x, c]).shape)
        (2, 4, 4, 3)

    References:
        de Vries et al., "Modulating early visual processing by language",
        NeurIPS 2017; Brock, Donahue & Simonyan, "Large Scale GAN Training
        for High Fidelity Natural Image Synthesis", ICLR 2019.
    """

    def __init__(self, momentum=0.99, epsilon=1e-3, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.synchronized = bool(synchronized)
        self.batch_norm = keras.layers.BatchNormalization(
            momentum=self.momentum,
            epsilon=self.epsilon,
            center=False,
            scale=False,
            synchronized=self.synchronized,
            name="batch_norm",
        )
        self.gain = None
        self.shift = None

    def build(self, input_shape):
        x_shape, condition_shape = input_shape
        channels = int(x_shape[-1])
        self.batch_norm.build(x_shape)
        self.gain = keras.layers.Dense(
            channels, kernel_initializer="zeros", name="gain"
        )
        self.shift = keras.layers.Dense(
            channels, kernel_initializer="zeros", name="shift"
        )
        self.gain.build(condition_shape)
        self.shift.build(condition_shape)

    def scale_and_shift(self, condition):
        """``(1 + gain(c), shift(c))``, each ``(batch, channels)``."""
        return 1.0 + self.gain(condition), self.shift(condition)

    def call(self, inputs, training=False):
        x, condition = inputs
        normalized = self.batch_norm(x, training=training)
        scale, shift = self.scale_and_shift(ops.cast(condition, normalized.dtype))
        extra = (1,) * (len(x.shape) - 2)
        shape = (-1, *extra, int(x.shape[-1]))
        return normalized * ops.reshape(scale, shape) + ops.reshape(shift, shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "synchronized": self.synchronized,
            }
        )
        return config


@kgen_export
class InstanceNormalization(keras.layers.GroupNormalization):
    """Instance normalization: each example's channels normalized over space.

    ``y = (x - mean_hw) / sqrt(var_hw + epsilon) * gamma + beta`` per example
    and channel: Keras's ``GroupNormalization`` with one group per channel
    (``groups=-1``), under the name the translation papers use. It has no
    batch statistics, so it is the same in training and inference and on
    any number of replicas.

    Args:
        epsilon: added to the variance.
        center: learn a shift ``beta``.
        scale: learn a scale ``gamma``.
        **kwargs: other ``GroupNormalization`` arguments (initializers, ...).

    Examples:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(3.0, 2.0, (2, 5, 5, 3))
        >>> y = keras.ops.convert_to_numpy(InstanceNormalization()(x))
        >>> bool(np.allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-5))
        True

    References:
        Ulyanov, Vedaldi & Lempitsky, "Instance Normalization: The Missing
        Ingredient for Fast Stylization", 2016.
    """

    def __init__(self, epsilon=1e-5, center=True, scale=True, **kwargs):
        groups = kwargs.pop("groups", -1)
        if groups != -1:
            raise ValueError(
                "InstanceNormalization has one group per channel (groups=-1); "
                f"received groups={groups!r}. Use keras.layers.GroupNormalization "
                "for other groupings."
            )
        super().__init__(
            groups=-1, epsilon=epsilon, center=center, scale=scale, **kwargs
        )

    def get_config(self):
        config = super().get_config()
        # GroupNormalization stores the number of groups it found at build
        config.pop("groups", None)
        return config
