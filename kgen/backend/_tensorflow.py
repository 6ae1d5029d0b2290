import tensorflow as tf


def input_gradients(fn, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(fn(x))
    return tape.gradient(y, x)


def num_replicas():
    return tf.distribute.get_strategy().num_replicas_in_sync


def compile_function(fn, xla=False):
    return tf.function(fn, jit_compile=xla, reduce_retracing=True)


def multi_optimizer_train_step(model, data):
    logs = {}
    for phase in model.training_phases(data):
        updates = phase.updates
        with tf.GradientTape(persistent=len(updates) > 1) as tape:
            losses, phase_logs = phase.compute()
            scaled = [o.scale_loss(loss) for loss, (_, o) in zip(losses, updates)]
        # Every gradient is taken before any update is applied.
        all_grads = []
        for loss, (variables, _) in zip(scaled, updates):
            grads = tape.gradient(loss, variables)
            all_grads.append(
                [tf.zeros_like(v) if g is None else g for g, v in zip(grads, variables)]
            )
        del tape
        for grads, (variables, optimizer) in zip(all_grads, updates):
            optimizer.apply(grads, variables)
        if phase.after is not None:
            phase.after()
        logs.update(phase_logs)
    model.optimizer.iterations.assign_add(1)
    return model.update_training_metrics(logs)
