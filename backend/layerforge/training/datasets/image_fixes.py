"""One-click fixes for an Input that does not take an image set's images (another size,
another channel count, or a flat vector): set the Input's shape to the images', and where
the layers after it want the old size keep it for them with a Resizing node (same
channels) or a Flatten node (a flat Input of as many values). Each fix is offered only
once the patched graph validated and fitted to the same set with the problem gone and no
new one (as label_fixes does)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from layerforge.graph.checks.fixes import set_param
from layerforge.graph.problems import Problem
from layerforge.graph.schema import Graph
from layerforge.graph.topology import input_name
from layerforge.training.datasets.fitting import map_arrays
from layerforge.training.datasets.label_fixes import Patch, Refit, attach_checked_fixes
from layerforge.training.datasets.models import DatasetInfo

CODE = "dataset_shape_mismatch"


def add_image_fixes(graph: Graph, info: DatasetInfo, problems: list[Problem], refit: Refit) -> None:
    """Attach checked fixes to the shape mismatches of Inputs fed by an image set."""
    if info.kind != "images":
        return
    attach_checked_fixes(graph, problems, refit, CODE, lambda node: _candidates(graph, info, node))


def _after_input(
    graph: Graph, position: dict[str, int], nid: str, layer: str, params: dict[str, Any]
) -> Patch:
    """A new node right after Input `nid`: it feeds what the Input fed."""
    taken = {n.id for n in graph.nodes}
    new = next(
        f"{layer.lower()}_{i}"
        for i in range(1, len(taken) + 2)
        if f"{layer.lower()}_{i}" not in taken
    )
    ops: Patch = [
        {"op": "replace", "path": f"/edges/{i}/source", "value": new}
        for i, e in enumerate(graph.edges)
        if e.source == nid
    ]
    return [
        *ops,
        {"op": "add", "path": "/nodes/-", "value": {"id": new, "type": layer, "params": params}},
        {"op": "add", "path": "/edges/-", "value": {"source": nid, "target": new}},
    ]


def _candidates(graph: Graph, info: DatasetInfo, nid: str) -> Iterator[tuple[str, Patch]]:
    position = {n.id: i for i, n in enumerate(graph.nodes)}
    node = graph.nodes[position[nid]]
    mapped, _ = map_arrays(
        info, [input_name(n) for n in graph.nodes if n.type == "Input"], "inputs"
    )
    array = info.arrays.get(mapped.get(input_name(node), ""))
    if node.type != "Input" or array is None or len(array.shape) != 4:
        return
    images = [int(d) for d in array.shape[1:]]
    shape = list(node.params.get("shape") or [])
    set_shape = set_param(position, nid, "shape", images)
    what = "x".join(map(str, images))
    yield f"Set input {nid!r} to the set's images, {what}", set_shape
    h, w, c = images
    if (
        len(shape) == 3
        and shape[2] == c
        and shape[:2] != [h, w]
        and all(isinstance(d, int) for d in shape)
    ):
        resize = _after_input(
            graph, position, nid, "Resizing", {"height": shape[0], "width": shape[1]}
        )
        yield (
            f"Take {what} images at {nid!r} and resize them to {shape[0]}x{shape[1]} for the layers after it",
            set_shape + resize,
        )
    if len(shape) == 1 and shape[0] == math.prod(images):
        flatten = _after_input(graph, position, nid, "Flatten", {})
        yield (
            f"Take {what} images at {nid!r} and flatten them to {shape[0]} values",
            set_shape + flatten,
        )
