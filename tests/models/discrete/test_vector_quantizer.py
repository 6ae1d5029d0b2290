"""VectorQuantizer against NumPy oracles: nearest codes, straight-through
gradient, losses, the EMA update, dead-code restarts, k-means initialisation
(also inside ``fit``) and the codebook statistics."""

import keras
import numpy as np
import pytest
from keras import ops

from kgen import backend
from kgen.layers import VectorQuantizer
from kgen.layers.vector_quantizer import codebook_statistics

K, D = 5, 3


def _np(x):
    if hasattr(x, "detach"):  # a torch tensor that requires grad
        x = x.detach()
    return np.asarray(ops.convert_to_numpy(x))


def _quantizer(codebook, **options):
    """A built quantizer whose codebook (and EMA sums, N_k = 1) is ``codebook``."""
    layer = VectorQuantizer(len(codebook), codebook.shape[1], seed=0, **options)
    layer.build((None, codebook.shape[1]))
    layer.embeddings.assign(codebook)
    if layer.uses_ema:
        layer.ema_embedding_sum.assign(codebook)
    return layer


def _nearest(z, codebook):
    distances = ((z[:, None, :] - codebook[None, :, :]) ** 2).sum(-1)
    return distances.argmin(1)


@pytest.fixture
def codebook(rng):
    return rng.normal(size=(K, D)).astype("float32")


def test_output_is_the_nearest_code_of_a_numpy_oracle(codebook, rng):
    z = rng.normal(size=(2, 4, 4, D)).astype("float32")
    out = _quantizer(codebook)(z, training=False)
    expected = _nearest(z.reshape(-1, D), codebook).reshape(2, 4, 4)
    np.testing.assert_array_equal(_np(out["indices"]), expected)
    np.testing.assert_allclose(_np(out["quantized"]), codebook[expected], atol=1e-6)
    np.testing.assert_allclose(
        _np(_quantizer(codebook).lookup(expected)), codebook[expected], atol=0
    )


def test_gradient_to_the_encoder_is_the_identity(codebook, rng):
    layer = _quantizer(codebook)
    z = rng.normal(size=(6, D)).astype("float32")
    w = rng.normal(size=(6, D)).astype("float32")
    weights = ops.convert_to_tensor(w)
    grads = backend.input_gradients(
        lambda v: weights * layer(v, training=False)["quantized"],
        ops.convert_to_tensor(z),
    )
    # the quantized value is a step function of z: only straight-through
    # gives this gradient (the true derivative is zero almost everywhere)
    np.testing.assert_allclose(_np(grads), w, rtol=1e-6)


def test_losses_equal_their_definitions(codebook, rng):
    beta = 0.7
    z = rng.normal(size=(3, 2, D)).astype("float32")
    out = _quantizer(codebook, commitment_cost=beta)(z, training=False)
    e = codebook[_nearest(z.reshape(-1, D), codebook)].reshape(z.shape)
    per_example = ((z - e) ** 2).reshape(3, -1).mean(1)
    np.testing.assert_allclose(_np(out["commitment_loss"]), per_example, rtol=1e-5)
    np.testing.assert_allclose(_np(out["codebook_loss"]), per_example, rtol=1e-5)
    np.testing.assert_allclose(_np(out["loss"]), (1 + beta) * per_example, rtol=1e-5)
    # the EMA codebook learns by its update, not by a codebook loss
    ema = _quantizer(codebook, commitment_cost=beta, decay=0.9)(z, training=False)
    np.testing.assert_allclose(_np(ema["codebook_loss"]), 0.0)
    np.testing.assert_allclose(_np(ema["loss"]), beta * per_example, rtol=1e-5)


def test_ema_update_matches_its_formula_on_a_hand_made_batch():
    codebook = np.array([[0, 0], [10, 0], [0, 10], [50, 50]], "float32")
    z = np.array([[1, 0], [-1, 2], [9, 1], [11, 1], [12, 0]], "float32")
    gamma, eps = 0.8, 1e-5
    layer = _quantizer(codebook, decay=gamma, epsilon=eps)
    out = layer(z, training=True)
    assignment = np.array([0, 0, 1, 1, 1])
    np.testing.assert_array_equal(_np(out["indices"]), assignment)
    n = np.bincount(assignment, minlength=4).astype("float64")
    s = np.zeros((4, 2))
    np.add.at(s, assignment, z)
    size = gamma * 1.0 + (1 - gamma) * n  # N_k started at 1
    total = gamma * codebook + (1 - gamma) * s  # m_k started at e_k
    smoothed = (size + eps) / (size.sum() + 4 * eps) * size.sum()
    np.testing.assert_allclose(_np(layer.ema_cluster_size), size, rtol=1e-6)
    np.testing.assert_allclose(_np(layer.ema_embedding_sum), total, rtol=1e-6)
    np.testing.assert_allclose(
        _np(layer.embeddings), total / smoothed[:, None], rtol=1e-5
    )
    np.testing.assert_array_equal(_np(layer.batch_counts), n)
    # inference leaves the state alone
    before = _np(layer.embeddings)
    layer(z, training=False)
    np.testing.assert_array_equal(_np(layer.embeddings), before)


def test_a_dead_code_is_restarted_at_an_encoder_output():
    codebook = np.array([[0, 0], [1, 0], [100, 100]], "float32")  # code 2 is far
    z = np.random.default_rng(1).normal(size=(16, 2)).astype("float32") * 0.3
    kept = _quantizer(codebook, decay=0.5)
    restarted = _quantizer(codebook, decay=0.5, dead_code_threshold=0.9)
    # one step: N_2 = 0.5 * 1 + 0.5 * 0 = 0.5, under the threshold
    kept(z, training=True)
    restarted(z, training=True)
    # without restarts the unused code keeps its place
    np.testing.assert_allclose(_np(kept.embeddings)[2], [100, 100], rtol=1e-3)
    # with them it sits on one of the batch's vectors
    code = _np(restarted.embeddings)[2]
    assert np.min(np.abs(z - code).sum(1)) < 1e-3, code


def test_kmeans_initialisation_finds_the_clusters_once():
    rng = np.random.default_rng(2)
    centres = np.array([[-10, 0], [0, 10], [10, 0]], "float32")
    z = (np.repeat(centres, 20, axis=0) + 0.1 * rng.normal(size=(60, 2))).astype(
        "float32"
    )
    # a codebook far from the data: k-means starts from batch rows instead
    layer = _quantizer(
        np.full((3, 2), 50.0, "float32"),
        decay=0.9,
        kmeans_init=True,
        kmeans_iterations=5,
    )
    batch = z[rng.permutation(60)]
    out = layer(batch, training=True)
    found = _np(layer.embeddings)
    # Lloyd's iterations converged: every code is the mean of the batch
    # vectors nearest to it (from random rows a code pair may share a
    # cluster, a local optimum of k-means, so the centres are not asserted)
    assignment = _nearest(batch, found)
    for k in range(3):
        members = batch[assignment == k]
        assert len(members), found
        np.testing.assert_allclose(found[k], members.mean(0), atol=1e-3)
    assert float(_np(layer.initialized)) == 1.0
    np.testing.assert_allclose(_np(out["codebook_usage"]), 1.0)  # from k-means
    # later batches update the codebook by EMA only: a batch at one centre
    # moves that code a little and no other
    layer(np.repeat(centres[:1], 8, axis=0), training=True)
    again = _np(layer.embeddings)
    assert np.max(np.abs(again - found)) < 1.0


def _vq_model(layer, dim):
    inputs = keras.Input((4, dim))
    outputs = layer(keras.layers.Dense(dim, name="encoder")(inputs))["quantized"]
    model = keras.Model(inputs, keras.layers.Dense(dim, name="decoder")(outputs))
    model.compile(optimizer="adam", loss="mse")
    return model


def test_ema_state_and_kmeans_initialisation_advance_inside_fit(rng):
    # the EMA variables are non-trainable state that every backend's compiled
    # train step must carry out (JAX returns it from a pure function); the
    # k-means flag is such state too (it crashed JAX's fit once, untested)
    layer = VectorQuantizer(
        4, 2, decay=0.9, kmeans_init=True, kmeans_iterations=2, seed=0
    )
    model = _vq_model(layer, 2)
    x = rng.normal(size=(16, 4, 2)).astype("float32")
    before = _np(layer.ema_embedding_sum).copy()
    model.fit(x, x, batch_size=8, epochs=1, verbose=0)
    assert float(_np(layer.initialized)) == 1.0
    assert not np.allclose(_np(layer.ema_embedding_sum), before)
    assert float(np.sum(_np(layer.batch_counts))) == 8 * 4  # last batch's vectors


def test_perplexity_and_usage_on_a_known_assignment():
    counts = np.array([6.0, 2.0, 0.0, 0.0, 0.0])
    p = np.array([0.75, 0.25])
    perplexity, usage = codebook_statistics(counts)
    np.testing.assert_allclose(
        _np(perplexity), np.exp(-(p * np.log(p)).sum()), rtol=1e-6
    )
    np.testing.assert_allclose(_np(usage), 0.4)
    # the layer reports the same for a batch it quantizes that way
    codebook = np.eye(5, 3, dtype="float32") * 10
    z = codebook[[0, 0, 0, 0, 0, 0, 1, 1]]
    out = _quantizer(codebook)(z, training=True)
    np.testing.assert_allclose(_np(out["perplexity"]), _np(perplexity), rtol=1e-6)
    np.testing.assert_allclose(_np(out["codebook_usage"]), 0.4)


def test_wrong_vector_size_is_a_clear_error():
    with pytest.raises(ValueError, match="embedding_dim=3"):
        VectorQuantizer(4, 3).build((None, 5))
