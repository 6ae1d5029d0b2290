import jax
import jax.numpy as jnp
import keras


def input_gradients(fn, x):
    return jax.grad(lambda value: jnp.sum(fn(value)))(jnp.asarray(x))


def compile_function(fn):
    return jax.jit(fn)


def _run_in_scope(fn, all_variables, values):
    """Run ``fn`` statelessly over ``values``; return its result and new values."""
    mapping = [(v, values[id(v)]) for v in all_variables]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        result = fn()
    new_values = {id(v): scope.get_current_value(v) for v in all_variables}
    return result, new_values


def multi_optimizer_train_step(model, state, data):
    trainable, non_trainable, optimizer_values, metrics_values = state
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

    logs = {}
    for phase in model.training_phases(data):
        phase_ids = [id(v) for v in phase.variables]
        phase_id_set = set(phase_ids)

        def scaled_loss(phase_values, phase=phase, phase_ids=phase_ids):
            current = dict(values)
            current.update(zip(phase_ids, phase_values))

            def run():
                loss, phase_logs = phase.loss_fn()
                return phase.optimizer.scale_loss(loss), phase_logs

            (loss, phase_logs), new_values = _run_in_scope(run, all_variables, current)
            # Keep state updates (batch-norm statistics, seed generators) made
            # while computing the loss; the phase's own variables are
            # differentiated, not updated, here.
            updates = {k: v for k, v in new_values.items() if k not in phase_id_set}
            return loss, (phase_logs, updates)

        phase_values = [values[i] for i in phase_ids]
        grads, (phase_logs, updates) = jax.grad(scaled_loss, has_aux=True)(phase_values)
        values.update(updates)
        optimizer_variables = phase.optimizer.variables
        new_phase_values, new_optimizer_values = phase.optimizer.stateless_apply(
            [values[id(v)] for v in optimizer_variables], grads, phase_values
        )
        values.update(zip(phase_ids, new_phase_values))
        values.update(
            (id(v), value)
            for v, value in zip(optimizer_variables, new_optimizer_values)
        )
        if phase.after is not None:
            _, new_values = _run_in_scope(phase.after, all_variables, values)
            values.update(new_values)
        logs.update(phase_logs)

    def finish():
        model.optimizer.iterations.assign_add(1)
        return model.update_training_metrics(logs)

    results, new_values = _run_in_scope(finish, all_variables, values)
    values.update(new_values)
    new_state = tuple([values[id(v)] for v in group] for group in groups)
    return results, new_state
