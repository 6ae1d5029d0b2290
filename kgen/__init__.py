"""kgen: deep generative models on Keras 3.

One code base for the TensorFlow, JAX and PyTorch backends. Choose the backend
with the ``KERAS_BACKEND`` environment variable *before* importing kgen (or
Keras). Importing kgen reads no command line and sets no environment
variable; the ``kgen`` command (``kgen_command``) chooses the backend from
``--backend`` before it imports kgen.
"""

__version__ = "0.1.0"

from kgen import (
    backend,
    callbacks,
    contract,
    data,
    distributions,
    evaluation,
    layers,
    losses,
    models,
    sampling,
    training,
    viz,
)
from kgen.api_export import registered_objects
