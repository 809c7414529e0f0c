"""Property-based: random graphs, valid and broken.

- validate_graph never raises;
- a graph with an injected break, and any graph called invalid, has an error naming a node;
- a graph called valid builds in Keras with exactly the parameter count reported."""

from __future__ import annotations

from typing import Any

import keras
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from graphs import edge, node, validated
from layerforge.graph import build_model
from layerforge.graph.schema import parse_graph

SHAPES = [[8], [6, 4], [5, 5, 2], [None], [4, None], [7, 3]]
ACTIVATIONS = ["relu", "tanh", None, "softmax"]
ENCODER = {
    "nodes": [
        node("x", "Input", shape=[6, 4]),
        node("h", "Dense", units=3),
        node("y", "Output"),
    ],
    "edges": [edge("x", "h"), edge("h", "y")],
}


def _params(draw: Any, kind: str) -> dict[str, Any]:
    if kind == "Dense":
        return {
            "units": draw(st.integers(1, 8)),
            "activation": draw(st.sampled_from(ACTIVATIONS)),
        }
    if kind == "Dropout":
        return {"rate": draw(st.sampled_from([0.0, 0.2, 0.5]))}
    if kind == "Reshape":
        return {"target_shape": draw(st.sampled_from([[-1], [2, -1], [4, 2], [6, 4], [24]]))}
    if kind in ("Conv1D", "Conv2D"):
        return {
            "filters": draw(st.integers(1, 4)),
            "kernel_size": draw(st.integers(1, 3)),
            "padding": draw(st.sampled_from(["valid", "same"])),
        }
    if kind == "LSTM":
        return {
            "units": draw(st.integers(1, 4)),
            "return_sequences": draw(st.booleans()),
            "return_state": draw(st.booleans()),
        }
    if kind == "Model":
        return {"subgraph": "enc"}
    return {}


LAYER_KINDS = [
    "Dense",
    "Dense",
    "Dropout",
    "Flatten",
    "Reshape",
    "Conv1D",
    "Conv2D",
    "LSTM",
    "BatchNormalization",
    "GlobalAveragePooling1D",
    "Concatenate",
    "Add",
    "shared",
    "Model",
]
NEEDS_RANK = {
    "Conv1D": {3},
    "Conv2D": {4},
    "LSTM": {3},
    "GlobalAveragePooling1D": {3},
    "Model": {3},
    "Flatten": {3, 4},
    "Dense": {2, 3},
}


def _rank_after(kind: str, params: dict, rank: int) -> int:
    if kind in ("Flatten", "GlobalAveragePooling1D"):
        return 2
    if kind == "Reshape":
        return len(params["target_shape"]) + 1
    if kind == "LSTM":
        return 3 if params["return_sequences"] else 2
    if kind == "Model":
        return 3
    return rank


@st.composite
def random_graphs(draw: Any) -> tuple[dict, bool]:
    """Mostly rank-compatible layer choices (so many graphs are valid), some not."""
    nodes: list[dict] = []
    edges: list[dict] = []
    ports: list[tuple[str, int, int]] = []  # node, port, rank
    for i in range(draw(st.integers(1, 2))):
        shape = draw(st.sampled_from(SHAPES))
        nodes.append(node(f"in{i}", "Input", shape=shape))
        ports.append((f"in{i}", 0, len(shape) + 1))
    owners: list[str] = []
    for k in range(draw(st.integers(1, 6))):
        nid = f"n{k}"
        source = draw(st.sampled_from(ports[-3:]))
        careful = draw(st.integers(0, 9)) < 8
        kinds = [
            t for t in LAYER_KINDS if not careful or source[2] in NEEDS_RANK.get(t, {source[2]})
        ]
        kind = draw(st.sampled_from(kinds))
        if kind in ("Concatenate", "Add"):
            same = [p for p in ports if p[2] == source[2]] if careful else ports
            other = draw(st.sampled_from(same))
            nodes.append(node(nid, kind))
            edges += [
                edge(source[0], nid, source[1], 0),
                edge(other[0], nid, other[1], 1),
            ]
            ports.append((nid, 0, source[2]))
            continue
        if kind == "shared":
            if not owners:
                continue
            owner = draw(st.sampled_from(owners))
            base = next(n for n in nodes if n["id"] == owner)
            nodes.append({"id": nid, "type": base["type"], "shared_with": owner})
        else:
            base = node(nid, kind, **_params(draw, kind))
            nodes.append(base)
            if kind in ("Dense", "Conv1D", "LSTM"):
                owners.append(nid)
        edges.append(edge(source[0], nid, source[1], 0))
        rank = _rank_after(base["type"], base["params"], source[2])
        states = 2 if base["type"] == "LSTM" and base["params"].get("return_state") else 0
        ports += [(nid, 0, rank)] + [(nid, p, 2) for p in range(1, 1 + states)]
    layer_ports = [p for p in ports if not p[0].startswith("in")] or ports
    picks = draw(st.lists(st.sampled_from(layer_ports), min_size=1, max_size=2, unique=True))
    for j, source in enumerate(picks):
        nodes.append(node(f"out{j}", "Output", loss="mse"))
        edges.append(edge(source[0], f"out{j}", source[1], 0))
    broken = draw(st.integers(0, 9)) < 3
    if broken:
        _break(draw, nodes, edges)
    return {"nodes": nodes, "edges": edges, "subgraphs": {"enc": ENCODER}}, broken


def _break(draw: Any, nodes: list[dict], edges: list[dict]) -> None:
    """Inject one defect that must be reported on a node."""
    layers = [n for n in nodes if n["type"] not in ("Input", "Output")]
    how = draw(
        st.sampled_from(["unknown_param", "unknown_type", "refused", "cut", "cycle", "port"])
    )
    if not layers:
        how = "cut"
    if how == "cut":
        target = draw(st.sampled_from([n for n in nodes if n["type"] != "Input"]))
        edges[:] = [e for e in edges if e["target"] != target["id"]]
        return
    victim = draw(st.sampled_from(layers))
    if how == "unknown_param":
        victim.setdefault("params", {})["bogus_param"] = 1
    elif how == "unknown_type":
        victim["type"] = "NoSuchLayer"
    elif how == "refused":
        victim["type"] = "Lambda"
    elif how == "cycle":
        first = next(e for e in edges if e["target"] == victim["id"])
        edges.append(edge(victim["id"], victim["id"], 0, first["target_port"]))
    else:
        edges.append(
            edge(
                victim["id"],
                next(n["id"] for n in nodes if n["type"] == "Output"),
                7,
                0,
            )
        )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs())
def test_random_graphs(case):
    data, broken = case
    note(repr(data))
    report = validated(parse_graph(data))
    node_errors = [e for e in report["errors"] if e["node"]]
    if broken or not report["valid"]:
        assert node_errors, report["errors"]
    event("valid" if report["valid"] else "invalid")
    if report["valid"]:
        event(
            "valid with "
            + ", ".join(
                sorted({n["type"] for n in data["nodes"] if n["type"] not in ("Input", "Output")})
            )
        )
        model = build_model(parse_graph(data))
        assert model.count_params() == report["total_params"]
        assert isinstance(model, keras.Sequential) == (report["model_type"] == "sequential")
        assert [o.shape[1:] for o in model.outputs] == [
            tuple(report["nodes"][o["id"]]["output_shapes"][0][1:])
            for o in data["nodes"]
            if o["type"] == "Output"
        ]
