"""Keras layers from graph nodes, through the allowlist (`catalogue.kinds`), and how a
layer is called on the tensors at its input ports (its `LayerKind.call`)."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import keras

from layerforge.graph.catalogue.classes import keras_class
from layerforge.graph.catalogue.keras_ops import (
    LIST_ARGUMENTS,
    TENSOR_ARGUMENTS,
    key_value,
    op_function,
    op_ports,
)
from layerforge.graph.catalogue.kinds import LIST, QKV, keras_kind
from layerforge.graph.ports import argument_ports, op_function_name
from layerforge.graph.schema import InnerLayer, Node

ModelResolver = Callable[[str], keras.Model]
"""Sub-graph key -> the one keras.Model built for that definition."""

LayerLike = Node | InnerLayer


def layer_class(type_name: str) -> type[keras.layers.Layer] | None:
    """The Keras class for an allowlisted type, else None (never looked up otherwise)."""
    cls: type[keras.layers.Layer] | None = keras_class(type_name)
    return cls


def layer_kwargs(layer: LayerLike) -> dict[str, Any]:
    """Constructor keyword arguments from a node's params (a private copy)."""
    return copy.deepcopy(dict(layer.params))


_UNTRACKED: dict[type[keras.layers.Layer], type[keras.layers.Layer]] = {}


def _untracked(cls: type[keras.layers.Layer]) -> type[keras.layers.Layer]:
    """The same layer class made cheaper to construct, for throwaway layers that
    validation calls on symbolic tensors: no TensorFlow attribute tracking (it only
    serves TF checkpoints; Keras's own weight tracking is kept), and a constructor
    signature computed once instead of at every instantiation (Keras inspects it)."""
    if cls in _UNTRACKED:
        return _UNTRACKED[cls]
    parent_init = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        parent_init(self, *args, **kwargs)

    __init__.__signature__ = inspect.signature(parent_init)  # type: ignore[attr-defined]
    namespace = {
        "_self_setattr_tracking": False,
        "__module__": cls.__module__,
        "__init__": __init__,
    }
    _UNTRACKED[cls] = type(cls.__name__, (cls,), namespace)
    return _UNTRACKED[cls]


def make_layer(
    layer: LayerLike,
    name: str | None,
    models: ModelResolver,
    *,
    throwaway: bool = False,
) -> keras.layers.Layer | None:
    """Instantiate the layer a node (or a wrapper's `inner`) describes.

    A `Model` use returns the shared keras.Model of its sub-graph; wrappers build
    their inner layer first; an Op node has no layer (None). `throwaway` layers
    (validation) skip TF tracking. Raises whatever Keras raises for bad params."""
    if layer.type == "Op":
        return None
    if layer.type == "Model":
        model = models(layer.params["subgraph"])
        if isinstance(layer, Node) and not layer.trainable and not throwaway:
            # `base_model.trainable = False`: the one model of the sub-graph, every use
            # (validation's models are cached and shared, so it counts frozen ones itself)
            model.trainable = False
        return model
    cls = layer_class(layer.type)
    if cls is None:
        raise ValueError(f"Layer type {layer.type!r} is not available")
    if throwaway:
        cls = _untracked(cls)
    kwargs = layer_kwargs(layer)
    if name:
        kwargs["name"] = name
    layer_kind = keras_kind(layer.type)
    if layer_kind is not None and layer_kind.wraps:
        if layer.inner is None:
            raise ValueError(f"{layer.type} needs an inner layer")
        inner_name = layer.inner.name if layer.inner.type != "Model" else None
        kwargs["layer"] = make_layer(layer.inner, inner_name, models, throwaway=throwaway)
    layer_obj = cls(**kwargs)
    if isinstance(layer, Node) and not layer.trainable:
        layer_obj.trainable = False
    return layer_obj


def call_layer(
    layer_obj: keras.layers.Layer | None,
    layer: LayerLike,
    args: Sequence[Any | None],
    call_params: dict[str, Any] | None = None,
) -> list[Any]:
    """Call a layer on the tensors at its input ports (`args[port]`, None where nothing
    is connected): positional ports as its `LayerKind.call` says, argument ports as
    keyword arguments (`initial_state=[h, c]`, `mask=m`), plus the call's flags.
    An Op node (no layer object) calls its keras.ops function. Returns the tensors of
    its output ports."""
    if layer.type == "Op":
        return [call_op(layer, args)]
    if layer_obj is None:
        raise ValueError(f"{layer.type} needs a layer to call")
    extra = argument_ports(layer)
    split = len(args) if layer.type == "Model" else min(len(args), _positional(layer))
    positional, rest = list(args[:split]), list(args[split:])
    kwargs: dict[str, Any] = dict(call_params or {})
    lists: dict[str, list[Any | None]] = {}
    rest += [None] * (len(extra) - len(rest))
    for port, tensor in zip(extra, rest, strict=False):
        if port.item is None:
            if tensor is not None:
                kwargs[port.argument] = tensor
        else:
            lists.setdefault(port.argument, []).append(tensor)
    for argument, items in lists.items():
        if any(t is not None for t in items):
            if any(t is None for t in items):
                names = [p.name for p in extra if p.argument == argument]
                raise ValueError(f"{argument} takes all of {', '.join(names)}: connect each")
            kwargs[argument] = items
    layer_kind = keras_kind(layer.type)
    style = layer_kind.call if layer_kind is not None else None
    if style == QKV:
        key = positional[2] if len(positional) > 2 else None
        out = layer_obj(positional[0], positional[1], key=key, **kwargs)
    elif style == LIST or (layer.type == "Model" and len(positional) > 1):
        out = layer_obj([t for t in positional if t is not None], **kwargs)
    else:
        out = layer_obj(positional[0], **kwargs)
    if isinstance(out, dict):
        return list(out.values())
    if isinstance(out, (list, tuple)):
        return list(out)
    return [out]


def _positional(layer: LayerLike) -> int:
    """How many of a layer's ports are positional (the rest are argument ports)."""
    layer_kind = keras_kind(layer.type)
    if layer_kind is None or layer_kind.max_inputs is None:
        return 1 << 30
    return layer_kind.max_inputs


def op_arguments_of(layer: LayerLike) -> dict[str, Any]:
    """An Op node's non-tensor arguments as its function takes them."""
    values = {k: v for k, v in layer.params.items() if k != "function"}
    if "key" in values and op_function_name(layer) == "get_item":
        values["key"] = key_value(values["key"])
    for key in TENSOR_ARGUMENTS & values.keys():
        if isinstance(values[key], list):
            values[key] = keras.ops.convert_to_tensor(values[key])
    return values


def name_op(tensor: Any, name: str | None, inputs: Sequence[Any | None]) -> None:
    """Give the keras.ops Operation that made `tensor` its node's name, as layers take
    theirs (`x + y` made an `add`; called again, Keras would pick `add_34`). A tensor
    passed through unchanged (one of `inputs`) keeps its maker's name."""
    history = getattr(tensor, "_keras_history", None)
    if not name or history is None or any(tensor is t for t in inputs):
        return
    if not isinstance(history.operation, keras.layers.Layer):
        history.operation.name = name


def call_op(layer: LayerLike, args: Sequence[Any | None]) -> Any:
    """`keras.ops.<function>(...)` on the tensors at an Op node's ports."""
    name = op_function_name(layer) or ""
    fn = op_function(name)
    if fn is None:
        raise ValueError(f"keras.ops.{name} is not an allowed operation")
    values = op_arguments_of(layer)
    listed = LIST_ARGUMENTS.get(name)
    if listed is None:
        given = {p: t for p, t in zip(op_ports(name), args, strict=False) if t is not None}
        return fn(**given, **values)
    tensors = [t for t in args if t is not None]
    parameters = list(inspect.signature(fn).parameters.values())
    star = next((p for p in parameters if p.name == listed and p.kind == p.VAR_POSITIONAL), None)
    if star is not None:  # einsum(subscripts, *operands)
        before = [values.pop(p.name) for p in parameters[: parameters.index(star)]]
        return fn(*before, *tensors, **values)
    return fn(**{listed: tensors}, **values)
