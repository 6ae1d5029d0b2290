"""PixelCNN++ layers."""

__all__ = []
