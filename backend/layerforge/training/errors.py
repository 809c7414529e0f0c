"""Map an exception raised while training back to the graph node it belongs to.

The trainer names every layer node Keras would otherwise auto-name after the node's
id (`name_layers_after_nodes`), so each Keras layer name maps to one node. An
exception is then placed by (1) the innermost layer whose `__call__` frame is in
the traceback (Python errors while tracing), else (2) a layer name in TensorFlow's
op path, e.g. "Detected at node sequential_1/emb_1/GatherV2" (runtime errors)."""

from __future__ import annotations

import re
from typing import Any

from layerforge.graph.schema import Graph
from layerforge.graph.topology import GraphIndex, input_name, layer_names

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def name_layers_after_nodes(graph: Graph) -> Graph:
    """A copy of the graph where every layer Keras would auto-name is named after its node id."""
    graph = graph.model_copy(deep=True)
    names = layer_names(GraphIndex.of(graph))
    taken = {n for n in names.values() if n} | {
        input_name(n) for n in graph.nodes if n.type == "Input"
    }
    for node in graph.nodes:
        if node.id in names and names[node.id] is None and node.type != "Model":
            candidate = _UNSAFE.sub("_", node.id)
            if candidate not in taken:
                node.name = candidate
                taken.add(candidate)
    return graph


def layer_node_map(graph: Graph) -> dict[str, str]:
    """Keras layer name -> node id, for a graph passed through `name_layers_after_nodes`."""
    index = GraphIndex.of(graph)
    mapping = {name: nid for nid, name in layer_names(index).items() if name}
    for node in graph.nodes:
        if node.type == "Input":
            mapping.setdefault(input_name(node), node.id)
        elif node.type == "Model" and not node.shared_with:
            mapping.setdefault(str(node.params.get("subgraph")), node.id)
    return mapping


def _traceback_layers(exc: BaseException) -> list[str]:
    """Names of Keras layers whose frames are on the exception's traceback, outermost first."""
    seen: list[str] = []
    current: BaseException | None = exc
    while current is not None:
        tb = current.__traceback__
        while tb is not None:
            owner: Any = tb.tb_frame.f_locals.get("self")
            name = getattr(owner, "name", None)
            if isinstance(name, str) and hasattr(owner, "trainable_weights") and name not in seen:
                seen.append(name)
            tb = tb.tb_next
        current = current.__cause__ or current.__context__
    return seen


def node_of_exception(exc: BaseException, layer_nodes: dict[str, str]) -> str | None:
    """The node id an exception belongs to, or None when no layer is named by it."""
    for name in reversed(_traceback_layers(exc)):
        if name in layer_nodes:
            return layer_nodes[name]
    text = str(exc)
    for name in sorted(layer_nodes, key=len, reverse=True):
        if re.search(rf"(?:^|[\s/'\"]){re.escape(name)}(?:_\d+)?/", text):
            return layer_nodes[name]
    return None
