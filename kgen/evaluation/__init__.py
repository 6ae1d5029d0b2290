"""Evaluation: likelihood summaries, sample-quality distances, memorization.

Every function here works from a model's declaration (``kgen.contract``):
what it can report is read from ``model.capabilities`` and its data from
``model.data_convention``.
"""

from kgen.evaluation.frechet import (
    extract_features,
    frechet_distance,
    frechet_distance_from_statistics,
)
from kgen.evaluation.likelihood import (
    evaluate_model,
    iwae_from_log_weights,
    likelihood_report,
    mean_and_standard_error,
)
from kgen.evaluation.neighbours import NearestNeighbours, nearest_neighbours
from kgen.losses.likelihood import mean_bits_per_dim, nats_to_bits_per_dim
