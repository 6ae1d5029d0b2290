"""adversarial layers."""

__all__ = []
