"""Checking a graph: `structure` and `params` (no Keras call), `shapes` (layers called on
symbolic tensors), `report` (the typed validate answer and build summary), `validate` (runs them all), `cache`."""
