"""Implicit masks, as Keras 3 writes them: `Embedding(mask_zero=True)` and `Masking`
attach a mask to their output that the next layers receive by themselves, yet the
saved config spells it out as keras.ops calls (`NotEqual(x, 0)`, for Masking also
`Any(axis=-1)`) fed to each consumer's `mask` argument. A drawn graph leaves such a
mask implicit, as the Keras code that made the model did: `drop_implicit_masks`
removes a mask edge whose tensor is exactly the mask Keras computes for the data
arriving at that call (same producer, same input, same value), and the ops left
without consumers. Any other mask stays an explicit edge into the `mask` port."""

from __future__ import annotations

from typing import Any

from layerforge.graph.ports import argument_ports, no_subgraphs, positional_port_names
from layerforge.graph.schema import Edge, Graph, Node

Tensor = tuple[str, int]
"""(node id, output port)."""


def drop_implicit_masks(graph: Graph) -> Graph:
    by_id = {n.id: n for n in graph.nodes}
    into: dict[str, dict[int, Edge]] = {}
    for edge in graph.edges:
        into.setdefault(edge.target, {})[edge.target_port] = edge
    dropped = set()
    for edge in graph.edges:
        target = by_id[edge.target]
        owner = by_id.get(target.shared_with or "", target)
        data_port = _mask_of(owner, edge.target_port)
        data = into.get(edge.target, {}).get(data_port) if data_port is not None else None
        if data is None:
            continue
        expected = _implicit_mask(by_id, into, (data.source, data.source_port))
        if expected is not None and expected == _mask_pattern(by_id, into, edge):
            dropped.add(id(edge))
    if not dropped:
        return graph
    edges = [e for e in graph.edges if id(e) not in dropped]
    nodes = list(graph.nodes)
    while True:  # ops that only computed the dropped masks
        used = {e.source for e in edges}
        dead = {n.id for n in nodes if n.type == "Op" and n.id not in used}
        if not dead:
            break
        nodes = [n for n in nodes if n.id not in dead]
        edges = [e for e in edges if e.target not in dead]
    return graph.model_copy(update={"nodes": nodes, "edges": edges})


def _mask_of(owner: Node, port: int) -> int | None:
    """The positional port whose mask a `mask` argument port carries, or None."""
    positional = len(positional_port_names(owner, no_subgraphs))
    named = argument_ports(owner)
    if not positional <= port < positional + len(named):
        return None
    item = named[port - positional]
    if item.argument != "mask":
        return None
    return item.item or 0


def _implicit_mask(
    by_id: dict[str, Node], into: dict[str, dict[int, Edge]], tensor: Tensor
) -> tuple[Any, ...] | None:
    """The mask Keras attaches to `tensor`, as (pattern, producer's input), found by
    walking back along the data (port 0) through layers to the Embedding or Masking
    that made it."""
    seen = set()
    node_id, _port = tensor
    while node_id not in seen:
        seen.add(node_id)
        node = by_id[node_id]
        owner = by_id.get(node.shared_with or "", node)
        source = into.get(node_id, {}).get(0)
        if source is None or owner.type in ("Input", "Op"):
            return None
        origin = (source.source, source.source_port)
        if owner.type == "Embedding" and owner.params.get("mask_zero") is True:
            return ("not_equal", origin, 0)
        if owner.type == "Masking":
            return ("any", ("not_equal", origin, owner.params.get("mask_value", 0.0)))
        node_id = source.source
    return None


def _mask_pattern(
    by_id: dict[str, Node], into: dict[str, dict[int, Edge]], edge: Edge
) -> tuple[Any, ...] | None:
    """What an Op chain computing a mask reads: ("not_equal", input, value) or
    ("any", <that>) for `Any(NotEqual(x, v), axis=-1)`; None for anything else."""
    node = by_id[edge.source]
    if node.type != "Op":
        return None
    params = node.params
    function = params.get("function")
    first = into.get(node.id, {}).get(0)
    if first is None:
        return None
    if function == "not_equal" and set(params) == {"function", "x2"}:
        return ("not_equal", (first.source, first.source_port), params["x2"])
    if function == "any" and params.get("axis") == -1 and not params.get("keepdims"):
        inner = _mask_pattern(by_id, into, first)
        return ("any", inner) if inner is not None else None
    return None
