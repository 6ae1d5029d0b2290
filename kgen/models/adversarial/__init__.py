"""adversarial models."""

__all__ = []
