"""Fitting a data set to a graph: its arrays mapped to the Input and Output nodes, every
mismatch as a Problem on the node, and the target conversions Keras users expect.

Mapping: an Input (Output) node takes the array named like it (`input_name` /
`output_name`: the node's name, else its id). Nodes left without a same-named array take
the remaining input (target) arrays of the set by position, when the counts agree; so a
single-input, single-output graph trains on any set with one input array and one target
array (`x`, `y`).

Targets: integer labels with categorical_crossentropy become one-hot, one-hot rows with
sparse_categorical_crossentropy become labels (the trainer logs this).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from layerforge.graph.problems import Problem
from layerforge.graph.schema import Graph, parse_graph
from layerforge.graph.topology import input_name, output_name
from layerforge.training.datasets.catalogue import Ref, dataset_info
from layerforge.training.datasets.errors import DatasetError
from layerforge.training.datasets.models import ArrayInfo, DatasetInfo

SPARSE = "sparse_categorical_crossentropy"
CATEGORICAL = "categorical_crossentropy"


def _fmt(shape: Sequence[int | None]) -> str:
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def map_arrays(info: DatasetInfo, names: list[str], role: str) -> tuple[dict[str, str], list[str]]:
    """Node names -> array names for one side (role "inputs" or "targets"); unmatched names."""
    pool = info.inputs if role == "inputs" else info.targets
    mapping = {n: n for n in names if n in info.arrays}
    left = [n for n in names if n not in mapping]
    taken = set(mapping.values())
    spare = [a for a in pool if a not in taken]
    if left and len(left) == len(spare):
        mapping.update(zip(left, spare, strict=False))
        left = []
    return mapping, left


def target_fit(
    loss: str | None, pred_shape: Sequence[int | None] | None, info: ArrayInfo
) -> tuple[str | None, str | None]:
    """Whether a target array fits an output's prediction shape and loss.

    Returns (problem, conversion): conversion is "one_hot", "argmax" or None."""
    if pred_shape is None:
        return None, None
    p = tuple(pred_shape[1:])
    t = tuple(info.shape[1:])

    def same(a: Sequence[int | None], b: Sequence[int | None]) -> bool:
        return len(a) == len(b) and all(
            x is None or y is None or x == y for x, y in zip(a, b, strict=False)
        )

    units = p[-1] if p else 1
    label_shapes = (p[:-1], p[:-1] + (1,)) if p else ((), (1,))
    is_labels = any(same(t, s) for s in label_shapes)
    labels_ok = (
        info.integral
        and (info.min is None or info.min >= 0)
        and (info.max is None or units is None or info.max < units)
    )
    label_msg = (
        f"{loss} needs integer class labels from 0 to {None if units is None else units - 1}"
        f" (the output has {units} units), the array holds values from {info.min:g} to {info.max:g}"
        if info.min is not None and info.max is not None
        else f"{loss} needs integer class labels"
    )
    if loss == SPARSE:
        if same(t, p) and units not in (1, None) and not is_labels:
            return None, "argmax"
        if not is_labels:
            return f"{SPARSE} needs one label per sample, shape (N,) or (N, 1)", None
        return (None, None) if labels_ok else (label_msg, None)
    if loss == CATEGORICAL and not same(t, p) and is_labels and units not in (1, None):
        return (None, "one_hot") if labels_ok else (label_msg, None)
    if not (same(t, p) or (p and p[-1] == 1 and same(t, p[:-1]))):
        return "shapes differ", None
    if (
        loss == "binary_crossentropy"
        and info.min is not None
        and info.max is not None
        and (info.min < 0 or info.max > 1)
    ):
        return (
            f"binary_crossentropy needs targets from 0 to 1, the array holds values from {info.min:g} to {info.max:g}",
            None,
        )
    return None, None


def adapt_target(y: np.ndarray, conversion: str | None, units: int | None) -> np.ndarray:
    out: np.ndarray = y
    if conversion == "one_hot" and units is not None:
        labels = y.reshape(len(y), -1)[:, 0].astype("int64") if y.ndim > 1 else y.astype("int64")
        out = np.eye(units, dtype="float32")[labels]
    elif conversion == "argmax":
        out = y.argmax(axis=-1).astype("int64")
    return out


def _first_shape(node_shapes: dict[str, Any], node_id: str) -> list[int | None] | None:
    entry = node_shapes.get(node_id) if node_shapes else None
    if isinstance(entry, dict):
        entry = entry.get("output_shapes")
    if not entry:
        return None
    return list(entry[0]) if entry and isinstance(entry[0], (list, tuple)) else list(entry)


def _input_dtype_problem(dtype: str, info: ArrayInfo) -> str | None:
    if (dtype == "string") != (info.dtype == "string"):
        if info.dtype == "string":
            return (
                "expects numbers, the array holds text: set the Input's dtype to string "
                "and turn the text into numbers in the graph (TextVectorization)"
            )
        return f"expects text (dtype string), the array holds numbers ({info.dtype})"
    if dtype.startswith(("int", "uint")) and not info.integral:
        return f"expects {dtype} values, the array holds non-integers ({info.dtype})"
    if dtype == "bool" and not (info.integral and (info.min or 0) >= 0 and (info.max or 0) <= 1):
        return f"expects booleans (0/1), the array holds values from {info.min} to {info.max}"
    return None


def _token_problems(graph: Graph, node: Any, name: str, array: str, a: ArrayInfo) -> list[Problem]:
    """An Embedding fed straight from this input looks ids up in a table of `input_dim`
    rows: an id below 0 or at `input_dim` or beyond fails inside fit, so it is refused
    here, on the Embedding's `input_dim`."""
    if a.max is None or a.min is None:
        return []
    fed = {e.target for e in graph.edges if e.source == node.id}
    problems = []
    for layer in graph.nodes:
        dim = layer.params.get("input_dim")
        if layer.id not in fed or layer.type != "Embedding" or not isinstance(dim, int):
            continue
        if a.max >= dim or a.min < 0:
            problems.append(
                Problem(
                    node=layer.id,
                    param="input_dim",
                    code="dataset_ids_out_of_range",
                    message=f"Embedding `{layer.id}` has input_dim {dim} (ids 0 to {dim - 1}), "
                    f"but input `{name}` feeds it ids from {a.min:g} to {a.max:g} "
                    f"(array `{array}`): set input_dim to at least {int(a.max) + 1}",
                )
            )
    return problems


@dataclass
class DataPlan:
    """How a set feeds a graph: array per Input/Output name and target conversions."""

    inputs: dict[str, str]
    targets: dict[str, str]
    conversions: dict[str, tuple[str, int | None]]
    problems: list[Problem]


def plan_dataset(
    graph: Graph | dict[str, Any],
    info: DatasetInfo,
    node_shapes: dict[str, Any],
    losses: dict[str, str | None] | None = None,
) -> DataPlan:
    """Map the set onto the graph and collect every mismatch as a Problem."""
    graph = parse_graph(graph) if isinstance(graph, dict) else graph
    ins = [n for n in graph.nodes if n.type == "Input"]
    outs = [n for n in graph.nodes if n.type == "Output"]
    problems: list[Problem] = []
    in_map, in_left = map_arrays(info, [input_name(n) for n in ins], "inputs")
    out_map, out_left = map_arrays(info, [output_name(n) for n in outs], "targets")
    arrays = ", ".join(f"`{k}` {_fmt(v.shape)}" for k, v in info.arrays.items())
    by_name = {input_name(n): n for n in ins} | {output_name(n): n for n in outs}
    for side, left in (("input", in_left), ("output", out_left)):
        for name in left:
            problems.append(
                Problem(
                    node=by_name[name].id,
                    param="dataset",
                    code="dataset_missing_array",
                    message=f"{side} `{name}` has no array in data set `{info.name}` (arrays: {arrays}); "
                    f"name an array after the {side.capitalize()} node",
                )
            )
    conversions: dict[str, tuple[str, int | None]] = {}
    for node in ins:
        name = input_name(node)
        if name not in in_map:
            continue
        a = info.arrays[in_map[name]]
        expected = _first_shape(node_shapes, node.id)
        if expected is None:
            expected = [node.params.get("batch_size")] + list(node.params.get("shape") or [])
        fixed_batch = expected[0]
        dims_ok = len(a.shape) == len(expected) and all(
            e is None or e == d for e, d in zip(expected[1:], a.shape[1:], strict=False)
        )
        # one text per sample feeds an Input of shape () or (1,) (Keras adds the axis)
        dims_ok = dims_ok or (
            a.dtype == "string" and len(a.shape) == 1 and expected[1:] in ([1], [None])
        )
        if not dims_ok:
            problems.append(
                Problem(
                    node=node.id,
                    param="dataset",
                    code="dataset_shape_mismatch",
                    message=f"input `{name}` expects {_fmt(expected)}, array `{in_map[name]}` has shape {_fmt(a.shape)}",
                )
            )
        elif fixed_batch is not None and a.shape[0] < fixed_batch:
            problems.append(
                Problem(
                    node=node.id,
                    param="dataset",
                    code="dataset_too_small",
                    message=f"input `{name}` has a fixed batch size of {fixed_batch}, array `{in_map[name]}` has only {a.shape[0]} samples",
                )
            )
        dtype_problem = _input_dtype_problem(str(node.params.get("dtype") or "float32"), a)
        if dtype_problem:
            problems.append(
                Problem(
                    node=node.id,
                    param="dataset",
                    code="dataset_dtype_mismatch",
                    message=f"input `{name}` {dtype_problem}: array `{in_map[name]}`",
                )
            )
        problems += _token_problems(graph, node, name, in_map[name], a)
    for node in outs:
        name = output_name(node)
        if name not in out_map:
            continue
        a = info.arrays[out_map[name]]
        loss = (losses or {}).get(name) or node.params.get("loss")
        pred = _first_shape(node_shapes, node.id)
        if pred is None:  # the graph did not get this far: nothing to fit to
            continue
        problem, conversion = target_fit(loss, pred, a)
        if problem:
            problems.append(
                Problem(
                    node=node.id,
                    param="dataset",
                    code="dataset_target_mismatch",
                    message=f"output `{name}` predicts {_fmt(pred)} with loss {loss}, array `{out_map[name]}` "
                    f"has shape {_fmt(a.shape)}: {problem}",
                )
            )
        elif conversion:
            conversions[name] = (conversion, pred[-1] if pred else None)
    counts = {
        arr: info.arrays[arr].shape[0] for arr in list(in_map.values()) + list(out_map.values())
    }
    if len(set(counts.values())) > 1:
        problems.append(
            Problem(
                param="dataset",
                code="dataset_sample_counts",
                message="sample counts differ: "
                + ", ".join(f"array `{k}` has {n}" for k, n in counts.items()),
            )
        )
    return DataPlan(in_map, out_map, conversions, problems)


def check_dataset(
    graph: Graph | dict[str, Any],
    dataset_ref: Ref,
    node_shapes: dict[str, Any],
    *,
    losses: dict[str, str | None] | None = None,
    session: Session | None = None,
) -> list[Problem]:
    """Every problem fitting the data set to the graph (empty: it fits).

    `node_shapes`: node id -> output shapes per port (or validate_graph's per-node dicts);
    `losses`: per Output name, overriding the Output nodes' losses (run settings);
    uploaded sets are looked up with `session` (none: built-in and generated sets only)."""
    try:
        info = dataset_info(dataset_ref, session)
    except DatasetError as exc:
        return [exc.problem()]
    return plan_dataset(graph, info, node_shapes, losses).problems
