"""Evaluation: likelihood summaries, sample-quality distances, memorization."""

from kgen.evaluation.frechet import (
    extract_features,
    frechet_distance,
    frechet_distance_from_statistics,
)
from kgen.evaluation.likelihood import iwae_from_log_weights, likelihood_report
from kgen.evaluation.neighbours import NearestNeighbours, nearest_neighbours
from kgen.losses.likelihood import bits_per_dim, nats_to_bits_per_dim
