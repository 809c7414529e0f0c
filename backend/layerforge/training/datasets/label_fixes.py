"""One-click fixes for a loss that does not fit the labels of the chosen data set.

Integer class labels are the common case: a regression loss on them, or an output with
fewer units than there are classes. Each fix is a JSON Patch (RFC 6902) on the graph,
offered only after the patched graph was validated and fitted to the same data set
again with its problem gone and no new one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from layerforge.graph.checks.fixes import patched, set_param
from layerforge.graph.problems import Fix, Problem
from layerforge.graph.schema import Graph
from layerforge.graph.topology import output_name
from layerforge.training.datasets.fitting import CATEGORICAL, SPARSE, map_arrays
from layerforge.training.datasets.models import ArrayInfo, DatasetInfo

Patch = list[dict[str, Any]]
#: The patched graph fitted again: its errors (validation and data set together).
Refit = Callable[[Graph], list[Problem]]

CODE = "dataset_target_mismatch"


Candidates = Callable[[str], Iterator[tuple[str, Patch]]]
"""A problem node's candidate fixes: (label, patch) pairs, each checked before offered."""


def attach_checked_fixes(
    graph: Graph, problems: list[Problem], refit: Refit, code: str, candidates: Candidates
) -> None:
    """Offer on each `code` problem the candidates that clear it without a new problem."""
    data = graph.model_dump(mode="json")
    before = {(p.node, p.code) for p in problems}
    for problem in problems:
        if problem.code != code or problem.node is None:
            continue
        for label, patch in candidates(problem.node):
            fixed = patched(data, patch)
            if fixed is None:
                continue
            after = {(p.node, p.code) for p in refit(fixed)}
            if (problem.node, code) not in after and after <= before:
                problem.fixes.append(Fix(label=label, patch=patch))


def add_label_fixes(graph: Graph, info: DatasetInfo, problems: list[Problem], refit: Refit) -> None:
    """Attach checked fixes to the target mismatches among `problems`."""
    attach_checked_fixes(graph, problems, refit, CODE, lambda node: _candidates(graph, info, node))


def _candidates(graph: Graph, info: DatasetInfo, out_id: str) -> Iterator[tuple[str, Patch]]:
    position = {n.id: i for i, n in enumerate(graph.nodes)}
    out = graph.nodes[position[out_id]]
    targets, _ = map_arrays(
        info, [output_name(n) for n in graph.nodes if n.type == "Output"], "targets"
    )
    labels = info.arrays.get(targets.get(output_name(out), ""))
    if labels is None or not _class_labels(labels):
        return
    classes = int(labels.max or 0) + 1
    loss = out.params.get("loss")
    use_sparse = (
        [] if loss in (SPARSE, CATEGORICAL) else set_param(position, out_id, "loss", SPARSE)
    )
    if use_sparse:
        yield f"Use the loss {SPARSE} (the targets are class labels)", use_sparse
    source = next((e.source for e in graph.edges if e.target == out_id), None)
    layer = graph.nodes[position[source]] if source in position else None
    if layer is not None and "units" in layer.params and layer.params["units"] != classes:
        ops = set_param(position, layer.id, "units", classes)
        if layer.params.get("activation") in (None, "linear", "sigmoid"):
            ops += set_param(position, layer.id, "activation", "softmax")
        yield (
            f"Give {layer.id!r} {classes} units, one per class (labels 0 to {classes - 1})",
            ops + use_sparse,
        )


def _class_labels(a: ArrayInfo) -> bool:
    """Non-negative integers, one per sample: (N,) or (N, 1)."""
    one_per_sample = len(a.shape) == 1 or (len(a.shape) == 2 and a.shape[1] == 1)
    return a.integral and one_per_sample and a.min is not None and a.min >= 0 and a.max is not None
