"""Caps on a graph's size (`settings.limits`): each breach is a `too_large` problem."""

from __future__ import annotations

from layerforge.graph.errors import Problem
from layerforge.graph.schema import Graph
from layerforge.settings import Limits


def _size_and_depth(graph: Graph) -> tuple[int, int]:
    """Nodes in the graph and all its sub-graphs, and the deepest nesting of sub-graphs
    and wrapped layers (iterative, so a deep graph cannot exhaust the stack)."""
    nodes, depth = 0, 0
    pending = [(graph, 0)]
    while pending:
        current, level = pending.pop()
        nodes += len(current.nodes)
        depth = max(depth, level)
        for node in current.nodes:
            inner, inner_level = node.inner, level
            while inner is not None:
                inner_level += 1
                inner = inner.inner
            depth = max(depth, inner_level)
        pending.extend((sub, level + 1) for sub in current.subgraphs.values())
    return nodes, depth


def graph_size_problems(graph: Graph, limits: Limits) -> list[Problem]:
    nodes, depth = _size_and_depth(graph)
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
                code="too_large",
                message=(
                    f"Sub-graphs and wrapped layers nest {depth} levels deep; "
                    f"the limit is {limits.nesting_depth}."
                ),
            )
        )
    return problems


def params_problem(total_params: int | None, limits: Limits) -> Problem | None:
    if total_params is None or total_params <= limits.params:
        return None
    return Problem(
        code="too_large",
        message=f"The model has {total_params:,} parameters; the limit is {limits.params:,}.",
    )
