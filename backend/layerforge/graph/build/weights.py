"""Weights from one Keras model into another, matched layer by layer.

A weight set is a `.keras` file (read with Keras's safe mode). Its layers are matched
to the layers of a model built from a graph by name first (a nested model's layers as
`model_name/layer_name`), then, for the layers whose names differ, by position: the
next unmatched layer of the set, in order, with the same type and weight shapes. What
was loaded, what was skipped and why, and what keeps its fresh initial values is
returned as a `WeightMatch`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import keras


def weighted_layers(model: keras.Model, prefix: str = "") -> list[tuple[str, keras.layers.Layer]]:
    """(path, layer) of every layer holding weights, in the model's layer order; a nested
    Functional or Sequential model is walked (`outer/inner`), a wrapper is one layer."""
    found: list[tuple[str, keras.layers.Layer]] = []
    seen: set[int] = set()
    for layer in model.layers:
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if isinstance(layer, keras.Model):
            found += weighted_layers(layer, f"{prefix}{layer.name}/")
        elif layer.weights:
            found.append((prefix + layer.name, layer))
    return found


def shapes_of(layer: keras.layers.Layer) -> list[list[int]]:
    return [[int(d) for d in w.shape] for w in layer.weights]


def layer_list(model: keras.Model) -> list[dict[str, Any]]:
    """The layers carrying weights: name (path), Keras class, weight shapes, parameters."""
    rows = []
    for path, layer in weighted_layers(model):
        shapes = shapes_of(layer)
        params = sum(_size(s) for s in shapes)
        rows.append(
            {"name": path, "type": type(layer).__name__, "shapes": shapes, "params": params}
        )
    return rows


def _size(shape: list[int]) -> int:
    size = 1
    for d in shape:
        size *= d
    return size


def load_weight_file(path: str | Path) -> keras.Model:
    """The model of a `.keras` file, in safe mode (no code is deserialised), uncompiled."""
    model: keras.Model = keras.saving.load_model(Path(path), compile=False, safe_mode=True)
    return model


@dataclass
class WeightMatch:
    """(layer, counterpart or reason) rows: `loaded` (target layer, source layer, "name"
    or "position"), `skipped` (source layer, reason), `initialised` (target layer, reason)."""

    loaded: list[tuple[str, str, Literal["name", "position"]]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    initialised: list[tuple[str, str]] = field(default_factory=list)


def _describe(shapes: list[list[int]]) -> str:
    return ", ".join("(" + ", ".join(map(str, s)) + ")" for s in shapes)


def assign_weights(target: keras.Model, source: keras.Model) -> WeightMatch:
    """Copy the weights of `source`'s layers into `target`'s (see the module docstring)."""
    match = WeightMatch()
    sources = weighted_layers(source)
    by_name = dict(sources)
    used: dict[str, str] = {}  # source path -> why it was not loaded ("" when it was)
    pending: list[tuple[str, keras.layers.Layer]] = []
    for path, layer in weighted_layers(target):
        twin = by_name.get(path)
        if twin is None:
            pending.append((path, layer))
        elif shapes_of(twin) == shapes_of(layer):
            layer.set_weights(twin.get_weights())
            match.loaded.append((path, path, "name"))
            used[path] = ""
        else:
            why = f"weights of shapes {_describe(shapes_of(twin))} where this layer has " + (
                _describe(shapes_of(layer))
            )
            match.initialised.append((path, f"the set's layer of this name has {why}"))
            used[path] = f"the graph's layer of this name has different shapes ({why})"
    free = [(p, layer) for p, layer in sources if p not in used]
    cursor = 0
    for path, layer in pending:
        kind, shapes = type(layer).__name__, shapes_of(layer)
        for i in range(cursor, len(free)):
            name, twin = free[i]
            if type(twin).__name__ == kind and shapes_of(twin) == shapes:
                layer.set_weights(twin.get_weights())
                match.loaded.append((path, name, "position"))
                used[name], cursor = "", i + 1
                break
        else:
            match.initialised.append(
                (path, f"no {kind} with weights of shapes {_describe(shapes)} in its place")
            )
    for name, _twin in sources:
        reason = used.get(name)
        if reason is None:
            match.skipped.append(
                (name, "no layer of the graph has its name, or its type and shapes in its place")
            )
        elif reason:
            match.skipped.append((name, reason))
    return match
