"""GAN objectives and penalties."""

__all__ = []
