"""Per-node training statistics at each epoch end: the `layer_stats` event.

For every node with trainable weights: the weights' L2 norm, the loss gradient's norm on
a fixed probe batch, and the update-to-weight ratio (norm of the change since the
previous epoch, or since the start for the first, over the weight norm). For every node
with an activation, on the same batch: the mean and standard deviation of its output
and, for the ReLU family, the fraction of units (last axis) that never fire (output > 0
for no sample and no position).

One forward and backward pass of the probe batch per epoch, through a model that shares
the run's layers and also returns the activations; the data loss is the compiled
per-output losses with their weights (regularisers left out). The pass is compiled once
per backend (tf.function, jax.jit; eager on PyTorch).
"""

from __future__ import annotations

import threading
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

PROBE_SAMPLES = 64
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


class LayerStats(keras.callbacks.Callback):  # type: ignore[misc]
    """Emits a `LayerStatsEvent` at every epoch end (see the module docstring)."""

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
    ):
        """`probe_samples`: the probe batch's size (a stateful graph's fixed batch size).
        Once `cancel` is set no statistics are measured: the first measurement traces a
        gradient step (seconds on a large model) that a cancelled run should not wait for."""
        super().__init__()
        self.cancel = cancel
        self.emit = emit
        self.graph = graph
        self.layer_nodes = layer_nodes
        self.compile_args = compile_args
        part = slice(0, min(probe_samples, count(x)))
        self.x, self.y = take(x, part), take(y, part)
        self._watched: list[_Watched] = []
        self._previous: dict[str, list[np.ndarray]] = {}
        self._step: Callable[[], tuple[list[Any], list[Any]]] | None = None
        self._probe: Any = None

    # -- set-up ---------------------------------------------------------------------------
    def on_train_begin(self, logs: Logs = None) -> None:
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

    def _compile_step(self, n_outputs: int) -> Callable[[], tuple[list[Any], list[Any]]]:
        """A function returning (gradients, activations) of the probe batch."""
        probe, x = self._probe, self.x
        variables = probe.trainable_variables
        backend = keras.backend.backend()

        def split(outs: Any) -> tuple[list[Any], list[Any]]:
            flat = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            return flat[:n_outputs], flat[n_outputs:]

        if backend == "tensorflow":
            import tensorflow as tf

            def tf_step() -> tuple[list[Any], list[Any]]:
                with tf.GradientTape() as tape:
                    preds, acts = split(probe(x, training=False))
                    loss = self._loss(preds)
                return tape.gradient(loss, variables), acts

            step: Callable[[], tuple[list[Any], list[Any]]] = tf.function(tf_step)
            return step
        if backend == "jax":
            import jax

            def loss_fn(tv: list[Any], ntv: list[Any]) -> tuple[Any, list[Any]]:
                preds, acts = split(probe.stateless_call(tv, ntv, x, training=False)[0])
                return self._loss(preds), acts

            grad_fn = jax.jit(jax.grad(loss_fn, has_aux=True))

            def jax_step() -> tuple[list[Any], list[Any]]:
                tv = [v.value for v in variables]
                ntv = [v.value for v in probe.non_trainable_variables]
                grads, acts = grad_fn(tv, ntv)
                return list(grads), acts

            return jax_step
        import torch

        def torch_step() -> tuple[list[Any], list[Any]]:
            preds, acts = split(probe(x, training=False))
            loss = self._loss(preds)
            grads = torch.autograd.grad(loss, [v.value for v in variables], allow_unused=True)
            return list(grads), [a.detach() for a in acts]

        return torch_step

    # -- each epoch -----------------------------------------------------------------------
    def _weights(self) -> dict[str, list[np.ndarray]]:
        variables = self._probe.trainable_variables
        return {
            w.node: [np.array(keras.ops.convert_to_numpy(variables[i])) for i in w.variables]
            for w in self._watched
            if w.variables
        }

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        if self._step is None or (self.cancel is not None and self.cancel.is_set()):
            return
        try:
            self._measure(epoch)
        except Exception as exc:  # noqa: BLE001 - statistics never fail a run
            self._step = None
            message = f"layer statistics stopped: {type(exc).__name__}: {clean_message(exc)}"
            self.emit(LogEvent(level="warning", message=message))

    def _measure(self, epoch: int) -> None:
        assert self._step is not None
        grads, acts = self._step()
        to_numpy = keras.ops.convert_to_numpy
        weights = self._weights()
        nodes: dict[str, NodeStats] = {}
        for w in self._watched:
            fields: dict[str, float | None] = {}
            if w.variables:
                current, before = weights[w.node], self._previous[w.node]
                norm = _norm(current)
                fields["weight_norm"] = norm
                known = [to_numpy(grads[i]) for i in w.variables if grads[i] is not None]
                fields["grad_norm"] = _norm(known) if known else None
                change = _norm([c - b for c, b in zip(current, before, strict=True)])
                fields["update_ratio"] = change / norm if norm else None
            if w.activation is not None:
                fields.update(activation_stats(to_numpy(acts[w.activation]), w.relu))
            nodes[w.node] = NodeStats(**fields)
        self._previous = weights
        self.emit(LayerStatsEvent(epoch=epoch, nodes=nodes))
