"""Training callbacks: NaN guard, sample grids, EMA of weights, ..."""

from kgen.callbacks.nan_guard import NonFiniteLossError, StopOnNaN
