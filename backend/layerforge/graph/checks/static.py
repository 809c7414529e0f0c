"""Every check that needs no Keras call, over a graph and its sub-graphs: the size caps,
sub-graphs that contain themselves, and per level the nodes' own checks
(`layer_checks`), the wiring (`topology_checks`) and the Outputs (`output_checks`).
Shapes are `shapes`' job.

Sub-graph problems carry node ids of the form `<subgraph key>/<node id>`."""

from __future__ import annotations

from layerforge.graph.checks.findings import Findings
from layerforge.graph.checks.layer_checks import check_node
from layerforge.graph.checks.level import Level
from layerforge.graph.checks.output_checks import check_outputs
from layerforge.graph.checks.topology_checks import check_structure
from layerforge.graph.limits import DEFAULT_LIMITS, GraphLimits
from layerforge.graph.problems import Problem
from layerforge.graph.schema import Graph
from layerforge.graph.topology import count_nodes, nesting_depth, subgraph_use


def static_findings(
    graph: Graph, limits: GraphLimits = DEFAULT_LIMITS, f: Findings | None = None
) -> Findings:
    """Every structural and parameter problem of a graph and its sub-graphs."""
    f = f if f is not None else Findings()
    total = count_nodes(graph)
    if total > limits.nodes:
        f.error(None, "too_large", f"The graph has {total} nodes; the limit is {limits.nodes}")
        return f
    depth = nesting_depth(graph)
    if depth > limits.nesting_depth:
        message = f"Sub-graphs nest {depth} deep; the limit is {limits.nesting_depth}"
        f.error(None, "too_deep", message)
        return f
    _subgraph_cycles(graph, f)
    _walk(graph, [graph], "", f)
    return f


def static_problems(graph: Graph, limits: GraphLimits = DEFAULT_LIMITS) -> list[Problem]:
    """The errors (not warnings) `static_findings` reports."""
    return static_findings(graph, limits).errors


def check_level(level: Level) -> None:
    """One level's checks; a sub-graph with errors of its own is marked broken."""
    before = len(level.findings.errors)
    for node in level.graph.nodes:
        check_node(level, node)
    check_structure(level)
    check_outputs(level)
    if len(level.findings.errors) > before and level.prefix:
        level.findings.broken_scopes.add(level.prefix)


def _walk(graph: Graph, chain: list[Graph], prefix: str, f: Findings) -> None:
    check_level(Level.of(graph, chain, prefix, f))
    for key, sub in graph.subgraphs.items():
        _walk(sub, [*chain, sub], f"{prefix}{key}/", f)


def _subgraph_cycles(graph: Graph, f: Findings) -> None:
    """A sub-graph that uses itself, directly or through others, can never be built."""
    uses: dict[str, list[tuple[str, str]]] = {}

    def collect(g: Graph, prefix: str) -> None:
        for key, sub in g.subgraphs.items():
            uses[key] = [
                (f"{prefix}{key}/{n.id}", u)
                for n in sub.nodes
                for u in [subgraph_use(n)]
                if u is not None
            ]
            collect(sub, f"{prefix}{key}/")

    collect(graph, "")
    state: dict[str, int] = {}

    def visit(key: str) -> None:
        state[key] = 1
        for node_id, used in uses.get(key, []):
            if state.get(used) == 1:
                f.error(
                    node_id,
                    "cycle",
                    f"Sub-graph {key!r} uses {used!r}, which uses "
                    f"{key!r} again: sub-graphs cannot contain themselves",
                    "subgraph",
                )
            elif used in uses and used not in state:
                visit(used)
        state[key] = 2

    for key in uses:
        if key not in state:
            visit(key)
