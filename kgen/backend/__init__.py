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


def compile_function(fn):
    """Compile a pure tensor function for inference loops (sampling).

    JAX: ``jax.jit``; TensorFlow: ``tf.function`` (graph mode); torch: the
    function runs eagerly under ``torch.no_grad()`` (``torch.compile`` costs
    more than it saves for short CPU loops). ``fn`` must take and return
    tensors (or nested structures of them) and must not update Keras
    variables: draw random numbers before the call and pass them in.
    """
    return _impl.compile_function(fn)
