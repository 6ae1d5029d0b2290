"""categorical distributions."""

__all__ = []
