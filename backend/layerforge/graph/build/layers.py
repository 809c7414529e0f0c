"""Keras layers from graph nodes, through the allowlist in `catalogue_data`.

Also the port arithmetic: how many input and output ports a node has, and how a
layer is called on the tensors at its input ports."""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable
from typing import Any

import keras

from layerforge.graph.catalogue_data import (
    LAYERS,
    LIST,
    PSEUDO_TYPES,
    QKV,
    RECURRENT_STATES,
    REFUSED_TYPES,
    WRAPPERS,
)
from layerforge.graph.schema import Graph, InnerLayer, Node

ModelResolver = Callable[[str], keras.Model]
"""Sub-graph key -> the one keras.Model built for that definition."""

LayerLike = Node | InnerLayer


def is_known(type_name: str) -> bool:
    return type_name in LAYERS or type_name in PSEUDO_TYPES


def is_refused(type_name: str) -> bool:
    return type_name in REFUSED_TYPES


def layer_class(type_name: str) -> type[keras.layers.Layer] | None:
    """The Keras class for an allowlisted type, else None (never looked up otherwise)."""
    if type_name not in LAYERS:
        return None
    return getattr(keras.layers, type_name)


def layer_kwargs(layer: LayerLike) -> dict[str, Any]:
    """Constructor keyword arguments from a node's params (a private copy)."""
    return copy.deepcopy(dict(layer.params))


@functools.cache
def _untracked(cls: type[keras.layers.Layer]) -> type[keras.layers.Layer]:
    """The same layer class made cheaper to construct, for throwaway layers that
    validation calls on symbolic tensors: no TensorFlow attribute tracking (it only
    serves TF checkpoints; Keras's own weight tracking is kept), and a constructor
    signature computed once instead of at every instantiation (Keras inspects it)."""
    parent_init = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        parent_init(self, *args, **kwargs)

    __init__.__signature__ = inspect.signature(parent_init)  # type: ignore[attr-defined]
    namespace = {
        "_self_setattr_tracking": False,
        "__module__": cls.__module__,
        "__init__": __init__,
    }
    return type(cls.__name__, (cls,), namespace)


def make_layer(
    layer: LayerLike,
    name: str | None,
    models: ModelResolver,
    *,
    throwaway: bool = False,
) -> keras.layers.Layer:
    """Instantiate the layer a node (or a wrapper's `inner`) describes.

    A `Model` use returns the shared keras.Model of its sub-graph; wrappers build
    their inner layer first. `throwaway` layers (validation) skip TF tracking.
    Raises whatever Keras raises for bad params."""
    if layer.type == "Model":
        return models(layer.params["subgraph"])
    cls = layer_class(layer.type)
    if cls is None:
        raise ValueError(f"Layer type {layer.type!r} is not available")
    if throwaway:
        cls = _untracked(cls)
    kwargs = layer_kwargs(layer)
    if name:
        kwargs["name"] = name
    if layer.type in WRAPPERS:
        if layer.inner is None:
            raise ValueError(f"{layer.type} needs an inner layer")
        inner_name = layer.inner.name if layer.inner.type != "Model" else None
        kwargs["layer"] = make_layer(layer.inner, inner_name, models, throwaway=throwaway)
    layer_obj = cls(**kwargs)
    if isinstance(layer, Node) and not layer.trainable:
        layer_obj.trainable = False
    return layer_obj


# --- ports -------------------------------------------------------------------------

SubgraphLookup = Callable[[str], Graph | None]


def _subgraph_ports(sub: Graph | None) -> tuple[int, int]:
    if sub is None:
        return 1, 1
    ins = sum(1 for n in sub.nodes if n.type == "Input")
    outs = sum(1 for n in sub.nodes if n.type == "Output")
    return ins, outs


def input_ports(layer: LayerLike, subgraphs: SubgraphLookup) -> tuple[int, int | None]:
    """(minimum, maximum) number of input ports; maximum None means "many"."""
    if layer.type == "Input":
        return 0, 0
    if layer.type == "Output":
        return 1, 1
    if layer.type == "Model":
        n, _ = _subgraph_ports(subgraphs(layer.params.get("subgraph", "")))
        return n, n
    if layer.type not in LAYERS:
        return 1, 1
    _, _, inputs, _style, port_names = LAYERS[layer.type]
    if inputs == "many":
        return 1, None
    if port_names:  # query, value, key: key is optional
        return 2, 3
    return int(inputs), int(inputs)


def output_ports(layer: LayerLike, subgraphs: SubgraphLookup) -> int:
    """Number of output ports: 1, or more for `return_state` and multi-output sub-graphs."""
    if layer.type == "Output":
        return 0
    if layer.type == "Model":
        return _subgraph_ports(subgraphs(layer.params.get("subgraph", "")))[1]
    if layer.type in RECURRENT_STATES and layer.params.get("return_state") is True:
        return 1 + RECURRENT_STATES[layer.type]
    if layer.type == "Bidirectional" and layer.inner is not None:
        inner = layer.inner
        if inner.type in RECURRENT_STATES and inner.params.get("return_state") is True:
            return 1 + 2 * RECURRENT_STATES[inner.type]
    return 1


def call_layer(layer_obj: keras.layers.Layer, type_name: str, args: list[Any]) -> list[Any]:
    """Call a layer on the tensors of its input ports (in port order); returns the
    tensors of its output ports."""
    style = LAYERS[type_name][3] if type_name in LAYERS else None
    if style == QKV:
        key = args[2] if len(args) > 2 else None
        out = layer_obj(args[0], args[1], key=key)
    elif style == LIST or (type_name == "Model" and len(args) > 1):
        out = layer_obj(list(args))
    else:
        out = layer_obj(args[0])
    if isinstance(out, dict):
        return list(out.values())
    if isinstance(out, (list, tuple)):
        return list(out)
    return [out]
