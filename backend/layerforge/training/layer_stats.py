"""Per-node training statistics at epoch ends: the `layer_stats` event.

For every node with trainable weights: the weights' L2 norm, the loss gradient's norm on
a fixed probe batch, and the update-to-weight ratio (norm of the change since the
previous epoch, or since the start for the first, over the weight norm). For every node
with an activation, on the same batch: the mean and standard deviation of its output
and, for the ReLU family, the fraction of units (last axis) that never fire (output > 0
for no sample and no position).

One forward and backward pass of the probe batch per measured epoch, through a model
that shares the run's layers and also returns the activations; the data loss is the
compiled per-output losses with their weights (regularisers left out). The pass is
compiled once per backend: tf.function without AutoGraph (Keras layers branch and loop
with keras.ops, as jax.jit needs too; AutoGraph's conversion of the Keras code cost about
a second before the first statistics, against some 50 ms to trace, and an eager pass is
5-8 times slower than the traced one), jax.jit (an eager JAX pass compiles every
operation: seconds), eager on PyTorch.

The statistics are held to a share of the fit's wall time (`BUDGET`): the first and the
last epoch are always measured (the last: the final epoch asked for, or one after which
the run stops); any other only while the time all the statistics took so far, plus one
more measurement, stays within that share of the time the fit will have taken at that
epoch's end. Whether an epoch is measured is decided at its start, where the weights it
starts from are kept for its update ratio; a last epoch found only at its end (a run that
stops early) after a skipped one has no update ratio. At its end the run logs which
epochs were measured and what the statistics cost; its events are those epochs'.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from layerforge.events.types import LayerStatsEvent, LogEvent, NodeStats
from layerforge.graph.problems import clean_message
from layerforge.graph.schema import Graph, Node
from layerforge.training.feeding import Data, count, take
from layerforge.training.protocol import Emit, Logs

Step = Callable[[], tuple[list[Any], list[Any], list[Any]]]
PROBE_SAMPLES = 64
BUDGET = 0.02
"""The share of the fit's wall time the statistics may take, their set-up included (the
first and the last epoch are measured whatever they cost)."""
RANGES_SHOWN = 16  # in the log of the epochs measured; more are elided in the middle
RELU_FAMILY = frozenset({"relu", "relu6", "leaky_relu", "elu", "ReLU", "LeakyReLU", "PReLU", "ELU"})
ACTIVATION_LAYERS = frozenset({"Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"})


def activation_of(node: Node) -> str | None:
    """The activation a node applies to its output (a name or a layer type), or None."""
    if node.type in ACTIVATION_LAYERS:
        return str(node.params.get("activation", node.type))
    activation = node.params.get("activation")
    if isinstance(activation, str) and activation not in ("linear", ""):
        return activation
    return None


@dataclass
class _Watched:
    node: str
    variables: list[int]  # indices into the probe model's trainable variables
    activation: int | None  # index into the probe model's activation outputs
    relu: bool


def _norm(arrays: Sequence[np.ndarray]) -> float:
    return float(np.sqrt(sum(float(np.sum(np.square(a, dtype=np.float64))) for a in arrays)))


def activation_stats(value: np.ndarray, relu: bool) -> dict[str, float]:
    """Mean and std of an activation; with `relu`, the fraction of units never above 0."""
    a = np.asarray(value, dtype=np.float32)
    stats = {"mean": float(a.mean()), "std": float(a.std())}
    if relu:
        units = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a.reshape(-1, 1)
        stats["dead_fraction"] = float(np.mean(units.max(axis=0) <= 0))
    return stats


def epoch_ranges(epochs: Sequence[int]) -> str:
    """Sorted 0-based epochs as 1-based ranges, as the run page counts them: "1-3, 7" (the
    middle elided past `RANGES_SHOWN` ranges)."""
    parts: list[str] = []
    start = prev = None
    for e in [*epochs, None]:
        if e is not None and prev is not None and e == prev + 1:
            prev = e
            continue
        if start is not None and prev is not None:
            parts.append(f"{start + 1}" if start == prev else f"{start + 1}-{prev + 1}")
        start = prev = e
    if len(parts) > RANGES_SHOWN:
        parts = [*parts[: RANGES_SHOWN - 4], "…", *parts[-3:]]
    return ", ".join(parts)


class LayerStats(keras.callbacks.Callback):  # type: ignore[misc]
    """Emits a `LayerStatsEvent` at the end of each epoch it measures (module docstring).

    Place it after the callbacks that stop training (EarlyStopping): it reads
    `model.stop_training` to know an epoch is the run's last."""

    def __init__(
        self,
        emit: Emit,
        graph: Graph,
        layer_nodes: dict[str, str],
        compile_args: dict[str, Any],
        x: Data,
        y: Data,
        probe_samples: int = PROBE_SAMPLES,
        cancel: threading.Event | None = None,
        budget: float | None = BUDGET,
    ):
        """`probe_samples`: the probe batch's size (a stateful graph's fixed batch size).
        Once `cancel` is set no statistics are measured. `budget`: the share of the fit's
        wall time the statistics may take (`BUDGET`); None measures every epoch."""
        super().__init__()
        self.cancel = cancel
        self.emit = emit
        self.graph = graph
        self.layer_nodes = layer_nodes
        self.compile_args = compile_args
        self.budget = budget
        part = slice(0, min(probe_samples, count(x)))
        self.x, self.y = take(x, part), take(y, part)
        self._watched: list[_Watched] = []
        self._previous: dict[str, list[np.ndarray]] = {}
        self._previous_epoch = -1  # the epoch whose end `_previous` holds; -1: the start
        self._step: Step | None = None
        self._probe: Any = None
        self.measured: list[int] = []
        self.skipped: list[int] = []
        # the budget: when fit began, when the epoch began and how long the last one took,
        # seconds the statistics took so far, the last measured epoch's (but the first's,
        # which traces the pass), this epoch's so far, and whether to measure this epoch
        self._start = self._epoch_start = self._epoch_seconds = 0.0
        self._spent = self._cost = self._work = 0.0
        self._planned = False

    # -- set-up ---------------------------------------------------------------------------
    def on_train_begin(self, logs: Logs = None) -> None:
        self._start = self._epoch_start = time.perf_counter()
        self._set_up()
        self._spent = time.perf_counter() - self._start

    def _set_up(self) -> None:
        model = self.model
        by_id = {n.id: n for n in self.graph.nodes}
        acts: list[Any] = []
        pending: list[tuple[str, Any, bool, bool]] = []
        for layer in model.layers:
            node_id = self.layer_nodes.get(layer.name)
            node = by_id.get(node_id) if node_id else None
            if node is None or node_id is None:
                continue
            activation = activation_of(node)
            output = None
            if activation is not None:
                try:
                    output = layer.output  # one call site; a shared layer has several
                except (AttributeError, ValueError):
                    output = None
            if output is None and not layer.trainable_weights:
                continue
            if output is not None:
                acts.append(output)
            pending.append((node_id, layer, output is not None, activation in RELU_FAMILY))
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        self._probe = keras.Model(inputs, list(model.outputs) + acts)
        index = {id(v): i for i, v in enumerate(self._probe.trainable_variables)}
        act_i = 0
        for node_id, layer, has_act, relu in pending:
            variables = [index[id(v)] for v in layer.trainable_variables if id(v) in index]
            self._watched.append(_Watched(node_id, variables, act_i if has_act else None, relu))
            act_i += int(has_act)
        self._previous = self._weights()
        self._step = self._compile_step(len(model.outputs))

    def _loss(self, outputs: Sequence[Any]) -> Any:
        """The compiled data loss of the probe batch: weighted sum over the outputs."""
        ops = keras.ops
        names = list(self.model.output_names)
        losses = self.compile_args["loss"]
        weights = self.compile_args.get("loss_weights") or {}
        total = ops.convert_to_tensor(0.0)
        for name, pred in zip(names, outputs, strict=True):
            if losses.get(name) is None:
                continue
            target = self.y[name] if isinstance(self.y, dict) else self.y
            value = ops.mean(keras.losses.get(losses[name])(target, pred))
            total = total + float(weights.get(name, 1.0)) * ops.cast(value, "float32")
        return total

    def _compile_step(self, n_outputs: int) -> Step:
        """A function returning the gradients and activations of the probe batch, and the
        weights (read in the same call: reading them one by one took as long again)."""
        probe, x = self._probe, self.x
        variables = probe.trainable_variables
        backend = keras.backend.backend()

        def split(outs: Any) -> tuple[list[Any], list[Any]]:
            flat = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            return flat[:n_outputs], flat[n_outputs:]

        if backend == "tensorflow":
            import tensorflow as tf

            def tf_step() -> tuple[list[Any], list[Any], list[Any]]:
                with tf.GradientTape() as tape:
                    preds, acts = split(probe(x, training=False))
                    loss = self._loss(preds)
                weights = [tf.identity(v.value) for v in variables]
                return tape.gradient(loss, variables), acts, weights

            step: Step = tf.function(tf_step, autograph=False)
            return step
        if backend == "jax":
            import jax

            def loss_fn(tv: list[Any], ntv: list[Any]) -> tuple[Any, list[Any]]:
                preds, acts = split(probe.stateless_call(tv, ntv, x, training=False)[0])
                return self._loss(preds), acts

            grad_fn = jax.jit(jax.grad(loss_fn, has_aux=True))

            def jax_step() -> tuple[list[Any], list[Any], list[Any]]:
                tv = [v.value for v in variables]
                ntv = [v.value for v in probe.non_trainable_variables]
                grads, acts = grad_fn(tv, ntv)
                return list(grads), acts, tv

            return jax_step
        import torch

        def torch_step() -> tuple[list[Any], list[Any], list[Any]]:
            preds, acts = split(probe(x, training=False))
            loss = self._loss(preds)
            values = [v.value for v in variables]
            grads = torch.autograd.grad(loss, values, allow_unused=True)
            return list(grads), [a.detach() for a in acts], [v.detach() for v in values]

        return torch_step

    # -- each epoch -----------------------------------------------------------------------
    def _by_node(self, values: Sequence[Any]) -> dict[str, list[np.ndarray]]:
        """Copies of the trainable variables' values (in the probe's order), by node."""
        to_numpy = keras.ops.convert_to_numpy
        return {
            w.node: [np.array(to_numpy(values[i])) for i in w.variables]
            for w in self._watched
            if w.variables
        }

    def _weights(self) -> dict[str, list[np.ndarray]]:
        return self._by_node(self._probe.trainable_variables)

    def _last_epoch(self) -> int:
        return int(self.params.get("epochs") or 0) - 1

    def _affordable(self) -> bool:
        """Whether one more measurement, at the end of the epoch starting now, keeps the
        statistics within the budget of the time the fit will then have taken."""
        if self.budget is None:
            return True
        elapsed = time.perf_counter() - self._start + self._epoch_seconds
        return self._spent + self._cost < self.budget * elapsed

    def _stopped(self) -> bool:
        return self._step is None or (self.cancel is not None and self.cancel.is_set())

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        now = time.perf_counter()
        if epoch > 0:
            self._epoch_seconds = now - self._epoch_start
        self._epoch_start, self._work = now, 0.0
        if self._stopped():
            return
        self._planned = epoch in (0, self._last_epoch()) or self._affordable()
        if self._planned and self._previous_epoch != epoch - 1:
            # the update ratio's "before": the weights this epoch starts from
            self._previous, self._previous_epoch = self._weights(), epoch - 1
            self._work = time.perf_counter() - now
            self._spent += self._work

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        if self._stopped():
            return
        last = epoch >= self._last_epoch() or bool(self.model.stop_training)
        if not (self._planned or last):
            self.skipped.append(epoch)
            return
        start = time.perf_counter()
        try:
            self._measure(epoch)
        except Exception as exc:  # noqa: BLE001 - statistics never fail a run
            self._step = None
            message = f"layer statistics stopped: {type(exc).__name__}: {clean_message(exc)}"
            self.emit(LogEvent(level="warning", message=message))
        took = time.perf_counter() - start
        self._spent += took
        if len(self.measured) > 1:
            self._cost = self._work + took

    def on_train_end(self, logs: Logs = None) -> None:
        if not self.measured:
            return
        total = len(self.measured) + len(self.skipped)
        share = self._spent / max(time.perf_counter() - self._start, 1e-9)
        held = (
            ""
            if self.budget is None
            else f"; held to {self.budget:.0%}, the first and the last epoch always measured"
        )
        self.emit(
            LogEvent(
                message=f"layer statistics at {len(self.measured)} of {total} epochs "
                f"({epoch_ranges(self.measured)}): {self._spent:.2f} s in all, {share:.1%} "
                f"of the fit time{held}"
            )
        )

    def _measure(self, epoch: int) -> None:
        assert self._step is not None
        grads, acts, values = self._step()
        to_numpy = keras.ops.convert_to_numpy
        weights = self._by_node(values)
        since_previous = self._previous_epoch == epoch - 1
        nodes: dict[str, NodeStats] = {}
        for w in self._watched:
            fields: dict[str, float | None] = {}
            if w.variables:
                current = weights[w.node]
                norm = _norm(current)
                fields["weight_norm"] = norm
                known = [to_numpy(grads[i]) for i in w.variables if grads[i] is not None]
                fields["grad_norm"] = _norm(known) if known else None
                fields["update_ratio"] = None
                if since_previous and norm:
                    before = self._previous[w.node]
                    change = _norm([c - b for c, b in zip(current, before, strict=True)])
                    fields["update_ratio"] = change / norm
            if w.activation is not None:
                fields.update(activation_stats(to_numpy(acts[w.activation]), w.relu))
            nodes[w.node] = NodeStats(**fields)
        self._previous, self._previous_epoch = weights, epoch
        self.measured.append(epoch)
        self.emit(LayerStatsEvent(epoch=epoch, nodes=nodes))
