"""The layer catalogue served at `GET /api/layers`: generated from Keras itself (class,
constructor signature, defaults from `get_config()` of a default instance) plus the
curated metadata in `catalogue_data` and `catalogue_params`. Built once, then cached."""

from __future__ import annotations

import copy
import inspect
from functools import cache, lru_cache
from typing import Any

import keras

from layerforge.graph.catalogue_data import (
    LAYERS,
    PSEUDO_TYPES,
    RECURRENT_STATES,
    WRAPPERS,
)
from layerforge.graph.catalogue_params import (
    CHOICES_BY_KIND,
    DTYPES,
    EXTRA_DESCRIPTIONS,
    KEY_PARAMS,
    LOSSES,
    PADDING_CHOICES,
    PARAM_RULES,
    SAMPLE_REQUIRED,
)

CATEGORY_ORDER = [
    "io",
    "core",
    "activation",
    "convolution",
    "pooling",
    "recurrent",
    "normalization",
    "regularization",
    "attention",
    "merging",
    "reshaping",
    "preprocessing",
    "augmentation",
    "wrappers",
    "models",
]
_SKIPPED_ARGS = {"self", "name", "layer", "backward_layer", "cell", "weights"}


def _param(name: str, kind: str, default: Any = None, required: bool = False, **more: Any) -> dict:
    spec = {
        "name": name,
        "kind": kind,
        "default": default,
        "required": required,
        "choices": None,
        "min": None,
        "max": None,
        "nullable": default is None and not required,
        "description": EXTRA_DESCRIPTIONS.get(name),
    }
    spec.update(more)
    return spec


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return None


def _kind_from_default(name: str, default: Any) -> str:
    if name == "activation" or name.endswith("_activation"):
        return "activation"
    for suffix in ("initializer", "regularizer", "constraint"):
        if name.endswith("_" + suffix):
            return suffix
    if name == "dtype":
        return "dtype"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        return "str"
    if isinstance(default, (list, tuple)):
        if all(isinstance(v, int) and not isinstance(v, bool) for v in default):
            return "int_tuple"
        return "list"
    return "any"


def _default_config(type_name: str, cls: type, required: list[str]) -> dict[str, Any]:
    """`get_config()` of a default instance (required args filled from samples), or {}."""
    try:
        kwargs = {name: copy.deepcopy(SAMPLE_REQUIRED[name]) for name in required}
        if type_name in WRAPPERS:
            kwargs["layer"] = (
                keras.layers.LSTM(2) if type_name == "Bidirectional" else keras.layers.Dense(2)
            )
        return cls(**kwargs).get_config()
    except Exception:  # noqa: BLE001 - a type without a cheap default instance keeps signature defaults
        return {}


def _layer_params(type_name: str, cls: type) -> list[dict]:
    signature = inspect.signature(cls.__init__)
    args = [
        p
        for p in signature.parameters.values()
        if p.name not in _SKIPPED_ARGS and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    required = [p.name for p in args if p.default is inspect.Parameter.empty]
    config = _default_config(type_name, cls, required)
    params = []
    for p in args:
        is_required = p.default is inspect.Parameter.empty
        default = None if is_required else _jsonable(p.default)
        if default is None and not is_required and not required and p.name in config:
            default = _jsonable(config[p.name]) if not isinstance(config[p.name], dict) else None
        kind = _kind_from_default(p.name, default)
        rules = dict(PARAM_RULES.get(p.name, {}))
        if p.name == "padding" and isinstance(default, str):
            rules = {
                "kind": "choice",
                "choices": PADDING_CHOICES.get(type_name, PADDING_CHOICES["default"]),
            }
        elif p.name == "padding":
            rules = {"kind": "int_tuple", "min": 0}
        if kind in CHOICES_BY_KIND and "kind" not in rules:
            rules["choices"] = CHOICES_BY_KIND[kind]
        if rules.get("kind") in ("int", "float") and kind in ("int_tuple", "list"):
            rules.pop("kind")  # the signature knows better (e.g. a tuple-valued `size`)
        spec = _param(p.name, kind, default, is_required)
        spec.update(rules)
        if default is None and not is_required:
            spec["nullable"] = True
        params.append(spec)
    if not any(p["name"] == "dtype" for p in params):
        params.append(_param("dtype", "dtype", None, choices=DTYPES))
    return params


def _outputs(type_name: str) -> tuple[int, str | None]:
    if type_name in RECURRENT_STATES:
        return 1, "return_state"
    return 1, None


def _layer_spec(type_name: str) -> dict:
    category, description, inputs, _style, port_names = LAYERS[type_name]
    cls = getattr(keras.layers, type_name)
    params = _layer_params(type_name, cls)
    outputs, multi = _outputs(type_name)
    key = KEY_PARAMS.get(type_name) or [p["name"] for p in params if p["required"]][:3]
    spec = {
        "type": type_name,
        "category": category,
        "description": description,
        "inputs": inputs,
        "outputs": outputs,
        "multi_output_param": multi,
        "key_params": key,
        "params": params,
        "input_ports": port_names,
        "min_inputs": 2 if port_names else None,
        "wraps": type_name in WRAPPERS,
        "keras_class": f"keras.layers.{type_name}",
    }
    return spec


def _pseudo_specs() -> list[dict]:
    io = [
        _param(
            "shape",
            "shape",
            None,
            True,
            min=1,
            description="Shape without the batch axis; null for a free axis.",
        ),
        _param("dtype", "dtype", "float32", choices=DTYPES),
        _param(
            "batch_size",
            "int",
            None,
            min=1,
            description="Fixed batch size (stateful RNNs).",
        ),
        _param("sparse", "bool", False),
    ]
    out = [
        _param("loss", "choice", None, choices=LOSSES, description="Loss for this output."),
        _param("loss_weight", "float", 1.0, min=0.0),
        _param("metrics", "list", [], description="Metric names, e.g. accuracy."),
        _param(
            "from_logits",
            "bool",
            False,
            description="The loss reads logits, not probabilities.",
        ),
    ]
    model = [
        _param(
            "subgraph",
            "str",
            None,
            True,
            description="Key of the sub-graph in `subgraphs`.",
        )
    ]
    params = {"Input": io, "Output": out, "Model": model}
    ports = {"Input": (0, 1), "Output": (1, 0), "Model": ("many", "many")}
    specs = []
    for type_name, (category, description) in PSEUDO_TYPES.items():
        specs.append(
            {
                "type": type_name,
                "category": category,
                "description": description,
                "inputs": ports[type_name][0],
                "outputs": ports[type_name][1],
                "multi_output_param": None,
                "key_params": KEY_PARAMS[type_name],
                "params": params[type_name],
                "input_ports": None,
                "min_inputs": None,
                "wraps": False,
                "keras_class": None,
            }
        )
    return specs


@cache
def _spec(type_name: str) -> dict | None:
    if type_name in PSEUDO_TYPES:
        return next(s for s in _pseudo_specs() if s["type"] == type_name)
    return _layer_spec(type_name) if type_name in LAYERS else None


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Any]:
    specs = [_spec(t) for t in [*PSEUDO_TYPES, *LAYERS]]
    specs.sort(key=lambda s: CATEGORY_ORDER.index(s["category"]))
    return {"layers": specs, "categories": CATEGORY_ORDER}


def get_catalogue() -> dict[str, Any]:
    """The whole catalogue (built once, then cached; treat as read-only)."""
    return _catalogue()


def layer_spec(type_name: str) -> dict | None:
    """One type's spec (built on first use, cached), or None for a type not offered."""
    return _spec(type_name)


@cache
def param_specs(type_name: str) -> dict[str, dict]:
    """Parameter specs of a type by name ({} for an unknown type)."""
    spec = layer_spec(type_name)
    return {p["name"]: p for p in spec["params"]} if spec else {}
