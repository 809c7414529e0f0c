"""What one sample costs through a graph: multiply-accumulates (MACs) per node and the
memory of its output tensors, from each layer's parameters and the shapes Keras gave.

Cheap arithmetic on the validation answer (no Keras call). Rules count float operations
and a MAC is two of them, so the figures follow the papers (ResNet's "3.8 G FLOPs" are
multiply-adds) and TensorFlow's profiler float operations halved:
- a weight multiplied into an accumulator is 2 (Dense, convolutions, recurrent gates,
  attention projections and products);
- a bias, an element of a k-input merge (k - 1), each element a pooling window reads,
  a gate product of a recurrent cell: 1; a normalisation's scale and shift 2 per
  element (LayerNormalization and GroupNormalization 6: statistics as well);
- activations, dropout, reshapes, padding, lookups (Embedding) and copies count 0.
A layer type without a rule, or a recurrent layer over a free number of steps, gets
`macs = None` and is left out of the total (the report lists it as uncounted)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from layerforge.graph.checks.report import NodeReport, Shape
from layerforge.graph.schema import Graph, InnerLayer, Node
from layerforge.graph.topology import GraphIndex, subgraph_use

Shapes = Sequence[Shape]
Rule = Callable[[dict[str, Any], Shapes, Shapes], int | None]
"""(params, input shapes, output shapes) -> float operations of one sample, or None."""

ZERO_COST = frozenset(
    {
        "Input",
        "Output",
        "Activation",
        "ReLU",
        "LeakyReLU",
        "PReLU",
        "ELU",
        "Softmax",
        "ThresholdedReLU",
        "Dropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "GaussianDropout",
        "GaussianNoise",
        "AlphaDropout",
        "ActivityRegularization",
        "Identity",
        "Masking",
        "Embedding",
        "Flatten",
        "Reshape",
        "Permute",
        "RepeatVector",
        "Concatenate",
        "Cropping1D",
        "Cropping2D",
        "Cropping3D",
        "ZeroPadding1D",
        "ZeroPadding2D",
        "ZeroPadding3D",
        "UpSampling1D",
        "UpSampling2D",
        "UpSampling3D",
    }
)
"""Layers that move or select values without arithmetic worth counting."""


def elements(shape: Shape) -> int | None:
    """Elements of one sample of a tensor (the batch axis left out); None when free."""
    dims = shape[1:]
    if any(d is None for d in dims):
        return None
    return math.prod(d for d in dims if d is not None)


def _known(*values: int | None) -> bool:
    return all(v is not None for v in values)


def _tuple(value: Any, rank: int, default: int) -> tuple[int, ...]:
    if value is None:
        return (default,) * rank
    if isinstance(value, int):
        return (value,) * rank
    return tuple(int(v) for v in value)


def _channels(params: dict[str, Any], shape: Shape) -> int | None:
    return shape[1] if params.get("data_format") == "channels_first" else shape[-1]


def _spatial(params: dict[str, Any], shape: Shape) -> Shape:
    return shape[2:] if params.get("data_format") == "channels_first" else shape[1:-1]


def _bias(params: dict[str, Any], out: int) -> int:
    return out if params.get("use_bias", True) else 0


def _dense(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
    n_out, n_in = elements(outs[0]), ins[0][-1]
    if n_out is None or n_in is None:
        return None
    return 2 * n_out * n_in + _bias(p, n_out)


def _conv(rank: int) -> Rule:
    def rule(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
        n_out, c_in = elements(outs[0]), _channels(p, ins[0])
        if n_out is None or c_in is None:
            return None
        window = math.prod(_tuple(p.get("kernel_size"), rank, 1))
        return 2 * n_out * window * (c_in // int(p.get("groups") or 1)) + _bias(p, n_out)

    return rule


def _conv_transpose(rank: int) -> Rule:
    """Every input position scatters its kernel into every output channel."""

    def rule(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
        n_in, n_out, c_out = elements(ins[0]), elements(outs[0]), _channels(p, outs[0])
        if n_in is None or n_out is None or c_out is None:
            return None
        window = math.prod(_tuple(p.get("kernel_size"), rank, 1))
        return 2 * n_in * window * c_out + _bias(p, n_out)

    return rule


def _depthwise(rank: int) -> Rule:
    def rule(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
        n_out = elements(outs[0])
        if n_out is None:
            return None
        return 2 * n_out * math.prod(_tuple(p.get("kernel_size"), rank, 1)) + _bias(p, n_out)

    return rule


def _separable(rank: int) -> Rule:
    """A depthwise convolution (depth_multiplier filters per channel), then a 1x1 one."""

    def rule(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
        n_out, c_in, c_out = elements(outs[0]), _channels(p, ins[0]), _channels(p, outs[0])
        spatial = _spatial(p, outs[0])
        if n_out is None or c_in is None or c_out is None or None in spatial:
            return None
        positions = math.prod(d for d in spatial if d is not None)
        middle = c_in * int(p.get("depth_multiplier") or 1)
        window = math.prod(_tuple(p.get("kernel_size"), rank, 1))
        return 2 * positions * middle * (window + c_out) + _bias(p, n_out)

    return rule


def _per_element(k: int) -> Rule:
    def rule(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
        n = elements(outs[0])
        return None if n is None else k * n

    return rule


def _merge(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
    n = elements(outs[0])
    return None if n is None else (len(ins) - 1) * n


def _pool(rank: int) -> Rule:
    def rule(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
        n = elements(outs[0])
        return None if n is None else n * math.prod(_tuple(p.get("pool_size"), rank, 2))

    return rule


def _global_pool(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
    return elements(ins[0])


def _recurrent(gates: int, products: int) -> Rule:
    """Per step: each gate's kernels on the input and the previous state, its bias, and
    the element-wise updates of the state (`products` per unit); times the steps."""

    def rule(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
        shape = ins[0]
        steps, n_in, units = shape[1] if len(shape) > 2 else None, shape[-1], p.get("units")
        if steps is None or n_in is None or not isinstance(units, int):
            return None
        biases = gates * units * (2 if p.get("reset_after", True) and gates == 3 else 1)
        per_step = 2 * gates * units * (n_in + units) + (biases if p.get("use_bias", True) else 0)
        return steps * (per_step + products * units)

    return rule


def _multi_head_attention(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
    """Projections of query, key and value, the scores, the weighted sum and the output
    projection (query, value[, key] at ports 0, 1, 2; key defaults to value)."""
    query, value = ins[0], ins[1] if len(ins) > 1 else ins[0]
    key = ins[2] if len(ins) > 2 else value
    heads, key_dim = p.get("num_heads"), p.get("key_dim")
    if not isinstance(heads, int) or not isinstance(key_dim, int):
        return None
    value_dim = p.get("value_dim") or key_dim
    t_q, t_v = elements(query[:-1]), elements(value[:-1])
    d_q, d_k, d_v, d_out = query[-1], key[-1], value[-1], outs[0][-1]
    if t_q is None or t_v is None or not _known(d_q, d_k, d_v, d_out):
        return None
    assert d_q is not None and d_k is not None and d_v is not None and d_out is not None
    bias = 1 if p.get("use_bias", True) else 0
    project_q = t_q * heads * key_dim * (2 * d_q + bias)
    project_k = t_v * heads * key_dim * (2 * d_k + bias)
    project_v = t_v * heads * value_dim * (2 * d_v + bias)
    attend = 2 * heads * t_q * t_v * (key_dim + value_dim)
    project_out = t_q * d_out * (2 * heads * value_dim + bias)
    return project_q + project_k + project_v + attend + project_out


def _dot_attention(p: dict[str, Any], ins: Shapes, outs: Shapes) -> int | None:
    """Scores (query . value) and the weighted sum of the values."""
    query, value = ins[0], ins[1] if len(ins) > 1 else ins[0]
    t_q, t_v, dim = elements(query[:-1]), elements(value[:-1]), query[-1]
    if t_q is None or t_v is None or dim is None:
        return None
    return 4 * t_q * t_v * dim


RULES: dict[str, Rule] = {
    "Dense": _dense,
    "Conv1D": _conv(1),
    "Conv2D": _conv(2),
    "Conv3D": _conv(3),
    "Conv1DTranspose": _conv_transpose(1),
    "Conv2DTranspose": _conv_transpose(2),
    "Conv3DTranspose": _conv_transpose(3),
    "DepthwiseConv1D": _depthwise(1),
    "DepthwiseConv2D": _depthwise(2),
    "SeparableConv1D": _separable(1),
    "SeparableConv2D": _separable(2),
    "BatchNormalization": _per_element(2),
    "Rescaling": _per_element(2),
    "Normalization": _per_element(2),
    "LayerNormalization": _per_element(6),
    "GroupNormalization": _per_element(6),
    "Add": _merge,
    "Subtract": _merge,
    "Multiply": _merge,
    "Average": _merge,
    "Maximum": _merge,
    "Minimum": _merge,
    "MaxPooling1D": _pool(1),
    "MaxPooling2D": _pool(2),
    "MaxPooling3D": _pool(3),
    "AveragePooling1D": _pool(1),
    "AveragePooling2D": _pool(2),
    "AveragePooling3D": _pool(3),
    "GlobalAveragePooling1D": _global_pool,
    "GlobalAveragePooling2D": _global_pool,
    "GlobalAveragePooling3D": _global_pool,
    "GlobalMaxPooling1D": _global_pool,
    "GlobalMaxPooling2D": _global_pool,
    "GlobalMaxPooling3D": _global_pool,
    "SimpleRNN": _recurrent(1, 0),
    "LSTM": _recurrent(4, 4),
    "GRU": _recurrent(3, 4),
    "MultiHeadAttention": _multi_head_attention,
    "Attention": _dot_attention,
}

_DTYPE_BITS = re.compile(r"(\d+)$")


def dtype_bytes(dtype: str) -> int:
    """Bytes of one element: float16 2, int64 8, bool 1 (float32's 4 when unknown)."""
    if dtype == "bool":
        return 1
    bits = _DTYPE_BITS.search(dtype)
    return int(bits.group(1)) // 8 if bits else 4


def output_bytes(info: NodeReport) -> int | None:
    """Memory of a node's outputs for one sample; None when an axis is free."""
    total = 0
    for shape, dtype in zip(info.output_shapes, info.dtypes, strict=False):
        n = elements(shape)
        if n is None:
            return None
        total += n * dtype_bytes(dtype)
    return total


@dataclass
class GraphCost:
    """The totals of one graph level over the nodes that reach an Output."""

    macs: int = 0
    activation_bytes: int = 0
    uncounted: list[str] = field(default_factory=list)


IndexOf = Callable[[Graph], GraphIndex]


def add_costs(
    graph: Graph, nodes: dict[str, NodeReport], index_of: IndexOf, costed: Set[str] = frozenset()
) -> GraphCost:
    """Fill `macs` and `activation_bytes` on every checked node (sub-graphs' included)
    but those `costed` already, and return the top level's totals. A sub-graph's use
    costs its definition's total."""
    return _add_level(graph, "", [], nodes, index_of, costed)


def _add_level(
    graph: Graph,
    prefix: str,
    chain: list[dict[str, int | None]],
    nodes: dict[str, NodeReport],
    index_of: IndexOf,
    costed: Set[str],
) -> GraphCost:
    here: dict[str, int | None] = {}
    scopes = [*chain, here]
    for key, sub in graph.subgraphs.items():
        inner = _add_level(sub, f"{prefix}{key}/", scopes, nodes, index_of, costed)
        here[key] = None if inner.uncounted else inner.macs
    index = index_of(graph)
    total = GraphCost()
    used = index.used()
    for node in graph.nodes:
        nid = prefix + node.id
        info = nodes.get(nid)
        if info is None or info.status != "ok":
            continue
        if nid not in costed:
            owner = index.by_id.get(node.shared_with or "", node)
            ins = input_shapes(index, node.id, prefix, nodes)
            info.macs = layer_macs(owner, ins, info.output_shapes, lambda k: _lookup(scopes, k))
            info.activation_bytes = output_bytes(info)
        if node.id not in used or node.type == "Output":
            continue
        if info.macs is None:
            total.uncounted.append(nid)
        else:
            total.macs += info.macs
        total.activation_bytes += info.activation_bytes or 0
    return total


def _lookup(scopes: list[dict[str, int | None]], key: str) -> int | None:
    for scope in reversed(scopes):
        if key in scope:
            return scope[key]
    return None


def input_shapes(
    index: GraphIndex, nid: str, prefix: str, nodes: dict[str, NodeReport]
) -> list[Shape]:
    shapes: list[Shape] = []
    for port in sorted(index.in_edges.get(nid, {})):
        edge = index.in_edges[nid][port][0]
        source = nodes.get(prefix + edge.source)
        if source is None or edge.source_port >= len(source.output_shapes):
            return shapes
        shapes.append(source.output_shapes[edge.source_port])
    return shapes


def layer_macs(
    layer: Node | InnerLayer,
    ins: Shapes,
    outs: Shapes,
    subgraph_macs: Callable[[str], int | None],
) -> int | None:
    """MACs of one call of a layer for one sample; None when no rule counts it."""
    if layer.type in ZERO_COST:
        return 0
    used = subgraph_use(layer)
    if layer.type == "Model" and used is not None:
        return subgraph_macs(used)
    if not ins or not outs:
        return None
    if layer.type == "TimeDistributed" and layer.inner is not None:
        steps = ins[0][1] if len(ins[0]) > 1 else None
        inner = layer_macs(
            layer.inner,
            [[s[0], *s[2:]] for s in ins],
            [[s[0], *s[2:]] for s in outs],
            subgraph_macs,
        )
        return None if inner is None or steps is None else steps * inner
    if layer.type == "Bidirectional" and layer.inner is not None:
        inner = layer_macs(layer.inner, ins, outs, subgraph_macs)
        return None if inner is None else 2 * inner
    rule = RULES.get(layer.type)
    flops = rule(layer.params, ins, outs) if rule is not None else None
    return None if flops is None else flops // 2
