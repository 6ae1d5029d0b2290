"""Two-dimensional toy densities for quick checks of density models and GANs."""

import numpy as np

TOY_DENSITIES = ("two_moons", "ring", "checkerboard", "spiral")


def _check_num_samples(num_samples):
    if (
        isinstance(num_samples, bool)
        or not isinstance(num_samples, (int, np.integer))
        or num_samples < 1
    ):
        raise ValueError(
            f"num_samples must be a positive integer; received {num_samples!r}."
        )
    return int(num_samples)


def ring_of_gaussians(num_samples, *, num_modes=8, radius=2.0, std=0.05, seed=0):
    """Points from ``num_modes`` equal-weight Gaussians on a circle.

    The standard mode-collapse check for GANs: count how many of the
    ``centres`` have generated points near them.

    Args:
        num_samples: number of points.
        num_modes: number of Gaussians, evenly spaced on the circle.
        radius: radius of the circle.
        std: standard deviation of each Gaussian (per coordinate).
        seed: integer seed of the NumPy generator.

    Returns:
        ``(points, centres)``: ``float32`` arrays of shape
        ``(num_samples, 2)`` and ``(num_modes, 2)``; centre ``k`` sits at
        angle ``2 pi k / num_modes``.

    Raises:
        ValueError: for a non-positive ``num_samples`` or ``num_modes``, or a
            negative ``std``.

    Examples:
        >>> points, centres = ring_of_gaussians(1000, num_modes=8)
        >>> points.shape, centres.shape
        ((1000, 2), (8, 2))
    """
    num_samples = _check_num_samples(num_samples)
    if (
        isinstance(num_modes, bool)
        or not isinstance(num_modes, (int, np.integer))
        or num_modes < 1
    ):
        raise ValueError(
            f"num_modes must be a positive integer; received {num_modes!r}."
        )
    if std < 0:
        raise ValueError(f"std must be >= 0; received {std!r}.")
    rng = np.random.default_rng(seed)
    angles = 2.0 * np.pi * np.arange(num_modes) / num_modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    modes = rng.integers(0, num_modes, size=num_samples)
    points = centres[modes] + std * rng.standard_normal((num_samples, 2))
    return points.astype(np.float32), centres.astype(np.float32)


def toy_density(name, num_samples, *, seed=0):
    """Sample a named 2-D toy density.

    * ``"two_moons"``: two interleaved half circles with Gaussian noise 0.05,
      centred near the origin.
    * ``"ring"``: eight Gaussians (std 0.05) on a circle of radius 2
      (`ring_of_gaussians` with its defaults).
    * ``"checkerboard"``: uniform on the 8 dark cells of a 4x4 board on
      [-2, 2]^2.
    * ``"spiral"``: two intertwined spirals, roughly within [-4, 4]^2.

    Args:
        name: one of ``"two_moons"``, ``"ring"``, ``"checkerboard"``,
            ``"spiral"``.
        num_samples: number of points.
        seed: integer seed of the NumPy generator.

    Returns:
        ``float32`` array of shape ``(num_samples, 2)``.

    Raises:
        ValueError: for an unknown name or a non-positive ``num_samples``.

    Examples:
        >>> toy_density("checkerboard", 500).shape
        (500, 2)

    References:
        Grathwohl et al., "FFJORD: Free-form continuous dynamics for scalable
        reversible generative models", ICLR 2019 (checkerboard, spirals).
    """
    if name not in TOY_DENSITIES:
        raise ValueError(
            f"Unknown toy density {name!r}; choose one of {', '.join(TOY_DENSITIES)}."
        )
    num_samples = _check_num_samples(num_samples)
    if name == "ring":
        return ring_of_gaussians(num_samples, seed=seed)[0]
    rng = np.random.default_rng(seed)
    if name == "two_moons":
        upper = rng.random(num_samples) < 0.5
        t = np.pi * rng.random(num_samples)
        # upper moon: (cos t, sin t); lower moon: (1 - cos t, 0.5 - sin t)
        x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
        y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
        points = np.stack([x - 0.5, y - 0.25], axis=1)
        points += 0.05 * rng.standard_normal(points.shape)
    elif name == "checkerboard":
        x = rng.uniform(-2.0, 2.0, num_samples)
        # y in [0, 1) or [-2, -1), then shifted up by one on odd columns
        y = rng.random(num_samples) - 2.0 * rng.integers(0, 2, num_samples)
        y = y + np.floor(x) % 2
        points = np.stack([x, y], axis=1)
    else:  # spiral
        half = num_samples // 2
        radius = np.sqrt(rng.random(num_samples)) * 3.0 * np.pi
        jitter = 0.5 * rng.random((num_samples, 2))
        arm = np.stack([-np.cos(radius) * radius, np.sin(radius) * radius], axis=1)
        # the second spiral is the first rotated by 180 degrees
        arm[half:] *= -1.0
        points = (arm + jitter) / 3.0
    return points.astype(np.float32)


def bimodal_1d(
    num_samples, *, means=(-2.0, 2.0), stds=(0.5, 1.0), weights=(0.3, 0.7), seed=0
):
    """Points of a 1-D mixture of two Gaussians: the 1-D density check.

    The default density is ``0.3 N(-2, 0.5^2) + 0.7 N(2, 1)``: two modes of
    different weight and width, which a single Gaussian cannot fit.

    Args:
        num_samples: number of points.
        means: the two means.
        stds: the two standard deviations (positive).
        weights: the two mixture weights (positive; normalized).
        seed: integer seed of the NumPy generator.

    Returns:
        ``float32`` array of shape ``(num_samples, 1)``.

    Raises:
        ValueError: for a non-positive ``num_samples``, or parameters that
            are not two positive standard deviations and weights.

    Examples:
        >>> points = bimodal_1d(1000)
        >>> points.shape, bool(points.mean() > 0)
        ((1000, 1), True)
    """
    num_samples = _check_num_samples(num_samples)
    means, stds, weights = (
        np.asarray(v, dtype=np.float64) for v in (means, stds, weights)
    )
    if not (means.shape == stds.shape == weights.shape == (2,)):
        raise ValueError(
            "means, stds and weights need two values each; received "
            f"{means.tolist()}, {stds.tolist()}, {weights.tolist()}."
        )
    if np.any(stds <= 0) or np.any(weights <= 0):
        raise ValueError(
            f"stds and weights must be positive; received {stds.tolist()} and "
            f"{weights.tolist()}."
        )
    rng = np.random.default_rng(seed)
    modes = rng.choice(2, size=num_samples, p=weights / weights.sum())
    points = means[modes] + stds[modes] * rng.standard_normal(num_samples)
    return points[:, None].astype(np.float32)
