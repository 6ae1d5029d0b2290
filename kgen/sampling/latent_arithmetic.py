"""Vector arithmetic in a generator's latent space (the DCGAN "smiling woman")."""

from collections import namedtuple

import numpy as np

from kgen.contract import Capability, require_capability
from kgen.validation import check_finite, to_numpy

__all__ = ["LatentArithmetic", "latent_arithmetic"]

LatentArithmetic = namedtuple(
    "LatentArithmetic", ["group_latents", "group_images", "result_latents", "images"]
)


def latent_arithmetic(
    model,
    groups,
    *,
    signs=(1.0, -1.0, 1.0),
    num_neighbours=7,
    noise_scale=0.25,
    seed=None,
):
    """Average latent groups, combine them (A - B + C) and decode the result.

    Radford et al. averaged the latents of three samples per concept (e.g.
    "smiling woman", "neutral woman", "neutral man"), computed
    ``A - B + C``, and decoded it together with neighbours of the result
    (uniform noise of +-0.25 added) to show the concept arithmetic
    ("smiling man"). Averaging is what makes it work: single latents give
    unstable results.

    Args:
        model: a model declaring the ``DECODE`` capability
            (``kgen.contract.Capability``): its ``decode(latents)`` returns
            NumPy data (GAN generators, autoencoder and VAE decoders).
        groups: sequence of arrays, each ``(num_in_group, latent_dim)``: the
            latents of user-chosen samples sharing a concept.
        signs: coefficient of each group mean (default ``A - B + C``).
        num_neighbours: extra decodes of ``result + U(-noise_scale,
            noise_scale)`` noise.
        noise_scale: half-width of the uniform noise.
        seed: integer seed of the NumPy noise.

    Returns:
        ``LatentArithmetic(group_latents, group_images, result_latents,
        images)``: the group means ``(num_groups, latent_dim)`` and their
        decodes, the result followed by its neighbours
        ``(1 + num_neighbours, latent_dim)`` and their decodes.

    Raises:
        ValueError: for a model without ``DECODE``, mismatched groups/signs,
            empty groups or latent sizes that differ.

    Examples:
        >>> import numpy as np
        >>> from kgen.contract import Capability
        >>> class Identity:
        ...     capabilities = frozenset({Capability.DECODE})
        ...     def decode(self, latents):
        ...         return latents
        >>> groups = [np.ones((3, 2)), np.zeros((3, 2)), np.full((3, 2), 2.0)]
        >>> latent_arithmetic(Identity(), groups, num_neighbours=0).images
        array([[3., 3.]], dtype=float32)

    References:
        Radford, Metz & Chintala, "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR 2016, fig. 7.
    """
    require_capability(model, Capability.DECODE, "latent_arithmetic")
    decode = model.decode
    groups = [np.asarray(to_numpy(g), dtype="float64") for g in groups]
    if len(groups) != len(signs):
        raise ValueError(
            f"Received {len(groups)} groups and {len(signs)} signs; give one sign "
            "per group (default: three groups for A - B + C)."
        )
    dims = set()
    for i, group in enumerate(groups):
        if group.ndim != 2 or len(group) == 0:
            raise ValueError(
                f"Group {i} must be a non-empty (num_in_group, latent_dim) array; "
                f"received shape {group.shape}."
            )
        check_finite(group, name=f"group {i} latents")
        dims.add(group.shape[1])
    if len(dims) != 1:
        raise ValueError(
            f"All groups need the same latent size; received {sorted(dims)}."
        )
    means = np.stack([g.mean(axis=0) for g in groups])
    result = np.tensordot(np.asarray(signs, dtype="float64"), means, axes=1)
    rng = np.random.default_rng(seed)
    noise = rng.uniform(
        -noise_scale, noise_scale, size=(int(num_neighbours),) + result.shape
    )
    result_latents = np.concatenate([result[None], result[None] + noise]).astype(
        "float32"
    )
    means = means.astype("float32")
    return LatentArithmetic(
        means, decode(means), result_latents, decode(result_latents)
    )
