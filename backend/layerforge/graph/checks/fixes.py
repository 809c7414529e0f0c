"""One-click fixes: for the common problems, JSON Patches (RFC 6902) on the graph that the
server has applied and re-validated, so each one offered is known to make its problem
go away without adding an error.

Candidates are proposed from the problem's code and the shapes around its node, then
checked with the same validation (its caches make each check an incremental one).
Bounded: top-level nodes only, at most `MAX_PROBLEMS` problems, `MAX_CHECKS` checks and
`FIXES_PER_PROBLEM` fixes offered per problem."""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from collections.abc import Callable, Iterator
from typing import Any

import jsonpatch

from layerforge.graph.checks.findings import Findings
from layerforge.graph.checks.output_checks import output_findings
from layerforge.graph.checks.report import Shape, ValidationReport
from layerforge.graph.problems import Fix, Problem
from layerforge.graph.schema import Graph, Node, parse_graph
from layerforge.graph.topology import GraphIndex

Patch = list[dict[str, Any]]
Candidate = tuple[str, Patch]
Check = Callable[[Graph], ValidationReport]

MAX_PROBLEMS, MAX_CHECKS, FIXES_PER_PROBLEM = 8, 16, 2
FIXABLE_WARNINGS = frozenset({"unused_node", "no_loss", "activation_with_logits"})
_RECURRENT = frozenset({"LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})


def needs_fixes(report: ValidationReport) -> bool:
    return bool(report.errors) or any(w.code in FIXABLE_WARNINGS for w in report.warnings)


def add_fixes(
    graph: Graph, report: ValidationReport, check: Check, index: GraphIndex | None = None
) -> None:
    """Attach checked fixes to the report's problems (errors first); `index`: the graph's,
    where the checks that made the report built one."""
    context = _Context(graph, report, index)
    budget = MAX_CHECKS
    problems = [*report.errors, *(w for w in report.warnings if w.code in FIXABLE_WARNINGS)]
    for problem in problems[:MAX_PROBLEMS]:
        if problem.node is None or problem.node not in context.index.by_id:
            continue
        for label, patch in context.candidates(problem):
            if budget <= 0 or len(problem.fixes) >= FIXES_PER_PROBLEM:
                break
            output = _output_only(context, patch)
            if output is None:
                budget -= 1  # a whole-graph check; an Output's own checks cost next to nothing
            if _works(context, problem, patch, check, output):
                problem.fixes.append(Fix(label=label, patch=patch))


def _output_only(context: _Context, patch: Patch) -> int | None:
    """The position of the one Output node whose params are all the patch sets, else None."""
    parts = [str(op.get("path", "")).split("/") for op in patch]
    if not all(len(p) > 4 and p[1] == "nodes" and p[3] == "params" for p in parts):
        return None
    if len({p[2] for p in parts}) != 1 or not parts[0][2].isdigit():
        return None
    position = int(parts[0][2])
    if position >= len(context.graph.nodes):
        return None
    return position if context.graph.nodes[position].type == "Output" else None


def _with_node_patched(graph: Graph, position: int, patch: Patch) -> Graph | None:
    """The graph with a patch of one node applied to that node alone: the other nodes
    are shared, not dumped and parsed again. None when the node it makes is no node."""
    node = graph.nodes[position]
    prefix = f"/nodes/{position}"
    local = [{**op, "path": op["path"][len(prefix) :]} for op in patch]
    try:
        fixed = Node.model_validate(jsonpatch.apply_patch(node.model_dump(mode="json"), local))
    except Exception:  # a candidate that does not even make a node is never offered
        return None
    nodes = list(graph.nodes)
    nodes[position] = fixed
    return graph.model_copy(update={"nodes": nodes})


def set_param(position: dict[str, int], nid: str, name: str, value: Any) -> Patch:
    """The patch that sets parameter `name` of node `nid` (`position`: node id -> index)."""
    return [{"op": "add", "path": f"/nodes/{position[nid]}/params/{name}", "value": value}]


def patched(data: dict[str, Any], patch: Patch) -> Graph | None:
    """The graph `data` (JSON) with `patch` applied, or None when that is no graph.

    Copy on write: only the lists and the nodes or edges the patch touches are copied
    (a deep copy of a 1,000-node graph per candidate cost more than checking it)."""
    doc = {**data, "nodes": list(data.get("nodes", [])), "edges": list(data.get("edges", []))}
    for op in patch:
        parts = str(op.get("path", "")).split("/")
        if len(parts) > 3 and parts[1] in ("nodes", "edges") and parts[2].isdigit():
            items, i = doc[parts[1]], int(parts[2])
            if i < len(items):
                items[i] = copy.deepcopy(items[i])
    try:
        return parse_graph(jsonpatch.apply_patch(doc, patch, in_place=True))
    except Exception:  # a candidate that does not even make a graph is never offered
        return None


def _works(
    context: _Context, problem: Problem, patch: Patch, check: Check, output: int | None
) -> bool:
    """Whether the patched graph is free of the problem and has no new error. A patch of
    one Output's params (`output`: its position) is judged by that Output's own checks
    (`output_findings`): on an imported 1,000-node model with no loss yet, each edit
    would otherwise check the whole graph again once per loss offered."""
    if output is not None:
        fixed = _with_node_patched(context.graph, output, patch)
        after: Findings | ValidationReport | None = None
        if fixed is not None:
            node = fixed.nodes[output]
            by_id = {**context.index.by_id, node.id: node}  # the same edges: the index holds
            index = dataclasses.replace(context.index, graph=fixed, by_id=by_id)
            after = output_findings(fixed, node.id, index)
    else:
        fixed = patched(context.data, patch)
        after = check(fixed) if fixed else None
    if after is None:
        return False
    before = {(p.node, p.code) for p in context.report.errors}
    still = {(p.node, p.code) for p in [*after.errors, *after.warnings]}
    new_errors = {(p.node, p.code) for p in after.errors} - before
    return (problem.node, problem.code) not in still and not new_errors


class _Context:
    """The graph as JSON data, its index and shapes, and patch builders on them."""

    def __init__(self, graph: Graph, report: ValidationReport, index: GraphIndex | None = None):
        self.graph = graph
        self.report = report
        self.index = index or GraphIndex.of(graph)
        self.position = {n.id: i for i, n in enumerate(graph.nodes)}

    @functools.cached_property
    def data(self) -> dict[str, Any]:
        """The graph as JSON, for whole-graph patches (dumped only when one is checked)."""
        return self.graph.model_dump(mode="json")

    # -- what the candidates read ---------------------------------------------------
    def in_shapes(self, nid: str) -> list[tuple[int, int, Shape]]:
        """(edge index, target port, shape) of each input of a node."""
        out = []
        for i, e in enumerate(self.graph.edges):
            info = self.report.nodes.get(e.source)
            if e.target == nid and info and e.source_port < len(info.output_shapes):
                out.append((i, e.target_port, info.output_shapes[e.source_port]))
        return sorted(out, key=lambda t: t[1])

    def fresh_id(self, base: str, also_taken: Patch) -> str:
        taken = {n.id for n in self.graph.nodes} | {
            op["value"]["id"] for op in also_taken if op["path"] == "/nodes/-"
        }
        n = 1
        while f"{base}_{n}" in taken:
            n += 1
        return f"{base}_{n}"

    def set_param(self, nid: str, name: str, value: Any) -> Patch:
        return set_param(self.position, nid, name, value)

    def insert(
        self, edge_index: int, layer: str, params: dict[str, Any], before: Patch | None = None
    ) -> Patch:
        """A new node on an edge: source -> new -> the edge's target port (its id unused
        by the graph and by the nodes the `before` ops add)."""
        edge = self.graph.edges[edge_index]
        new = self.fresh_id(layer.lower(), before or [])
        return [
            {
                "op": "add",
                "path": "/nodes/-",
                "value": {"id": new, "type": layer, "params": params},
            },
            {"op": "add", "path": f"/edges/{edge_index}/target", "value": new},
            {"op": "add", "path": f"/edges/{edge_index}/target_port", "value": 0},
            {
                "op": "add",
                "path": "/edges/-",
                "value": {"source": new, "target": edge.target, "target_port": edge.target_port},
            },
        ]

    def remove_node(self, nid: str) -> Patch:
        edges = [i for i, e in enumerate(self.graph.edges) if nid in (e.source, e.target)]
        ops = [{"op": "remove", "path": f"/edges/{i}"} for i in sorted(edges, reverse=True)]
        return [*ops, {"op": "remove", "path": f"/nodes/{self.position[nid]}"}]

    # -- candidates per problem -----------------------------------------------------
    def candidates(self, problem: Problem) -> Iterator[Candidate]:
        nid = problem.node or ""
        node = self.index.by_id[nid]
        layer = self.index.by_id.get(node.shared_with or "", node)
        if problem.code == "unused_node":
            yield f"Remove the unused {node.type} node {nid!r}", self.remove_node(nid)
        elif problem.code == "no_loss":
            for loss in _losses_for(self, nid):
                yield f"Use the loss {loss!r}", self.set_param(nid, "loss", loss)
        elif problem.code == "activation_with_logits":
            yield (
                "Output raw logits (activation linear)",
                self.set_param(nid, "activation", "linear"),
            )
            for out in self._outputs_fed_by(nid):
                yield "Turn off from_logits on the loss", self.set_param(out, "from_logits", False)
        elif problem.code in ("shape_mismatch", "layer_call_failed"):
            if layer.params.get("stateful") and layer.type in _RECURRENT:
                yield from self._fixed_batch(problem)
            elif layer.type == "Concatenate":
                yield from self._concat_axes(nid)
                yield from self._projections(nid)
            elif layer.type in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
                yield from self._projections(nid)
            else:
                yield from self._rank_changes(nid)

    def _outputs_fed_by(self, nid: str) -> list[str]:
        return [e.target for e in self.graph.edges if e.source == nid and self._is_output(e.target)]

    def _is_output(self, nid: str) -> bool:
        return self.index.by_id[nid].type == "Output"

    def _fixed_batch(self, problem: Problem) -> Iterator[Candidate]:
        ops = [
            op
            for n in self.index.inputs()
            if not n.params.get("batch_size")
            for op in self.set_param(n.id, "batch_size", 32)
        ]
        yield "Give the Inputs a fixed batch size (32), as stateful layers need", ops

    def _concat_axes(self, nid: str) -> Iterator[Candidate]:
        shapes = [s for _, _, s in self.in_shapes(nid)]
        if not shapes or len({len(s) for s in shapes}) != 1:
            return
        rank = len(shapes[0])
        for axis in [-1, *range(1, rank - 1)]:
            if _concatenable(shapes, axis % rank):
                yield f"Concatenate along axis {axis}", self.set_param(nid, "axis", axis)

    def _projections(self, nid: str) -> Iterator[Candidate]:
        """Project every input whose last axis differs from the first input's."""
        inputs = self.in_shapes(nid)
        if len(inputs) < 2:
            return
        target = inputs[0][2]
        width = target[-1]
        if width is None or any(len(s) != len(target) for _, _, s in inputs):
            return
        projection, params = (
            ("Conv2D", {"filters": width, "kernel_size": 1})
            if len(target) == 4
            else ("Dense", {"units": width})
        )
        ops: Patch = []
        for edge_index, _, shape in inputs[1:]:
            if shape[-1] != width:
                ops += self.insert(edge_index, projection, params, ops)
        if ops:
            label = "1x1 Conv2D" if projection == "Conv2D" else "Dense"
            yield f"Project the inputs to {width} channels with a {label}", ops

    def _rank_changes(self, nid: str) -> Iterator[Candidate]:
        inputs = self.in_shapes(nid)
        if len(inputs) != 1:
            return
        edge_index, _, shape = inputs[0]
        rank = len(shape)
        dims = shape[1:]
        if rank >= 3:
            pool = f"GlobalAveragePooling{rank - 2}D"
            if rank <= 5:
                yield f"Insert {pool} before it", self.insert(edge_index, pool, {})
            yield "Insert Flatten before it", self.insert(edge_index, "Flatten", {})
            if None not in dims[-2:] and rank >= 3:
                merged = [*dims[:-2], math.prod(d for d in dims[-2:] if d is not None)]
                yield (
                    f"Insert Reshape to {tuple(merged)}",
                    self.insert(edge_index, "Reshape", {"target_shape": merged}),
                )
        if None not in dims:
            yield (
                f"Insert Reshape to {(*dims, 1)} (a channel axis)",
                self.insert(edge_index, "Reshape", {"target_shape": [*dims, 1]}),
            )
            side = math.isqrt(dims[0]) if rank == 2 and dims[0] else 0
            if side > 1 and side * side == dims[0]:
                yield (
                    f"Insert Reshape to {(side, side, 1)}",
                    self.insert(edge_index, "Reshape", {"target_shape": [side, side, 1]}),
                )


def _concatenable(shapes: list[Shape], axis: int) -> bool:
    return all(len({s[i] for s in shapes}) == 1 for i in range(1, len(shapes[0])) if i != axis)


def _losses_for(context: _Context, out: str) -> list[str]:
    """The usual loss for what feeds an Output: its activation says what it predicts."""
    sources = [e.source for e in context.graph.edges if e.target == out]
    layer = context.index.by_id[sources[0]] if sources else None
    activation = layer.params.get("activation") if layer else None
    if (layer and layer.type == "Softmax") or activation == "softmax":
        return ["categorical_crossentropy", "sparse_categorical_crossentropy"]
    if activation == "sigmoid":
        return ["binary_crossentropy"]
    return ["mse"]
