"""The typed answers of `POST /api/graphs/validate` (`ValidationReport`) and of
`POST /api/models/build` (`BuildSummary`); field names are the wire contract (DESIGN.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from layerforge.graph.problems import Problem
from layerforge.graph.topology import ModelType

Shape = list[int | None]


def _every_field_sent(schema: dict[str, Any]) -> None:
    """An answer always carries every field, defaults included: say so in its schema,
    so the editor's generated types need no `?`."""
    schema["required"] = list(schema.get("properties", {}))


class _Answer(BaseModel):
    model_config = ConfigDict(json_schema_extra=_every_field_sent)


class NodeReport(_Answer):
    """What validation found for one node (sub-graph nodes under `key/id`)."""

    output_shapes: list[Shape] = Field(default_factory=list)
    dtypes: list[str] = Field(default_factory=list)
    params: int = 0
    trainable_params: int = 0
    non_trainable_params: int = 0
    errors: list[Problem] = Field(default_factory=list)
    warnings: list[Problem] = Field(default_factory=list)
    status: Literal["ok", "error", "skipped"] = "ok"
    weights_shared_with: str | None = Field(
        default=None, description="The node holding the weights this node uses (counted there)."
    )
    input_ports: list[str] = Field(
        default_factory=list,
        description="Input port names in order: input, query/value/key, a sub-graph's Inputs.",
    )
    output_ports: list[str] = Field(
        default_factory=list,
        description="Output port names in order: output, the states of return_state, "
        "a sub-graph's Outputs.",
    )
    variadic_inputs: bool = Field(
        default=False, description="The layer takes any number of inputs (merge layers)."
    )
    argument_ports: list[str] = Field(
        default_factory=list,
        description="The input ports that feed call arguments (initial_state_h, mask, "
        "attention_mask, ...): optional, after the positional ones.",
    )
    masked_outputs: list[str] = Field(
        default_factory=list,
        description="Output ports whose tensor carries a Keras mask (Embedding with "
        "mask_zero, Masking, and layers passing it on): edges from them carry the mask.",
    )
    macs: int | None = Field(
        default=None,
        description="Multiply-accumulates of this call for one sample (checks/cost.py); "
        "null when no rule counts the layer.",
    )
    activation_bytes: int | None = Field(
        default=None, description="Memory of the outputs for one sample; null when an axis is free."
    )


class ValidationReport(_Answer):
    valid: bool
    model_type: ModelType | None = None
    total_params: int | None = None
    total_macs: int | None = Field(
        default=None, description="Multiply-accumulates for one sample, the counted nodes."
    )
    total_activation_bytes: int | None = Field(
        default=None, description="Memory of every layer output for one sample."
    )
    macs_uncounted: list[str] = Field(
        default_factory=list, description="Nodes no MAC rule counts (left out of total_macs)."
    )
    errors: list[Problem] = Field(default_factory=list)
    warnings: list[Problem] = Field(default_factory=list)
    nodes: dict[str, NodeReport] = Field(default_factory=dict)


class Inbound(_Answer):
    node: str
    port: int
    target_port: int


class SummaryLayer(_Answer):
    """One layer call, like a row of `model.summary()`."""

    node: str
    name: str | None
    type: str
    output_shapes: list[Shape]
    params: int
    trainable_params: int
    shared_with: str | None = None
    call_index: int = 0
    weights_shared_with: str | None = None
    inbound: list[Inbound] = Field(default_factory=list)


class SummaryOutput(_Answer):
    node: str
    name: str
    output_shapes: list[Shape]


class BuildSummary(_Answer):
    model_type: ModelType | None
    total_params: int | None
    trainable_params: int
    non_trainable_params: int
    total_macs: int | None = None
    layers: list[SummaryLayer]
    outputs: list[SummaryOutput]
    warnings: list[Problem] = Field(default_factory=list)
