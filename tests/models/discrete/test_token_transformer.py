"""TextImageTransformer (DALL-E's prior) and its sampler, proved by behaviour:
causality by gradients, the chain rule (probabilities of every code grid sum
to one), the sampler against a NumPy greedy oracle with and without
classifier-free guidance, the fast (cached) sampler against the naive one,
top-k / top-p against a NumPy oracle, conditioning learned from captions,
and clear errors for bad captions, prompts and options."""

import itertools

import keras
import numpy as np
import pytest

from kgen import backend
from kgen.models import TextImageTransformer
from kgen.models.discrete.token_transformer import filter_logits
from kgen.text import WordTokenizer
from kgen.text.prompts import prompt_ids

GRID, K, VOCABULARY, L = (2, 2), 3, 5, 2
N = GRID[0] * GRID[1]


def _np(x):
    if hasattr(x, "detach"):  # a torch tensor that requires grad
        x = x.detach()
    return np.asarray(keras.ops.convert_to_numpy(x))


def _input_gradients(fn, x):
    def gradient(v):
        return backend.input_gradients(fn, v)

    if backend.name() != "torch":
        gradient = backend.compile_function(gradient)
    return _np(gradient(keras.ops.convert_to_tensor(x)))


def _model(text_dropout=0.25, **options):
    settings = dict(embedding_dim=8, num_layers=2, num_heads=2, seed=3)
    settings.update(options)
    return TextImageTransformer(
        GRID,
        num_codes=K,
        text_vocabulary_size=VOCABULARY,
        text_length=L,
        text_dropout=text_dropout,
        **settings,
    )


@pytest.fixture(scope="module")
def model():
    return _model()


def _code_logits(model, text, codes):
    return _np(model.code_logits(np.asarray(text, "int32"), np.asarray(codes, "int32")))


def test_each_position_sees_only_the_positions_before_it(model, rng):
    """d logits[t] / d h[s] is exactly zero for s > t and nonzero for s <= t."""
    length = L + N - 1
    text = rng.integers(1, VOCABULARY, size=(length, L))
    codes = rng.integers(0, K, size=(length, N - 1))
    h = _np(model.embed(text.astype("int32"), codes.astype("int32")))
    assert h.shape == (length, length, 8)
    # example b differentiates a random mix of the logits at position b
    select = np.zeros((length, length, 1), "float32")
    select[np.arange(length), np.arange(length)] = 1.0
    weights = rng.normal(size=(1, 1, K)).astype("float32")
    mix = keras.ops.convert_to_tensor(select * weights)
    grad = _input_gradients(lambda v: model.logits_from_embeddings(v) * mix, h)
    seen = np.abs(grad).sum(axis=-1)  # (target position, input position)
    for t in range(length):
        assert np.all(seen[t, t + 1 :] == 0), (t, seen[t])
        assert np.all(seen[t, : t + 1] > 0), (t, seen[t])


def test_a_code_moves_only_later_logits_and_the_caption_moves_the_first(model, rng):
    text = rng.integers(1, VOCABULARY, size=(1, L))
    codes = rng.integers(0, K, size=(1, N))
    base = _code_logits(model, text, codes)
    assert base.shape == (1, N, K)
    for j in range(N):
        changed = codes.copy()
        changed[0, j] = (changed[0, j] + 1) % K
        moved = np.abs(_code_logits(model, text, changed) - base).sum(axis=(0, 2))
        # logits j' predict code j' from codes < j': code j moves j' > j only
        assert np.all(moved[: j + 1] == 0), (j, moved)
        assert np.all(moved[j + 1 :] > 0), (j, moved)
    other = text.copy()
    other[0, -1] = other[0, -1] % (VOCABULARY - 1) + 1
    moved = np.abs(_code_logits(model, other, codes) - base).sum(axis=(0, 2))
    assert np.all(moved > 0), moved  # the first image token's logits included


def test_probabilities_of_every_code_grid_sum_to_one(model):
    grids = np.array(list(itertools.product(range(K), repeat=N))).reshape(-1, *GRID)
    for caption in ([1, 4], [3, 0], None):
        captions = None if caption is None else np.array(caption, "int32")
        log_p = model.log_prob(grids, captions=captions, batch_size=len(grids))
        assert log_p.shape == (K**N,) and np.all(log_p < 0)
        np.testing.assert_allclose(np.exp(log_p).sum(), 1.0, rtol=1e-4)
        bits = model.bits_per_dim(grids, captions=captions)
        np.testing.assert_allclose(bits, -log_p / np.log(2) / N, rtol=1e-5)


@pytest.mark.parametrize("guidance", [1.0, 2.5])
def test_top_k_one_is_greedy_decoding_of_the_mixed_logits(model, rng, guidance):
    """top_k=1 picks the argmax of ``u + s (c - u)`` at every step: the
    sampler's cached prefixes against full forward passes in NumPy."""
    captions = rng.integers(1, VOCABULARY, size=(5, L)).astype("int32")
    empty = np.zeros_like(captions)
    expected = np.zeros((5, N), "int32")
    for j in range(N):
        conditional = _code_logits(model, captions, expected)[:, j]
        unconditional = _code_logits(model, empty, expected)[:, j]
        mixed = unconditional + guidance * (conditional - unconditional)
        expected[:, j] = mixed.argmax(axis=-1)
    for method in ("fast", "naive"):
        codes = model.sample(
            5,
            seed=1,
            captions=captions,
            top_k=1,
            guidance_scale=guidance,
            method=method,
        )
        assert codes.shape == (5, *GRID) and codes.dtype == np.uint8
        np.testing.assert_array_equal(codes.reshape(5, N), expected, err_msg=method)


@pytest.mark.parametrize(
    "options",
    [{}, {"top_p": 0.7, "temperature": 0.8}, {"top_k": 2, "guidance_scale": 2.0}],
)
def test_fast_and_naive_sampling_draw_the_same_codes(model, rng, options):
    captions = rng.integers(0, VOCABULARY, size=(7, L)).astype("int32")
    fast = model.sample(7, seed=5, captions=captions, batch_size=4, **options)
    naive = model.sample(
        7, seed=5, captions=captions, batch_size=4, method="naive", **options
    )
    np.testing.assert_array_equal(fast, naive)
    again = model.sample(7, seed=5, captions=captions, batch_size=4, **options)
    np.testing.assert_array_equal(fast, again)


def test_guidance_scale_zero_ignores_the_caption(model, rng):
    """``u + 0 (c - u) = u``: any caption gives the unconditional draw."""
    first = rng.integers(1, VOCABULARY, size=(6, L)).astype("int32")
    second = (first % (VOCABULARY - 1)) + 1
    draws = [
        model.sample(6, seed=2, captions=c, guidance_scale=0.0) for c in (first, second)
    ]
    np.testing.assert_array_equal(*draws)


def _filter_oracle(logits, top_k, top_p):
    kept = np.ones_like(logits, bool)
    if top_k is not None:
        order = np.argsort(-logits, axis=-1)
        kept = np.zeros_like(kept)
        np.put_along_axis(kept, order[:, :top_k], True, axis=-1)
    if top_p is not None:
        masked = np.where(kept, logits, -np.inf)
        order = np.argsort(-masked, axis=-1)
        sorted_logits = np.take_along_axis(masked, order, axis=-1)
        p = np.exp(sorted_logits - sorted_logits[:, :1])
        p /= p.sum(axis=-1, keepdims=True)
        before = np.cumsum(p, axis=-1) - p  # mass of the codes ranked above
        keep_sorted = before < top_p
        nucleus = np.zeros_like(kept)
        np.put_along_axis(nucleus, order, keep_sorted, axis=-1)
        kept &= nucleus
    return kept


@pytest.mark.parametrize(
    "top_k, top_p",
    [(1, None), (3, None), (10, None), (None, 0.05), (None, 0.5), (None, 0.9),
     (None, 1.0), (4, 0.6)],
)
def test_filter_logits_matches_a_numpy_oracle(rng, top_k, top_p):
    logits = (2.0 * rng.normal(size=(6, 10))).astype("float32")
    out = _np(filter_logits(logits, top_k=top_k, top_p=top_p))
    kept = _filter_oracle(logits, top_k, top_p)
    assert kept.any(axis=-1).all()
    np.testing.assert_array_equal(out[kept], logits[kept])
    np.testing.assert_array_equal(out[~kept], np.float32(-1e9))
    if top_p is not None and top_k is None:
        # the nucleus holds at least top_p of the mass, and is the smallest
        p = np.exp(logits - logits.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        mass = np.where(kept, p, 0).sum(-1)
        assert np.all(mass >= min(top_p, 1.0) - 1e-6)
        smallest_kept = np.where(kept, p, np.inf).min(-1)
        assert np.all(mass - smallest_kept < top_p + 1e-6)


def test_trained_on_captions_it_draws_the_captioned_grid():
    """Two captions, two code grids: training takes the code length from
    log2(3) bits per code to near zero, and each caption draws its grid."""
    patterns = {1: [0, 1, 2, 0], 2: [2, 2, 1, 1]}
    labels = np.arange(64) % 2 + 1
    captions = np.stack([labels, np.full_like(labels, 4)], axis=1).astype("int32")
    codes = np.array([patterns[c] for c in labels], "int32").reshape(-1, *GRID)
    model = _model(text_dropout=0.25, embedding_dim=16, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    before = model.bits_per_dim(codes, captions=captions).mean()
    history = model.fit(codes, captions, epochs=25, batch_size=32, verbose=0)
    after = model.bits_per_dim(codes, captions=captions).mean()
    assert "bits_per_dim" in history.history
    assert before > 1.0 and after < 0.1, (before, after)
    # without the caption the model knows only that one of the two grids comes
    unconditional = model.bits_per_dim(codes, captions=None).mean()
    assert unconditional > after + 0.1, (unconditional, after)
    drawn = model.sample(2, seed=0, captions=captions[:2])
    np.testing.assert_array_equal(drawn.reshape(2, N), codes[:2].reshape(2, N))


def test_bad_captions_and_options_are_refused(model):
    codes = np.zeros((3, *GRID), "int32")
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*received shape \(3, 3\)"):
        model.log_prob(codes, captions=np.ones((3, 3), "int32"))
    with pytest.raises(ValueError, match="integer token ids"):
        model.log_prob(codes, captions=np.ones((3, L), "float32"))
    with pytest.raises(ValueError, match=r"token ids in \[0, 4\].*\[1, 5\]"):
        model.log_prob(codes, captions=np.array([[1, 5]] * 3))
    with pytest.raises(ValueError, match=r"code indices in \[0, 2\] for codes"):
        model.log_prob(np.full((3, *GRID), K), captions=None)
    for option, message in [
        ({"temperature": 0.0}, "temperature must be a number > 0"),
        ({"top_p": 1.5}, r"top_p must be in \(0, 1\]"),
        ({"top_k": 0}, "top_k"),
        ({"method": "beam"}, "method must be one of"),
        ({"guidance_scale": -1.0}, "guidance_scale must be a number >= 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            model.sample(2, captions=np.ones((2, L), "int32"), **option)
    strict = _model(text_dropout=0.0, num_layers=1)
    with pytest.raises(ValueError, match="text_dropout=0.*pass captions="):
        strict.sample(2)
    with pytest.raises(ValueError, match="Classifier-free guidance"):
        strict.sample(2, captions=np.ones((2, L), "int32"), guidance_scale=2.0)


def test_prompts_are_checked_word_by_word():
    tokenizer = WordTokenizer(["dark", "small", "boot"], max_length=2)
    np.testing.assert_array_equal(
        prompt_ids(tokenizer, ["small boot", "dark"]),
        tokenizer.encode(["small boot", "dark"]),
    )
    with pytest.raises(ValueError, match=r"does not know: \['hat'\].*dark, small, boot"):
        prompt_ids(tokenizer, "small hat")
    with pytest.raises(ValueError, match="has 3 words; the model reads at most 2"):
        prompt_ids(tokenizer, ["dark small boot"])
    with pytest.raises(ValueError, match="is empty"):
        prompt_ids(tokenizer, ["  "])
    with pytest.raises(ValueError, match="as strings"):
        prompt_ids(tokenizer, ["boot", 3])
    with pytest.raises(ValueError, match="non-empty list of strings"):
        prompt_ids(tokenizer, [])
