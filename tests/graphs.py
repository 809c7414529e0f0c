"""Helpers shared by the graph tests: graphs from compact descriptions, the example
graphs, a model's layer structure, and the validate and build answers as JSON data
(the form the API sends). Fixtures live in `unit/conftest.py`."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import keras

from layerforge.graph import model_summary, validate_graph
from layerforge.graph.schema import Graph, parse_graph


def node(id: str, type: str, name: str | None = None, **params: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": id, "type": type, "params": params}
    if name is not None:
        out["name"] = name
    return out


def edge(source: str, target: str, source_port: int = 0, target_port: int = 0) -> dict[str, Any]:
    return {
        "source": source,
        "source_port": source_port,
        "target": target,
        "target_port": target_port,
    }


def graph(nodes: list[dict], edges: list[dict], **extra: Any) -> Graph:
    return parse_graph({"nodes": nodes, "edges": edges, **extra})


def chain(
    input_shape: list,
    *layers: tuple[str, dict],
    output: dict | None = None,
    **extra: Any,
) -> Graph:
    """Input -> layers... -> Output, node ids n0.. in order."""
    nodes = [node("in", "Input", shape=input_shape)]
    for i, (type_, params) in enumerate(layers):
        nodes.append(node(f"n{i}", type_, **params))
    nodes.append(node("out", "Output", **(output or {"loss": "mse"})))
    ids = [n["id"] for n in nodes]
    return graph(nodes, [edge(a, b) for a, b in itertools.pairwise(ids)], **extra)


EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_NAMES = [
    "sequential_mlp_mnist",
    "sequential_stacked_lstm",
    "sequential_stateful_lstm",
    "functional_dense",
    "functional_video_timedistributed",
    "functional_headline_two_inputs_two_outputs",
    "functional_shared_lstm_tweets",
    "functional_shared_conv2d",
    "functional_nested_model_twice",
]
APPLICATIONS = ["ResNet50", "MobileNetV2", "DenseNet121"]


def load_example(name: str) -> Graph:
    return parse_graph(json.loads((EXAMPLES_DIR / f"{name}.json").read_text()))


def layer_structure(model: keras.Model, names: bool = False) -> list:
    """Per layer, in order: class, parameter count, output shape(s) and the calls
    made on it; nested models are described recursively. Keras picks automatic
    names from a global counter, so names are compared only when asked for."""
    rows = []
    model_nodes = getattr(model, "_nodes", None)  # Functional only
    for layer in model.layers:
        row = [type(layer).__name__, layer.count_params(), _shapes(layer, model_nodes)]
        if names:
            row.append(layer.name)
        if isinstance(layer, keras.Model):
            row.append(layer_structure(layer, names))
        inner = getattr(layer, "layer", None) or getattr(layer, "forward_layer", None)
        if isinstance(inner, keras.layers.Layer):
            row.append((type(inner).__name__, inner.count_params()))
        rows.append(row)
    return rows


def _shapes(layer: keras.layers.Layer, model_nodes) -> list:
    """Output shapes per call of `layer` inside the model (a Sequential calls each
    layer once: its first call)."""
    calls = layer._inbound_nodes
    if model_nodes is None:
        calls = calls[:1]
    else:  # Keras keys a model's nodes as "<id(layer)>_ib-<node_index>"
        calls = [n for i, n in enumerate(calls) if f"{id(layer)}_ib-{i}" in model_nodes]
    return [[tuple(t.shape) for t in node.outputs] for node in calls]


def example(name: str) -> Graph:
    """An example graph by file name (`functional_dense.json`)."""
    return parse_graph(json.loads((EXAMPLES_DIR / name).read_text()))


def validated(graph: Graph, *args: Any) -> dict[str, Any]:
    """`validate_graph` as the JSON data `POST /api/graphs/validate` answers."""
    return validate_graph(graph, *args).model_dump(mode="json")


def summarised(graph: Graph, *args: Any) -> dict[str, Any]:
    """`model_summary` as the JSON data `POST /api/models/build` answers."""
    return model_summary(graph, *args).model_dump(mode="json")
