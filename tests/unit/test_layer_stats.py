"""layer_stats: the per-node statistics are what numpy computes from the model itself."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from layerforge.events.types import LayerStatsEvent
from layerforge.graph import build_model, compile_spec
from layerforge.graph.schema import parse_graph
from layerforge.training.errors import layer_node_map, name_layers_after_nodes
from layerforge.training.layer_stats import PROBE_SAMPLES, LayerStats


def _graph(*layers: dict) -> dict:
    nodes = [{"id": "in", "type": "Input", "params": {"shape": [4]}}, *layers]
    nodes.append({"id": "y", "type": "Output", "params": {"loss": "mse"}})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:], strict=False)]
    return {"nodes": nodes, "edges": edges}


def _fit(graph_json: dict, x: np.ndarray, y: np.ndarray, prepare=None, epochs: int = 1):
    """Fit with the LayerStats callback; returns the model, its events, the start weights."""
    keras.utils.set_random_seed(0)
    named = name_layers_after_nodes(parse_graph(graph_json))
    model = build_model(named)
    args = compile_spec(named)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), **args)
    if prepare:
        prepare(model)
    start = [w.copy() for w in model.get_weights()]
    events: list = []
    stats = LayerStats(events.append, named, layer_node_map(named), args, x, y)
    model.fit(x, y, batch_size=16, epochs=epochs, verbose=0, callbacks=[stats], shuffle=False)
    return model, events, start


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays])


def test_linear_layer_norms_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]]) + 0.3).astype("float32")
    model, events, start = _fit(
        _graph({"id": "lin", "type": "Dense", "params": {"units": 1}}), x, y
    )

    assert len(events) == 1 and isinstance(events[0], LayerStatsEvent)
    assert events[0].epoch == 0 and set(events[0].nodes) == {"lin"}
    s = events[0].nodes["lin"]
    kernel, bias = model.get_weights()
    assert s.weight_norm == pytest.approx(np.linalg.norm(_flat([kernel, bias])), rel=1e-5)
    change = np.linalg.norm(_flat(model.get_weights()) - _flat(start))
    assert s.update_ratio == pytest.approx(change / s.weight_norm, rel=1e-4)
    # mse of a linear layer on the probe batch, by hand: d/dw mean((xw+b-y)^2)
    px, py = x[:PROBE_SAMPLES], y[:PROBE_SAMPLES]
    residual = px @ kernel + bias - py
    grad_w = 2 * px.T @ residual / len(px)
    grad_b = 2 * residual.sum(axis=0) / len(px)
    assert s.grad_norm == pytest.approx(np.linalg.norm(_flat([grad_w, grad_b])), rel=1e-4)
    assert s.mean is None and s.dead_fraction is None  # no activation on this node
    assert set(s.model_dump(exclude_unset=True)) == {"weight_norm", "grad_norm", "update_ratio"}


def test_dead_relu_layer_shows_fraction_one_and_a_live_one_less():
    x = np.abs(np.random.default_rng(1).normal(size=(128, 4))).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    graph = _graph(
        {"id": "dead", "type": "Dense", "params": {"units": 8, "activation": "relu"}},
        {"id": "live", "type": "Dense", "params": {"units": 6, "activation": "relu"}},
        {"id": "head", "type": "Dense", "params": {"units": 1}},
    )

    def kill_first_layer(model):
        dead = model.get_layer("dead")
        kernel, bias = dead.get_weights()
        dead.set_weights([np.zeros_like(kernel), np.full_like(bias, -1.0)])  # output 0 always
        live = model.get_layer("live")
        kernel, bias = live.get_weights()
        live.set_weights([kernel, np.array([1.0, 1.0, 1.0, -1.0, -1.0, -1.0], "float32")])

    model, events, _ = _fit(graph, x, y, prepare=kill_first_layer, epochs=2)
    assert [e.epoch for e in events] == [0, 1]
    dead = events[-1].nodes["dead"]
    assert dead.dead_fraction == 1.0 and dead.mean == 0.0 and dead.std == 0.0
    assert dead.grad_norm == 0.0 and dead.update_ratio == 0.0  # no gradient through it
    live = events[-1].nodes["live"]
    # the "live" layer sees zeros: its units output relu(bias), three alive, three dead
    assert live.dead_fraction == 0.5
    relu = np.maximum(model.get_layer("live").get_weights()[1], 0)
    assert live.mean == pytest.approx(relu.mean(), rel=1e-5)
    assert live.std == pytest.approx(relu.std(), rel=1e-5, abs=1e-7)
