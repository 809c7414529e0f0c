"""Memory a valid graph needs to train and to predict, from its validation answer and
the run's batch size, optimizer slots and precision. Keras-free arithmetic.

Training keeps, at its peak: the weights (float32; under mixed precision also their
float16 copies), one gradient per trainable weight, the optimizer's slots per trainable
weight and one temporary per weight for its update, every layer output the backward
pass reads (times the batch; float16 under mixed precision; a recurrent layer keeps its
gates, states and step input at every step), and three tensors the size of the largest
activation (a layer's transients forward, the gradients flowing back). Inference keeps
the weights and, at its peak, one layer's inputs and outputs for the batch.
bench/bench_memory_estimate.py compares it with the peak RSS of real training."""

from __future__ import annotations

from pydantic import BaseModel

from layerforge.graph.checks.cost import dtype_bytes, elements, input_shapes
from layerforge.graph.checks.report import NodeReport, Shape, ValidationReport
from layerforge.graph.schema import Graph, Node
from layerforge.graph.topology import GraphIndex

WEIGHT_BYTES = 4
"""Variables are float32, mixed precision included (its master weights)."""

RECURRENT_TENSORS = {"SimpleRNN": 3, "GRU": 9, "LSTM": 12}
"""Tensors of `units` a recurrent cell keeps per step for its backward pass, besides the
step's input: each gate's pre-activation and activation, the state products and states
(LSTM: 4 + 4 gates, f*c, i*g, c, tanh(c))."""


class TrainingMemory(BaseModel):
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    updates_bytes: int
    activations_bytes: int
    total_bytes: int


class InferenceMemory(BaseModel):
    weights_bytes: int
    activations_bytes: int
    total_bytes: int


class MemoryEstimate(BaseModel):
    batch_size: int
    trainable_params: int
    non_trainable_params: int
    training: TrainingMemory
    inference: InferenceMemory
    per_sample_bytes: int
    """What one more sample in the batch adds to training memory."""
    max_batch_size: int | None = None
    """The largest batch whose training memory fits `device_memory_bytes`, when given."""


def _scaled(info: NodeReport, mixed_precision: bool) -> int:
    """Output bytes of one sample, floats in the compute dtype."""
    total = 0
    for shape, dtype in zip(info.output_shapes, info.dtypes, strict=False):
        size = 2 if mixed_precision and dtype.startswith("float") else dtype_bytes(dtype)
        total += (elements(shape) or 0) * size
    return total


def _recurrent_bytes(owner: Node, ins: list[Shape], float_bytes: int) -> int:
    """Bytes of one sample a recurrent layer keeps at every step for its backward pass."""
    layer = owner.inner if owner.type == "Bidirectional" and owner.inner else owner
    tensors, units = RECURRENT_TENSORS.get(layer.type), layer.params.get("units")
    steps = ins[0][1] if ins and len(ins[0]) > 2 else None
    features = ins[0][-1] if ins else None
    if not tensors or not isinstance(units, int) or steps is None or features is None:
        return 0
    directions = 2 if owner.type == "Bidirectional" else 1
    return directions * steps * (tensors * units + features) * float_bytes


def estimate_memory(
    graph: Graph,
    report: ValidationReport,
    batch_size: int,
    optimizer_slots: int,
    mixed_precision: bool = False,
    device_memory_bytes: int | None = None,
) -> MemoryEstimate:
    """The estimate for a valid graph's report (`validate_graph`)."""
    index = GraphIndex.of(graph)
    used = index.used()
    float_bytes = 2 if mixed_precision else 4
    trainable = non_trainable = 0
    per_sample = largest = peak_inference = 0
    for node in graph.nodes:
        info = report.nodes.get(node.id)
        if info is None or node.id not in used or node.type == "Output":
            continue
        trainable += info.trainable_params
        non_trainable += info.non_trainable_params
        owner = index.by_id.get(node.shared_with or "", node)
        ins = input_shapes(index, node.id, "", report.nodes)
        out = _scaled(info, mixed_precision)
        per_sample += out + _recurrent_bytes(owner, ins, float_bytes)
        largest = max(largest, out)
        sources = {e[0].source for e in index.in_edges.get(node.id, {}).values()}
        arriving = sum(_scaled(report.nodes[s], mixed_precision) for s in sources)
        peak_inference = max(peak_inference, arriving + out)
    per_sample += 3 * largest
    weights = WEIGHT_BYTES * (trainable + non_trainable) + (
        2 * (trainable + non_trainable) if mixed_precision else 0
    )
    fixed = weights + WEIGHT_BYTES * trainable * (2 + optimizer_slots)
    training = TrainingMemory(
        weights_bytes=weights,
        gradients_bytes=WEIGHT_BYTES * trainable,
        optimizer_bytes=WEIGHT_BYTES * trainable * optimizer_slots,
        updates_bytes=WEIGHT_BYTES * trainable,
        activations_bytes=per_sample * batch_size,
        total_bytes=fixed + per_sample * batch_size,
    )
    inference_weights = WEIGHT_BYTES * (trainable + non_trainable)
    inference = InferenceMemory(
        weights_bytes=inference_weights,
        activations_bytes=peak_inference * batch_size,
        total_bytes=inference_weights + peak_inference * batch_size,
    )
    fits = None
    if device_memory_bytes is not None:
        fits = max(0, (device_memory_bytes - fixed) // per_sample) if per_sample else None
    return MemoryEstimate(
        batch_size=batch_size,
        trainable_params=trainable,
        non_trainable_params=non_trainable,
        training=training,
        inference=inference,
        per_sample_bytes=per_sample,
        max_batch_size=fits,
    )
