"""The only package in kgen that imports TensorFlow, JAX or PyTorch.

Everything else is written with ``keras.ops``/``keras.random``/``keras.layers``
and calls the few functions exported here when it needs something Keras does
not offer portably (gradients with respect to inputs, multi-optimizer training
steps). The implementation is chosen once, from ``keras.config.backend()``.
"""

import keras

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


class Phase:
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
    """

    def __init__(self, loss_fn, variables, optimizer, after=None):
        self.loss_fn = loss_fn
        self.variables = list(variables)
        self.optimizer = optimizer
        self.after = after

    @property
    def updates(self):
        """``[(variables, optimizer)]``: what the phase's losses update."""
        return [(self.variables, self.optimizer)]

    def compute(self):
        """``([loss], logs)``: one loss per entry of ``updates``."""
        loss, logs = self.loss_fn()
        return [loss], logs


class JointPhase:
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
    """

    def __init__(self, loss_fn, updates, after=None):
        self.loss_fn = loss_fn
        self.updates = [(list(v), o) for v, o in updates]
        self.after = after

    def compute(self):
        losses, logs = self.loss_fn()
        return list(losses), logs


def multi_optimizer_train_step(model, *args):
    """A training step made of several optimizer updates, on any backend.

    Call it from ``train_step``: ``return kgen.backend.multi_optimizer_train_step(
    self, *args)`` (JAX passes ``(state, data)``, TensorFlow and torch pass
    ``(data,)``). The model provides:

    - ``model.training_phases(data)``: a list of ``Phase`` (or
      ``JointPhase``) objects, run in order (e.g. ``n_critic`` discriminator
      phases, then a generator phase);
    - ``model.optimizer``: an optimizer whose ``variables`` include those of
      every phase's optimizer, so that JAX's ``fit`` carries all their state
      (see ``kgen.models.adversarial.OptimizerGroup``); its ``iterations`` is
      advanced once per step;
    - ``model.update_training_metrics(logs)``: updates the metric trackers from
      the merged phase logs and returns the dict of results to report.

    On JAX the step is stateless: every phase runs inside a
    ``keras.StatelessScope`` over the values in ``state``, gradients come from
    ``jax.grad`` and updates from ``optimizer.stateless_apply``; the new state
    is returned. TensorFlow uses ``tf.GradientTape``; torch uses ``backward``
    and applies the updates under ``torch.no_grad()``.

    Returns:
        On TensorFlow and torch the logs dict; on JAX ``(logs, state)``.
    """
    return _impl.multi_optimizer_train_step(model, *args)
