"""Data feeding: a data set's arrays in the form a built model takes, split and trimmed.

`x`/`y` are an array for a model with one input/output, else a dict by name (what
Keras's `fit` accepts)."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerforge.graph.schema import Graph, InnerLayer, Node
from layerforge.graph.topology import input_name, output_name
from layerforge.training.datasets.fitting import DataPlan, adapt_target
from layerforge.training.failures import TrainingFailed

Data = Any  # np.ndarray | dict[str, np.ndarray]
Pair = tuple[Data, Data]


def stateful_batch(graph: Graph) -> int | None:
    """The fixed batch size of a graph with stateful layers (None: not stateful)."""

    def stateful(layer: Node | InnerLayer | None) -> bool:
        return layer is not None and (bool(layer.params.get("stateful")) or stateful(layer.inner))

    if not any(stateful(n) for n in graph.nodes) and not any(
        stateful(n) for sub in graph.subgraphs.values() for n in sub.nodes
    ):
        return None
    sizes = {n.params.get("batch_size") for n in graph.nodes if n.type == "Input"}
    if len(sizes) != 1 or None in sizes:
        raise TrainingFailed(
            "a graph with stateful layers needs the same fixed batch_size on every Input node",
            "stateful_batch_size",
        )
    return int(str(sizes.pop()))


def node_shapes(graph: Graph, model: Any) -> dict[str, list[list[Any]]]:
    """Input and Output node id -> [shape] from the built model."""
    shapes: dict[str, list[list[Any]]] = {}
    ins = [n for n in graph.nodes if n.type == "Input"]
    outs = [n for n in graph.nodes if n.type == "Output"]
    for node, tensor in zip(ins, model.inputs, strict=False):
        shapes[node.id] = [list(tensor.shape)]
    for node, tensor in zip(outs, model.outputs, strict=False):
        shapes[node.id] = [list(tensor.shape)]
    return shapes


def feed(graph: Graph, plan: DataPlan, arrays: dict[str, np.ndarray]) -> Pair:
    """x and y in the form the model takes."""
    ins = [input_name(n) for n in graph.nodes if n.type == "Input"]
    outs = [output_name(n) for n in graph.nodes if n.type == "Output"]
    x = {name: arrays[plan.inputs[name]] for name in ins}
    y = {}
    for name in outs:
        conversion, units = plan.conversions.get(name, (None, None))
        y[name] = adapt_target(arrays[plan.targets[name]], conversion, units)
    return (x[ins[0]] if len(ins) == 1 else x), (y[outs[0]] if len(outs) == 1 else y)


def take(data: Data, part: slice) -> Data:
    if isinstance(data, dict):
        return {k: v[part] for k, v in data.items()}
    return data[part]


def count(data: Data) -> int:
    return len(next(iter(data.values()))) if isinstance(data, dict) else len(data)


def split_validation(x: Data, y: Data, fraction: float) -> tuple[Data, Data, Pair]:
    """The last `fraction` of the samples as validation data, as Keras's split does."""
    cut = int(count(x) * (1 - fraction))
    val = (take(x, slice(cut, None)), take(y, slice(cut, None)))
    return take(x, slice(0, cut)), take(y, slice(0, cut)), val


def trim_stateful(
    x: Data, y: Data, val: Pair | None, fixed: int, validation_split: float
) -> tuple[Data, Data, Pair | None, str]:
    """Training (and validation) data cut to whole batches of a stateful graph's fixed
    batch size; returns them and a line for the run's log."""
    n = count(x)
    if val is None and validation_split:
        n_val = int(n * validation_split) // fixed * fixed
        n_train = (n - n_val) // fixed * fixed
        part = slice(n_train, n_train + n_val)
        val = (take(x, part), take(y, part)) if n_val else None
    else:
        n_train = n // fixed * fixed
        if val is not None:
            m = count(val[0]) // fixed * fixed
            val = (take(val[0], slice(0, m)), take(val[1], slice(0, m)))
    x, y = take(x, slice(0, n_train)), take(y, slice(0, n_train))
    if n_train == 0:
        raise TrainingFailed(
            f"fewer training samples ({n}) than the stateful batch size {fixed}",
            "dataset_too_small",
        )
    note = (
        f"stateful graph: batch size {fixed} from its Input, no shuffling; "
        f"{n_train} training and {count(val[0]) if val else 0} validation samples "
        f"(trimmed to multiples of {fixed} from {n})"
    )
    return x, y, val, note


def build_training_state(model: Any, x: Data, y: Data, batch_size: int) -> None:
    """Create the optimizer's and the metrics' variables before `fit`.

    On TensorFlow, Keras otherwise creates them while tracing its train step, and
    tf.function then traces the step a second time (variables may only be created on a
    first call): a good part of the time to the first batch. Keras itself does this
    symbolic build first under a distribution strategy and on the other backends."""
    symbolic_build = getattr(model, "_symbolic_build", None)  # private in Keras 3.15
    if symbolic_build is None:  # a Keras without it: fit simply traces twice
        return
    part = slice(0, batch_size)
    symbolic_build(data_batch=(_texts_as_tensors(take(x, part)), take(y, part)))


def _texts_as_tensors(data: Data) -> Data:
    """Text arrays (NumPy objects, which Keras's symbolic build cannot type) as string
    tensors."""
    if isinstance(data, dict):
        return {k: _texts_as_tensors(v) for k, v in data.items()}
    if isinstance(data, np.ndarray) and data.dtype == object:
        import tensorflow as tf

        return tf.constant(data.tolist(), dtype=tf.string)
    return data
