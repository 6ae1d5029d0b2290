"""latent models."""

__all__ = []
