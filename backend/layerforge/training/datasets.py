"""Data sets: built-in, generated and uploaded; their arrays mapped to a graph's Input
and Output nodes; and the check of a data set against a graph. numpy only: the API
process runs `check_dataset` and never imports TensorFlow.

A reference is a dict: `{"name": "digits"}`; generated sets also take `"samples"`.

Mapping arrays to nodes: an Input (Output) node takes the array named like it
(`input_name` / `output_name`: the node's name, else its id). Nodes left without a
same-named array take the remaining input (target) arrays of the set by position,
when the counts agree; so a single-input, single-output graph trains on any set
with one input array and one target array (`x`, `y`). Uploaded `.npz` files name
their arrays after the nodes, or use `x` and `y`; a `.csv` upload becomes `x`
(the feature columns) and `y` (the target column).

Targets are adapted where Keras users expect it: integer labels with
categorical_crossentropy become one-hot, one-hot rows with
sparse_categorical_crossentropy become labels (the trainer logs this).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from layerforge.graph.errors import Problem
from layerforge.graph.schema import Graph, parse_graph
from layerforge.graph.structure import input_name, output_name
from layerforge.training.datasets_builtin import BUILTIN, STATIC_SHAPES, DatasetError, Loaded
from layerforge.training.datasets_generated import GENERATED, MAX_SAMPLES

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SPARSE = "sparse_categorical_crossentropy"
CATEGORICAL = "categorical_crossentropy"


@dataclass
class ArrayInfo:
    shape: tuple[int, ...]
    dtype: str
    min: float | None = None
    max: float | None = None
    integral: bool = False

    @classmethod
    def of(cls, a: np.ndarray) -> ArrayInfo:
        numeric = a.size > 0 and (np.issubdtype(a.dtype, np.number) or a.dtype == bool)
        lo = float(a.min()) if numeric else None
        hi = float(a.max()) if numeric else None
        integral = (
            np.issubdtype(a.dtype, np.integer)
            or a.dtype == bool
            or (numeric and bool(np.all(np.isfinite(a))) and bool(np.all(np.mod(a, 1) == 0)))
        )
        return cls(tuple(int(d) for d in a.shape), str(a.dtype), lo, hi, bool(integral))

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["shape"] = list(self.shape)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ArrayInfo:
        return cls(
            tuple(d["shape"]), d["dtype"], d.get("min"), d.get("max"), d.get("integral", False)
        )


@dataclass
class DatasetInfo:
    name: str
    kind: str  # builtin | generated | npz | csv
    description: str
    arrays: dict[str, ArrayInfo]
    inputs: list[str]
    targets: list[str]
    classes: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def samples(self) -> int | None:
        counts = {a.shape[0] for a in self.arrays.values() if a.shape}
        return counts.pop() if len(counts) == 1 else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "samples": self.samples,
            "inputs": self.inputs,
            "targets": self.targets,
            "arrays": {k: v.to_json() for k, v in self.arrays.items()},
            "classes": self.classes,
            **self.extra,
        }


def _info_of(name: str, kind: str, loaded: Loaded) -> DatasetInfo:
    arrays = {k: ArrayInfo.of(v) for k, v in loaded.arrays.items()}
    return DatasetInfo(
        name, kind, loaded.description, arrays, loaded.inputs, loaded.targets, loaded.classes
    )


def _samples(ref: dict[str, Any], default: int) -> int:
    n = ref.get("samples")
    n = default if n is None else n
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_SAMPLES:
        raise DatasetError(f"dataset.samples must be an integer from 1 to {MAX_SAMPLES}, got {n!r}")
    return n


@lru_cache(maxsize=16)
def _load_builtin(name: str, samples: int | None, data_dir: str | None) -> Loaded:
    if name in GENERATED:
        return GENERATED[name].make(samples)
    return BUILTIN[name][1](Path(data_dir) if data_dir else None)


def _ref_name(ref: dict[str, Any] | str) -> tuple[dict[str, Any], str]:
    if isinstance(ref, str):
        ref = {"name": ref}
    name = ref.get("name") if isinstance(ref, dict) else None
    if not isinstance(name, str) or not name:
        raise DatasetError("the data set reference needs a 'name'")
    return ref, name


def list_builtin() -> list[dict[str, Any]]:
    """Built-in and generated sets, described without loading them."""
    out = [{"name": k, "kind": "builtin", "description": d} for k, (d, _) in BUILTIN.items()]
    out += [
        {"name": k, "kind": "generated", "description": g.description, "samples": g.samples}
        for k, g in GENERATED.items()
    ]
    return out


@contextmanager
def store_session(session: Session | None, data_dir: Path | None) -> Iterator[Session]:
    """`session` when given, else one on the store of `data_dir` (else the server's settings)."""
    if session is not None:
        yield session
        return
    from layerforge.settings import Settings, get_settings
    from layerforge.store.db import database_url, session_scope, sessions_for

    settings = Settings(data_dir=Path(data_dir)) if data_dir is not None else get_settings()
    with session_scope(sessions_for(database_url(settings))) as s:
        yield s


def _find_upload(name: str, session: Session):
    from layerforge.store import datasets as store

    record = store.get_dataset(session, name)
    if record is None:
        known = [d["name"] for d in list_builtin()] + [d.name for d in store.list_datasets(session)]
        raise DatasetError(f"unknown data set {name!r}; known: {', '.join(known)}")
    return record


def upload_info(record) -> DatasetInfo:
    """The description of an uploaded set, from its store record."""
    meta = record.meta
    return DatasetInfo(
        record.name,
        record.kind,
        meta.get("description", ""),
        {k: ArrayInfo.from_json(v) for k, v in meta["arrays"].items()},
        list(meta.get("inputs", [])),
        list(meta.get("targets", [])),
        meta.get("classes"),
        {
            "size": meta.get("size"),
            "original_filename": meta.get("original_filename"),
            "created_at": record.created_at.isoformat() if record.created_at else None,
            **{k: meta[k] for k in ("features", "target") if k in meta},
        },
    )


def dataset_info(
    ref: dict[str, Any] | str, data_dir: Path | None = None, session: Session | None = None
) -> DatasetInfo:
    """Shapes, dtypes and value ranges of a set's arrays (loads small sets, never TensorFlow).

    Uploaded sets are looked up in the store (`session`, else the store of `data_dir`)."""
    ref, name = _ref_name(ref)
    if name in GENERATED:
        g, n = GENERATED[name], _samples(ref, GENERATED[name].samples)
        arrays = {
            k: ArrayInfo((n, *shape), dtype, lo, hi, integral)
            for k, (shape, dtype, lo, hi, integral) in g.arrays.items()
        }
        return DatasetInfo(
            name,
            "generated",
            g.description,
            arrays,
            list(g.inputs),
            list(g.targets),
            list(g.classes) if g.classes else None,
        )
    if name in STATIC_SHAPES:
        arrays = {
            k: ArrayInfo(shape, dtype, lo, hi, dtype.startswith("int"))
            for k, (shape, dtype, lo, hi) in STATIC_SHAPES[name].items()
        }
        return DatasetInfo(
            name, "builtin", BUILTIN[name][0], arrays, ["x"], ["y"], [str(i) for i in range(10)]
        )
    if name in BUILTIN:
        return _info_of(name, "builtin", _load_builtin(name, None, None))
    with store_session(session, data_dir) as s:
        return upload_info(_find_upload(name, s))


def load_dataset(
    ref: dict[str, Any] | str, data_dir: Path | None = None
) -> tuple[DatasetInfo, dict[str, np.ndarray]]:
    """The set's description and its arrays (in the trainer; may import keras for mnist)."""
    ref, name = _ref_name(ref)
    if name in GENERATED or name in BUILTIN:
        samples = _samples(ref, GENERATED[name].samples) if name in GENERATED else None
        loaded = _load_builtin(name, samples, str(data_dir) if data_dir else None)
        return _info_of(
            name, "generated" if name in GENERATED else "builtin", loaded
        ), loaded.arrays
    with store_session(None, data_dir) as s:
        record = _find_upload(name, s)
        info = upload_info(record)
    path = uploads_dir(data_dir) / record.filename
    if not path.exists():
        raise DatasetError(f"the file of data set {name!r} is missing from {path.parent}")
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    return info, arrays


# ---- uploads --------------------------------------------------------------------------------


def uploads_dir(data_dir: Path | None) -> Path:
    if data_dir is None:
        from layerforge.settings import get_settings

        data_dir = get_settings().data_dir
    return Path(data_dir) / "datasets"


def _npz_meta(path: Path) -> dict[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except Exception as exc:
        raise DatasetError(f"not a readable .npz file ({exc})") from exc
    if not arrays:
        raise DatasetError("the .npz file holds no arrays")
    for k, a in arrays.items():
        if a.ndim == 0:
            raise DatasetError(f"array `{k}` is a scalar; every array needs a first (sample) axis")
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
            raise DatasetError(f"array `{k}` has dtype {a.dtype}; only numeric arrays can be used")
    counts = {k: a.shape[0] for k, a in arrays.items()}
    if len(set(counts.values())) > 1:
        raise DatasetError(
            "sample counts differ: " + ", ".join(f"array `{k}` has {n}" for k, n in counts.items())
        )
    xy = set(arrays) == {"x", "y"}
    return {
        "arrays": {k: ArrayInfo.of(a).to_json() for k, a in arrays.items()},
        "inputs": ["x"] if xy else [],
        "targets": ["y"] if xy else [],
        "description": "uploaded .npz: "
        + ", ".join(f"{k} {list(a.shape)}" for k, a in arrays.items()),
    }


def _csv_arrays(
    text: str, target: str | None, features: list[str] | None
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise DatasetError("the .csv file needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if not target:
        raise DatasetError(
            f"choose the target column (form field `target`); columns: {', '.join(header)}"
        )
    if target not in header:
        raise DatasetError(f"target column {target!r} is not in the header ({', '.join(header)})")
    features = features or [h for h in header if h != target]
    missing = [f for f in features if f not in header]
    if missing:
        raise DatasetError(
            f"feature column(s) {', '.join(map(repr, missing))} not in the header ({', '.join(header)})"
        )
    if target in features:
        raise DatasetError(f"column {target!r} cannot be both a feature and the target")
    if not features:
        raise DatasetError("no feature columns left besides the target")
    index = {h: i for i, h in enumerate(header)}
    x = np.empty((len(rows) - 1, len(features)), dtype="float32")
    raw_y = []
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DatasetError(f"row {r} has {len(row)} cells, the header has {len(header)}")
        for c, f in enumerate(features):
            try:
                x[r - 2, c] = float(row[index[f]])
            except ValueError:
                raise DatasetError(
                    f"row {r}, column {f!r}: {row[index[f]]!r} is not a number"
                ) from None
        raw_y.append(row[index[target]].strip())
    classes = None
    try:
        y = np.array([float(v) for v in raw_y], dtype="float32")
        if np.all(np.mod(y, 1) == 0):
            y = y.astype("int64")
    except ValueError:  # class names: encode as sorted indices
        classes = sorted(set(raw_y))
        y = np.array([classes.index(v) for v in raw_y], dtype="int64")
    meta = {"features": features, "target": target, "classes": classes}
    return {"x": x, "y": y}, meta


def save_upload(
    session: Session,
    data: Path,
    original_filename: str,
    data_dir: Path,
    *,
    name: str | None = None,
    target: str | None = None,
    features: list[str] | None = None,
):
    """Store an uploaded .npz or .csv (already written to `data`, a temp file) under a
    server-chosen file name and record it; returns the store record. Raises DatasetError."""
    from layerforge.store import datasets as store

    suffix = Path(original_filename).suffix.lower()
    if suffix not in (".npz", ".csv"):
        raise DatasetError(
            f"unsupported file type {suffix or '(none)'!r}: upload a .npz or .csv file"
        )
    name = name or Path(original_filename).stem
    if not NAME_PATTERN.match(name):
        raise DatasetError(f"data set name {name!r} must be 1-64 letters, digits, '_', '.' or '-'")
    if name in BUILTIN or name in GENERATED:
        raise DatasetError(f"data set name {name!r} is taken by a built-in set")
    if store.get_dataset(session, name) is not None:
        raise DatasetError(
            f"a data set named {name!r} exists already; delete it first or choose another name"
        )
    folder = uploads_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    filename = f"{uuid.uuid4().hex}.npz"
    if suffix == ".npz":
        meta = _npz_meta(data)
        data.replace(folder / filename)
    else:
        try:
            text = data.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DatasetError(f"the .csv file is not UTF-8 text ({exc})") from exc
        arrays, csv_meta = _csv_arrays(text, target, features)
        np.savez(folder / filename, **arrays)
        data.unlink(missing_ok=True)
        meta = {
            "arrays": {k: ArrayInfo.of(a).to_json() for k, a in arrays.items()},
            "inputs": ["x"],
            "targets": ["y"],
            "classes": csv_meta["classes"],
            "description": f"uploaded .csv: {len(csv_meta['features'])} features -> {target}",
            "features": csv_meta["features"],
            "target": target,
        }
    meta["size"] = (folder / filename).stat().st_size
    meta["original_filename"] = original_filename[:200]
    return store.add_dataset(session, name=name, kind=suffix[1:], filename=filename, meta=meta)


def delete_upload(session: Session, name: str, data_dir: Path) -> bool:
    from layerforge.store import datasets as store

    record = store.get_dataset(session, name)
    if record is None:
        return False
    (uploads_dir(data_dir) / record.filename).unlink(missing_ok=True)
    return store.delete_dataset(session, name)


# ---- fitting a set to a graph ---------------------------------------------------------------


def _fmt(shape) -> str:
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def map_arrays(info: DatasetInfo, names: list[str], role: str) -> tuple[dict[str, str], list[str]]:
    """Node names -> array names for one side (role "inputs" or "targets"); unmatched names."""
    pool = info.inputs if role == "inputs" else info.targets
    mapping = {n: n for n in names if n in info.arrays}
    left = [n for n in names if n not in mapping]
    spare = [a for a in pool if a not in mapping.values()]
    if left and len(left) == len(spare):
        mapping.update(zip(left, spare, strict=False))
        left = []
    return mapping, left


def target_fit(
    loss: str | None, pred_shape: list | None, info: ArrayInfo
) -> tuple[str | None, str | None]:
    """Whether a target array fits an output's prediction shape and loss.

    Returns (problem, conversion): conversion is "one_hot", "argmax" or None."""
    if pred_shape is None:
        return None, None
    p = tuple(pred_shape[1:])
    t = tuple(info.shape[1:])

    def same(a, b):
        return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b, strict=False))

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
    if loss == "binary_crossentropy" and info.min is not None and (info.min < 0 or info.max > 1):
        return (
            f"binary_crossentropy needs targets from 0 to 1, the array holds values from {info.min:g} to {info.max:g}",
            None,
        )
    return None, None


def adapt_target(y: np.ndarray, conversion: str | None, units: int | None) -> np.ndarray:
    if conversion == "one_hot":
        labels = y.reshape(len(y), -1)[:, 0].astype("int64") if y.ndim > 1 else y.astype("int64")
        return np.eye(units, dtype="float32")[labels]
    if conversion == "argmax":
        return y.argmax(axis=-1).astype("int64")
    return y


def _first_shape(node_shapes: dict[str, Any], node_id: str) -> list | None:
    entry = node_shapes.get(node_id) if node_shapes else None
    if isinstance(entry, dict):
        entry = entry.get("output_shapes")
    if not entry:
        return None
    return list(entry[0]) if entry and isinstance(entry[0], (list, tuple)) else list(entry)


def _input_dtype_problem(dtype: str, info: ArrayInfo) -> str | None:
    if dtype.startswith(("int", "uint")) and not info.integral:
        return f"expects {dtype} values, the array holds non-integers ({info.dtype})"
    if dtype == "bool" and not (info.integral and (info.min or 0) >= 0 and (info.max or 0) <= 1):
        return f"expects booleans (0/1), the array holds values from {info.min} to {info.max}"
    return None


@dataclass
class DataPlan:
    """How a set feeds a graph: array per Input/Output name and target conversions."""

    inputs: dict[str, str]
    targets: dict[str, str]
    conversions: dict[str, tuple[str, int | None]]
    problems: list[Problem]


def plan_dataset(
    graph: Graph | dict,
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
    for node in outs:
        name = output_name(node)
        if name not in out_map:
            continue
        a = info.arrays[out_map[name]]
        loss = (losses or {}).get(name) or node.params.get("loss")
        pred = _first_shape(node_shapes, node.id)
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
    graph: Graph | dict,
    dataset_ref: dict[str, Any] | str,
    node_shapes: dict[str, Any],
    *,
    losses: dict[str, str | None] | None = None,
    session: Session | None = None,
    data_dir: Path | None = None,
) -> list[Problem]:
    """Every problem fitting the data set to the graph (empty: it fits).

    `node_shapes`: node id -> output shapes per port (or validate_graph's per-node dicts);
    `losses`: per Output name, overriding the Output nodes' losses (run settings);
    uploaded sets are looked up with `session`, else in the store of `data_dir`."""
    try:
        info = dataset_info(dataset_ref, data_dir, session)
    except DatasetError as exc:
        return [Problem(param="dataset", code="dataset_unknown", message=str(exc))]
    return plan_dataset(graph, info, node_shapes, losses).problems
