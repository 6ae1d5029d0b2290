"""latent layers."""

__all__ = []
