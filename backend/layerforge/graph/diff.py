"""What changed between two graphs: nodes added, removed and changed, edges rewired.

Keras-free. Nodes are matched first by id (same id, same type), then by structure, so
a graph whose ids were renamed (an import, a copy) still matches where its wiring is the
same: an unmatched node of `a` is paired with the one unmatched node of `b` of its type
fed from the same (matched) sources on the same ports, or feeding the same targets; a
pass repeats until nothing more pairs, and what is left pairs by type and name when
that is unique. Given the two validation reports, the shape and parameter-count changes
that follow are listed too.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel, Field

from layerforge.graph.schema import Graph, Node

Shape = list[int | None]


class ParamChange(BaseModel):
    param: str = Field(description="`params.units`, `name`, `trainable`, `inner.params.rate`, ...")
    old: Any = None
    new: Any = None


class NodeRef(BaseModel):
    id: str
    type: str
    name: str | None = None


class ChangedNode(BaseModel):
    a: str = Field(description="The node's id in a.")
    b: str = Field(description="The node's id in b (differs when matched by structure).")
    type: str
    changes: list[ParamChange] = Field(default_factory=list)
    params: tuple[int, int] | None = Field(
        default=None, description="Parameter count in a and in b, when it changed."
    )
    output_shapes: tuple[list[Shape], list[Shape]] | None = Field(
        default=None, description="Output shapes in a and in b, when they changed."
    )


class EdgeRef(BaseModel):
    source: str
    source_port: int
    target: str
    target_port: int


class GraphDiff(BaseModel):
    added: list[NodeRef] = Field(description="Nodes of b with no match in a (ids of b).")
    removed: list[NodeRef] = Field(description="Nodes of a with no match in b (ids of a).")
    changed: list[ChangedNode] = Field(
        description="Matched nodes whose meaning, parameter count or shapes changed."
    )
    matched: dict[str, str] = Field(description="Every matched pair: id in a -> id in b.")
    edges_added: list[EdgeRef] = Field(description="Edges of b not in a (ids of b).")
    edges_removed: list[EdgeRef] = Field(description="Edges of a not in b (ids of a).")
    total_params: tuple[int | None, int | None] = (None, None)
    same: bool = Field(description="Nothing that changes the model differs.")


def _inputs(graph: Graph) -> dict[str, list[tuple[int, str, int]]]:
    """node id -> its inbound wiring, [(target_port, source, source_port)], sorted."""
    inputs: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    for e in graph.edges:
        inputs[e.target].append((e.target_port, e.source, e.source_port))
    return {k: sorted(v) for k, v in inputs.items()}


def _outputs(graph: Graph) -> dict[str, list[tuple[int, str, int]]]:
    """node id -> its outbound wiring, [(source_port, target, target_port)], sorted."""
    outputs: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    for e in graph.edges:
        outputs[e.source].append((e.source_port, e.target, e.target_port))
    return {k: sorted(v) for k, v in outputs.items()}


def match_nodes(a: Graph, b: Graph) -> dict[str, str]:
    """id in a -> id in b for every node that corresponds (see the module docstring)."""
    a_nodes = {n.id: n for n in a.nodes}
    b_nodes = {n.id: n for n in b.nodes}
    match = {i: i for i, n in a_nodes.items() if i in b_nodes and b_nodes[i].type == n.type}
    a_in, b_in, a_out, b_out = _inputs(a), _inputs(b), _outputs(a), _outputs(b)

    def wiring(
        node: str, table: dict[str, list[tuple[int, str, int]]], mapped: dict[str, str] | None
    ) -> tuple[tuple[int, str, int], ...] | None:
        """The node's wiring in b's ids (None when a neighbour is not matched yet)."""
        out = []
        for port, other, other_port in table.get(node, []):
            if mapped is not None:
                if other not in mapped:
                    return None
                other = mapped[other]
            out.append((port, other, other_port))
        return tuple(out)

    def propagate() -> bool:
        """Pair nodes wired the same way to matched neighbours; True when any paired."""
        paired = False
        for side_a, side_b in ((a_in, b_in), (a_out, b_out)):
            taken = set(match.values())
            index: dict[tuple[str, tuple[tuple[int, str, int], ...]], list[str]]
            index = defaultdict(list)
            for bid, node in b_nodes.items():
                key = wiring(bid, side_b, None)
                if bid not in taken and key:
                    index[(node.type, key)].append(bid)
            for aid, node in a_nodes.items():
                key = None if aid in match else wiring(aid, side_a, match)
                free = [c for c in index.get((node.type, key), []) if c not in taken] if key else []
                if len(free) == 1:
                    match[aid] = free[0]
                    taken.add(free[0])
                    paired = True
        return paired

    def pair_unique(label: Any) -> bool:
        """Pair the unmatched nodes whose label is unique on both sides."""
        taken = set(match.values())
        left_a: dict[Any, list[str]] = defaultdict(list)
        left_b: dict[Any, list[str]] = defaultdict(list)
        for aid, node in a_nodes.items():
            if aid not in match:
                left_a[label(node)].append(aid)
        for bid, node in b_nodes.items():
            if bid not in taken:
                left_b[label(node)].append(bid)
        paired = False
        for key, aids in left_a.items():
            if key is not None and len(aids) == 1 and len(left_b.get(key, [])) == 1:
                match[aids[0]] = left_b[key][0]
                paired = True
        return paired

    def inputs_in_order(node: Node) -> Any:
        """An Input by its place among the Inputs (a model's inputs are ordered)."""
        if node.type != "Input":
            return None
        nodes = a_nodes if node.id in a_nodes and a_nodes[node.id] is node else b_nodes
        return [n.id for n in nodes.values() if n.type == "Input"].index(node.id)

    while (
        propagate()
        or pair_unique(lambda n: (n.type, n.name) if n.name else None)
        or pair_unique(inputs_in_order)
    ):
        pass
    return match


def _flat(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(f"{prefix}.{key}" if prefix else str(key), item))
        return out or {prefix: {}}
    return {prefix: value}


def _meaning(node: Node, rename: dict[str, str]) -> dict[str, Any]:
    """What of a node changes the model, flattened to dotted paths."""
    data: dict[str, Any] = {
        "name": node.name,
        "trainable": node.trainable,
        "shared_with": rename.get(node.shared_with, node.shared_with) if node.shared_with else None,
    }
    data.update(_flat("params", node.params) if node.params else {})
    data.update(_flat("call_params", node.call_params) if node.call_params else {})
    if node.inner is not None:
        data.update(_flat("inner", node.inner.model_dump(exclude_none=True)))
    return data


def _param_changes(na: Node, nb: Node, rename: dict[str, str]) -> list[ParamChange]:
    old, new = _meaning(na, rename), _meaning(nb, {})
    return [
        ParamChange(param=key, old=old.get(key), new=new.get(key))
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]


def _edges(graph: Graph, rename: dict[str, str] | None = None) -> set[tuple[str, int, str, int]]:
    rename = rename or {}
    return {
        (
            rename.get(e.source, e.source),
            e.source_port,
            rename.get(e.target, e.target),
            e.target_port,
        )
        for e in graph.edges
    }


def _ref(node: Node) -> NodeRef:
    return NodeRef(id=node.id, type=node.type, name=node.name)


def diff_graphs(a: Graph, b: Graph, reports: tuple[Any, Any] | None = None) -> GraphDiff:
    """The diff of a and b. With their two validation reports, a matched node whose
    parameter count or output shapes changed is listed as changed even when its own
    parameters did not (a width changed upstream reshapes what follows)."""
    match = match_nodes(a, b)
    a_nodes = {n.id: n for n in a.nodes}
    b_nodes = {n.id: n for n in b.nodes}
    changed: list[ChangedNode] = []
    for aid, bid in match.items():
        entry = ChangedNode(
            a=aid,
            b=bid,
            type=b_nodes[bid].type,
            changes=_param_changes(a_nodes[aid], b_nodes[bid], match),
        )
        if reports is not None:
            ra, rb = reports[0].nodes.get(aid), reports[1].nodes.get(bid)
            if ra is not None and rb is not None:
                if ra.params != rb.params:
                    entry.params = (ra.params, rb.params)
                if ra.output_shapes != rb.output_shapes:
                    entry.output_shapes = (ra.output_shapes, rb.output_shapes)
        if entry.changes or entry.params or entry.output_shapes:
            changed.append(entry)
    # a's edges in b's ids; an unmatched node of a gets an id no node of b can have.
    gone = {aid: f"\0{aid}" for aid in a_nodes if aid not in match}
    edges_a, edges_b = _edges(a, {**match, **gone}), _edges(b)
    inverse = {bid: aid for aid, bid in match.items()} | {v: k for k, v in gone.items()}
    matched_b = set(match.values())
    diff = GraphDiff(
        added=[_ref(n) for n in b.nodes if n.id not in matched_b],
        removed=[_ref(n) for n in a.nodes if n.id not in match],
        changed=changed,
        matched=match,
        edges_added=[_edge_ref(e) for e in sorted(edges_b - edges_a)],
        # An edge of a is named in a's ids again.
        edges_removed=[
            _edge_ref((inverse.get(s, s), sp, inverse.get(t, t), tp))
            for s, sp, t, tp in sorted(edges_a - edges_b)
        ],
        same=False,
    )
    if reports is not None:
        diff.total_params = (reports[0].total_params, reports[1].total_params)
    diff.same = not (
        diff.added or diff.removed or diff.changed or diff.edges_added or diff.edges_removed
    )
    return diff


def _edge_ref(edge: tuple[str, int, str, int]) -> EdgeRef:
    source, source_port, target, target_port = edge
    return EdgeRef(source=source, source_port=source_port, target=target, target_port=target_port)
