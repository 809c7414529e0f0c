"""Helpers shared by the graph-core tests: graphs from compact descriptions."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from layerforge.graph.schema import Graph, parse_graph

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example(name: str) -> Graph:
    return parse_graph(json.loads((EXAMPLES / name).read_text()))


def node(id: str, type: str, name: str | None = None, **params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": id, "type": type, "params": params}
    if name is not None:
        out["name"] = name
    return out


def edge(source: str, target: str, source_port: int = 0, target_port: int = 0) -> dict[str, Any]:
    return {
        "source": source,
        "source_port": source_port,
        "target": target,
        "target_port": target_port,
    }


def graph(nodes: list[dict], edges: list[dict], **extra: Any) -> Graph:
    return parse_graph({"nodes": nodes, "edges": edges, **extra})


def chain(
    input_shape: list,
    *layers: tuple[str, dict],
    output: dict | None = None,
    **extra: Any,
) -> Graph:
    """Input -> layers... -> Output, node ids n0.. in order."""
    nodes = [node("in", "Input", shape=input_shape)]
    for i, (type_, params) in enumerate(layers):
        nodes.append(node(f"n{i}", type_, **params))
    nodes.append(node("out", "Output", **(output or {"loss": "mse"})))
    ids = [n["id"] for n in nodes]
    return graph(nodes, [edge(a, b) for a, b in itertools.pairwise(ids)], **extra)
