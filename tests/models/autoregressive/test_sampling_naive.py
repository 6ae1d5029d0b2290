"""The naive sampler draws from the distribution that log_prob defines."""

import itertools

import keras
import numpy as np

from kgen.models.autoregressive import PixelCNN


def test_naive_samples_follow_the_model_distribution(rng):
    image_shape, num_levels = (2, 2, 1), 3
    model = PixelCNN(
        image_shape,
        num_levels=num_levels,
        filters=16,
        num_layers=1,
        first_kernel_size=3,
    )
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    # A skewed, correlated training set makes the model far from uniform.
    base = rng.integers(0, 2, size=(256, 1, 1, 1))
    data = np.clip(
        np.tile(base, (1, 2, 2, 1)) * 2 - (rng.random((256, 2, 2, 1)) < 0.2), 0, 2
    )
    model.fit(data, epochs=20, batch_size=64, verbose=0)

    images = np.array(
        list(itertools.product(range(num_levels), repeat=4)), "int32"
    ).reshape(-1, *image_shape)
    p = np.exp(model.log_prob(images).astype("float64"))
    assert abs(p.sum() - 1) < 1e-4
    assert p.max() > 0.1  # the test needs a non-uniform model

    n = 4000
    samples = model.sample(n, seed=0, batch_size=n).astype("int32")
    codes = samples.reshape(n, 4) @ (num_levels ** np.arange(3, -1, -1))
    freq = np.bincount(codes, minlength=num_levels**4) / n
    total_variation = 0.5 * np.abs(freq - p).sum()
    # Sampling noise alone gives a total variation around 0.03-0.04 here.
    assert total_variation < 0.07, total_variation
    # A wrong sampler (e.g. ignoring earlier pixels) would be far off: check the
    # product of the marginals is distinguishable from the joint.
    marg = [
        np.bincount(samples[:, i // 2, i % 2, 0], minlength=3) / n for i in range(4)
    ]
    independent = np.einsum("a,b,c,d->abcd", *marg).reshape(-1)
    assert 0.5 * np.abs(independent - p).sum() > 0.15

    # A lower temperature concentrates the samples on likely images.
    cold = model.sample(500, seed=1, temperature=0.3, batch_size=500)
    assert model.log_prob(cold).mean() > model.log_prob(samples[:500]).mean() + 0.5
