"""One call in a Keras functional config (an inbound node: `{"args", "kwargs"}`) ->
the input ports its tensors go to and the call's flags, for a layer or a keras.ops
Operation (an `Op` node). Everything that is no tensor, no known flag and no
argument the function takes is refused naming the layer and the argument."""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

from layerforge.graph.catalogue.call_arguments import call_options
from layerforge.graph.catalogue.keras_ops import LIST_ARGUMENTS, OP_MODULES, op_arguments, op_ports
from layerforge.graph.catalogue.kinds import QKV, keras_kind
from layerforge.graph.ports import argument_ports, no_subgraphs, positional_port_names
from layerforge.graph.problems import GraphError, Problem
from layerforge.graph.schema import Node

History = tuple[str, int, int]
"""A tensor's `keras_history`: (layer name, node index, tensor index)."""
PortTensor = tuple[int, History]

IGNORED_KWARGS = {"training"}


def error(node: str | None, code: str, message: str, param: str | None = None) -> GraphError:
    return GraphError([Problem(node=node, param=param, code=code, message=message)])


def tensor_history(value: Any) -> History | None:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        name, node_index, tensor_index = value["config"]["keras_history"]
        return (str(name), int(node_index), int(tensor_index))
    return None


def _histories(value: Any) -> list[History | None] | None:
    """The tensors of a list argument (None items stay None), or None for a non-list."""
    if not isinstance(value, (list, tuple)):
        return None
    found = [tensor_history(v) for v in value]
    return found if any(h is not None for h in found) else None


def _empty(value: Any) -> bool:
    """None, or a list of Nones (a nested model's `mask=[None, None]`)."""
    if isinstance(value, (list, tuple)):
        return all(_empty(v) for v in value)
    return value is None


def layer_call(owner: Node, call: dict[str, Any]) -> tuple[list[PortTensor], dict[str, Any]]:
    """Ports of the tensors one call of `owner`'s layer receives, and its flags
    (`call_params`): positional tensors at the positional ports, tensor keyword
    arguments at their named ports (`initial_state=[h, c]`, `mask=m`, `key=k`)."""
    args = list(call.get("args") or [])
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = list(args[0])  # a merge layer (or Attention) called on a list
    ports: list[PortTensor] = []
    for port, value in enumerate(args):
        history = tensor_history(value)
        if history is None:
            raise error(
                owner.id, "unsupported", f"{owner.id}: positional argument {port} is no tensor"
            )
        ports.append((port, history))
    positional = positional_port_names(owner, no_subgraphs, len(args))
    named = argument_ports(owner)
    options = call_options(owner.type)
    params: dict[str, Any] = {}
    found = keras_kind(owner.type)
    for key, value in (call.get("kwargs") or {}).items():
        if key in IGNORED_KWARGS or _empty(value):
            continue
        if found is not None and found.call == QKV and key in positional:
            history = tensor_history(value)
            if history is not None:
                ports.append((positional.index(key), history))
                continue
        if key in options and isinstance(value, bool):
            if value != options[key]:
                params[key] = value
            continue
        items = [p for p in named if p.argument == key]
        single = tensor_history(value)
        listed = _histories(value)
        if items and items[0].item is None and single is not None:
            ports.append((len(positional) + named.index(items[0]), single))
        elif items and items[0].item is not None and listed is not None:
            if len(listed) != len(items):
                raise error(
                    owner.id,
                    "unsupported",
                    f"{owner.id}: {key} takes {len(items)} tensors, the call gives {len(listed)}",
                    key,
                )
            ports += [
                (len(positional) + named.index(item), h)
                for item, h in zip(items, listed, strict=True)
                if h is not None
            ]
        else:
            raise error(
                owner.id,
                "unsupported",
                f"{owner.id}: the call argument {key!r} of {owner.type} cannot be drawn",
                key,
            )
    return ports, params


def op_function_name(class_name: str) -> str:
    """Keras's Operation class name -> its keras.ops function (`NotEqual` -> not_equal)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", class_name).lower()


def is_op(layer: dict[str, Any]) -> bool:
    return str(layer.get("module") or "").startswith("keras.src.ops")


def op_call(layer: dict[str, Any], node_id: str) -> tuple[Node, list[PortTensor]]:
    """An `Op` node from a keras.ops Operation in a functional config, with the ports
    of its tensors. The Operation's constructor config and its call's non-tensor
    arguments become params by their names in the keras.ops function."""
    class_name, module = str(layer.get("class_name")), str(layer.get("module"))
    function = op_function_name(class_name)
    arguments = op_arguments(function)
    if module not in OP_MODULES or not arguments:
        raise error(
            node_id,
            "refused_type",
            f"{node_id}: the operation {class_name!r} ({module}) is not one of the "
            "keras.ops functions a graph may call",
        )
    calls = layer.get("inbound_nodes") or []
    if len(calls) != 1 or not isinstance(calls[0], dict):
        raise error(node_id, "bad_model", f"{node_id}: an operation is called exactly once")
    cls = getattr(importlib.import_module(module), class_name)  # module and name allowlisted
    values = {k: v for k, v in (layer.get("config") or {}).items() if k != "name"}
    names = [p for p in inspect.signature(cls.call).parameters.values() if p.name != "self"]
    args = list(calls[0].get("args") or [])
    for i, parameter in enumerate(names):
        if parameter.kind == parameter.VAR_POSITIONAL:
            values[parameter.name] = args[i:]
            break
        if i < len(args):
            values[parameter.name] = args[i]
    values.update(calls[0].get("kwargs") or {})
    ports: list[PortTensor] = []
    params: dict[str, Any] = {"function": function}
    listed = LIST_ARGUMENTS.get(function)
    required = op_ports(function)
    for key, value in values.items():
        if key not in arguments:
            raise error(node_id, "unsupported", f"{node_id}: {function} takes no {key!r}", key)
        history = tensor_history(value)
        if key == listed:
            ports += [(i, h) for i, h in enumerate(_histories(value) or []) if h is not None]
        elif history is not None and key in required:
            ports.append((required.index(key), history))
        elif history is not None:
            raise error(node_id, "unsupported", f"{node_id}: {function}'s {key!r} as a tensor", key)
        else:
            params[key] = op_value(value, node_id, key)
    for key in [k for k, v in params.items() if k != "function" and v == arguments.get(k)]:
        del params[key]  # the function's own default
    name = str(layer.get("name") or node_id)  # Keras's, kept exactly: wiring goes by name
    return Node(id=node_id, type="Op", name=name, params=params), ports


def op_value(value: Any, node_id: str, key: str) -> Any:
    """A non-tensor argument as JSON data: slices as {"slice": [...]}, arrays as lists."""
    if isinstance(value, (list, tuple)):
        return [op_value(v, node_id, key) for v in value]
    if isinstance(value, dict):
        kind, config = value.get("class_name"), value.get("config")
        if kind == "__slice__" and isinstance(config, dict):
            return {"slice": [config.get("start"), config.get("stop"), config.get("step")]}
        if kind == "__ellipsis__":
            return "..."
        if kind in ("__numpy__", "__tensor__") and isinstance(config, dict):
            return config.get("value")
        raise error(node_id, "unsupported", f"{node_id}: {key!r} holds an object", key)
    return value
