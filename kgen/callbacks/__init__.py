"""Training callbacks: NaN guard, sample grids, reconstructions, traversals."""

from kgen.callbacks.images import LatentTraversal, ReconstructionGrid, SampleGrid
from kgen.callbacks.nan_guard import NonFiniteLossError, StopOnNaN
from kgen.callbacks.sample_quality import SampleQuality
