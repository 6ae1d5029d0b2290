"""autoregressive models."""

__all__ = []

from kgen.models.autoregressive.base import (  # noqa: E402
    AutoregressiveModel,
    CategoricalAutoregressiveModel,
)
from kgen.models.autoregressive.gated_pixel_cnn import GatedPixelCNN  # noqa: E402
from kgen.models.autoregressive.pixel_cnn import PixelCNN  # noqa: E402

__all__ += [
    "AutoregressiveModel",
    "CategoricalAutoregressiveModel",
    "GatedPixelCNN",
    "PixelCNN",
]
from kgen.models.autoregressive.pixel_cnn_plus_plus import PixelCNNPlusPlus  # noqa: E402
from kgen.models.autoregressive.pixel_rnn import PixelRNN  # noqa: E402

__all__ += ["PixelCNNPlusPlus", "PixelRNN"]
from kgen.models.autoregressive import recipes as _recipes  # noqa: E402  (registers the family's recipes)
