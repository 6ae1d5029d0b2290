"""GAN objectives and penalties, written once with ``keras.ops``.

Every loss takes discriminator *logits* (unbounded scores, no sigmoid) and
returns a scalar mean over the batch, computed in float32 so that mixed
precision does not round it away. With ``D(x) = sigmoid(logit(x))``:

| loss | discriminator | generator |
| --- | --- | --- |
| ``"minimax"`` | ``-log D(x) - log(1 - D(G(z)))`` | ``log(1 - D(G(z)))`` |
| ``"non_saturating"`` | same as minimax | ``-log D(G(z))`` |
| ``"wasserstein"`` | ``f(G(z)) - f(x)`` | ``-f(G(z))`` |
| ``"hinge"`` | ``relu(1 - f(x)) + relu(1 + f(G(z)))`` | ``-f(G(z))`` |
| ``"least_squares"`` | ``(f(x) - 1)^2 + f(G(z))^2`` (halved) | ``(f(G(z)) - 1)^2`` (halved) |
"""

import keras
from keras import ops

from kgen import backend

__all__ = [
    "LOSS_NAMES",
    "clip_weights",
    "discriminator_loss",
    "generator_loss",
    "gradient_penalty",
    "r1_penalty",
]

LOSS_NAMES = ("non_saturating", "minimax", "wasserstein", "hinge", "least_squares")


def _f32(x):
    return ops.cast(x, "float32")


def _check_name(name):
    if name not in LOSS_NAMES:
        raise ValueError(
            f"loss must be one of {', '.join(map(repr, LOSS_NAMES))}; "
            f"received {name!r}."
        )


def discriminator_loss(name, real_logits, fake_logits):
    """The discriminator's (or critic's) loss, averaged over the batch.

    Args:
        name: one of ``"non_saturating"``, ``"minimax"`` (both use the binary
            cross-entropy), ``"wasserstein"``, ``"hinge"``, ``"least_squares"``.
        real_logits: discriminator outputs on real data, shape ``(batch, 1)``
            or ``(batch,)``.
        fake_logits: discriminator outputs on generated data.

    Returns:
        A float32 scalar tensor.

    Raises:
        ValueError: for an unknown loss name.

    Examples:
        >>> import numpy as np
        >>> from kgen.losses import discriminator_loss
        >>> float(discriminator_loss("wasserstein", np.ones((4, 1)), np.zeros((4, 1))))
        -1.0

    References:
        Goodfellow et al., "Generative Adversarial Nets", 2014;
        Arjovsky et al., "Wasserstein GAN", 2017; Lim & Ye, "Geometric GAN",
        2017 (hinge); Mao et al., "Least Squares Generative Adversarial
        Networks", 2017.
    """
    _check_name(name)
    real, fake = _f32(real_logits), _f32(fake_logits)
    if name in ("non_saturating", "minimax"):
        # -log sigmoid(r) - log(1 - sigmoid(f)) = softplus(-r) + softplus(f)
        return ops.mean(ops.softplus(-real)) + ops.mean(ops.softplus(fake))
    if name == "wasserstein":
        return ops.mean(fake) - ops.mean(real)
    if name == "hinge":
        return ops.mean(ops.relu(1.0 - real)) + ops.mean(ops.relu(1.0 + fake))
    return 0.5 * ops.mean(ops.square(real - 1.0)) + 0.5 * ops.mean(ops.square(fake))


def generator_loss(name, fake_logits):
    """The generator's loss on the discriminator's logits for generated data.

    ``"minimax"`` minimises ``log(1 - D(G(z)))``, whose gradient vanishes when
    the discriminator confidently rejects the samples (``D(G(z)) ≈ 0``) early
    in training; ``"non_saturating"`` minimises ``-log D(G(z))`` instead, which
    has the same fixed point and a strong gradient there (Goodfellow et al.,
    2014, section 3).

    Args:
        name: the loss name (see ``discriminator_loss``).
        fake_logits: discriminator outputs on generated data.

    Returns:
        A float32 scalar tensor.

    Raises:
        ValueError: for an unknown loss name.

    Examples:
        >>> import numpy as np
        >>> from kgen.losses import generator_loss
        >>> round(float(generator_loss("non_saturating", np.zeros((2, 1)))), 4)
        0.6931

    References:
        Goodfellow et al., "Generative Adversarial Nets", 2014.
    """
    _check_name(name)
    fake = _f32(fake_logits)
    if name == "non_saturating":
        # -log sigmoid(f) = softplus(-f)
        return ops.mean(ops.softplus(-fake))
    if name == "minimax":
        # log(1 - sigmoid(f)) = -softplus(f)
        return -ops.mean(ops.softplus(fake))
    if name in ("wasserstein", "hinge"):
        return -ops.mean(fake)
    return 0.5 * ops.mean(ops.square(fake - 1.0))


def _squared_norm_per_example(grads):
    grads = _f32(grads)
    axes = list(range(1, len(grads.shape)))
    return ops.sum(ops.square(grads), axis=axes)


def gradient_penalty(critic, real, fake, *, seed, epsilon=1e-12):
    """WGAN-GP penalty ``E[(||grad critic(x_hat)|| - 1)^2]``.

    ``x_hat = u * real + (1 - u) * fake`` with ``u ~ U(0, 1)`` drawn once per
    example; the norm runs over all non-batch axes, and ``epsilon`` sits inside
    the square root because the gradient of ``sqrt`` at zero is infinite (NaN
    in the update otherwise).

    Args:
        critic: callable mapping a batch shaped like ``real`` to scores.
        real: real batch.
        fake: generated batch (same shape); gradients do not flow into it.
        seed: a ``keras.random.SeedGenerator`` (or int) for ``u``.
        epsilon: small constant inside the square root.

    Returns:
        A float32 scalar tensor. Differentiable with respect to the critic's
        weights on every backend (it uses ``kgen.backend.input_gradients``).

    Examples:
        >>> import keras
        >>> import numpy as np
        >>> from kgen.losses import gradient_penalty
        >>> w = np.array([[3.0], [4.0]], dtype="float32")
        >>> critic = lambda x: keras.ops.matmul(x, w)
        >>> x = np.zeros((4, 2), dtype="float32")
        >>> round(float(gradient_penalty(critic, x, x + 1, seed=0)), 3)  # (5 - 1)^2
        16.0

    References:
        Gulrajani et al., "Improved Training of Wasserstein GANs", 2017.
    """
    real = ops.convert_to_tensor(real)
    fake = ops.stop_gradient(ops.cast(ops.convert_to_tensor(fake), real.dtype))
    ones = [1] * (len(real.shape) - 1)
    # one u per example of the global batch, also on several replicas
    u = backend.replica_draw(
        lambda rows: keras.random.uniform([rows] + ones, seed=seed, dtype=real.dtype),
        ops.shape(real)[0],
    )
    mixed = u * real + (1.0 - u) * fake
    grads = backend.input_gradients(critic, mixed)
    norms = ops.sqrt(_squared_norm_per_example(grads) + epsilon)
    return ops.mean(ops.square(norms - 1.0))


def r1_penalty(discriminator, real):
    """R1 penalty ``E[||grad D(x)||^2]`` on real data (multiply by gamma / 2).

    Args:
        discriminator: callable mapping a batch to logits.
        real: real batch.

    Returns:
        A float32 scalar tensor.

    Examples:
        >>> import keras
        >>> import numpy as np
        >>> from kgen.losses import r1_penalty
        >>> w = np.array([[3.0], [4.0]], dtype="float32")
        >>> d = lambda x: keras.ops.matmul(x, w)
        >>> float(r1_penalty(d, np.zeros((2, 2), dtype="float32")))
        25.0

    References:
        Mescheder et al., "Which Training Methods for GANs do actually
        Converge?", 2018.
    """
    real = ops.stop_gradient(ops.convert_to_tensor(real))
    grads = backend.input_gradients(discriminator, real)
    return ops.mean(_squared_norm_per_example(grads))


def clip_weights(variables, clip_value):
    """Clip every variable into ``[-clip_value, clip_value]`` in place (WGAN).

    Call after each critic update; WGAN enforces its Lipschitz constraint
    this way.

    Args:
        variables: iterable of ``keras.Variable``.
        clip_value: positive float.

    References:
        Arjovsky et al., "Wasserstein GAN", 2017.
    """
    for variable in variables:
        variable.assign(ops.clip(variable, -clip_value, clip_value))
