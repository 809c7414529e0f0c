"""The layer catalogue served at `GET /api/layers`: each `LayerKind` plus what Keras
itself says about the layer (constructor signature, defaults from `get_config()` of a
default instance) and the curated metadata in `params`. Built once, then cached.
Keras is imported on first build, so the API can declare these models without it."""

from __future__ import annotations

import copy
import inspect
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType

from layerforge.graph.catalogue.classes import keras_class
from layerforge.graph.catalogue.keras_ops import OPS
from layerforge.graph.catalogue.kinds import KINDS, MANY, CategoryId, LayerKind
from layerforge.graph.catalogue.losses_metrics import LOSSES, METRICS
from layerforge.graph.catalogue.param_rules import (
    ACTIVATIONS,
    CHOICES_BY_KIND,
    CONSTRAINTS,
    DTYPES,
    EXTRA_DESCRIPTIONS,
    INITIALIZERS,
    PADDING_CHOICES,
    PARAM_RULES,
    REGULARIZERS,
    SAMPLE_REQUIRED,
    TENSOR_DTYPES,
    TYPE_PARAM_RULES,
)
from layerforge.graph.ports import (
    input_port_names,
    no_subgraphs,
    output_port_names,
    variadic_inputs,
)
from layerforge.graph.schema import Node

ParamKind = TypeAliasType(
    "ParamKind",
    Literal[
        "int",
        "float",
        "bool",
        "str",
        "dtype",
        "choice",
        "multi_choice",
        "activation",
        "initializer",
        "regularizer",
        "constraint",
        "int_tuple",
        "shape",
        "list",
        "any",
    ],
)
"""What a parameter holds, which decides its form field in the editor and its value
check (`checks/param_values.py` VALUE_CHECKS, one per kind). Published by name in the
OpenAPI document, so the editor's switches over it are exhaustive."""


class ParamSpec(BaseModel):
    """One constructor parameter as the editor's form shows it and the checks read it."""

    name: str
    kind: ParamKind
    default: Any = None
    required: bool = False
    choices: list[Any] | None = None
    min: float | None = None
    max: float | None = None
    nullable: bool = False
    description: str | None = None


class LayerEntry(BaseModel):
    type: str
    category: CategoryId
    description: str
    inputs: int | Literal["many"]
    outputs: int | Literal["many"]
    """Output ports without optional states; "many" for a `Model` (its sub-graph's)."""
    multi_output_param: str | None
    """The parameter that adds output ports (`return_state`), if any."""
    key_params: list[str]
    params: list[ParamSpec]
    input_ports: list[str]
    """Input port names of a new node of this type (its default params), as the validate
    answer reports them for one: positional (input; query, value, key; input_0..), then
    call-argument ports (initial_state_h, mask, ...)."""
    output_ports: list[str]
    """Output port names of a new node: output (none for an Output node)."""
    variadic_inputs: bool
    """The layer takes any number of inputs (merge layers): the editor offers a spare port."""
    min_inputs: int | None
    wraps: bool
    keras_class: str | None
    training_only: bool = Field(
        default=False,
        description="A random augmentation: active in training only, the identity at "
        "inference (the editor marks it; the augment preview runs these).",
    )
    adapt_state: list[str] = Field(
        default_factory=list,
        description="A preprocessing layer adapted to the training split before fit "
        "(`layer.adapt`) unless one of these params gives its state.",
    )


class Category(BaseModel):
    id: CategoryId
    title: str
    colour: str


class Choices(BaseModel):
    """Named values the editor offers for parameters of these kinds and for Output nodes."""

    dtype: list[str]
    activation: list[str]
    initializer: list[str]
    regularizer: list[str]
    constraint: list[str]
    loss: list[str]
    metric: list[str]


class LayerCatalogue(BaseModel):
    layers: list[LayerEntry]
    categories: list[Category]
    choices: Choices


CATEGORIES = (
    Category(id="io", title="Inputs & outputs", colour="#64748b"),
    Category(id="core", title="Core", colour="#6366f1"),
    Category(id="activation", title="Activation", colour="#f97316"),
    Category(id="convolution", title="Convolution", colour="#0ea5e9"),
    Category(id="pooling", title="Pooling", colour="#14b8a6"),
    Category(id="recurrent", title="Recurrent", colour="#f59e0b"),
    Category(id="normalization", title="Normalization", colour="#a855f7"),
    Category(id="regularization", title="Regularization", colour="#ec4899"),
    Category(id="attention", title="Attention", colour="#ef4444"),
    Category(id="merging", title="Merging", colour="#22c55e"),
    Category(id="reshaping", title="Reshaping", colour="#84cc16"),
    Category(id="preprocessing", title="Preprocessing", colour="#78716c"),
    Category(id="augmentation", title="Augmentation", colour="#a8a29e"),
    Category(id="wrappers", title="Wrappers", colour="#b45309"),
    Category(id="models", title="Models", colour="#0f766e"),
    Category(id="operations", title="Operations", colour="#475569"),
)
"""In display order."""

_SKIPPED_ARGS = {"self", "name", "layer", "backward_layer", "cell", "weights"}
_CONFIG_ONLY_SKIPPED = {"trainable", "build_config", "compile_config"}


def _param(
    name: str, kind: ParamKind, default: Any = None, required: bool = False, **more: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "default": default,
        "required": required,
        "nullable": default is None and not required,
        "description": EXTRA_DESCRIPTIONS.get(name),
    }
    spec.update(more)
    return spec


def _jsonable(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return None


def _kind_from_default(name: str, default: Any) -> ParamKind:
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


def _default_config(layer_kind: LayerKind, cls: type, required: list[str]) -> dict[str, Any]:
    """`get_config()` of a default instance (required args filled from samples), or {}."""
    import keras

    try:
        kwargs = {name: copy.deepcopy(SAMPLE_REQUIRED[name]) for name in required}
        if layer_kind.wraps:
            kwargs["layer"] = getattr(keras.layers, layer_kind.wraps)(2)
        config: dict[str, Any] = cls(**kwargs).get_config()
        return config
    except Exception:  # noqa: BLE001 - a type without a cheap default instance keeps signature defaults
        return {}


def _layer_params(layer_kind: LayerKind, cls: type) -> list[dict[str, Any]]:
    type_name = layer_kind.type
    signature = inspect.signature(cls.__init__)  # type: ignore[misc]
    args = [
        p
        for p in signature.parameters.values()
        if p.name not in _SKIPPED_ARGS and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    required = [p.name for p in args if p.default is inspect.Parameter.empty]
    config = _default_config(layer_kind, cls, required)
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
        rules.update(TYPE_PARAM_RULES.get(type_name, {}).get(p.name, {}))
        if kind in CHOICES_BY_KIND and "kind" not in rules:
            rules["choices"] = CHOICES_BY_KIND[kind]
        if rules.get("kind") in ("int", "float") and kind in ("int_tuple", "list"):
            rules.pop("kind")  # the signature knows better (e.g. a tuple-valued `size`)
        spec = _param(p.name, kind, default, is_required)
        spec.update(rules)
        if spec["kind"] in ("int", "float") and isinstance(config.get(p.name), (list, tuple)):
            # a number or a range: Keras writes the pair (RandomShear's x_factor)
            spec.update(kind="any", min=None, max=None)
        if default is None and not is_required:
            spec["nullable"] = True
        params.append(spec)
    if not any(p["name"] == "dtype" for p in params):
        params.append(_param("dtype", "dtype", None, choices=DTYPES))
    # keys get_config() writes that the signature takes through **kwargs (an LSTM's
    # zero_output_for_mask): Keras writes them, so a graph may carry them
    named = {p["name"] for p in params} | _SKIPPED_ARGS | _CONFIG_ONLY_SKIPPED
    for key, value in config.items():
        if key not in named and not isinstance(value, dict):
            default = _jsonable(value)
            spec = _param(key, _kind_from_default(key, default), default)
            spec.update(TYPE_PARAM_RULES.get(type_name, {}).get(key, {}))
            params.append(spec)
    return params


_PSEUDO_PARAMS: dict[str, list[dict[str, Any]]] = {
    "Input": [
        _param(
            "shape",
            "shape",
            None,
            True,
            min=1,
            description="Shape without the batch axis; null for a free axis.",
        ),
        _param("dtype", "dtype", "float32", choices=TENSOR_DTYPES),
        _param("batch_size", "int", None, min=1, description="Fixed batch size (stateful RNNs)."),
        _param("sparse", "bool", False),
    ],
    "Output": [
        _param("loss", "choice", None, choices=list(LOSSES), description="Loss for this output."),
        _param("loss_weight", "float", 1.0, min=0.0),
        _param(
            "metrics",
            "multi_choice",
            [],
            choices=sorted(METRICS),
            description="Metrics Keras reports for this output, e.g. accuracy.",
        ),
        _param(
            "from_logits", "bool", False, description="The loss reads logits, not probabilities."
        ),
    ],
    "Model": [
        _param("subgraph", "str", None, True, description="Key of the sub-graph in `subgraphs`.")
    ],
    "Op": [
        _param(
            "function",
            "choice",
            None,
            True,
            choices=sorted(OPS),
            description="The keras.ops function; its other arguments are params too.",
        )
    ],
}
_PSEUDO_OUTPUTS: dict[str, int | Literal["many"]] = {
    "Input": 1,
    "Output": 0,
    "Model": MANY,
    "Op": 1,
}


@cache
def _entry(type_name: str) -> LayerEntry | None:
    layer_kind = KINDS.get(type_name)
    if layer_kind is None:
        return None
    if layer_kind.keras:
        params = _layer_params(layer_kind, keras_class(type_name))
        outputs: int | Literal["many"] = 1
    else:
        params = _PSEUDO_PARAMS[type_name]
        outputs = _PSEUDO_OUTPUTS[type_name]
    key = list(layer_kind.key_params) or [p["name"] for p in params if p["required"]][:3]
    fresh = Node(id="new", type=type_name)
    return LayerEntry(
        type=type_name,
        category=layer_kind.category,
        description=layer_kind.description,
        inputs=layer_kind.inputs,
        outputs=outputs,
        multi_output_param="return_state" if layer_kind.states else None,
        key_params=key,
        params=[ParamSpec(**p) for p in params],
        input_ports=input_port_names(fresh, no_subgraphs, 0),
        output_ports=output_port_names(fresh, no_subgraphs),
        variadic_inputs=variadic_inputs(fresh),
        min_inputs=2 if layer_kind.input_names else None,
        wraps=layer_kind.wraps is not None,
        keras_class=f"{layer_kind.module}.{type_name}" if layer_kind.keras else None,
        training_only=layer_kind.training_only,
        adapt_state=list(layer_kind.adapt_state),
    )


@cache
def get_catalogue() -> LayerCatalogue:
    """The whole catalogue (built once, then cached; treat as read-only)."""
    order = [c.id for c in CATEGORIES]
    entries = [e for e in map(_entry, KINDS) if e is not None]
    entries.sort(key=lambda e: order.index(e.category))
    choices = Choices(
        dtype=DTYPES,
        activation=ACTIVATIONS,
        initializer=INITIALIZERS,
        regularizer=REGULARIZERS,
        constraint=CONSTRAINTS,
        loss=list(LOSSES),
        metric=sorted(METRICS),
    )
    return LayerCatalogue(layers=entries, categories=list(CATEGORIES), choices=choices)


def layer_spec(type_name: str) -> LayerEntry | None:
    """One type's entry (built on first use, cached), or None for a type not offered."""
    return _entry(type_name)


@cache
def param_specs(type_name: str) -> dict[str, ParamSpec]:
    """Parameter specs of a type by name ({} for an unknown type)."""
    entry = _entry(type_name)
    return {p.name: p for p in entry.params} if entry else {}
