"""logistic_mixture distributions."""

__all__ = []
