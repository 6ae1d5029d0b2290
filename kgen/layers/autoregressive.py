"""autoregressive layers."""

__all__ = []
