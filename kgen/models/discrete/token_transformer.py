"""A decoder-only transformer over ``[text tokens, image tokens]`` (DALL-E's prior).

``TextImageTransformer`` models a grid of image codes (a VQ-VAE's
``encode_to_indices``) given a caption, ``p(codes | text) = prod_j p(c_j |
c_<j, text)`` over the codes in raster order, with one causal transformer
over the sequence of the caption's token ids followed by the codes (DALL-E's
step 2, Ramesh et al. 2021). The sequence is

    position  0 .. L-1      : text tokens t_1 .. t_L (padding id 0 included)
    position  L .. L+N-2    : image codes c_1 .. c_{N-1}

and the output at position ``L - 1 + j`` gives the logits of code
``c_{j+1}``. Text and codes have their own token embeddings and their own
learned position embeddings; the blocks are
`kgen.layers.TransformerDecoderBlock`.

Sampling draws every random number first (Gumbel noise, one vector per
code), then picks each code as ``argmax(filtered logits / T + g)``:
``method="fast"`` runs the text once and then one position per step with a
key/value cache, ``method="naive"`` reruns the whole sequence for every
code; both give the same codes for the same seed. ``top_k`` / ``top_p``
restrict each draw to the most likely codes; classifier-free guidance mixes
conditional and unconditional logits (``guidance_scale``), the unconditional
ones from the empty caption, which training shows the model with
probability ``text_dropout``.
"""

import math

import keras
import numpy as np
from keras import ops

from kgen import backend
from kgen.api_export import kgen_export
from kgen.contract import Capability
from kgen.distributions.categorical import gumbel_noise
from kgen.layers.transformer import TransformerDecoderBlock
from kgen.losses.likelihood import nats_to_bits_per_dim
from kgen.models.base import GenerativeModel, is_placeholder_targets, map_batches
from kgen.validation import check_positive_int, describe, to_numpy

__all__ = ["TextImageTransformer", "filter_logits"]

_LN2 = math.log(2.0)
SAMPLING_METHODS = ("fast", "naive")


def filter_logits(logits, top_k=None, top_p=None):
    """Logits outside the top-k / nucleus (top-p) set pushed to a large negative.

    Args:
        logits: ``(batch, K)`` float32.
        top_k: keep the ``top_k`` largest (None: all).
        top_p: keep the smallest set of largest logits whose probabilities
            add up to at least ``top_p`` (None: all).

    Returns:
        ``(batch, K)`` logits; kept entries unchanged.

    Examples:
        >>> import numpy as np
        >>> logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05]], "float32"))
        >>> kept = keras.ops.convert_to_numpy(filter_logits(logits, top_p=0.7)) > -1e8
        >>> kept.astype(int).tolist()
        [[1, 1, 0, 0]]
    """
    logits = ops.cast(logits, "float32")
    num_codes = ops.shape(logits)[-1]
    floor = ops.cast(-1e9, "float32")
    if top_k is not None and top_k < num_codes:
        threshold = ops.top_k(logits, top_k, sorted=True)[0][:, -1:]
        logits = ops.where(logits >= threshold, logits, floor)
    if top_p is not None and top_p < 1.0:
        ordered = ops.top_k(logits, num_codes, sorted=True)[0]
        probabilities = ops.softmax(ordered, axis=-1)
        before = ops.cumsum(probabilities, axis=-1) - probabilities
        # keep a code while the mass before it is below top_p (the first always)
        count = ops.sum(ops.cast(before < top_p, "int32"), axis=-1, keepdims=True)
        threshold = ops.take_along_axis(ordered, ops.maximum(count - 1, 0), axis=-1)
        logits = ops.where(logits >= threshold, logits, floor)
    return logits


def _check_number(value, name, low=0.0, inclusive=False):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.floating, np.integer))
        or not (value >= low if inclusive else value > low)
    ):
        bound = ">=" if inclusive else ">"
        raise ValueError(
            f"{name} must be a number {bound} {low:g}; received {value!r}."
        )
    return float(value)


@kgen_export
class TextImageTransformer(GenerativeModel):
    """A causal transformer prior over image codes given caption token ids.

    See the module for the sequence, the sampler and guidance. The data are
    code grids ``(h, w)`` with ``num_codes`` levels (``data_kind =
    "integer"``); captions are int token ids ``(batch, text_length)`` of a
    `kgen.text.WordTokenizer` (0 is padding; all zeros is the empty
    caption). Train with ``fit(codes, captions)``; the loss is the negative
    log-likelihood of the codes in nats per code, per example (weighted by
    ``sample_weight``), logged as ``bits_per_dim`` (bits per code). With
    ``text_dropout = p`` each training caption is replaced by the empty
    caption with probability ``p``, so the model also learns ``p(codes)``:
    what ``sample`` draws without captions and what classifier-free
    guidance subtracts.

    Args:
        code_grid_shape: ``(h, w)`` of the code grids.
        num_codes: the codebook's size ``K``.
        text_vocabulary_size: token ids of the captions (the tokenizer's
            ``vocabulary_size``).
        text_length: token ids per caption (the tokenizer's ``max_length``).
        embedding_dim: width of the transformer.
        num_layers: transformer blocks.
        num_heads: attention heads (``embedding_dim`` divisible by it).
        mlp_dim: hidden units of each block's MLP (default ``4 *
            embedding_dim``).
        dropout: dropout of the blocks (0 keeps a step deterministic).
        text_dropout: probability of training on the empty caption.
        seed: integer seed of the training noise (text dropout, dropout).
        **kwargs: standard model arguments.

    Call arguments:
        inputs: int codes ``(batch, h, w)`` or a dict ``{"tokens": codes,
            "captions": ids}``. Outside training the forward pass returns
            the logits ``(batch, h * w, num_codes)`` of every code.

    Raises:
        ValueError: for invalid sizes or rates.

    Examples:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> codes = rng.integers(0, 8, size=(16, 2, 3))
        >>> captions = rng.integers(1, 5, size=(16, 2))
        >>> model = TextImageTransformer((2, 3), num_codes=8, text_vocabulary_size=5,
        ...                              text_length=2, embedding_dim=8, num_layers=1,
        ...                              num_heads=2, seed=0)
        >>> model.compile(optimizer="adam")
        >>> history = model.fit(codes, captions, epochs=1, verbose=0)
        >>> fast = model.sample(2, seed=0, captions=captions[:2])
        >>> naive = model.sample(2, seed=0, captions=captions[:2], method="naive")
        >>> fast.shape, bool((fast == naive).all())
        ((2, 2, 3), True)

    References:
        Ramesh et al. "Zero-Shot Text-to-Image Generation", ICML 2021;
        Ho and Salimans, "Classifier-Free Diffusion Guidance", 2021 (the
        guidance mix); Holtzman et al. "The Curious Case of Neural Text
        Degeneration", ICLR 2020 (top-p).
    """

    data_kind = "integer"
    capabilities = frozenset(
        {Capability.SAMPLE, Capability.EXACT_LIKELIHOOD, Capability.FAST_SAMPLING}
    )
    supports_sample_weight = True
    value_noun = "code indices"

    def __init__(
        self,
        code_grid_shape,
        num_codes,
        text_vocabulary_size,
        text_length,
        *,
        embedding_dim=128,
        num_layers=4,
        num_heads=4,
        mlp_dim=None,
        dropout=0.0,
        text_dropout=0.1,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        shape = tuple(code_grid_shape)
        if len(shape) != 2:
            raise ValueError(
                f"code_grid_shape must be (height, width); received {code_grid_shape!r}."
            )
        self.code_grid_shape = tuple(
            check_positive_int(s, "code_grid_shape") for s in shape
        )
        self.data_shape = self.code_grid_shape
        self.num_codes = check_positive_int(num_codes, "num_codes")
        if self.num_codes < 2:
            raise ValueError(f"num_codes must be at least 2; received {num_codes!r}.")
        self.num_levels = self.num_codes
        self.text_vocabulary_size = check_positive_int(
            text_vocabulary_size, "text_vocabulary_size"
        )
        self.text_length = check_positive_int(text_length, "text_length")
        self.embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        self.num_heads = check_positive_int(num_heads, "num_heads")
        if self.embedding_dim % self.num_heads:
            raise ValueError(
                f"embedding_dim ({embedding_dim}) must be a multiple of num_heads "
                f"({num_heads})."
            )
        self.mlp_dim = (
            None if mlp_dim is None else check_positive_int(mlp_dim, "mlp_dim")
        )
        for name, value in (("dropout", dropout), ("text_dropout", text_dropout)):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (0.0 <= value < 1.0)
            ):
                raise ValueError(
                    f"{name} must be a number in [0, 1); received {value!r}."
                )
        self.dropout = float(dropout)
        self.text_dropout = float(text_dropout)
        self.seed = seed
        self.num_positions = int(math.prod(self.code_grid_shape))
        self.sequence_length = self.text_length + self.num_positions - 1
        self.text_embedding = keras.layers.Embedding(
            self.text_vocabulary_size, self.embedding_dim, name="text_embedding"
        )
        self.code_embedding = keras.layers.Embedding(
            self.num_codes, self.embedding_dim, name="code_embedding"
        )
        self.text_positions = keras.layers.Embedding(
            self.text_length, self.embedding_dim, name="text_positions"
        )
        self.code_positions = keras.layers.Embedding(
            self.num_positions, self.embedding_dim, name="code_positions"
        )
        self.blocks = [
            TransformerDecoderBlock(
                self.num_heads,
                mlp_dim=self.mlp_dim,
                dropout=self.dropout,
                seed=None if seed is None else seed + 10 * (index + 1),
                name=f"block_{index}",
            )
            for index in range(self.num_layers)
        ]
        self.final_norm = keras.layers.LayerNormalization(
            epsilon=1e-5, name="final_norm"
        )
        self.head = keras.layers.Dense(self.num_codes, name="logits", dtype="float32")
        self.text_dropout_seed_generator = keras.random.SeedGenerator(seed)
        self.bits_per_dim_tracker = keras.metrics.Mean(name="bits_per_dim")
        self._build_layers()

    def _build_layers(self):
        width = self.embedding_dim
        self.text_embedding.build((None, self.text_length))
        self.code_embedding.build((None, self.num_positions))
        self.text_positions.build((self.text_length,))
        self.code_positions.build((self.num_positions,))
        for block in self.blocks:
            block.build((None, self.sequence_length, width))
        self.final_norm.build((None, self.sequence_length, width))
        self.head.build((None, self.sequence_length, width))
        self.built = True

    # ------------------------------------------------------------- network
    def embed(self, text, codes):
        """Embedded sequence ``(B, L + n, D)`` of text ids ``(B, L)`` and codes ``(B, n)``.

        ``n`` may be anything from 0 to ``N - 1``: the codes take positions
        ``L .. L + n - 1``.
        """
        text = ops.cast(text, "int32")
        h_text = (
            self.text_embedding(text)
            + ops.convert_to_tensor(self.text_positions.embeddings)[None]
        )
        count = ops.shape(codes)[1]
        if count == 0:
            return h_text
        positions = ops.convert_to_tensor(self.code_positions.embeddings)[None, :count]
        h_codes = self.code_embedding(ops.cast(codes, "int32")) + positions
        return ops.concatenate([h_text, h_codes], axis=1)

    def logits_from_embeddings(self, h, training=False):
        """Logits ``(B, T, K)`` at every position of an embedded sequence."""
        for block in self.blocks:
            h = block(h, training=training)
        return ops.cast(self.head(self.final_norm(h)), "float32")

    def code_logits(self, text, codes, training=False):
        """Logits ``(B, N, K)`` of every code given text ``(B, L)`` and codes ``(B, N)``."""
        h = self.embed(text, codes[:, :-1])
        logits = self.logits_from_embeddings(h, training=training)
        return logits[:, self.text_length - 1 :]

    # ------------------------------------------------------------- checks
    def empty_captions(self, num_examples):
        """All-padding token ids ``(num_examples, text_length)``: the empty caption."""
        return np.zeros((int(num_examples), self.text_length), "int32")

    def check_captions(self, captions, num_examples, name="captions", required=False):
        """Token ids ``(num_examples, text_length)`` in range; None: the empty caption.

        Raises:
            ValueError: for a wrong shape, non-integer ids or ids outside
                ``[0, text_vocabulary_size - 1]``; for None when the model
                never saw the empty caption (``text_dropout = 0``) and
                ``required``.
        """
        if captions is None:
            if required and not self.text_dropout:
                raise ValueError(
                    f"{type(self).__name__} was trained with text_dropout=0, so the "
                    f"empty caption means nothing to it; pass {name}= token ids "
                    f"(batch, {self.text_length})."
                )
            return self.empty_captions(num_examples)
        ids = np.asarray(to_numpy(captions))
        if ids.ndim == 1 and ids.shape[0] == self.text_length:
            ids = np.broadcast_to(ids, (num_examples, self.text_length))
        if ids.ndim != 2 or ids.shape != (num_examples, self.text_length):
            raise ValueError(
                f"Expected {name} as token ids with shape ({num_examples}, "
                f"{self.text_length}) (one caption per example, or one for all); "
                f"received shape {tuple(ids.shape)}."
            )
        if not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(
                f"Expected integer token ids for {name}; received {describe(ids)}."
            )
        if ids.size and (ids.min() < 0 or ids.max() >= self.text_vocabulary_size):
            raise ValueError(
                f"Expected token ids in [0, {self.text_vocabulary_size - 1}] for "
                f"{name}; received values in [{ids.min()}, {ids.max()}]."
            )
        return np.ascontiguousarray(ids).astype("int32")

    def _flat_codes(self, x, name="codes"):
        return self.check_x(x, name=name).reshape(-1, self.num_positions)

    def check_data(self, x, y=None):
        if isinstance(x, dict):
            x, y = x.get("tokens"), x.get("captions", y)
        codes = self.check_x(to_numpy(x), name="codes")
        if y is not None and not is_placeholder_targets(y):
            self.check_captions(to_numpy(y), len(codes))

    def _check_fit_data(self, x, y):
        if isinstance(x, dict):
            self.check_data({k: to_numpy(v) for k, v in x.items()}, None)
        else:
            super()._check_fit_data(x, y)

    # ------------------------------------------------------------- training
    def _split(self, x, y):
        if isinstance(x, dict):
            unknown = set(x) - {"tokens", "captions"}
            if "tokens" not in x or unknown:
                raise ValueError(
                    f"{type(self).__name__} takes dict inputs with the keys "
                    f"['captions', 'tokens'] ('tokens' required); received {sorted(x)}."
                )
            y = x.get("captions", y)
            x = x["tokens"]
        codes = ops.reshape(ops.cast(x, "int32"), (-1, self.num_positions))
        if y is None or is_placeholder_targets(y):
            text = ops.zeros((ops.shape(codes)[0], self.text_length), "int32")
        else:
            text = ops.cast(y, "int32")
        return codes, text

    def call(self, inputs, training=False):
        if training:
            # fit's forward pass: the loss pass runs in compute_loss
            return inputs
        codes, text = self._split(inputs, None)
        return self.code_logits(text, codes)

    def _dropped_text(self, text):
        if not self.text_dropout:
            return text
        batch = ops.shape(text)[0]
        draw = backend.replica_draw(
            lambda rows: keras.random.uniform(
                (rows,), seed=self.text_dropout_seed_generator
            ),
            batch,
        )
        return ops.where(
            (draw < self.text_dropout)[:, None], ops.zeros_like(text), text
        )

    def _code_log_probs(self, logits, codes):
        log_p = ops.log_softmax(logits, axis=-1)
        one_hot = ops.one_hot(codes, self.num_codes, dtype="float32")
        return ops.sum(log_p * one_hot, axis=-1)  # (B, N)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        codes, text = self._split(x, y)
        if training:
            text = self._dropped_text(text)
        logits = self.code_logits(text, codes, training=training)
        # negative log-likelihood in nats per code, per example
        per_example = -ops.mean(self._code_log_probs(logits, codes), axis=1)
        loss = self.weighted_mean(per_example, sample_weight)
        self.bits_per_dim_tracker.update_state(
            loss / _LN2, sample_weight=ops.shape(codes)[0]
        )
        if self.losses:
            loss = loss + ops.sum(ops.stack(self.losses))
        return self.scale_loss_for_distribution(loss)

    @property
    def metrics(self):
        return super().metrics

    # ----------------------------------------------------------- likelihood
    def _log_prob_batch(self, codes, text):
        logits = self.code_logits(text, codes)
        return ops.sum(self._code_log_probs(logits, codes), axis=1)

    def log_prob(self, x, conditions=None, *, captions=None, batch_size=64):
        """Exact ``log p(codes | caption)`` per example, in nats.

        Args:
            x: int code grids ``(batch, h, w)`` in ``[0, num_codes - 1]``.
            conditions: must be None (captions condition this model).
            captions: token ids ``(batch, text_length)`` (or one row for
                all); None: the empty caption (``log p(codes)`` of a model
                trained with text dropout).
            batch_size: examples per network call.

        Returns:
            NumPy float32 ``(batch,)``.
        """
        codes = self._flat_codes(x)
        self.check_conditions(conditions, len(codes))
        text = self.check_captions(captions, len(codes))
        fn = self.compiled_inference("log_prob", self._log_prob_batch)
        return map_batches(fn, [codes, text], batch_size).astype("float32")

    def bits_per_dim(self, x, conditions=None, *, captions=None, batch_size=64):
        """``-log2 p(codes | caption) / N``, bits per code, per example."""
        log_p = self.log_prob(x, conditions, captions=captions, batch_size=batch_size)
        return nats_to_bits_per_dim(log_p, self.num_positions).astype("float32")

    # -------------------------------------------------------------- sampling
    def _choose(self, logits, gumbel, temperature, guidance, top_k, top_p, guided):
        """One code per row from conditional (and unconditional) logits."""
        if guided:
            conditional, unconditional = ops.split(logits, 2, axis=0)
            # classifier-free guidance: u + s (c - u)
            logits = unconditional + guidance * (conditional - unconditional)
        logits = filter_logits(logits / temperature, top_k, top_p)
        return ops.cast(ops.argmax(logits + gumbel, axis=-1), "int32")

    def _naive_loop(self, text, noise, temperature, guidance, options):
        guided = options[2]
        batch = ops.shape(noise)[0]
        if guided:
            text = ops.concatenate([text, ops.zeros_like(text)], axis=0)
        positions = ops.arange(self.num_positions, dtype="int32")[None]

        def body(j, codes):
            both = ops.concatenate([codes, codes], axis=0) if guided else codes
            logits = ops.take(self.code_logits(text, both), j, axis=1)
            value = self._choose(
                logits, ops.take(noise, j, axis=1), temperature, guidance, *options
            )
            return ops.where(ops.equal(positions, j), value[:, None], codes)

        codes = ops.zeros((batch, self.num_positions), "int32")
        return ops.fori_loop(0, self.num_positions, body, codes)

    def _fast_loop(self, text, noise, temperature, guidance, options):
        guided = options[2]
        if guided:
            text = ops.concatenate([text, ops.zeros_like(text)], axis=0)
        length = self.sequence_length
        # the caption in one pass, which fills every block's cache
        h = self.embed(text, ops.zeros((ops.shape(text)[0], 0), "int32"))
        caches = []
        for block in self.blocks:
            h, cache = block.prefill(h, length)
            caches.append(cache)
        logits = ops.cast(self.head(self.final_norm(h[:, -1])), "float32")
        first = self._choose(logits, noise[:, 0], temperature, guidance, *options)
        positions = ops.arange(self.num_positions, dtype="int32")[None]
        codes = ops.where(
            ops.equal(positions, 0), first[:, None], ops.zeros_like(first)[:, None]
        )
        table = ops.convert_to_tensor(self.code_embedding.embeddings)
        code_positions = ops.convert_to_tensor(self.code_positions.embeddings)

        def body(j, carry):
            codes, previous, caches = carry
            # the code at j - 1 enters at sequence position L + j - 1
            both = ops.concatenate([previous, previous], axis=0) if guided else previous
            x = ops.take(table, both, axis=0) + ops.take(code_positions, j - 1, axis=0)
            x = x[:, None]
            position = self.text_length + j - 1
            new_caches = []
            for block, cache in zip(self.blocks, caches):
                x, cache = block.step(x, cache, position)
                new_caches.append(cache)
            logits = ops.cast(self.head(self.final_norm(x[:, 0])), "float32")
            value = self._choose(
                logits, ops.take(noise, j, axis=1), temperature, guidance, *options
            )
            codes = ops.where(ops.equal(positions, j), value[:, None], codes)
            return codes, value, tuple(new_caches)

        codes, _, _ = ops.fori_loop(
            1, self.num_positions, body, (codes, first, tuple(caches))
        )
        return codes

    def draw_noise(self, num_samples, seed):
        """Gumbel noise ``(num_samples, N, K)``: every random number of a sample."""
        return gumbel_noise(
            (num_samples, self.num_positions, self.num_codes), seed=seed
        )

    def sample(
        self,
        num_samples,
        *,
        seed=None,
        conditions=None,
        captions=None,
        temperature=1.0,
        top_k=None,
        top_p=None,
        guidance_scale=1.0,
        method="fast",
        batch_size=16,
    ):
        """Draw code grids given captions, one code at a time.

        Args:
            num_samples: number of grids.
            seed: integer seed (the same seed gives the same codes on one
                backend, for both methods), or None for the model's own
                sampling stream. Samples also depend on ``batch_size``.
            conditions: must be None (captions condition this model).
            captions: token ids ``(num_samples, text_length)`` (or one row
                for all); None: the empty caption (needs ``text_dropout >
                0``).
            temperature: positive float dividing the logits.
            top_k: draw each code among the ``top_k`` most likely (None: all).
            top_p: draw each code from the smallest set of most likely codes
                holding probability ``top_p`` (nucleus sampling; None: all).
            guidance_scale: classifier-free guidance ``s``: logits ``u + s
                (c - u)`` of the conditional ``c`` and unconditional ``u``
                (empty caption) predictions; 1 uses ``c`` alone (needs
                ``text_dropout > 0`` otherwise).
            method: ``"fast"`` (key/value cache) or ``"naive"`` (rerun the
                sequence for every code).
            batch_size: grids sampled together.

        Returns:
            NumPy ``(num_samples, h, w)``, uint8 when ``num_codes <= 256``,
            else int32.

        Raises:
            ValueError: for bad arguments or captions.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        self.check_conditions(conditions, num_samples)
        text = self.check_captions(captions, num_samples, required=True)
        temperature = _check_number(temperature, "temperature")
        guidance = _check_number(guidance_scale, "guidance_scale", inclusive=True)
        if top_k is not None:
            top_k = check_positive_int(top_k, "top_k")
        if top_p is not None:
            top_p = _check_number(top_p, "top_p")
            if top_p > 1.0:
                raise ValueError(f"top_p must be in (0, 1]; received {top_p!r}.")
        if method not in SAMPLING_METHODS:
            raise ValueError(
                f"method must be one of {SAMPLING_METHODS}; received {method!r}."
            )
        guided = guidance != 1.0
        if guided and not self.text_dropout:
            raise ValueError(
                "Classifier-free guidance mixes in the model's unconditional "
                "predictions (the empty caption), which a model trained with "
                "text_dropout=0 never learned; use guidance_scale=1."
            )
        batch_size = check_positive_int(batch_size, "batch_size")
        generator = self.sampling_seed_generator(seed)
        options = (top_k, top_p, guided)
        loop = self._fast_loop if method == "fast" else self._naive_loop
        key = f"sample_{method}_{top_k}_{top_p}_{guided}"
        fn = self.compiled_inference(
            key,
            lambda t, n, temp, g: loop(t, n, temp, g, options),
            xla=True,
        )
        if backend.name() == "torch":
            scalars = (temperature, guidance)
        else:
            scalars = (
                ops.convert_to_tensor(temperature, "float32"),
                ops.convert_to_tensor(guidance, "float32"),
            )

        def sample_batch(batch_text):
            noise = self.draw_noise(len(batch_text), generator)
            return fn(ops.convert_to_tensor(batch_text, "int32"), noise, *scalars)

        out = map_batches(sample_batch, [text], batch_size)
        out = out.reshape(num_samples, *self.code_grid_shape)
        return out.astype("uint8" if self.num_codes <= 256 else "int32")

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "code_grid_shape": list(self.code_grid_shape),
                "num_codes": self.num_codes,
                "text_vocabulary_size": self.text_vocabulary_size,
                "text_length": self.text_length,
                "embedding_dim": self.embedding_dim,
                "num_layers": self.num_layers,
                "num_heads": self.num_heads,
                "mlp_dim": self.mlp_dim,
                "dropout": self.dropout,
                "text_dropout": self.text_dropout,
                "seed": self.seed,
            }
        )
        return config
