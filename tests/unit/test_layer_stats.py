"""layer_stats: the per-node statistics are what numpy computes from the model itself."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from layerforge.events.types import LayerStatsEvent, LogEvent
from layerforge.graph import build_model, compile_spec
from layerforge.graph.schema import parse_graph
from layerforge.training.errors import layer_node_map, name_layers_after_nodes
from layerforge.training.layer_stats import BUDGET, PROBE_SAMPLES, LayerStats, epoch_ranges


def _graph(*layers: dict) -> dict:
    nodes = [{"id": "in", "type": "Input", "params": {"shape": [4]}}, *layers]
    nodes.append({"id": "y", "type": "Output", "params": {"loss": "mse"}})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:], strict=False)]
    return {"nodes": nodes, "edges": edges}


def _fit(
    graph_json: dict,
    x: np.ndarray,
    y: np.ndarray,
    prepare=None,
    epochs: int = 1,
    budget: float | None = BUDGET,
    before: list | None = None,
):
    """Fit with the LayerStats callback (after the `before` callbacks); returns the model,
    its `layer_stats` events, its log messages, the start weights."""
    keras.utils.set_random_seed(0)
    named = name_layers_after_nodes(parse_graph(graph_json))
    model = build_model(named)
    args = compile_spec(named)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), **args)
    if prepare:
        prepare(model)
    start = [w.copy() for w in model.get_weights()]
    events: list = []
    stats = LayerStats(events.append, named, layer_node_map(named), args, x, y, budget=budget)
    callbacks = [*(before or []), stats]
    model.fit(x, y, batch_size=16, epochs=epochs, verbose=0, callbacks=callbacks, shuffle=False)
    stats_events = [e for e in events if isinstance(e, LayerStatsEvent)]
    assert len(stats_events) + 1 == len(events)  # and one log line
    return model, stats_events, [e.message for e in events if isinstance(e, LogEvent)], start


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays])


def test_linear_layer_norms_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]]) + 0.3).astype("float32")
    model, events, _, start = _fit(
        _graph({"id": "lin", "type": "Dense", "params": {"units": 1}}), x, y
    )

    assert len(events) == 1
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

    model, events, _, _ = _fit(graph, x, y, prepare=kill_first_layer, epochs=2)
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


def _regression() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(96, 4)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [3.0]])).astype("float32")


HIDDEN = ({"id": "h", "type": "Dense", "params": {"units": 5, "activation": "relu"}},)
HEAD = {"id": "lin", "type": "Dense", "params": {"units": 1}}


class _EpochWeights(keras.callbacks.Callback):
    """The model's weights at the end of every epoch, by epoch."""

    def __init__(self):
        super().__init__()
        self.by_epoch: dict[int, list[np.ndarray]] = {}

    def on_epoch_end(self, epoch, logs=None):
        self.by_epoch[epoch] = [w.copy() for w in self.model.get_weights()]


def test_a_spent_budget_measures_the_first_and_last_epoch_with_unchanged_values():
    """Budget 0 leaves only the always-measured epochs; skipping changes which epochs
    are measured, never what a measured epoch's statistics are."""
    x, y = _regression()
    graph = _graph(*HIDDEN, HEAD)
    every_epoch = _EpochWeights()
    _, stats, (log,), start = _fit(graph, x, y, epochs=5, budget=None, before=[every_epoch])
    assert [e.epoch for e in stats] == [0, 1, 2, 3, 4]
    assert log.startswith("layer statistics at 5 of 5 epochs (1-5): ") and "held" not in log
    for e in stats:  # each update ratio is the change over that one epoch
        before = every_epoch.by_epoch.get(e.epoch - 1, start)
        after = every_epoch.by_epoch[e.epoch]
        change = np.linalg.norm(_flat(after[2:]) - _flat(before[2:]))  # the head's weights
        assert e.nodes["lin"].update_ratio == pytest.approx(
            change / np.linalg.norm(_flat(after[2:])), rel=1e-4
        )

    _, sampled_stats, (log,), _ = _fit(graph, x, y, epochs=5, budget=0)
    assert [e.epoch for e in sampled_stats] == [0, 4]
    for e in sampled_stats:
        (same,) = [s for s in stats if s.epoch == e.epoch]
        for node, values in e.nodes.items():
            expected = same.nodes[node].model_dump(exclude_none=True)
            assert values.model_dump(exclude_none=True) == pytest.approx(expected, rel=1e-6)
    assert sampled_stats[-1].nodes["lin"].update_ratio is not None  # planned at its start
    assert log.startswith("layer statistics at 2 of 5 epochs (1, 5): ")
    assert log.endswith("of the fit time; held to 0%, the first and the last epoch always measured")


def test_the_epoch_an_early_stop_ends_on_is_measured_as_the_last():
    """EarlyStopping (before LayerStats) stops after epoch 3 of 10: that epoch is
    measured though the budget is spent, with no update ratio (the epoch before it was
    neither measured nor kept)."""
    x, y = _regression()
    recorded = _EpochWeights()
    never_better = keras.callbacks.EarlyStopping(
        monitor="loss", min_delta=1e9, patience=2, restore_best_weights=False
    )
    model, stats, (log,), _ = _fit(
        _graph(HEAD), x, y, epochs=10, budget=0, before=[never_better, recorded]
    )
    assert [e.epoch for e in stats] == [0, 2] and max(recorded.by_epoch) == 2
    last = stats[-1].nodes["lin"]
    assert last.weight_norm == pytest.approx(np.linalg.norm(_flat(model.get_weights())), rel=1e-5)
    assert last.grad_norm is not None and last.grad_norm > 0
    assert last.update_ratio is None
    assert log.startswith("layer statistics at 2 of 3 epochs (1, 3): ")


def test_a_cancelled_run_measures_nothing_more():
    import threading

    x, y = _regression()
    named = name_layers_after_nodes(parse_graph(_graph(HEAD)))
    model = build_model(named)
    args = compile_spec(named)
    model.compile(optimizer="sgd", **args)
    cancel, events = threading.Event(), []
    stats = LayerStats(events.append, named, layer_node_map(named), args, x, y, cancel=cancel)
    cancel_after_first = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: cancel.set())
    model.fit(x, y, epochs=4, verbose=0, callbacks=[stats, cancel_after_first])
    assert [e.epoch for e in events if isinstance(e, LayerStatsEvent)] == [0]


@pytest.mark.parametrize(
    ("epochs", "text"),
    [
        ([], ""),
        ([0], "1"),
        ([0, 1, 2, 6, 8, 9], "1-3, 7, 9-10"),
        (list(range(0, 100, 2)), "1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, …, 95, 97, 99"),
    ],
)
def test_epoch_ranges_count_from_one_and_elide_the_middle(epochs, text):
    assert epoch_ranges(epochs) == text
