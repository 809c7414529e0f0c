"""Shared helpers for the import/export/codegen/example tests: example graphs, a
model's layer structure, and `keras.applications` models built once per session."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

import keras
import pytest

from layerforge.graph.schema import Graph, parse_graph

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


@functools.cache
def build_application(name: str) -> keras.Model:
    return getattr(keras.applications, name)(weights=None)


@pytest.fixture(scope="session")
def applications() -> Callable[[str], keras.Model]:
    """name -> a `keras.applications` model with `weights=None`, built on first use
    and once per session (the cache is shared by every module importing this)."""
    return build_application
