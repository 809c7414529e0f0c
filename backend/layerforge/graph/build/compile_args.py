"""The compile() arguments a graph's Output nodes carry (loss, loss weight, metrics)."""

from __future__ import annotations

from typing import Any

import keras

from layerforge.graph.catalogue.losses_metrics import LOSSES_TAKING_LOGITS
from layerforge.graph.schema import Graph
from layerforge.graph.topology import output_name


def compile_spec(graph: Graph) -> dict[str, dict[str, Any]]:
    """compile() arguments from the Output nodes, keyed by output name."""
    spec: dict[str, dict[str, Any]] = {"loss": {}, "loss_weights": {}, "metrics": {}}
    for node in graph.nodes:
        if node.type != "Output":
            continue
        name = output_name(node)
        params = node.params
        loss = params.get("loss")
        if loss:
            spec["loss"][name] = _loss(loss, bool(params.get("from_logits", False)))
        spec["loss_weights"][name] = float(params.get("loss_weight", 1.0))
        spec["metrics"][name] = list(params.get("metrics") or [])
    return spec


def _loss(name: str, from_logits: bool) -> Any:
    """A loss name, or a Loss instance when `from_logits` asks for one."""
    if not from_logits or name not in LOSSES_TAKING_LOGITS:
        return name
    wanted = name.replace("_", "").lower()
    for attr in dir(keras.losses):
        obj = getattr(keras.losses, attr)
        if isinstance(obj, type) and issubclass(obj, keras.losses.Loss) and attr.lower() == wanted:
            return obj(from_logits=True)
    return name
