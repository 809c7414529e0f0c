"""The Keras class of an allowlisted type, looked up where its `LayerKind` says
(`keras.layers` for the public layers, the Keras module of an internal layer that
`keras.applications` models use, such as ConvNeXt's LayerScale), never by a name
from outside the catalogue. Keras is imported on first use."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from layerforge.graph.catalogue.kinds import keras_kind


@cache
def keras_class(type_name: str) -> Any:
    """The class for an allowlisted Keras type, else None."""
    found = keras_kind(type_name)
    if found is None:
        return None
    return getattr(importlib.import_module(found.module), type_name)
