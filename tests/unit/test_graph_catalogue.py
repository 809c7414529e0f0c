"""The layer catalogue: generated from Keras, curated, cached, and safe."""

from __future__ import annotations

import inspect
import json
import re
from typing import get_args

import keras

from layerforge.graph.catalogue.classes import keras_class
from layerforge.graph.catalogue.kinds import REFUSED_TYPES
from layerforge.graph.catalogue.specs import get_catalogue, layer_spec


def catalogue() -> dict:
    """The catalogue as served (JSON data)."""
    return get_catalogue().model_dump(mode="json")


def spec_of(type_name: str) -> dict | None:
    entry = layer_spec(type_name)
    return entry.model_dump(mode="json") if entry is not None else None


CATEGORIES = {
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
}


def test_at_least_80_layer_types_in_every_category():
    layers = catalogue()["layers"]
    keras_types = [s for s in layers if s["keras_class"]]
    assert len(keras_types) >= 80
    assert CATEGORIES <= {s["category"] for s in layers}
    assert {"Input", "Output", "Model", "TimeDistributed", "Bidirectional"} <= {
        s["type"] for s in layers
    }
    assert len({s["type"] for s in layers}) == len(layers)
    json.dumps(catalogue())  # serialisable as served


def test_specs_follow_keras_signatures():
    for spec in catalogue()["layers"]:
        if not spec["keras_class"]:
            continue
        signature = inspect.signature(keras_class(spec["type"]).__init__)
        names = {p["name"] for p in spec["params"]}
        required = {p["name"] for p in spec["params"] if p["required"]}
        expected_required = {
            n
            for n, p in signature.parameters.items()
            if p.default is inspect.Parameter.empty
            and n not in ("self", "args", "kwargs", "layer")
            and p.kind is not p.VAR_KEYWORD
        }
        assert required == expected_required, spec["type"]
        # beyond the signature: only keys get_config() writes that reach the
        # constructor through **kwargs (an LSTM's zero_output_for_mask)
        extra = names - set(signature.parameters) - {"dtype"}
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
        assert not extra or takes_kwargs, spec["type"]
        assert spec["description"] and spec["description"].endswith(".")


def test_dense_spec_curated():
    spec = spec_of("Dense")
    params = {p["name"]: p for p in spec["params"]}
    assert spec["category"] == "core" and spec["inputs"] == 1 and spec["outputs"] == 1
    assert params["units"] == params["units"] | {
        "kind": "int",
        "required": True,
        "min": 1,
    }
    assert (
        params["activation"]["kind"] == "activation" and "relu" in params["activation"]["choices"]
    )
    assert params["kernel_initializer"]["default"] == "glorot_uniform"
    assert "he_normal" in params["kernel_initializer"]["choices"]
    assert params["use_bias"] == params["use_bias"] | {"kind": "bool", "default": True}
    assert spec["key_params"] == ["units", "activation"]


def test_ports_and_multi_output():
    assert spec_of("Concatenate")["inputs"] == "many"
    assert spec_of("Subtract")["inputs"] == 2 and spec_of("Dot")["inputs"] == 2
    mha = spec_of("MultiHeadAttention")
    masks = ["query_mask", "value_mask", "key_mask", "attention_mask"]
    assert mha["input_ports"] == ["query", "value", "key", *masks] and mha["min_inputs"] == 2
    assert spec_of("LSTM")["multi_output_param"] == "return_state"
    # a new node's ports, as the validate answer names them before return_state is set
    lstm = spec_of("LSTM")
    assert lstm["input_ports"] == ["input", "initial_state_h", "initial_state_c", "mask"]
    assert lstm["output_ports"] == ["output"] and not lstm["variadic_inputs"]
    assert spec_of("Concatenate")["variadic_inputs"] is True
    assert spec_of("Output")["output_ports"] == [] and spec_of("Input")["input_ports"] == []
    conv1d = {p["name"]: p for p in spec_of("Conv1D")["params"]}
    assert conv1d["padding"]["choices"] == ["valid", "same", "causal"]
    dropout = {p["name"]: p for p in spec_of("Dropout")["params"]}
    assert (dropout["rate"]["min"], dropout["rate"]["max"]) == (0.0, 1.0)


def test_defaults_from_get_config_of_a_default_instance():
    # ZeroPadding2D's signature default is (1, 1); the catalogue serves it as JSON
    params = {p["name"]: p for p in spec_of("ZeroPadding2D")["params"]}
    assert params["padding"]["default"] == [1, 1] and params["padding"]["kind"] == "int_tuple"
    # data_format=None in the signature; a default instance's config says channels_last
    assert params["data_format"]["default"] == "channels_last"


def test_refused_types_are_not_offered():
    offered = {s["type"] for s in catalogue()["layers"]}
    assert not offered & REFUSED_TYPES
    for refused in (
        "Lambda",
        "TFSMLayer",
        "TorchModuleWrapper",
        "JaxLayer",
        "FlaxLayer",
    ):
        assert spec_of(refused) is None


def test_catalogue_is_cached():
    assert get_catalogue() is get_catalogue()


def test_categories_and_choices_are_published():
    served = catalogue()
    ids = [c["id"] for c in served["categories"]]
    assert ids[0] == "io" and len(ids) == len(set(ids))
    assert {s["category"] for s in served["layers"]} <= set(ids)
    assert all(
        re.fullmatch(r"#[0-9a-f]{6}", c["colour"]) and c["title"] for c in served["categories"]
    )
    assert len({c["colour"] for c in served["categories"]}) == len(ids)
    choices = served["choices"]
    assert {"dice", "tversky", "mse"} <= set(choices["loss"])
    assert "accuracy" in choices["metric"] and "relu" in choices["activation"]
    assert "float32" in choices["dtype"] and "he_normal" in choices["initializer"]
    assert set(choices) == {
        "dtype",
        "activation",
        "initializer",
        "regularizer",
        "constraint",
        "loss",
        "metric",
    }
    outputs = {s["type"]: s["outputs"] for s in served["layers"]}
    assert outputs["Dense"] == 1 and outputs["Output"] == 0 and outputs["Model"] == "many"


def test_losses_and_metrics_resolve_in_keras():
    from layerforge.graph.catalogue.losses_metrics import LOSSES, LOSSES_TAKING_LOGITS, METRICS

    for loss in LOSSES:
        assert keras.losses.get(loss) is not None, loss
    for metric in METRICS - {"accuracy", "acc"}:
        assert keras.metrics.get(metric) is not None, metric
    assert LOSSES_TAKING_LOGITS <= set(LOSSES)


def test_every_param_kind_has_a_value_check():
    """A kind added to ParamKind without its check (or the reverse) fails here."""
    from layerforge.graph.catalogue.specs import ParamKind
    from layerforge.graph.checks.param_values import VALUE_CHECKS

    assert set(VALUE_CHECKS) == set(get_args(ParamKind.__value__))


def test_param_kinds_are_published_by_name():
    """The editor's types name the kinds (`components["schemas"]["ParamKind"]`)."""
    from layerforge.graph.catalogue.specs import LayerCatalogue, ParamKind

    schema = LayerCatalogue.model_json_schema()
    assert schema["$defs"]["ParamSpec"]["properties"]["kind"] == {"$ref": "#/$defs/ParamKind"}
    assert schema["$defs"]["ParamKind"]["enum"] == list(get_args(ParamKind.__value__))


def test_an_inputs_dtype_choices_are_tensor_dtypes_not_policies():
    """`mixed_float16` is a policy a layer may take, not a dtype an Input's tensor has."""
    from layerforge.graph import get_catalogue

    (entry,) = [e for e in get_catalogue().layers if e.type == "Input"]
    (dtype,) = [p for p in entry.params if p.name == "dtype"]
    assert "float32" in dtype.choices and "string" in dtype.choices
    assert not [c for c in dtype.choices if c.startswith("mixed_")]
    (dense,) = [e for e in get_catalogue().layers if e.type == "Dense"]
    (layer_dtype,) = [p for p in dense.params if p.name == "dtype"]
    assert "mixed_float16" in layer_dtype.choices
