"""Port arithmetic: how many input and output ports a node has and what they are
called, from its `LayerKind`, its layer's call signature (`catalogue.calls`), an Op's
function (`catalogue.ops`) and, for a `Model` use, its sub-graph's Input and Output
nodes. The structure checks, the build and the validate answer all read it here.

Input ports come in two groups: the positional ones (`input`; query, value, key;
input_0.. of a merge layer), then one per tensor argument of the layer's `call`
(`initial_state_h`, `initial_state_c`, `mask`, `attention_mask`, ...), optional and
named; a list argument has a port per item (`ArgumentPort.item`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from layerforge.graph.catalogue.call_arguments import tensor_arguments
from layerforge.graph.catalogue.keras_ops import LIST_ARGUMENTS, op_ports
from layerforge.graph.catalogue.kinds import kind
from layerforge.graph.schema import Graph, InnerLayer, Node
from layerforge.graph.topology import input_name, output_name

SubgraphLookup = Callable[[str], Graph | None]
"""Sub-graph key -> its definition in scope, or None."""

LayerLike = Node | InnerLayer


def no_subgraphs(_key: str) -> Graph | None:
    """The lookup for a layer seen on its own, outside any graph's sub-graphs."""
    return None


def _model_of(layer: LayerLike, subgraphs: SubgraphLookup) -> Graph | None:
    key = layer.params.get("subgraph")
    return subgraphs(key) if isinstance(key, str) else None


class ArgumentPort(NamedTuple):
    """An input port fed to a call argument: `layer(x, initial_state=[h, c])` has
    ports ("initial_state_h", "initial_state", 0) and ("initial_state_c", ..., 1)."""

    name: str
    argument: str
    item: int | None
    """Position in a list argument; None for an argument taking one tensor."""


def argument_ports(layer: LayerLike) -> list[ArgumentPort]:
    """The named ports of a layer's tensor call arguments, in signature order."""
    found = kind(layer.type)
    if found is None or not found.keras or found.variadic:
        return []
    lists = dict(found.argument_lists)
    ports: list[ArgumentPort] = []
    for argument in tensor_arguments(layer.type):
        items = _initial_states(layer) if argument == "initial_state" else lists.get(argument)
        if items is None:
            ports.append(ArgumentPort(argument, argument, None))
        else:
            ports += [ArgumentPort(name, argument, i) for i, name in enumerate(items)]
    return ports


def _initial_states(layer: LayerLike) -> list[str]:
    """`initial_state` items: one per state the layer returns (both directions')."""
    return [f"initial_{s}" for s in _all_states(layer)]


def _all_states(layer: LayerLike) -> list[str]:
    found = kind(layer.type)
    if found is not None and found.states:
        return list(found.states)
    if layer.type == "Bidirectional" and layer.inner is not None:
        inner = _all_states(layer.inner)
        return [f"forward_{s}" for s in inner] + [f"backward_{s}" for s in inner]
    return []


def op_function_name(layer: LayerLike) -> str | None:
    name = layer.params.get("function")
    return name if isinstance(name, str) else None


def _op_positional(layer: LayerLike) -> list[str]:
    """An Op's ports: its function's required arguments (none for a list op)."""
    name = op_function_name(layer) or ""
    return [] if name in LIST_ARGUMENTS else list(op_ports(name))


def positional_range(layer: LayerLike, subgraphs: SubgraphLookup) -> tuple[int, int | None]:
    """(minimum, maximum) number of positional input ports; maximum None: any number."""
    if layer.type == "Model":
        sub = _model_of(layer, subgraphs)
        n = 1 if sub is None else sum(1 for n in sub.nodes if n.type == "Input")
        return n, n
    if layer.type == "Op":
        if (op_function_name(layer) or "") in LIST_ARGUMENTS:
            return 1, None
        n = len(_op_positional(layer))
        return 0, n  # a required argument may come as a param instead
    found = kind(layer.type)
    if found is None:
        return 1, 1
    return found.min_inputs, found.max_inputs


def input_port_range(layer: LayerLike, subgraphs: SubgraphLookup) -> tuple[int, int | None]:
    """(minimum, maximum) number of input ports, argument ports included; maximum
    None means any number."""
    low, high = positional_range(layer, subgraphs)
    if high is None:
        return low, None
    return low, high + len(argument_ports(layer))


def _returns_state(layer: LayerLike) -> bool:
    if layer.type == "Bidirectional" and layer.inner is not None:
        return _returns_state(layer.inner)
    return layer.params.get("return_state") is True


def _state_names(layer: LayerLike) -> list[str]:
    """The extra outputs `return_state=True` gives (a Bidirectional: both directions')."""
    return _all_states(layer) if _returns_state(layer) else []


def output_port_names(layer: LayerLike, subgraphs: SubgraphLookup) -> list[str]:
    """Output ports in order: ["output"], plus states, or a sub-graph's Output names."""
    if layer.type == "Output":
        return []
    if layer.type == "Model":
        sub = _model_of(layer, subgraphs)
        return (
            ["output"] if sub is None else [output_name(n) for n in sub.nodes if n.type == "Output"]
        )
    return ["output", *_state_names(layer)]


def output_ports(layer: LayerLike, subgraphs: SubgraphLookup) -> int:
    """Number of output ports: 1, or more for `return_state` and multi-output sub-graphs."""
    return len(output_port_names(layer, subgraphs))


def input_port_names(layer: LayerLike, subgraphs: SubgraphLookup, connected: int) -> list[str]:
    """Input ports in order: the positional ones (the layer's own names such as query,
    value, key; a sub-graph's Input names; an Op's argument names; input_0.. for a
    layer taking several), then the argument ports; `connected` (one past the highest
    connected port) sizes a layer that takes any number."""
    return positional_port_names(layer, subgraphs, connected) + [
        p.name for p in argument_ports(layer)
    ]


def positional_port_names(
    layer: LayerLike, subgraphs: SubgraphLookup, connected: int = 0
) -> list[str]:
    if layer.type == "Model":
        sub = _model_of(layer, subgraphs)
        if sub is not None:
            return [input_name(n) for n in sub.nodes if n.type == "Input"]
    if layer.type == "Op" and _op_positional(layer):
        return _op_positional(layer)
    found = kind(layer.type)
    if found is not None and found.input_names:
        return list(found.input_names)
    low, high = positional_range(layer, subgraphs)
    count = max(low, connected) if high is None else high
    if layer.type == "Op" and high is None:
        base = LIST_ARGUMENTS.get(op_function_name(layer) or "", "input")
        return [f"{base}_{i}" for i in range(count)]
    return ["input"] if count == 1 and high == 1 else [f"input_{i}" for i in range(count)]


def variadic_inputs(layer: LayerLike) -> bool:
    """Whether the layer takes any number of inputs (the editor offers a spare port)."""
    if layer.type == "Op":
        return (op_function_name(layer) or "") in LIST_ARGUMENTS
    found = kind(layer.type)
    return found is not None and found.variadic and layer.type != "Model"
