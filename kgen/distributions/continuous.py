"""continuous distributions."""

__all__ = []
