"""An imported model's compile config (a `.keras` file's `compile_config`) as the
params of its Output nodes: loss, loss weight, metrics and `from_logits`."""

from __future__ import annotations

from typing import Any

from layerforge.graph.schema import Graph


def apply_compile_config(graph: Graph, compile_config: dict[str, Any]) -> None:
    """Loss, loss weight and metrics per Output node, from a `.keras` compile config."""
    outputs = [n for n in graph.nodes if n.type == "Output"]
    names = [n.name or n.id for n in outputs]
    for field, param in (
        ("loss", "loss"),
        ("loss_weights", "loss_weight"),
        ("metrics", "metrics"),
    ):
        per_output = _per_output(compile_config.get(field), names, is_list=field == "metrics")
        for node, value in zip(outputs, per_output, strict=False):
            if value is not None:
                node.params[param] = _compile_value(value)
            if field == "loss" and _from_logits(value):
                node.params["from_logits"] = True


def _per_output(value: Any, names: list[str], is_list: bool) -> list[Any]:
    """Keras's forms: a dict by output name, a list with one entry per output, or one
    value for every output (for metrics, one list for every output)."""
    if isinstance(value, dict) and "class_name" not in value:
        return [value.get(n) for n in names]
    per_output = isinstance(value, list) and len(value) == len(names)
    if per_output and (not is_list or all(isinstance(v, list) for v in value)):
        return list(value)
    return [value] * len(names)


def _from_logits(loss: Any) -> bool:
    """Whether a serialized Loss object was made with `from_logits=True`."""
    config = loss.get("config") if isinstance(loss, dict) else None
    return isinstance(config, dict) and config.get("from_logits") is True


def _compile_value(value: Any) -> Any:
    """A loss or metric by its Keras name where the config spells out an object."""
    if isinstance(value, list):
        return [_compile_value(v) for v in value]
    if isinstance(value, dict) and "config" in value:
        config = value["config"]
        return config.get("name", value.get("class_name")) if isinstance(config, dict) else config
    return value
