"""Every config Keras writes is accepted: for every catalogue type (and inside each
wrapper), `get_config()` of an instance with non-default arguments imports, builds
with the same parameter count and exports back to the same config."""

from __future__ import annotations

import json
from typing import Any

import keras
import pytest

from layerforge.graph import build_model, import_keras_json
from layerforge.graph.catalogue.classes import keras_class
from layerforge.graph.catalogue.kinds import LAYER_KINDS
from layerforge.graph.catalogue.param_rules import SAMPLE_REQUIRED
from layerforge.graph.catalogue.specs import ParamSpec, param_specs

SKIPPED = {
    # need adapt() or data the config does not carry
    "Normalization": "needs adapt() or a mean and variance",
    "Discretization": "needs adapt() or bin boundaries",
    "Equalization": "its output is its input in a symbolic call: no model can be made",
}
OVERRIDES = {
    "CategoryEncoding": {"num_tokens": 4},
    "RandomPosterization": {"factor": 2},
}
NOT_CHANGED = {"Bidirectional": {"go_backwards"}}
"""Arguments left at their default inside a wrapper (Keras refuses a backwards
forward layer in a Bidirectional)."""
SHAPES = {"1D": (8, 3), "2D": (8, 8, 3), "3D": (4, 4, 4, 2)}
SEQUENCE_TYPES = {"recurrent", "attention"}
IMAGE_CATEGORIES = {"augmentation"}
INT_INPUTS = {"Embedding", "CategoryEncoding", "Hashing", "IntegerLookup"}
STRING_INPUTS = {"TextVectorization", "StringLookup"}
SPECIAL_SHAPES = {
    "ConvLSTM1D": (3, 8, 2),
    "ConvLSTM2D": (3, 6, 6, 2),
    "ConvLSTM3D": (2, 4, 4, 4, 1),
    "MelSpectrogram": (256,),
    "STFTSpectrogram": (256, 1),
    "RepeatVector": (4,),
    "Dot": (4,),
    "Resizing": (8, 8, 3),
    "CenterCrop": (8, 8, 3),
    "Rescaling": (8, 8, 3),
    "GroupNormalization": (4, 64),
    "Reshape": (1,),
    "LayerScale": (4, 2),
    "CustomScaleLayer": (4, 2),
}


def input_shape(layer_type: str, category: str) -> tuple[int, ...]:
    if layer_type in SPECIAL_SHAPES:
        return SPECIAL_SHAPES[layer_type]
    for suffix, shape in SHAPES.items():
        if layer_type.removesuffix("Transpose").endswith(suffix):
            return shape
    if category in SEQUENCE_TYPES or layer_type in ("Bidirectional", "TimeDistributed"):
        return (5, 4)
    if category in IMAGE_CATEGORIES:
        return (8, 8, 3)
    return (6,)


def other_value(spec: ParamSpec) -> Any:
    """A value different from the default, of the parameter's kind, or None."""
    default = spec.default
    if spec.kind == "bool" and isinstance(default, bool):
        return not default
    if spec.kind == "activation":
        return "tanh" if default != "tanh" else "relu"
    if spec.kind == "initializer":
        return "he_normal" if default != "he_normal" else "zeros"
    if spec.kind == "regularizer":
        return "l2"
    if spec.kind == "constraint":
        return "non_neg"
    if spec.kind == "choice" and spec.choices:
        others = [c for c in spec.choices if c != default]
        return others[0] if others else None
    if spec.kind == "float" and isinstance(default, float):
        value = default / 2 if default else 0.25
        return value if spec.max is None or value <= spec.max else None
    if spec.kind == "int" and isinstance(default, int) and not isinstance(default, bool):
        return default + 1
    return None


def sample_model(layer_type: str, category: str, make: Any) -> keras.Model | None:
    """keras.Model(x, layer(x)) for the first layer `make()` gives that can be called."""
    shape = input_shape(layer_type, category)
    kind = next(k for k in LAYER_KINDS if k.type == layer_type)
    dtype = "int32" if layer_type in INT_INPUTS else "float32"
    dtype = "string" if layer_type in STRING_INPUTS else dtype
    x = keras.Input(shape, dtype=dtype)
    layer = make()
    if kind.variadic or kind.call == "list":  # merge layers, Dot, Attention: [x, x]
        return keras.Model(x, layer([x, x]))
    if kind.call == "qkv":
        return keras.Model(x, layer(x, x))
    return keras.Model(x, layer(x))


def instance_args(
    layer_type: str, category: str, cls: type, wrap: Any = None, keep: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Required arguments from the samples, then every optional one changed from its
    default that Keras still builds and calls with."""
    specs = param_specs(layer_type)
    args = {n: s for n, s in SAMPLE_REQUIRED.items() if n in specs and specs[n].required}
    args |= OVERRIDES.get(layer_type, {})
    if wrap is not None:
        args["layer"] = wrap
    for name, spec in specs.items():
        if spec.required or name in ("dtype", "seed", "name") or name in args or name in keep:
            continue
        value = other_value(spec)
        if value is None:
            continue
        trial = {**args, name: value}
        try:
            sample_model(layer_type, category, lambda trial=trial: cls(**_fresh(trial)))
        except Exception:  # noqa: BLE001 - Keras refuses this combination; keep the default
            continue
        args = trial
    return args


def _fresh(args: dict[str, Any]) -> dict[str, Any]:
    """Arguments with a wrapped layer re-made (a layer object is used once)."""
    out = dict(args)
    if "layer" in out:
        inner = out["layer"]
        out["layer"] = type(inner).from_config(inner.get_config())
    return out


def comparable(config: dict[str, Any]) -> Any:
    text = json.dumps(config, sort_keys=True, default=str)
    return json.loads(text.replace('"shared_object_id"', '"_id"'))


def _strip_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_ids(v) for k, v in value.items() if k not in ("_id", "shared_object_id")}
    if isinstance(value, list):
        return [_strip_ids(v) for v in value]
    return value


TYPES = [k for k in LAYER_KINDS if k.type not in SKIPPED and not k.wraps]
WRAPPED = [("TimeDistributed", "Dense"), ("Bidirectional", "LSTM"), ("Bidirectional", "GRU")]


def round_trip(model: keras.Model, layer: keras.layers.Layer) -> None:
    graph = import_keras_json(model.to_json())
    built = build_model(graph)
    assert built.count_params() == model.count_params()
    again = built.get_layer(layer.name)
    assert _strip_ids(comparable(again.get_config())) == _strip_ids(comparable(layer.get_config()))


@pytest.mark.slow
@pytest.mark.parametrize("kind", TYPES, ids=[k.type for k in TYPES])
def test_every_config_keras_writes_round_trips(kind):
    cls = keras_class(kind.type)
    args = instance_args(kind.type, kind.category, cls)
    layer = cls(**args)
    model = sample_model(kind.type, kind.category, lambda: layer)
    round_trip(model, layer)


@pytest.mark.slow
@pytest.mark.parametrize(("wrapper", "inner"), WRAPPED)
def test_wrapped_configs_round_trip(wrapper, inner):
    inner_kind = next(k for k in LAYER_KINDS if k.type == inner)
    inner_cls = keras_class(inner)
    keep = frozenset(NOT_CHANGED.get(wrapper, set()))
    inner_args = instance_args(inner, inner_kind.category, inner_cls, keep=keep)
    if wrapper == "Bidirectional":
        inner_args["return_sequences"] = True
    wrapped = inner_cls(**inner_args)
    cls = keras_class(wrapper)
    args = instance_args(wrapper, "wrappers", cls, wrap=wrapped)
    layer = cls(**_fresh(args))
    model = sample_model(wrapper, "wrappers", lambda: layer)
    round_trip(model, layer)
