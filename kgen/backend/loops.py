"""Compiling the body of an inference loop that runs inside ``compile_function``.

Part of ``kgen.backend``, the only package that knows what each backend
compiles. JAX and TensorFlow compile a sampling loop (``keras.ops.fori_loop``
inside ``compile_function(..., xla=True)``) as one program, body included.
torch runs ``fori_loop`` as a Python loop that dispatches every Keras
operation separately: for a loop with a small body called hundreds of times
(the cached autoregressive sampler: one call per pixel) that dispatch, not
the arithmetic, is the cost, and ``torch.compile`` of the body removes it.
"""

import warnings

import keras

__all__ = ["TORCH_MIN_CALLS", "compile_loop_body"]

#: On torch, the bodies of a loop are compiled only when the loop takes at
#: least this many steps: ``torch.compile`` costs seconds (4-60 s measured for
#: the 12-block Gated PixelCNN pixel step on a shared 2-core CPU, depending on
#: the load and on Inductor's on-disk cache), one eager call of that step
#: about 2-3 ms.
TORCH_MIN_CALLS = 256


def compile_loop_body(fn, *, loop_steps):
    """``fn``, compiled where that pays, for the body of a compiled loop.

    On JAX and TensorFlow ``fn`` is returned unchanged: the enclosing loop is
    compiled as one program and ``fn`` is traced into it. On torch, when
    ``loop_steps >= TORCH_MIN_CALLS``, ``fn`` is wrapped in ``torch.compile``
    (static shapes; compiled at its first call, and again only for new
    shapes or a new model); should compiling fail (no C++ compiler, an
    unsupported operation), a warning says so and ``fn`` runs eagerly. On
    torch every call runs on one intra-op thread (the previous count is
    restored after it): a loop body's operations are one pixel's worth of
    work, too small to gain from more.

    Args:
        fn: a pure function of tensors (and nested tuples or lists of them)
            returning tensors. It must read no Keras variables: pass weights
            in as tensors. Python numbers it closes over are compiled in as
            constants, so pass values that change between calls (a
            temperature, a loop index) as tensors.
        loop_steps: the steps of the sampling loop ``fn`` belongs to (e.g.
            ``H * W`` pixels), the work the compile time is weighed against.

    Returns:
        A callable with ``fn``'s signature.
    """
    if keras.config.backend() != "torch":
        return fn
    import torch

    compiled = None
    if loop_steps >= TORCH_MIN_CALLS:
        compiled = torch.compile(fn, dynamic=False)
    failed = []

    def run(*args):
        # A loop body works on one pixel's worth of data: its operations are
        # far too small to split across threads, and splitting them costs
        # more than it saves (a (8, 64) x (64, 128) matmul took 6 us on one
        # thread and 470 us on two of a busy 2-core machine, measured). Run it
        # on one thread; setting the count costs well under a microsecond.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            if compiled is not None and not failed:
                try:
                    return compiled(*args)
                except Exception as error:  # noqa: BLE001 - fall back, said aloud
                    failed.append(error)
                    warnings.warn(
                        f"torch.compile of a sampling loop body failed "
                        f"({type(error).__name__}: {str(error)[:300]}); running "
                        "it eagerly instead.",
                        stacklevel=2,
                    )
            return fn(*args)
        finally:
            torch.set_num_threads(threads)

    return run
