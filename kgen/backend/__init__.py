"""The only package in kgen that imports TensorFlow, JAX or PyTorch.

Everything else is written with ``keras.ops``/``keras.random``/``keras.layers``
and calls the few functions exported here when it needs something Keras does
not offer portably (gradients with respect to inputs, multi-optimizer training
steps). The implementation is chosen once, from ``keras.config.backend()``.
"""

import keras

from kgen.backend.groups import shared_loss_groups  # noqa: F401

_name = keras.config.backend()

if _name == "tensorflow":
    from kgen.backend import _tensorflow as _impl
elif _name == "jax":
    from kgen.backend import _jax as _impl
elif _name == "torch":
    from kgen.backend import _torch as _impl
else:  # pragma: no cover - numpy/openvino backends cannot train
    raise ImportError(
        f"kgen supports the 'tensorflow', 'jax' and 'torch' Keras backends; "
        f"KERAS_BACKEND is {_name!r}. Set KERAS_BACKEND before importing kgen."
    )


def name():
    """Return the active Keras backend name."""
    return _name


def input_gradients(fn, x):
    """Gradient of ``sum(fn(x))`` with respect to the tensor ``x``.

    Differentiable itself (the graph is kept), so it can be used inside a loss
    for gradient penalties (WGAN-GP, R1) and in tests of causality.

    Args:
        fn: callable taking a tensor shaped like ``x`` and returning a tensor.
        x: the input tensor (float).

    Returns:
        A tensor shaped like ``x``.
    """
    return _impl.input_gradients(fn, x)


def num_replicas():
    """Replicas that each compute a share of the batch and sum their gradients.

    ``tf.distribute`` strategies on TensorFlow run the step once per replica
    and sum the gradients, so a loss must be divided by this number (Keras's
    own ``compute_loss`` does it). On JAX a ``keras.distribution`` runs one
    global program over the whole batch, and torch has no distribution in
    the released Keras: 1 on both.
    """
    return _impl.num_replicas()


def replica_draw(draw, num_rows):
    """Per-example random numbers for this replica's rows of the global batch.

    Under a ``tf.distribute`` strategy every replica runs the step with the
    same seed-generator state, so a plain ``keras.random`` draw would give
    every replica the *same* noise (the global batch would hold each
    generated sample ``num_replicas()`` times). This draws the rows of the
    whole global batch and keeps this replica's share (the strategy hands
    replica ``r`` the ``r``-th consecutive slice of the batch), i.e. the
    numbers one device draws for these examples. Elsewhere (JAX, torch, one
    replica) it is ``draw(num_rows)``.

    Args:
        draw: callable ``draw(rows)`` returning a tensor with ``rows`` rows
            (e.g. ``lambda n: keras.random.normal((n, 8), seed=generator)``).
        num_rows: this replica's number of rows (a tensor in TF graphs).

    Returns:
        The ``num_rows`` rows of this replica.
    """
    replicas = num_replicas()
    if replicas == 1:
        return draw(num_rows)
    start = _impl.replica_index() * num_rows
    return draw(num_rows * replicas)[start : start + num_rows]


def compile_function(fn, *, xla=False):
    """Compile a pure tensor function for inference loops (sampling).

    JAX: ``jax.jit``; TensorFlow: ``tf.function`` (graph mode), with XLA
    when ``xla=True`` (``jit_compile=True``: the autoregressive sampling loops
    run 2-4x faster on CPU, for a longer first call); torch: the function runs
    eagerly under ``torch.no_grad()`` (``torch.compile`` costs more than it
    saves for short CPU loops). ``fn`` must take and return tensors (or
    nested structures of them) and must not update Keras variables: draw
    random numbers before the call and pass them in.
    """
    return _impl.compile_function(fn, xla=xla)


def train_step_then(model, step, after, *args):
    """Keras's own training step, then ``after()``, on any backend.

    For a single-optimizer model that keeps state updated *after* each
    optimizer step (an exponential moving average of the weights): its
    ``train_step`` calls ``return kgen.backend.train_step_then(self,
    super().train_step, self.update_after_step, *args)`` and keeps Keras's
    own per-backend step (gradients, loss scaling, distribution, metrics).

    ``after`` is a zero-argument callable written with ``keras.ops`` that
    reads the updated weights (and ``model.optimizer.iterations``) and
    ``assign``s to the model's non-trainable variables. On JAX it runs in a
    ``keras.StatelessScope`` over the step's new state, whose non-trainable
    part it replaces; on TensorFlow it runs after the step in the same
    graph (also per replica under a ``tf.distribute`` strategy, where the
    weights it reads are already synchronized); on torch under
    ``torch.no_grad()``.

    Returns:
        What ``step`` returns: the logs (TensorFlow, torch) or ``(logs,
        state)`` (JAX).
    """
    return _impl.train_step_then(model, step, after, *args)


def _check_every(every):
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(
            f"every must be a positive integer (run the phase on steps where "
            f"step % every == 0); received {every!r}."
        )
    return every


class _PhaseBase:
    """What every phase shares: the ``every`` schedule and loss scaling."""

    every = 1

    def runs_every_step(self):
        return self.every == 1

    def losses_for_gradients(self, losses):
        """The losses the step differentiates, one per entry of ``updates``.

        Each loss is divided by ``num_replicas()`` (``tf.distribute`` sums the
        replicas' gradients, so this makes them the gradient of the global
        batch's loss) and then scaled by its optimizer's ``scale_loss`` (a
        ``LossScaleOptimizer`` multiplies by its loss scale; other optimizers
        return the loss unchanged). The logs keep the unscaled values.
        """
        replicas = num_replicas()
        scaled, divided = [], {}
        for loss, (_, optimizer) in zip(losses, self.updates):
            if replicas > 1:
                # one division per distinct loss: updates that share a loss
                # keep sharing it (see `shared_loss_groups`)
                loss = divided.setdefault(id(loss), loss / replicas)
            scaled.append(optimizer.scale_loss(loss))
        return scaled


class Phase(_PhaseBase):
    """One optimizer update inside a multi-optimizer training step.

    Args:
        loss_fn: zero-argument callable written with ``keras.ops`` that returns
            ``(loss, logs)``: a scalar loss and a dict of scalar tensors to log.
            It reads the current values of the model's variables, so a phase
            sees the updates made by the phases before it.
        variables: the trainable variables this phase updates.
        optimizer: the optimizer applied to their gradients (its ``scale_loss``
            is applied to the loss, so a ``LossScaleOptimizer`` works).
        after: optional zero-argument callable run after the update, for
            projections such as WGAN weight clipping or an EMA of weights; it
            may ``assign`` to any model variable.
        every: run the phase only on steps whose number (``model.optimizer.
            iterations`` before the step, counting from 0) is a multiple of
            ``every`` ("lazy regularization", Karras et al. 2020): with
            ``every=4`` it runs on steps 0, 4, 8, ... On other steps nothing
            of it runs: no loss, no update, no ``after``, and its optimizer's
            ``iterations`` does not advance. Its logs then count with weight 0
            in the metric trackers (see ``multi_optimizer_train_step``).
    """

    def __init__(self, loss_fn, variables, optimizer, after=None, every=1):
        self.loss_fn = loss_fn
        self.variables = list(variables)
        self.optimizer = optimizer
        self.after = after
        self.every = _check_every(every)

    @property
    def updates(self):
        """``[(variables, optimizer)]``: what the phase's losses update."""
        return [(self.variables, self.optimizer)]

    def compute(self):
        """``([loss], logs)``: one loss per entry of ``updates``."""
        loss, logs = self.loss_fn()
        return [loss], logs


class JointPhase(_PhaseBase):
    """Several optimizer updates computed from one forward pass.

    For simultaneous updates (e.g. both GAN networks from the same batch of
    generated samples, as in most tutorial loops): each loss is
    differentiated only with respect to its own variables, the gradients are
    all taken before any update is applied.

    Args:
        loss_fn: zero-argument callable returning ``(losses, logs)`` with one
            scalar loss per entry of ``updates``.
        updates: list of ``(variables, optimizer)`` pairs.
        after: optional callable run after all updates.
        every: as for ``Phase``.
    """

    def __init__(self, loss_fn, updates, after=None, every=1):
        self.loss_fn = loss_fn
        self.updates = [(list(v), o) for v, o in updates]
        self.after = after
        self.every = _check_every(every)

    def compute(self):
        losses, logs = self.loss_fn()
        return list(losses), logs


def multi_optimizer_train_step(model, *args):
    """A training step made of several optimizer updates, on any backend.

    Call it from ``train_step``: ``return kgen.backend.multi_optimizer_train_step(
    self, *args)`` (JAX passes ``(state, data)``, TensorFlow and torch pass
    ``(data,)``). ``kgen.training.MultiNetworkModel`` does. The model
    provides:

    - ``model.training_phases(data)``: a list of ``Phase`` (or
      ``JointPhase``) objects, run in order (e.g. ``n_critic`` discriminator
      phases, then a generator phase);
    - ``model.optimizer``: an optimizer whose ``variables`` include those of
      every phase's optimizer, so that JAX's ``fit`` carries all their state
      (see ``kgen.training.OptimizerGroup``); its ``iterations`` counts the
      steps (read before the step by phases with ``every > 1``) and is
      advanced once per step;
    - ``model.update_training_metrics(logs, weights)``: updates the metric
      trackers from the merged phase logs and returns the dict of results to
      report. ``weights`` maps the log names of phases with ``every > 1`` to
      1.0 on steps where the phase ran and 0.0 where it did not (their logs
      are then zeros on TensorFlow and JAX, absent on torch and in eager
      TensorFlow); names of phases that run every step are not in it.

    A phase with ``every > 1`` runs under a conditional in the compiled step:
    ``jax.lax.cond`` on JAX, ``tf.cond`` in a TensorFlow graph (a Python
    ``if`` when eager), a Python ``if`` on torch. Both branches leave every
    variable and optimizer state consistent: the skipped branch changes
    nothing. Under a ``tf.distribute`` strategy with several replicas a
    ``tf.cond`` cannot hold the optimizers' cross-replica synchronization,
    so there the phase runs on every step and sets every variable it may
    have changed back where it should not have run (same results, no saving
    in computation).

    Losses are divided by ``num_replicas()`` before differentiation (see
    ``Phase.losses_for_gradients``); the logs hold the unscaled values.

    On JAX the step is stateless: every phase runs inside a
    ``keras.StatelessScope`` over the values in ``state``, gradients come from
    ``jax.vjp`` and updates from ``optimizer.stateless_apply``; the new state
    is returned. TensorFlow uses ``tf.GradientTape``; torch uses
    ``torch.autograd.grad`` and applies the updates under ``torch.no_grad()``.

    Returns:
        On TensorFlow and torch the logs dict; on JAX ``(logs, state)``.
    """
    return _impl.multi_optimizer_train_step(model, *args)
