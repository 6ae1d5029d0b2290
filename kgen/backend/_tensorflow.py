import tensorflow as tf


def input_gradients(fn, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(fn(x))
    return tape.gradient(y, x)


def compile_function(fn):
    return tf.function(fn, reduce_retracing=True)
