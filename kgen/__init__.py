"""kgen: deep generative models on Keras 3.

One code base for the TensorFlow, JAX and PyTorch backends. Choose the backend
with the ``KERAS_BACKEND`` environment variable *before* importing kgen (or
Keras).
"""

__version__ = "0.1.0"

# `kgen ... --backend NAME`: set KERAS_BACKEND before the imports below load
# Keras (kgen.cli imports only the standard library at module level).
from kgen.cli import apply_backend_flag as _apply_backend_flag

_apply_backend_flag()

from kgen import (  # noqa: E402
    backend,
    callbacks,
    data,
    distributions,
    evaluation,
    layers,
    losses,
    models,
    sampling,
    viz,
)
from kgen.api_export import registered_objects  # noqa: E402
