"""Port arithmetic without Keras: how many input and output ports a node has and what
they are called, from its `LayerKind` and, for a `Model` use, its sub-graph's Input and
Output nodes. The structure checks, the build and the validate answer all read it here."""

from __future__ import annotations

from collections.abc import Callable

from layerforge.graph.catalogue.kinds import kind
from layerforge.graph.schema import Graph, InnerLayer, Node
from layerforge.graph.structure import input_name, output_name

SubgraphLookup = Callable[[str], Graph | None]
"""Sub-graph key -> its definition in scope, or None."""

LayerLike = Node | InnerLayer


def _model_of(layer: LayerLike, subgraphs: SubgraphLookup) -> Graph | None:
    key = layer.params.get("subgraph")
    return subgraphs(key) if isinstance(key, str) else None


def input_port_range(layer: LayerLike, subgraphs: SubgraphLookup) -> tuple[int, int | None]:
    """(minimum, maximum) number of input ports; maximum None means any number."""
    if layer.type == "Model":
        sub = _model_of(layer, subgraphs)
        n = 1 if sub is None else sum(1 for n in sub.nodes if n.type == "Input")
        return n, n
    found = kind(layer.type)
    if found is None:
        return 1, 1
    return found.min_inputs, found.max_inputs


def _state_names(layer: LayerLike) -> list[str]:
    """The extra outputs `return_state=True` gives (a Bidirectional: both directions')."""
    found = kind(layer.type)
    if found is not None and found.states and layer.params.get("return_state") is True:
        return list(found.states)
    if layer.type == "Bidirectional" and layer.inner is not None:
        inner = _state_names(layer.inner)
        return [f"forward_{s}" for s in inner] + [f"backward_{s}" for s in inner]
    return []


def output_port_names(layer: LayerLike, subgraphs: SubgraphLookup) -> list[str]:
    """Output ports in order: ["output"], plus states, or a sub-graph's Output names."""
    if layer.type == "Output":
        return []
    if layer.type == "Model":
        sub = _model_of(layer, subgraphs)
        return (
            ["output"] if sub is None else [output_name(n) for n in sub.nodes if n.type == "Output"]
        )
    return ["output", *_state_names(layer)]


def output_ports(layer: LayerLike, subgraphs: SubgraphLookup) -> int:
    """Number of output ports: 1, or more for `return_state` and multi-output sub-graphs."""
    return len(output_port_names(layer, subgraphs))


def input_port_names(layer: LayerLike, subgraphs: SubgraphLookup, connected: int) -> list[str]:
    """Input ports in order: the layer's own names (query, value, key), a sub-graph's
    Input names, or input_0.. for a layer taking several; `connected` (one past the
    highest connected port) sizes a layer that takes any number."""
    if layer.type == "Model":
        sub = _model_of(layer, subgraphs)
        if sub is not None:
            return [input_name(n) for n in sub.nodes if n.type == "Input"]
    found = kind(layer.type)
    if found is not None and found.input_names:
        return list(found.input_names)
    low, high = input_port_range(layer, subgraphs)
    count = max(low, connected) if high is None else high
    return ["input"] if count == 1 and high == 1 else [f"input_{i}" for i in range(count)]


def variadic_inputs(layer: LayerLike) -> bool:
    """Whether the layer takes any number of inputs (the editor offers a spare port)."""
    found = kind(layer.type)
    return found is not None and found.variadic and layer.type != "Model"
