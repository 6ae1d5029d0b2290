"""Vector quantization: the bottleneck of VQ-VAEs (van den Oord et al., 2017).

`VectorQuantizer` maps every vector of its input (the last axis) to the
nearest of ``num_embeddings`` codebook vectors, passes the gradient straight
through to the encoder and returns its results by name. The codebook is
learned by gradient descent on the codebook loss, or (``decay`` set) as an
exponential moving average of the vectors assigned to each code, with
optional restarts of dead codes and k-means initialisation from the first
batch.
"""

import keras
from keras import ops

from kgen import backend
from kgen.api_export import kgen_export
from kgen.validation import check_positive_int

__all__ = ["VectorQuantizer", "codebook_statistics"]


def codebook_statistics(counts):
    """Perplexity and fraction of codes used, from per-code counts.

    Args:
        counts: ``(num_embeddings,)`` float counts (vectors assigned to each
            code).

    Returns:
        ``(perplexity, usage)``: ``exp(-sum_k p_k log p_k)`` with ``p_k =
        counts_k / sum(counts)`` (the effective number of codes in use:
        ``num_embeddings`` for uniform use, 1 when one code takes all) and
        the fraction of codes with a non-zero count.

    Examples:
        >>> import numpy as np
        >>> perplexity, usage = codebook_statistics(np.array([2.0, 2.0, 0.0, 0.0]))
        >>> round(float(perplexity), 4), float(usage)
        (2.0, 0.5)
    """
    counts = ops.cast(counts, "float32")
    probabilities = counts / ops.maximum(ops.sum(counts), 1e-12)
    # 0 log 0 = 0
    entropy = -ops.sum(
        ops.where(
            probabilities > 0,
            probabilities * ops.log(ops.maximum(probabilities, 1e-30)),
            0.0,
        )
    )
    usage = ops.mean(ops.cast(counts > 0, "float32"))
    return ops.exp(entropy), usage


def _squared_distances(vectors, codebook):
    """``||z_i - e_k||^2`` for ``vectors`` ``(N, D)`` and ``codebook`` ``(K, D)``."""
    # ||z||^2 - 2 z.e + ||e||^2
    return (
        ops.sum(ops.square(vectors), axis=1, keepdims=True)
        - 2.0 * ops.matmul(vectors, ops.transpose(codebook))
        + ops.sum(ops.square(codebook), axis=1)[None, :]
    )


def _kmeans(vectors, centroids, iterations):
    """Lloyd's iterations from ``centroids``; a centroid without members stays."""
    num_codes = ops.shape(centroids)[0]
    for _ in range(iterations):
        assignment = ops.argmin(_squared_distances(vectors, centroids), axis=1)
        one_hot = ops.one_hot(assignment, num_codes, dtype="float32")
        counts = ops.sum(one_hot, axis=0)
        sums = ops.matmul(ops.transpose(one_hot), vectors)
        centroids = ops.where(
            counts[:, None] > 0, sums / ops.maximum(counts, 1.0)[:, None], centroids
        )
    return centroids


@kgen_export
class VectorQuantizer(keras.layers.Layer):
    """Nearest-codebook-vector quantization with a straight-through gradient.

    Every vector ``z`` of the input's last axis (``embedding_dim`` values) is
    replaced by the nearest codebook vector ``e_k``, ``k = argmin_k ||z -
    e_k||^2``. The output is ``z + stop_gradient(e_k - z)``: the value of
    ``e_k`` with the gradient of the identity, so the decoder's gradient
    reaches the encoder unchanged (the straight-through estimator). The
    losses, per example (averaged over positions and channels), are

    - the commitment loss ``||z - sg(e_k)||^2``, weighted by
      ``commitment_cost`` (beta, 0.25 as in the paper), which keeps the
      encoder's outputs close to their codes;
    - the codebook loss ``||sg(z) - e_k||^2``, which moves the codes towards
      their vectors (gradient codebook only).

    Their batch mean ``codebook + beta * commitment`` is added as a layer loss
    (``layer.losses``), so a functional model trains the codebook without
    further code; the per-example values are returned as ``"loss"``.

    **EMA codebook** (``decay`` set): the codebook is not trained by gradient
    but follows the vectors assigned to it, an online k-means (the paper's
    appendix). With ``n_k`` the vectors assigned to code ``k`` in a training
    batch and ``s_k`` their sum::

        N_k <- decay * N_k + (1 - decay) * n_k
        m_k <- decay * m_k + (1 - decay) * s_k
        e_k  = m_k / N~_k,  N~_k = (N_k + epsilon) / (N + K epsilon) * N,  N = sum_k N_k

    (``N~`` is the Laplace-smoothed cluster size). ``N_k`` starts at 1 and
    ``m_k`` at the initial ``e_k``, as if every code had been assigned one
    vector at its own place, so a code that is never used keeps its vector
    instead of collapsing. The state (``ema_cluster_size`` ``N``,
    ``ema_embedding_sum`` ``m``, the codebook) is made of non-trainable
    weights, updated only when the layer is called with ``training=True``;
    Keras's own train steps carry the updates on every backend (JAX: through
    the stateless scope of its ``fit``). Under a ``tf.distribute`` strategy
    the counts and sums are those of the global batch.

    **Dead codes** (``dead_code_threshold``, EMA codebook): after each
    update a code whose ``N_k`` is below the threshold (vectors per batch,
    smoothed) is restarted at an encoder output of the current batch chosen
    at random (from the layer's seed), with ``N_k = 1``.

    **k-means initialisation** (``kmeans_init=True``, EMA codebook): the
    first training batch sets the codebook by ``kmeans_iterations`` Lloyd
    iterations started from randomly chosen vectors of that batch.

    Restarts and k-means write the codebook, so they need the EMA codebook,
    whose state is non-trainable (a gradient-trained codebook is a trainable
    weight, which a layer must not overwrite during ``call``).

    Args:
        num_embeddings: ``K``, the number of codes.
        embedding_dim: ``D``, the size of each code vector (the input's last
            axis).
        commitment_cost: beta, weight of the commitment loss.
        decay: None for a codebook trained by gradient; a float in (0, 1) for
            the EMA codebook (0.99 in the paper).
        epsilon: Laplace smoothing of the EMA cluster sizes.
        dead_code_threshold: restart codes whose EMA cluster size falls below
            this (EMA codebook; None: no restarts).
        kmeans_init: initialise the EMA codebook by k-means on the first
            training batch.
        kmeans_iterations: Lloyd iterations of that initialisation.
        embeddings_initializer: initializer of the codebook (sonnet's
            default: variance scaling, uniform).
        seed: integer seed of the restarts and of the k-means start.
        **kwargs: standard layer arguments (``name``...).

    Call arguments:
        inputs: float tensor ``(batch, ..., embedding_dim)``.
        training: update the EMA state (EMA codebook) and restart dead codes.

    Returns:
        A dict of tensors:

        - ``"quantized"``: like ``inputs``, the code vectors (straight-through
          gradient);
        - ``"indices"``: int32 ``(batch, ...)``, the chosen codes;
        - ``"loss"``: ``(batch,)``, ``codebook + commitment_cost * commitment``
          per example;
        - ``"commitment_loss"``, ``"codebook_loss"``: ``(batch,)`` each (the
          codebook loss is 0 for the EMA codebook);
        - ``"perplexity"``: scalar, ``exp`` of the entropy of the batch's code
          frequencies;
        - ``"codebook_usage"``: scalar, the fraction of codes used in the
          batch.

    Raises:
        ValueError: for invalid arguments, or inputs whose last axis is not
            ``embedding_dim``.

    Examples:
        >>> import numpy as np
        >>> from keras import ops
        >>> from kgen.layers import VectorQuantizer
        >>> layer = VectorQuantizer(num_embeddings=8, embedding_dim=2, seed=0)
        >>> z = np.random.default_rng(0).normal(size=(4, 3, 3, 2)).astype("float32")
        >>> out = layer(z)
        >>> tuple(out["quantized"].shape), tuple(out["indices"].shape)
        ((4, 3, 3, 2), (4, 3, 3))
        >>> codes = ops.convert_to_numpy(layer.lookup(out["indices"]))
        >>> bool(np.allclose(codes, ops.convert_to_numpy(out["quantized"])))
        True

    References:
        van den Oord, Vinyals, Kavukcuoglu. "Neural Discrete Representation
        Learning", NeurIPS 2017 (the quantizer and its EMA variant).
        Razavi, van den Oord, Vinyals. "Generating Diverse High-Fidelity
        Images with VQ-VAE-2", NeurIPS 2019. Dhariwal et al. "Jukebox", 2020
        (random restarts of dead codes).
    """

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        *,
        commitment_cost=0.25,
        decay=None,
        epsilon=1e-5,
        dead_code_threshold=None,
        kmeans_init=False,
        kmeans_iterations=10,
        embeddings_initializer="variance_scaling",
        seed=None,
        **kwargs,
    ):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.num_embeddings = check_positive_int(num_embeddings, "num_embeddings")
        self.embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
        if self.num_embeddings < 2:
            raise ValueError(
                f"num_embeddings must be at least 2; received {num_embeddings!r}."
            )
        if (
            isinstance(commitment_cost, bool)
            or not isinstance(commitment_cost, (int, float))
            or not commitment_cost >= 0
        ):
            raise ValueError(
                "commitment_cost must be a non-negative number; received "
                f"{commitment_cost!r}."
            )
        if decay is not None and (
            isinstance(decay, bool)
            or not isinstance(decay, (int, float))
            or not 0.0 < decay < 1.0
        ):
            raise ValueError(
                f"decay must be None (codebook trained by gradient) or a number in "
                f"(0, 1) (EMA codebook); received {decay!r}."
            )
        if not (isinstance(epsilon, (int, float)) and epsilon > 0):
            raise ValueError(
                f"epsilon must be a positive number; received {epsilon!r}."
            )
        if dead_code_threshold is not None and (
            isinstance(dead_code_threshold, bool)
            or not isinstance(dead_code_threshold, (int, float))
            or not dead_code_threshold > 0
        ):
            raise ValueError(
                "dead_code_threshold must be None or a positive number (an EMA "
                f"cluster size); received {dead_code_threshold!r}."
            )
        for name, wanted in (
            ("dead_code_threshold", dead_code_threshold is not None),
            ("kmeans_init", bool(kmeans_init)),
        ):
            if wanted and decay is None:
                raise ValueError(
                    f"{name} writes the codebook, which only the EMA codebook "
                    "allows (its state is non-trainable; a gradient-trained "
                    "codebook is a trainable weight, which a layer must not "
                    f"overwrite in call). Set decay=0.99 (or another value in "
                    f"(0, 1)) to use {name}."
                )
        self.commitment_cost = float(commitment_cost)
        self.decay = None if decay is None else float(decay)
        self.epsilon = float(epsilon)
        self.dead_code_threshold = (
            None if dead_code_threshold is None else float(dead_code_threshold)
        )
        self.kmeans_init = bool(kmeans_init)
        self.kmeans_iterations = check_positive_int(
            kmeans_iterations, "kmeans_iterations"
        )
        self.embeddings_initializer = keras.initializers.get(
            keras.initializers.VarianceScaling(distribution="uniform", seed=seed)
            if embeddings_initializer == "variance_scaling"
            else embeddings_initializer
        )
        self._embeddings_initializer_name = (
            embeddings_initializer
            if isinstance(embeddings_initializer, str)
            else keras.initializers.serialize(self.embeddings_initializer)
        )
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def uses_ema(self):
        """Whether the codebook is the EMA codebook (``decay`` set)."""
        return self.decay is not None

    def build(self, input_shape):
        if input_shape[-1] is not None and int(input_shape[-1]) != self.embedding_dim:
            raise ValueError(
                f"{type(self).__name__} quantizes vectors of embedding_dim="
                f"{self.embedding_dim} values (the last axis); received inputs of "
                f"shape {tuple(input_shape)}."
            )
        shape = (self.num_embeddings, self.embedding_dim)
        # Under tf.distribute every replica assigns the same value to the
        # state, or R times its share of a sum: "mean" aggregation then gives
        # the global batch's statistics (see _global_sum).
        self.embeddings = self.add_weight(
            shape=shape,
            initializer=self.embeddings_initializer,
            trainable=not self.uses_ema,
            name="embeddings",
            # a trainable codebook changes only through the optimizer
            aggregation="mean" if self.uses_ema else "none",
        )
        # counts of the codes in the last training batch (the global batch)
        self.batch_counts = self.add_weight(
            shape=(self.num_embeddings,),
            initializer="zeros",
            trainable=False,
            name="batch_counts",
            aggregation="mean",
        )
        if self.uses_ema:
            self.ema_cluster_size = self.add_weight(
                shape=(self.num_embeddings,),
                initializer="ones",
                trainable=False,
                name="ema_cluster_size",
                aggregation="mean",
            )
            self.ema_embedding_sum = self.add_weight(
                shape=shape,
                initializer="zeros",
                trainable=False,
                name="ema_embedding_sum",
                aggregation="mean",
            )
            # m_k starts at e_k (N_k = 1): one pseudo-vector per code
            self.ema_embedding_sum.assign(ops.copy(self.embeddings.value))
        if self.kmeans_init:
            self.initialized = self.add_weight(
                shape=(),
                initializer="zeros",
                trainable=False,
                name="initialized",
                aggregation="mean",
            )
        self.built = True

    # ------------------------------------------------------------------ verbs
    def codebook(self):
        """The codebook ``(num_embeddings, embedding_dim)`` as a float32 tensor."""
        return ops.cast(ops.convert_to_tensor(self.embeddings), "float32")

    def lookup(self, indices):
        """Code vectors of ``indices``: int ``(...)`` -> ``(..., embedding_dim)``.

        Indices must lie in ``[0, num_embeddings - 1]`` (the models' verbs
        check them before they get here).
        """
        return ops.take(self.codebook(), ops.cast(indices, "int32"), axis=0)

    def quantize(self, inputs):
        """Nearest codes of ``inputs`` ``(..., embedding_dim)``: int32 ``(...)``."""
        flat = ops.reshape(ops.cast(inputs, "float32"), (-1, self.embedding_dim))
        indices = ops.argmin(_squared_distances(flat, self.codebook()), axis=1)
        return ops.reshape(ops.cast(indices, "int32"), ops.shape(inputs)[:-1])

    # ------------------------------------------------------------------- call
    def call(self, inputs, training=None):
        z = ops.cast(inputs, "float32")
        shape = ops.shape(z)
        flat = ops.reshape(z, (-1, self.embedding_dim))
        flat_constant = ops.stop_gradient(flat)
        codebook = self.codebook()
        if training and self.kmeans_init:
            codebook = self._kmeans_initialisation(flat_constant, codebook)
        indices = ops.argmin(_squared_distances(flat_constant, codebook), axis=1)
        indices = ops.cast(indices, "int32")
        one_hot = ops.one_hot(indices, self.num_embeddings, dtype="float32")
        counts = ops.sum(one_hot, axis=0)
        if training:
            counts = self._global_sum(self.batch_counts, counts)
            if self.uses_ema:
                self._ema_update(flat_constant, one_hot, counts)
        codes = ops.take(codebook, indices, axis=0)
        quantized = ops.reshape(codes, shape)
        batch = shape[0]
        # per example: mean over positions and channels
        commitment = ops.mean(
            ops.reshape(ops.square(z - ops.stop_gradient(quantized)), (batch, -1)),
            axis=1,
        )
        if self.uses_ema:
            codebook_loss = ops.zeros_like(commitment)
        else:
            codebook_loss = ops.mean(
                ops.reshape(ops.square(ops.stop_gradient(z) - quantized), (batch, -1)),
                axis=1,
            )
        loss = codebook_loss + self.commitment_cost * commitment
        self.add_loss(ops.mean(loss))
        perplexity, usage = codebook_statistics(counts)
        # straight-through: the value of the code, the gradient of the identity
        straight_through = z + ops.stop_gradient(quantized - z)
        return {
            "quantized": ops.cast(straight_through, inputs.dtype),
            "indices": ops.reshape(indices, shape[:-1]),
            "loss": loss,
            "commitment_loss": commitment,
            "codebook_loss": codebook_loss,
            "perplexity": perplexity,
            "codebook_usage": usage,
        }

    # -------------------------------------------------------- training state
    @staticmethod
    def _global_sum(variable, value):
        """The sum of ``value`` over the replicas of a ``tf.distribute`` strategy.

        Each replica assigns ``num_replicas * value`` to a variable with
        "mean" aggregation and reads back the mean: the sum over replicas,
        the number one device computes on the whole batch. With one replica
        (JAX, torch, one device) it assigns ``value`` and returns it.
        """
        replicas = backend.num_replicas()
        if replicas == 1:
            variable.assign(value)
            return value
        variable.assign(value * float(replicas))
        return ops.convert_to_tensor(variable)

    def _ema_update(self, flat, one_hot, counts):
        """The EMA update of the cluster sizes, sums and codebook (see class)."""
        decay = self.decay
        replicas = float(backend.num_replicas())
        sums = ops.matmul(ops.transpose(one_hot), flat)
        size = (
            decay * ops.convert_to_tensor(self.ema_cluster_size)
            + (1.0 - decay) * counts
        )
        self.ema_cluster_size.assign(size)
        # R * this replica's sum, "mean"-aggregated: the global batch's sum
        total = (
            decay * ops.convert_to_tensor(self.ema_embedding_sum)
            + (1.0 - decay) * replicas * sums
        )
        self.ema_embedding_sum.assign(total)
        if replicas > 1:
            total = ops.convert_to_tensor(self.ema_embedding_sum)
        if self.dead_code_threshold is not None:
            dead = size < self.dead_code_threshold
            restart = self._restart_vectors(flat)
            total = ops.where(dead[:, None], restart, total)
            size = ops.where(dead, ops.ones_like(size), size)
            self.ema_cluster_size.assign(size)
            self.ema_embedding_sum.assign(total)
            if replicas > 1:
                total = ops.convert_to_tensor(self.ema_embedding_sum)
        # e_k = m_k / N~_k with Laplace-smoothed cluster sizes
        n = ops.sum(size)
        smoothed = (size + self.epsilon) / (n + self.num_embeddings * self.epsilon) * n
        self.embeddings.assign(total / smoothed[:, None])

    def _restart_vectors(self, flat):
        """One vector of the (global) batch per code, chosen at random.

        Under a ``tf.distribute`` strategy every replica draws the same row
        numbers of the global batch; the replica holding a row gives
        ``num_replicas`` times it, the others zero, so the "mean"-aggregated
        assignment of the caller stores exactly that row.
        """
        replicas = backend.num_replicas()
        rows = ops.shape(flat)[0]
        chosen = keras.random.randint(
            (self.num_embeddings,),
            0,
            rows * replicas,
            seed=self.seed_generator,
            dtype="int32",
        )
        if replicas == 1:
            return ops.take(flat, chosen, axis=0)
        # this replica's row numbers in the global batch
        global_rows = backend.replica_draw(lambda n: ops.arange(n, dtype="int32"), rows)
        mine = ops.cast(ops.equal(chosen[:, None], global_rows[None, :]), "float32")
        return float(replicas) * ops.matmul(mine, flat)

    def _kmeans_initialisation(self, flat, codebook):
        """The codebook after k-means on the first training batch (then kept)."""
        if backend.num_replicas() > 1:
            raise ValueError(
                "kmeans_init clusters the first training batch on one replica; "
                "under a tf.distribute strategy with several replicas each would "
                "cluster only its share. Train the first epoch on one device, or "
                "use dead_code_threshold (restarts) instead of kmeans_init."
            )
        rows = ops.shape(flat)[0]
        # drawn outside the branch: random ops must not run inside ops.cond
        start = keras.random.randint(
            (self.num_embeddings,), 0, rows, seed=self.seed_generator, dtype="int32"
        )
        done = ops.greater(ops.convert_to_tensor(self.initialized), 0.5)
        initial = ops.cond(
            done,
            lambda: codebook,
            lambda: _kmeans(
                flat, ops.take(flat, start, axis=0), self.kmeans_iterations
            ),
        )
        # the k-means codebook becomes the EMA state: N_k = 1, m_k = e_k
        self.ema_cluster_size.assign(
            ops.where(done, ops.convert_to_tensor(self.ema_cluster_size), 1.0)
        )
        self.ema_embedding_sum.assign(
            ops.where(done, ops.convert_to_tensor(self.ema_embedding_sum), initial)
        )
        self.embeddings.assign(initial)
        self.initialized.assign(ops.ones_like(ops.convert_to_tensor(self.initialized)))
        return initial

    # ------------------------------------------------------------ Keras API
    def compute_output_spec(self, inputs, training=None):
        batch_shape = tuple(inputs.shape)
        per_example = (batch_shape[0],)
        return {
            "quantized": keras.KerasTensor(batch_shape, dtype=inputs.dtype),
            "indices": keras.KerasTensor(batch_shape[:-1], dtype="int32"),
            "loss": keras.KerasTensor(per_example, dtype="float32"),
            "commitment_loss": keras.KerasTensor(per_example, dtype="float32"),
            "codebook_loss": keras.KerasTensor(per_example, dtype="float32"),
            "perplexity": keras.KerasTensor((), dtype="float32"),
            "codebook_usage": keras.KerasTensor((), dtype="float32"),
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_embeddings": self.num_embeddings,
                "embedding_dim": self.embedding_dim,
                "commitment_cost": self.commitment_cost,
                "decay": self.decay,
                "epsilon": self.epsilon,
                "dead_code_threshold": self.dead_code_threshold,
                "kmeans_init": self.kmeans_init,
                "kmeans_iterations": self.kmeans_iterations,
                "embeddings_initializer": self._embeddings_initializer_name,
                "seed": self.seed,
            }
        )
        return config
