"""Data sets and pixel transforms."""
