"""VQVAE and VQVAE2 by behaviour: the code round trip is the reconstruction,
bad codes are refused with what was expected, the two-level code
probability is the top prior's plus the bottom prior's given the top codes
(and sums to one over every pair of grids), the bottom prior reads the top
codes, and sampling is reproducible and draws from the priors."""

import itertools

import numpy as np
import pytest

from kgen.models import conv_hierarchical_vqvae, conv_vqvae, conv_vqvae2
from kgen.models.discrete.vq_vae import check_code_indices

SHAPE = (4, 4, 1)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((6, *SHAPE)).astype("float32")


@pytest.fixture(scope="module")
def vqvae2():
    model = conv_vqvae2(
        SHAPE,
        num_classes=2,
        num_embeddings=3,
        embedding_dim=2,
        filters=4,
        bottom_halvings=1,
        top_halvings=1,
        num_residual_blocks=1,
        decay=0.9,
        prior_filters=4,
        prior_layers=1,
        seed=2,
    )
    model.compile(optimizer="adam")
    # The priors' output layers start at zero (uniform conditionals); random
    # weights everywhere make every conditional depend on what it reads.
    rng = np.random.default_rng(3)
    for prior in (model.top_prior, model.bottom_prior):
        prior.build()
        assert prior.trainable_weights
        for weight in prior.trainable_weights:
            weight.assign(0.5 * rng.normal(size=weight.shape).astype("float32"))
    return model


def test_one_level_code_round_trip_is_the_reconstruction(images):
    model = conv_vqvae(
        SHAPE, num_embeddings=5, embedding_dim=2, filters=(4,), num_residual_blocks=1,
        seed=1,
    )
    codes = model.encode_to_indices(images)
    assert codes.shape == (6, *model.code_grid_shape) and codes.dtype == np.int32
    assert codes.min() >= 0 and codes.max() < 5
    decoded = model.decode_indices(codes)
    np.testing.assert_allclose(decoded, model.reconstruct(images), atol=1e-6)
    assert decoded.shape == images.shape
    # one grid is a batch of one
    np.testing.assert_allclose(model.decode_indices(codes[0]), decoded[:1], atol=1e-6)


def test_two_level_code_round_trip_is_the_reconstruction(images):
    model = conv_hierarchical_vqvae(
        SHAPE, num_embeddings=(3, 4), embedding_dim=2, filters=4, bottom_halvings=1,
        top_halvings=1, num_residual_blocks=1, seed=1,
    )
    codes = model.encode_to_indices(images)
    assert set(codes) == {"top", "bottom"}
    assert codes["top"].shape == (6, 1, 1) and codes["bottom"].shape == (6, 2, 2)
    assert codes["top"].max() < 3 and codes["bottom"].max() < 4
    np.testing.assert_allclose(
        model.decode_indices(codes), model.reconstruct(images), atol=1e-6
    )


def test_bad_codes_are_refused_with_what_was_expected():
    with pytest.raises(ValueError, match=r"Expected codes as code grids with shape"
                       r" \(batch, 2, 2\).*received shape \(3, 4\)"):
        check_code_indices(np.zeros((3, 4), "int32"), (2, 2), 4, name="codes")
    with pytest.raises(ValueError, match=r"Expected code indices in \[0, 3\] for "
                       r"codes.*received values in \[0, 4\]"):
        check_code_indices(np.array([[[0, 4], [1, 2]]]), (2, 2), 4, name="codes")
    with pytest.raises(ValueError, match=r"integer code indices in \[0, 3\]"):
        check_code_indices(np.full((1, 2, 2), 0.5), (2, 2), 4, name="codes")
    with pytest.raises(ValueError, match="integer code indices for codes"):
        check_code_indices(np.full((1, 2, 2), "a"), (2, 2), 4, name="codes")
    np.testing.assert_array_equal(
        check_code_indices(np.ones((1, 2, 2)), (2, 2), 4), np.ones((1, 2, 2), "int32")
    )


def test_two_level_models_refuse_codes_of_the_wrong_structure(vqvae2):
    good = {"top": np.zeros((2, 1, 1), "int32"), "bottom": np.zeros((2, 2, 2), "int32")}
    with pytest.raises(ValueError, match=r"dict with the keys \['top', 'bottom'\]"):
        vqvae2.decode_indices(good["bottom"])
    with pytest.raises(ValueError, match=r"codes\['bottom'\]"):
        vqvae2.decode_indices({**good, "bottom": np.full((2, 2, 2), 3)})
    with pytest.raises(ValueError, match="as many grids of each level"):
        vqvae2.decode_indices({**good, "top": np.zeros((3, 1, 1), "int32")})


def _all_code_pairs():
    tops = np.arange(3).reshape(3, 1, 1)
    bottoms = np.array(list(itertools.product(range(3), repeat=4))).reshape(-1, 2, 2)
    return {
        "top": np.repeat(tops, len(bottoms), axis=0).astype("int32"),
        "bottom": np.tile(bottoms, (3, 1, 1)).astype("int32"),
    }


def test_code_log_prob_is_top_plus_bottom_given_top_and_sums_to_one(vqvae2):
    codes = _all_code_pairs()
    count = len(codes["top"])  # 3 top codes x 81 bottom grids
    for label in (0, 1):
        labels = np.full(count, label)
        log_p = vqvae2.code_log_prob(None, labels, codes=codes, batch_size=count)
        top = vqvae2.top_prior.log_prob(codes["top"], labels)
        bottom = vqvae2.bottom_prior.log_prob(
            codes["bottom"], condition_grid=codes["top"]
        )
        np.testing.assert_allclose(log_p, top + bottom, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.exp(log_p).sum(), 1.0, rtol=1e-4)
    # the top prior is class-conditional, the bottom one reads the top codes
    assert np.all(np.abs(vqvae2.top_prior.log_prob(codes["top"][:3], [0, 0, 0])
                         - vqvae2.top_prior.log_prob(codes["top"][:3], [1, 1, 1]))
                  > 1e-5)
    bottom = codes["bottom"][:81]
    given = [
        vqvae2.bottom_prior.log_prob(bottom, condition_grid=np.full((81, 1, 1), t))
        for t in range(3)
    ]
    assert np.all(np.abs(given[0] - given[1]) > 1e-6)
    assert np.all(np.abs(given[1] - given[2]) > 1e-6)


def test_sampling_is_reproducible_and_draws_from_the_priors(vqvae2):
    labels = np.array([0, 1] * 150)
    codes = vqvae2.sample_codes(300, seed=7, conditions=labels, batch_size=100)
    again = vqvae2.sample_codes(300, seed=7, conditions=labels, batch_size=100)
    for level in ("top", "bottom"):
        np.testing.assert_array_equal(codes[level], again[level])
    # the top codes follow the class-conditional top prior
    for label in (0, 1):
        drawn = codes["top"][labels == label].reshape(-1)
        frequencies = np.bincount(drawn, minlength=3) / len(drawn)
        expected = np.exp(
            vqvae2.top_prior.log_prob(np.arange(3).reshape(3, 1, 1), [label] * 3)
        )
        # 150 draws: the standard error of a frequency is at most 0.041
        np.testing.assert_allclose(frequencies, expected, atol=0.13)
    images = vqvae2.sample(4, seed=7, conditions=[0, 1, 0, 1])
    assert images.shape == (4, *SHAPE) and images.dtype == np.float32
    np.testing.assert_array_equal(
        images, vqvae2.sample(4, seed=7, conditions=[0, 1, 0, 1])
    )
    first = vqvae2.sample_codes(4, seed=7, conditions=[0, 1, 0, 1])
    np.testing.assert_allclose(images, vqvae2.decode_indices(first), atol=1e-6)
    with pytest.raises(ValueError, match="conditions"):
        vqvae2.sample(2, seed=0)
