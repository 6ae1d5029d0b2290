import tensorflow as tf


def input_gradients(fn, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(fn(x))
    return tape.gradient(y, x)


def compile_function(fn):
    return tf.function(fn, reduce_retracing=True)


def multi_optimizer_train_step(model, data):
    logs = {}
    for phase in model.training_phases(data):
        with tf.GradientTape() as tape:
            loss, phase_logs = phase.loss_fn()
            scaled_loss = phase.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled_loss, phase.variables)
        grads = [
            tf.zeros_like(v) if g is None else g for g, v in zip(grads, phase.variables)
        ]
        phase.optimizer.apply(grads, phase.variables)
        if phase.after is not None:
            phase.after()
        logs.update(phase_logs)
    model.optimizer.iterations.assign_add(1)
    return model.update_training_metrics(logs)
