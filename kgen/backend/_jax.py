import jax
import jax.numpy as jnp


def input_gradients(fn, x):
    return jax.grad(lambda value: jnp.sum(fn(value)))(jnp.asarray(x))


def compile_function(fn):
    return jax.jit(fn)
