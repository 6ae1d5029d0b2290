import tensorflow as tf

from kgen.backend.groups import shared_loss_groups


def input_gradients(fn, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(fn(x))
    return tape.gradient(y, x)


def num_replicas():
    return tf.distribute.get_strategy().num_replicas_in_sync


def replica_index():
    context = tf.distribute.get_replica_context()
    return 0 if context is None else context.replica_id_in_sync_group


def compile_function(fn, xla=False):
    return tf.function(fn, jit_compile=xla, reduce_retracing=True)


def _run_phase(phase):
    """Compute one phase's losses, apply its updates; return its logs."""
    updates = phase.updates
    with tf.GradientTape(persistent=len(updates) > 1) as tape:
        losses, phase_logs = phase.compute()
        scaled = phase.losses_for_gradients(losses)
    # Every gradient is taken before any update is applied; updates that
    # share a loss share its backward pass.
    all_grads = [None] * len(updates)
    for group in shared_loss_groups(scaled):
        variables = [v for i in group for v in updates[i][0]]
        grads = tape.gradient(scaled[group[0]], variables)
        grads = [tf.zeros_like(v) if g is None else g for g, v in zip(grads, variables)]
        start = 0
        for i in group:
            count = len(updates[i][0])
            all_grads[i] = grads[start : start + count]
            start += count
    del tape
    for grads, (variables, optimizer) in zip(all_grads, updates):
        optimizer.apply(grads, variables)
    if phase.after is not None:
        phase.after()
    return dict(phase_logs)


def _run_phase_every(model, phase, step):
    """Run ``phase`` iff ``step % phase.every == 0``: ``(logs, ran)``."""
    ran = tf.equal(tf.math.floormod(tf.cast(step, "int64"), phase.every), 0)
    if tf.executing_eagerly():
        if bool(ran):
            return _run_phase(phase), tf.ones((), "float32")
        return {}, tf.zeros((), "float32")
    if (
        tf.distribute.has_strategy()
        and tf.distribute.in_cross_replica_context() is False
    ):
        if num_replicas() > 1:
            return _run_phase_and_undo(model, phase, ran), tf.cast(ran, "float32")
    # tf.cond traces `run` before `skip`; `skip` returns zeros of the same
    # structure (the trackers weight them by 0).
    traced = {}

    def run():
        logs = _run_phase(phase)
        logs = {k: tf.convert_to_tensor(v) for k, v in logs.items()}
        traced.update({k: (v.shape, v.dtype) for k, v in logs.items()})
        return logs

    def skip():
        if not traced:  # pragma: no cover - depends on tf.cond's tracing order
            raise RuntimeError(
                "tf.cond traced the skipped branch of a phase with every > 1 "
                "first; kgen.backend needs updating for this TensorFlow."
            )
        return {k: tf.zeros(shape, dtype) for k, (shape, dtype) in traced.items()}

    return tf.cond(ran, run, skip), tf.cast(ran, "float32")


def _run_phase_and_undo(model, phase, ran):
    """``every > 1`` under a strategy with several replicas.

    A ``tf.cond`` cannot hold the optimizers' cross-replica synchronization
    (TensorFlow refuses a ``merge_call`` inside control flow), so the phase
    runs on every step and, where it should not have run, every variable it
    may have changed (the model's and its optimizers') is set back to its
    value before the phase: the same results as skipping it, without the
    saving in computation.
    """
    optimizers = []
    for _, optimizer in phase.updates:
        if all(optimizer is not o for o in optimizers):
            optimizers.append(optimizer)
    variables = list(model.trainable_variables) + list(model.non_trainable_variables)
    for optimizer in optimizers:
        variables.extend(optimizer.variables)
    tf_variables = [getattr(v, "value", v) for v in variables]
    before = [tf.identity(v) for v in tf_variables]
    logs = _run_phase(phase)
    with tf.control_dependencies([tf.convert_to_tensor(v) for v in logs.values()]):
        kept = [
            tf.where(ran, v.read_value(), old) for v, old in zip(tf_variables, before)
        ]

    def restore(strategy, pairs):
        for variable, value in pairs:
            strategy.extended.update(
                variable, lambda v, x: v.assign(x), args=(value,), group=False
            )

    tf.distribute.get_replica_context().merge_call(
        restore, args=(list(zip(tf_variables, kept)),)
    )
    return logs


def multi_optimizer_train_step(model, data):
    logs, weights = {}, {}
    step = model.optimizer.iterations.value  # steps done before this one
    for phase in model.training_phases(data):
        if phase.runs_every_step():
            logs.update(_run_phase(phase))
            continue
        phase_logs, ran = _run_phase_every(model, phase, step)
        logs.update(phase_logs)
        weights.update({k: ran for k in phase_logs})
    model.optimizer.iterations.assign_add(1)
    return model.update_training_metrics(logs, weights)


def train_step_then(model, step, after, data):
    logs = step(data)
    after()
    return logs
