import jax
import jax.numpy as jnp
import keras

from kgen.backend.groups import shared_loss_groups

# The stateless scope of the multi-optimizer step being traced, if any.
_active_scopes = []


def input_gradients(fn, x):
    def total(value):
        if not _active_scopes:
            return jnp.sum(fn(value))
        # Inside a training step, `fn` may update state (batch-norm statistics,
        # seed generators). Run it in a private copy of the step's scope so
        # that those updates, traced by this inner `jax.grad`, are dropped
        # instead of leaking into the step's state.
        inner = keras.StatelessScope()
        inner.state_mapping = dict(_active_scopes[-1].state_mapping)
        with inner:
            return jnp.sum(fn(value))

    return jax.grad(total)(jnp.asarray(x))


def num_replicas():
    return 1


def replica_index():
    return 0


def compile_function(fn, xla=False):
    return jax.jit(fn)  # JAX always compiles with XLA


def _run_in_scope(fn, all_variables, values):
    """Run ``fn`` statelessly over ``values``; return its result and new values."""
    mapping = [(v, values[id(v)]) for v in all_variables]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        _active_scopes.append(scope)
        try:
            result = fn()
        finally:
            _active_scopes.pop()
    new_values = {id(v): scope.get_current_value(v) for v in all_variables}
    return result, new_values


def _run_phase(phase, all_variables, values):
    """One phase on the state ``values`` ({id(variable): value}).

    Returns ``(new_values, logs)``; ``values`` is not modified.
    """
    values = dict(values)
    updates = phase.updates
    id_lists = [[id(v) for v in variables] for variables, _ in updates]
    differentiated = {i for ids in id_lists for i in ids}

    groups = []  # updates sharing a loss, found while tracing

    def scaled_losses(*group_values):
        current = dict(values)
        for ids, group in zip(id_lists, group_values):
            current.update(zip(ids, group))

        def run():
            losses, phase_logs = phase.compute()
            scaled = phase.losses_for_gradients(losses)
            groups[:] = shared_loss_groups(scaled)
            return tuple(scaled), dict(phase_logs)

        (losses, phase_logs), new_values = _run_in_scope(run, all_variables, current)
        # Keep state updates (batch-norm statistics, seed generators, counters)
        # made while computing the losses; the differentiated variables are
        # updated by the optimizers below, not here.
        kept = {k: v for k, v in new_values.items() if k not in differentiated}
        return losses, (phase_logs, kept)

    group_values = [[values[i] for i in ids] for ids in id_lists]
    # One forward pass; one backward pass per loss, each loss with respect
    # to its own variables (a single loss makes this `jax.grad`).
    losses, vjp_fn, (phase_logs, kept) = jax.vjp(
        scaled_losses, *group_values, has_aux=True
    )
    values.update(kept)
    # one backward pass per distinct loss: the cotangent selects the loss,
    # and the pass gives the gradient for every update that shares it
    all_grads = [None] * len(updates)
    for group in groups:
        cotangent = tuple(
            jnp.ones_like(x) if j == group[0] else jnp.zeros_like(x)
            for j, x in enumerate(losses)
        )
        grads = vjp_fn(cotangent)
        for i in group:
            all_grads[i] = grads[i]
    for grads, ids, group, (_, optimizer) in zip(
        all_grads, id_lists, group_values, updates
    ):
        optimizer_variables = optimizer.variables
        new_group, new_optimizer_values = optimizer.stateless_apply(
            [values[id(v)] for v in optimizer_variables], grads, group
        )
        values.update(zip(ids, new_group))
        values.update(
            (id(v), value)
            for v, value in zip(optimizer_variables, new_optimizer_values)
        )
    if phase.after is not None:
        _, new_values = _run_in_scope(phase.after, all_variables, values)
        values.update(new_values)
    return values, phase_logs


def _run_phase_every(phase, all_variables, values, step):
    """Run ``phase`` iff ``step % phase.every == 0``: ``(values, logs, ran)``.

    Both branches of the ``jax.lax.cond`` return the whole state, so that the
    skipped branch leaves every variable and optimizer slot as it was; its
    logs are zeros shaped like the phase's (found by ``jax.eval_shape``).
    """

    def run(values):
        return _run_phase(phase, all_variables, values)

    _, log_shapes = jax.eval_shape(run, values)

    def skip(values):
        return values, jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), log_shapes)

    ran = jnp.equal(jnp.mod(step, phase.every), 0)
    values, logs = jax.lax.cond(ran, run, skip, values)
    return values, logs, ran.astype("float32")


def multi_optimizer_train_step(model, state, data):
    groups = [
        model.trainable_variables,
        model.non_trainable_variables,
        model.optimizer.variables,
        model.metrics_variables,
    ]
    all_variables = [v for group in groups for v in group]
    values = {}
    for group, group_values in zip(groups, state):
        for variable, value in zip(group, group_values):
            values[id(variable)] = value
    # Steps done before this one.
    step = values[id(model.optimizer.iterations)]

    logs, weights = {}, {}
    for phase in model.training_phases(data):
        if phase.runs_every_step():
            values, phase_logs = _run_phase(phase, all_variables, values)
        else:
            values, phase_logs, ran = _run_phase_every(
                phase, all_variables, values, step
            )
            weights.update({k: ran for k in phase_logs})
        logs.update(phase_logs)

    def finish():
        model.optimizer.iterations.assign_add(1)
        return model.update_training_metrics(logs, weights)

    results, new_values = _run_in_scope(finish, all_variables, values)
    values.update(new_values)
    new_state = tuple([values[id(v)] for v in group] for group in groups)
    return results, new_state


def train_step_then(model, step, after, state, data):
    logs, state = step(state, data)
    trainable, non_trainable, optimizer_values, metrics = state
    pairs = (
        list(zip(model.trainable_variables, trainable))
        + list(zip(model.non_trainable_variables, non_trainable))
        + list(zip(model.optimizer.variables, optimizer_values))
    )
    with keras.StatelessScope(state_mapping=pairs) as scope:
        after()
    non_trainable = [scope.get_current_value(v) for v in model.non_trainable_variables]
    return logs, (trainable, non_trainable, optimizer_values, metrics)
