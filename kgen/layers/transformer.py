"""A small decoder-only transformer: causal self-attention with a key/value cache.

Written on ``keras.layers`` (``Dense``, ``LayerNormalization``,
``Dropout``) and ``keras.ops``, so that it runs on every backend and its
cached decoding step uses the very weights of the full pass. Each layer has
two ways to run:

- ``call(x)``: the whole sequence at once, every position attending to
  itself and the positions before it (a causal mask);
- ``prefill(x)`` / ``step(x_t, cache, position)``: the same computation for
  a prefix, then one position at a time, keeping the keys and values of the
  positions seen so far in a cache, so each new position costs one
  position's work instead of the whole sequence's.
"""

import math

import keras
from keras import ops

from kgen.api_export import kgen_export
from kgen.validation import check_positive_int

__all__ = ["CausalSelfAttention", "TransformerDecoderBlock", "causal_mask"]

# added to the scores of masked positions (finite: -inf gives NaN for a row
# that masks everything, and it must survive float16)
_MASKED = -1e9


def causal_mask(length):
    """``(length, length)`` booleans, ``True`` where position ``i`` may see ``j <= i``.

    Examples:
        >>> keras.ops.convert_to_numpy(causal_mask(3)).astype(int).tolist()
        [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    positions = ops.arange(length)
    return ops.greater_equal(positions[:, None], positions[None, :])


def _check_rate(value, name):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 <= value < 1
    ):
        raise ValueError(f"{name} must be a number in [0, 1); received {value!r}.")
    return float(value)


@kgen_export
class CausalSelfAttention(keras.layers.Layer):
    """Multi-head self-attention in which each position sees only the past.

    ``softmax(q k^T / sqrt(key_dim) + mask) v`` per head, with ``q, k, v``
    from one ``Dense`` projection of the input and a ``Dense`` output
    projection back to the input's width. ``call`` runs a whole sequence
    with a causal mask; ``prefill`` and ``step`` give the same outputs
    position by position from a key/value cache.

    Args:
        num_heads: attention heads.
        key_dim: size of each head's queries, keys and values.
        dropout: dropout rate of the attention weights (training only).
        use_bias: whether the projections have biases.
        seed: integer seed of the dropout.
        **kwargs: standard layer arguments.

    Call arguments:
        inputs: ``(batch, length, width)``.
        training: apply dropout.

    Returns:
        ``(batch, length, width)``.

    Examples:
        >>> import numpy as np
        >>> from keras import ops
        >>> from kgen.layers import CausalSelfAttention
        >>> layer = CausalSelfAttention(num_heads=2, key_dim=4)
        >>> x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")
        >>> full = ops.convert_to_numpy(layer(x))
        >>> out, cache = layer.prefill(x[:, :3], max_length=5)
        >>> step, cache = layer.step(x[:, 3:4], cache, 3)
        >>> bool(np.allclose(ops.convert_to_numpy(step)[:, 0], full[:, 3], atol=1e-5))
        True
    """

    def __init__(
        self, num_heads, key_dim, *, dropout=0.0, use_bias=True, seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.num_heads = check_positive_int(num_heads, "num_heads")
        self.key_dim = check_positive_int(key_dim, "key_dim")
        self.dropout = _check_rate(dropout, "dropout")
        self.use_bias = bool(use_bias)
        self.seed = seed
        self.qkv = keras.layers.Dense(
            3 * self.num_heads * self.key_dim, use_bias=self.use_bias, name="qkv"
        )
        self.output_projection = None
        self.attention_dropout = keras.layers.Dropout(
            self.dropout, seed=seed, name="attention_dropout"
        )

    def build(self, input_shape):
        width = int(input_shape[-1])
        self.qkv.build(input_shape)
        self.output_projection = keras.layers.Dense(
            width, use_bias=self.use_bias, name="output_projection"
        )
        self.output_projection.build((*input_shape[:-1], self.num_heads * self.key_dim))
        self.built = True

    # ----------------------------------------------------------------- pieces
    def _split_heads(self, x):
        """``(B, T, 3 H d)`` -> q, k, v of shape ``(B, H, T, d)``."""
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        x = ops.reshape(x, (batch, length, 3, self.num_heads, self.key_dim))
        x = ops.transpose(x, (2, 0, 3, 1, 4))
        return x[0], x[1], x[2]

    def _attend(self, q, k, v, mask, training=False):
        """Attention of queries ``(B, H, Tq, d)`` to keys/values ``(B, H, Tk, d)``.

        ``mask`` broadcasts to ``(B, H, Tq, Tk)``; True where allowed.
        """
        scores = ops.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(self.key_dim)
        scores = ops.where(mask, scores, ops.cast(_MASKED, scores.dtype))
        weights = ops.softmax(scores, axis=-1)
        weights = self.attention_dropout(weights, training=training)
        out = ops.einsum("bhqk,bhkd->bhqd", weights, v)
        batch, length = ops.shape(out)[0], ops.shape(out)[2]
        out = ops.reshape(
            ops.transpose(out, (0, 2, 1, 3)),
            (batch, length, self.num_heads * self.key_dim),
        )
        return self.output_projection(out)

    # ------------------------------------------------------------------ calls
    def call(self, inputs, training=None):
        q, k, v = self._split_heads(self.qkv(inputs))
        length = ops.shape(inputs)[1]
        return self._attend(q, k, v, causal_mask(length)[None, None], training)

    def prefill(self, inputs, max_length):
        """Run a prefix and start a cache of ``max_length`` positions.

        Args:
            inputs: ``(batch, length, width)``, the first ``length``
                positions.
            max_length: positions the cache holds (prefix included).

        Returns:
            ``(outputs, cache)``: the outputs of the prefix (as ``call``'s)
            and ``(keys, values)``, each ``(batch, num_heads, max_length,
            key_dim)``, filled up to ``length``.
        """
        q, k, v = self._split_heads(self.qkv(inputs))
        length = ops.shape(inputs)[1]
        outputs = self._attend(q, k, v, causal_mask(length)[None, None])
        pad = max_length - length
        if pad:
            zeros = ops.zeros(
                (ops.shape(k)[0], self.num_heads, pad, self.key_dim), k.dtype
            )
            k = ops.concatenate([k, zeros], axis=2)
            v = ops.concatenate([v, zeros], axis=2)
        return outputs, (k, v)

    def step(self, inputs, cache, position):
        """One position: its output from its inputs and the cached past.

        Args:
            inputs: ``(batch, 1, width)``, the inputs at ``position``.
            cache: ``(keys, values)`` from ``prefill`` or the previous step.
            position: int (or int32 scalar tensor), the position's index.

        Returns:
            ``(outputs (batch, 1, width), cache)`` with the position's key
            and value written into the cache.
        """
        keys, values = cache
        q, k, v = self._split_heads(self.qkv(inputs))
        max_length = ops.shape(keys)[2]
        slots = ops.arange(max_length)
        here = ops.equal(slots, position)[None, None, :, None]
        keys = ops.where(here, k, keys)
        values = ops.where(here, v, values)
        visible = ops.less_equal(slots, position)[None, None, None, :]
        return self._attend(q, keys, values, visible), (keys, values)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "dropout": self.dropout,
                "use_bias": self.use_bias,
                "seed": self.seed,
            }
        )
        return config


@kgen_export
class TransformerDecoderBlock(keras.layers.Layer):
    """A pre-norm transformer block: causal self-attention, then an MLP.

    ``x + attention(norm(x))``, then ``h + mlp(norm(h))`` with ``mlp =
    Dense(mlp_dim, gelu) -> Dense(width)`` (GPT-2's arrangement), dropout
    after each branch in training. ``prefill`` and ``step`` are the cached
    form of ``call`` (see `CausalSelfAttention`).

    Args:
        num_heads: attention heads.
        key_dim: size of each head (default ``width // num_heads``).
        mlp_dim: hidden units of the MLP (default ``4 * width``).
        dropout: dropout rate of both branches and of the attention weights.
        epsilon: of the layer normalizations.
        seed: integer seed of the dropouts.
        **kwargs: standard layer arguments.

    Call arguments:
        inputs: ``(batch, length, width)``.
        training: apply dropout.

    Returns:
        ``(batch, length, width)``.

    Examples:
        >>> import numpy as np
        >>> block = TransformerDecoderBlock(num_heads=2)
        >>> tuple(block(np.zeros((2, 5, 8), "float32")).shape)
        (2, 5, 8)

    References:
        Vaswani et al. "Attention Is All You Need", NeurIPS 2017; Radford et
        al. "Language Models are Unsupervised Multitask Learners", 2019.
    """

    def __init__(
        self,
        num_heads,
        key_dim=None,
        mlp_dim=None,
        *,
        dropout=0.0,
        epsilon=1e-5,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = check_positive_int(num_heads, "num_heads")
        self.key_dim = (
            None if key_dim is None else check_positive_int(key_dim, "key_dim")
        )
        self.mlp_dim = (
            None if mlp_dim is None else check_positive_int(mlp_dim, "mlp_dim")
        )
        self.dropout = _check_rate(dropout, "dropout")
        self.epsilon = float(epsilon)
        self.seed = seed
        self.attention_norm = keras.layers.LayerNormalization(
            epsilon=self.epsilon, name="attention_norm"
        )
        self.mlp_norm = keras.layers.LayerNormalization(
            epsilon=self.epsilon, name="mlp_norm"
        )
        self.attention = None
        self.mlp_hidden = None
        self.mlp_output = None
        self.attention_output_dropout = keras.layers.Dropout(
            self.dropout, seed=seed, name="attention_output_dropout"
        )
        self.mlp_dropout = keras.layers.Dropout(
            self.dropout, seed=None if seed is None else seed + 1, name="mlp_dropout"
        )

    def build(self, input_shape):
        width = int(input_shape[-1])
        key_dim = self.key_dim or max(1, width // self.num_heads)
        self.attention = CausalSelfAttention(
            self.num_heads,
            key_dim,
            dropout=self.dropout,
            seed=None if self.seed is None else self.seed + 2,
            name="attention",
        )
        self.mlp_hidden = keras.layers.Dense(
            self.mlp_dim or 4 * width, activation="gelu", name="mlp_hidden"
        )
        self.mlp_output = keras.layers.Dense(width, name="mlp_output")
        self.attention_norm.build(input_shape)
        self.mlp_norm.build(input_shape)
        self.attention.build(input_shape)
        self.mlp_hidden.build(input_shape)
        self.mlp_output.build((*input_shape[:-1], self.mlp_dim or 4 * width))
        self.built = True

    def _mlp(self, h, training=None):
        out = self.mlp_output(self.mlp_hidden(self.mlp_norm(h)))
        return h + self.mlp_dropout(out, training=training)

    def call(self, inputs, training=None):
        attended = self.attention(self.attention_norm(inputs), training=training)
        h = inputs + self.attention_output_dropout(attended, training=training)
        return self._mlp(h, training)

    def prefill(self, inputs, max_length):
        """The prefix's outputs and the attention's cache (see `CausalSelfAttention`)."""
        attended, cache = self.attention.prefill(
            self.attention_norm(inputs), max_length
        )
        return self._mlp(inputs + attended), cache

    def step(self, inputs, cache, position):
        """One position's output ``(batch, 1, width)`` and the updated cache."""
        attended, cache = self.attention.step(
            self.attention_norm(inputs), cache, position
        )
        return self._mlp(inputs + attended), cache

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "mlp_dim": self.mlp_dim,
                "dropout": self.dropout,
                "epsilon": self.epsilon,
                "seed": self.seed,
            }
        )
        return config
