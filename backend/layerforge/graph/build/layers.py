"""Keras layers from graph nodes, through the allowlist (`catalogue.kinds`), and how a
layer is called on the tensors at its input ports (its `LayerKind.call`)."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any

import keras

from layerforge.graph.catalogue.kinds import LIST, QKV, keras_kind
from layerforge.graph.schema import InnerLayer, Node

ModelResolver = Callable[[str], keras.Model]
"""Sub-graph key -> the one keras.Model built for that definition."""

LayerLike = Node | InnerLayer


def layer_class(type_name: str) -> type[keras.layers.Layer] | None:
    """The Keras class for an allowlisted type, else None (never looked up otherwise)."""
    if keras_kind(type_name) is None:
        return None
    cls: type[keras.layers.Layer] = getattr(keras.layers, type_name)
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
    parent_init = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        parent_init(self, *args, **kwargs)

    __init__.__signature__ = inspect.signature(parent_init)  # type: ignore[attr-defined]
    namespace = {
        "_self_setattr_tracking": False,
        "__module__": cls.__module__,
        "__init__": __init__,
    }
    if cls not in _UNTRACKED:
        _UNTRACKED[cls] = type(cls.__name__, (cls,), namespace)
    return _UNTRACKED[cls]


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


def call_layer(layer_obj: keras.layers.Layer, type_name: str, args: list[Any]) -> list[Any]:
    """Call a layer on the tensors of its input ports (in port order); returns the
    tensors of its output ports."""
    layer_kind = keras_kind(type_name)
    style = layer_kind.call if layer_kind is not None else None
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
