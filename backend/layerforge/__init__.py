"""Layerforge: a visual model builder for Keras."""

__version__ = "0.1.0"
