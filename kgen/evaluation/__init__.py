"""Evaluation: likelihood summaries, sample-quality distances, memorization."""

from kgen.losses.likelihood import bits_per_dim, nats_to_bits_per_dim
