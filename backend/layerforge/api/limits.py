"""Caps on a graph's size (`settings.limits`), checked before any Keras work or save."""

from __future__ import annotations

from layerforge.graph.problems import Problem
from layerforge.graph.schema import Graph
from layerforge.settings import Limits


def graph_size_problems(graph: Graph, limits: Limits) -> list[Problem]:
    """`too_large` when the graph (sub-graphs included) has too many nodes, `too_deep`
    when sub-graphs nest too deep; the same measures as validation uses."""
    from layerforge.graph.topology import count_nodes, nesting_depth  # imports Keras

    nodes, depth = count_nodes(graph), nesting_depth(graph)
    problems = []
    if nodes > limits.nodes:
        problems.append(
            Problem(
                code="too_large",
                message=f"The graph has {nodes} nodes (sub-graphs included); the limit is {limits.nodes}.",
            )
        )
    if depth > limits.nesting_depth:
        problems.append(
            Problem(
                code="too_deep",
                message=f"Sub-graphs nest {depth} deep; the limit is {limits.nesting_depth}.",
            )
        )
    return problems
