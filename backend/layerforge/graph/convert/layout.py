"""A readable automatic layout for a graph: layered, top to bottom.

Used after import (an imported model has no positions) and by the CLI; the editor
has its own (elkjs). Layers come from longest-path layering, with every source
(an Input) pulled down to just above its first consumer so that a late auxiliary
input sits next to where it is used; the order inside a layer comes from a few
barycentre sweeps, which keeps crossings low on the DAGs Keras models make.
Positions never change the model: they go to `graph.layout["positions"]`.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from layerforge.graph.schema import Graph

X_SPACING = 240.0
Y_SPACING = 120.0
SWEEPS = 4


def auto_layout(graph: Graph) -> Graph:
    """A copy of `graph` (and of each sub-graph) with `layout.positions` filled."""
    positions = _positions(graph)
    layout = {**graph.layout, "positions": positions}
    subgraphs = {name: auto_layout(sub) for name, sub in graph.subgraphs.items()}
    return graph.model_copy(update={"layout": layout, "subgraphs": subgraphs})


def _positions(graph: Graph) -> dict[str, dict[str, float]]:
    ids = [n.id for n in graph.nodes]
    known = set(ids)
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for e in graph.edges:
        if e.source in known and e.target in known and e.source != e.target:
            preds[e.target].append(e.source)
            succs[e.source].append(e.target)
    rank = _layers(ids, preds, succs)
    rows: dict[int, list[str]] = defaultdict(list)
    for node_id in ids:
        rows[rank[node_id]].append(node_id)
    order = _barycentre_order(rows, preds, succs)
    xs = _coordinates(order, preds, succs)
    return {n: {"x": xs[n], "y": r * Y_SPACING} for r, row in order.items() for n in row}


def _layers(
    ids: list[str], preds: dict[str, list[str]], succs: dict[str, list[str]]
) -> dict[str, int]:
    """Longest-path layering in topological order; nodes on a cycle go after the rest."""
    indegree = {i: len(preds[i]) for i in ids}
    ready = [i for i in ids if indegree[i] == 0]
    topo: list[str] = []
    while ready:
        node_id = ready.pop(0)
        topo.append(node_id)
        for s in succs[node_id]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    done = set(topo)
    topo += [i for i in ids if i not in done]
    rank: dict[str, int] = {}
    for node_id in topo:
        rank[node_id] = max((rank[p] + 1 for p in preds[node_id] if p in rank), default=0)
    for node_id in topo:
        if not preds[node_id] and succs[node_id]:
            rank[node_id] = max(0, min(rank[s] for s in succs[node_id]) - 1)
    return rank


def _coordinates(
    order: dict[int, list[str]],
    preds: dict[str, list[str]],
    succs: dict[str, list[str]],
) -> dict[str, float]:
    """x per node: rows start centred, then each node moves towards the mean x of its
    neighbours (down, up, down), keeping its row's order and spacing."""
    xs = {
        n: (i - (len(row) - 1) / 2) * X_SPACING for row in order.values() for i, n in enumerate(row)
    }
    ranks = sorted(order)
    for neighbours, sequence in ((preds, ranks), (succs, ranks[::-1]), (preds, ranks)):
        for r in sequence:
            wanted = [_mean([xs[m] for m in neighbours[n]], xs[n]) for n in order[r]]
            for n, x in zip(order[r], _spaced(wanted), strict=False):
                xs[n] = x
    return xs


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _spaced(wanted: list[float]) -> list[float]:
    """The closest positions in the same order at least X_SPACING apart: the mean of
    pushing overlaps rightwards and leftwards (both keep the spacing, so the mean does)."""
    right = list(wanted)
    for i in range(1, len(right)):
        right[i] = max(right[i], right[i - 1] + X_SPACING)
    left = list(wanted)
    for i in range(len(left) - 2, -1, -1):
        left[i] = min(left[i], left[i + 1] - X_SPACING)
    return [(a + b) / 2 for a, b in zip(right, left, strict=False)]


def _barycentre_order(
    rows: dict[int, list[str]], preds: dict[str, list[str]], succs: dict[str, list[str]]
) -> dict[int, list[str]]:
    """Reorder each row by the mean position of its neighbours, sweeping down then up."""
    order = {r: list(rows[r]) for r in sorted(rows)}
    ranks = sorted(order)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        neighbours = preds if downward else succs
        for r in ranks if downward else reversed(ranks):
            index = {n: i for row in order.values() for i, n in enumerate(row)}
            row = order[r]
            centre = functools.partial(_centre, index=index, neighbours=neighbours, row=row)
            order[r] = sorted(row, key=centre)
    return order


def _centre(
    node_id: str,
    index: dict[str, int],
    neighbours: dict[str, list[str]],
    row: list[str],
) -> float:
    near = [index[n] for n in neighbours[node_id] if n in index]
    return sum(near) / len(near) if near else float(row.index(node_id))
