"""Checks of how a graph level is wired, without Keras: ids, edges, ports, cycles,
reachability, names and the Sequential shape. Cached by `structure_key`, so an edit of
parameters only skips them."""

from __future__ import annotations

from typing import Any

from layerforge.graph.catalogue.kinds import is_known, kind
from layerforge.graph.checks import cache
from layerforge.graph.checks.findings import Findings
from layerforge.graph.checks.level import Level
from layerforge.graph.ports import (
    input_port_range,
    op_function_name,
    output_ports,
    positional_port_names,
    variadic_inputs,
)
from layerforge.graph.schema import Node
from layerforge.graph.topology import (
    choose_model_type,
    find_cycle,
    input_name,
    output_name,
    reachable_from,
    sequential_chain,
    subgraph_use,
    topological_order,
)


def structure_key(level: Level) -> tuple[Any, ...]:
    """Everything the structural checks read: ids, types, names, sharing, port
    counts, sub-graph uses, edges. A parameter edit leaves it unchanged."""
    nodes = []
    for n in level.graph.nodes:
        used = subgraph_use(n)
        nodes.append(
            (
                n.id,
                n.type,
                n.name,
                n.shared_with,
                used,
                _port_counts(level, n, used),
                tuple(sorted(n.params)) if n.type == "Op" else None,  # args given as params
            )
        )
    edges = tuple((e.source, e.source_port, e.target, e.target_port) for e in level.graph.edges)
    return (level.prefix, level.graph.model_type, tuple(nodes), edges)


def _port_counts(
    level: Level, node: Node, used: str | None
) -> tuple[tuple[int, int | None], int] | None:
    """A node's (input port range, output ports), cached by its text unless it uses a
    sub-graph (`used`, whose Inputs and Outputs count its ports)."""
    if not is_known(node.type):
        return None
    if used is not None:
        return input_port_range(node, level.lookup), output_ports(node, level.lookup)
    key = level.findings.key(node)
    found: tuple[tuple[int, int | None], int] | None = cache.PORT_COUNTS.get(key)
    if found is None:
        found = input_port_range(node, level.lookup), output_ports(node, level.lookup)
        cache.PORT_COUNTS.put(key, found)
    return found


def check_structure(level: Level) -> None:
    """Ids, edges, ports, cycles, reachability, names: cached by `structure_key`, with
    the walks' results the index memoises (order, used nodes, chain)."""
    key = structure_key(level)
    cached = cache.STRUCTURE.get(key)
    index = level.index
    if cached is None:
        out = Findings()
        _check_ids(level, out)
        _check_edges(level, out)
        _check_ports(level, out)
        _check_order_and_reach(level, out)
        _check_names(level, out)
        if level.graph.model_type == "sequential" and sequential_chain(index) is None:
            out.error(
                None,
                "not_sequential",
                "model_type is 'sequential' but the graph is "
                "not one chain from one Input to one Output with nothing shared",
            )
        order, cyclic = topological_order(index)
        choose_model_type(index)
        cached = (out.errors, out.warnings, (order, cyclic), index.used(), index.cached_chain)
        cache.STRUCTURE.put(key, cached)
    errors, warnings, (order, cyclic), used, chain = cached
    level.findings.errors.extend(p.model_copy() for p in errors)
    level.findings.warnings.extend(p.model_copy() for p in warnings)
    index.cached_order = (list(order), set(cyclic))
    index.cached_used = set(used)
    index.cached_chain = chain


def _check_ids(level: Level, out: Findings) -> None:
    seen: set[str] = set()
    for node in level.graph.nodes:
        if node.id in seen:
            out.error(level.nid(node.id), "duplicate_id", f"Node id {node.id!r} is used twice")
        seen.add(node.id)


def _check_edges(level: Level, out: Findings) -> None:
    by_id = level.index.by_id
    for edge in level.graph.edges:
        for end, role in ((edge.source, "source"), (edge.target, "target")):
            if end not in by_id:
                other = edge.target if role == "source" else edge.source
                out.error(
                    level.nid(other if other in by_id else None),
                    "unknown_node",
                    f"Edge {edge.source}->{edge.target}: {role} node {end!r} does not exist",
                )
        if edge.source in by_id and edge.target in by_id:
            source = level.layer_of(by_id[edge.source])
            if is_known(source.type) and edge.source_port >= output_ports(source, level.lookup):
                n = output_ports(source, level.lookup)
                out.error(
                    level.nid(edge.source),
                    "bad_port",
                    f"Output port {edge.source_port} does not exist ({source.type} has "
                    f"{n} output port{'s' if n != 1 else ''})",
                )


def _check_ports(level: Level, out: Findings) -> None:
    for node in level.graph.nodes:
        layer = level.layer_of(node)
        if not is_known(layer.type):
            continue
        lo, hi = input_port_range(layer, level.lookup)
        ports = level.index.in_edges.get(node.id, {})
        nid = level.nid(node.id)
        for port, edges in sorted(ports.items()):
            if hi is not None and port >= hi:
                out.error(
                    nid,
                    "bad_port",
                    f"Input port {port} does not exist ({layer.type} "
                    f"takes {hi} input{'s' if hi != 1 else ''})",
                )
            elif len(edges) > 1:
                out.error(
                    nid,
                    "duplicate_input",
                    f"Input port {port} has {len(edges)} "
                    "edges; one tensor per port (use a merge layer to combine)",
                )
        used = sorted(p for p in ports if hi is None or p < hi)
        needed = max(lo, (used[-1] + 1) if used else 0) if hi is None else lo
        missing = [p for p in range(needed) if p not in ports]
        layer_kind = kind(layer.type)
        if layer.type == "Op":
            _check_op_ports(level, node, layer, set(ports), out)
        if missing:
            names = layer_kind.input_names if layer_kind else None
            label = ", ".join(names[p] if names else str(p) for p in missing[:8])
            label += ", ..." if len(missing) > 8 else ""
            out.error(nid, "missing_input", f"{layer.type} has nothing on input port(s) {label}")
        if layer_kind and layer_kind.keras and layer_kind.variadic and len(used) == 1:
            out.warn(nid, "single_merge_input", f"{layer.type} with a single input")


def _check_op_ports(
    level: Level, node: Node, layer: Node, connected: set[int], out: Findings
) -> None:
    """Each required argument of an Op comes as a tensor or as a param, not both."""
    for port, name in enumerate(positional_port_names(layer, level.lookup)):
        if variadic_inputs(layer):
            break
        given = name in layer.params
        if given and port in connected:
            out.error(
                level.nid(node.id),
                "duplicate_input",
                f"{name} is both a param and a tensor on port {port}; keep one",
                name,
            )
        elif not given and port not in connected:
            out.error(
                level.nid(node.id),
                "missing_input",
                f"keras.ops.{op_function_name(layer)} needs {name}: connect a tensor "
                "or set it as a param",
                name,
            )


def _check_order_and_reach(level: Level, out: Findings) -> None:
    index = level.index
    _order, cyclic = topological_order(index)
    if cyclic:
        cycle = find_cycle(index, cyclic) or sorted(cyclic)
        out.error(level.nid(cycle[0]), "cycle", "Cycle: " + " -> ".join(cycle + cycle[:1]))
    inputs, outputs = index.inputs(), index.outputs()
    where = f"Sub-graph {level.prefix[:-1]!r} " if level.prefix else "The graph "
    if not inputs:
        out.error(None, "no_input", f"{where}has no Input node")
    if not outputs:
        out.error(None, "no_output", f"{where}has no Output node")
    from_inputs = reachable_from(index, [n.id for n in inputs])
    for node in outputs:
        if node.id not in from_inputs and index.in_edges.get(node.id):
            out.error(
                level.nid(node.id),
                "unreachable_output",
                f"Output {output_name(node)!r} cannot be reached from any Input",
            )
    used = index.used()
    for node in level.graph.nodes:
        if node.id not in used:
            out.warn(
                level.nid(node.id),
                "unused_node",
                f"{node.type} node {node.id!r} "
                "does not lead to any Output; it is left out of the model",
            )


def _check_names(level: Level, out: Findings) -> None:
    seen: dict[str, str] = {}
    for node in level.graph.nodes:
        if node.type == "Output" or node.shared_with:
            continue
        name = input_name(node) if node.type == "Input" else node.name
        if name is None:
            continue
        if name in seen:
            out.error(
                level.nid(node.id),
                "duplicate_name",
                f"Name {name!r} is already used by node {seen[name]!r}; layer names must be unique",
                "name",
            )
        seen[name] = node.id
    outs: dict[str, str] = {}
    for node in level.index.outputs():
        name = output_name(node)
        if name in outs:
            out.error(
                level.nid(node.id),
                "duplicate_name",
                f"Output name {name!r} is already used by {outs[name]!r}",
                "name",
            )
        outs[name] = node.id
