"""What a serving export takes and answers (Keras-free: the API and the child share it).

Quantization, by format (`QUANTIZERS`), chosen for what each runtime really runs:
- `int8` for SavedModel and ONNX is Keras's own `model.quantize("int8")`: the kernels of
  Dense, EinsumDense and Embedding layers stored as int8 with per-channel scales, their
  inputs quantized on the fly; every other layer (convolutions included) stays float32.
- `int8` for LiteRT is the LiteRT converter's full-integer post-training quantization:
  weights and activations of every op it supports (convolutions too) as int8, their
  ranges calibrated on up to 128 of the run's training samples; the file still takes
  and answers float32. Keras's int8 layers do not convert (the converter has no
  int8 x int8 matmul).
- `float16` is LiteRT's float16 quantization only: weights stored as float16, which the
  CPU interpreter widens to float32 when it loads them (half the file, float32 compute).
  Keras has no float16 quantization mode (its modes are int8, int4, float8, gptq), and a
  float16 SavedModel or ONNX graph would compute in float16, which CPUs do slowly or not
  at all; so those formats refuse it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from layerforge.graph.schema import Graph

ServingFormat = Literal["saved_model", "onnx", "litert"]
Quantization = Literal["int8", "float16"]

QUANTIZERS: dict[str, tuple[str, ...]] = {
    "saved_model": ("int8",),
    "onnx": ("int8",),
    "litert": ("int8", "float16"),
}
QUANTIZED_BY = {"saved_model": "keras", "onnx": "keras", "litert": "litert_converter"}


def refusal(format: str, quantize: str | None) -> str | None:
    """Why `format` cannot be quantized as asked (None: it can)."""
    if quantize is None or quantize in QUANTIZERS[format]:
        return None
    offered = ", ".join(QUANTIZERS[format])
    return f"format {format!r} cannot be quantized to {quantize!r}; it offers: {offered} (or null)"


TAKES_TEXT: frozenset[ServingFormat] = frozenset({"saved_model"})
"""The formats whose runtime has string ops: TensorFlow runs TextVectorization's splitting,
regular expressions and lookup tables; ONNX Runtime has none of them, and LiteRT has them
only as Flex ops, which its interpreter does not run (a converter writes the file all the
same: one that fails to load)."""
_NO_STRINGS = {"onnx": "ONNX Runtime has", "litert": "the LiteRT interpreter runs"}


def text_refusal(format: str, graph: Graph) -> tuple[str, str] | None:
    """(node id, why) when `format` cannot take the graph's text: the first node a string
    Input feeds (its TextVectorization, say) is the one no runtime of that format runs."""
    if format in TAKES_TEXT:
        return None
    types = {n.id: n.type for n in graph.nodes}
    for node in graph.nodes:
        if node.type != "Input" or node.params.get("dtype") != "string":
            continue
        fed = [e.target for e in graph.edges if e.source == node.id]
        first = fed[0] if fed else node.id
        return first, (
            f"format {format!r} cannot take text: node `{first}` ({types[first]}) works on "
            f"the strings of Input `{node.id}` with TensorFlow's string ops, which "
            f"{_NO_STRINGS[format]} none of; export it as saved_model, which takes the raw "
            "strings"
        )
    return None


class ServingExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: ServingFormat
    quantize: Quantization | None = Field(
        default=None, description="null: float32 as trained. See QUANTIZERS for each format."
    )


class OutputParity(BaseModel):
    """One model output: the exported model (its own runtime) against the float Keras model."""

    name: str
    max_abs_diff: float
    mean_abs_diff: float
    top1_agreement: float | None = Field(
        default=None,
        description="Classifiers: the share of samples whose top class (0.5 threshold for "
        "one unit) is the same in both.",
    )
    accuracy_keras: float | None = Field(
        default=None, description="Classifiers: accuracy of the float Keras model."
    )
    accuracy_exported: float | None = Field(
        default=None, description="Classifiers: accuracy of the exported (quantized) model."
    )


class LayerError(BaseModel):
    """One node's output in the quantized model against the float Keras model."""

    max_abs: float
    mean_abs: float
    relative: float = Field(description="mean_abs over the float output's mean magnitude.")


class ServingReport(BaseModel):
    artifact: str = Field(description="Its name among the run's artifacts.")
    bytes: int
    format: ServingFormat
    quantize: Quantization | None
    quantized_by: Literal["keras", "litert_converter"] | None = None
    quantized_nodes: list[str] = Field(
        default_factory=list, description="Node ids whose weights the quantization changed."
    )
    runtime: str = Field(description="What ran the exported model, with its version.")
    dataset: str
    split: Literal["validation", "training"] = Field(
        description="Where the samples came from: the run's validation data, or its "
        "training data when it had none."
    )
    samples: int
    outputs: list[OutputParity]
    layer_errors: dict[str, LayerError] | None = Field(
        default=None,
        description="Quantized exports: each node's output error, by node id. Null when "
        "not quantized, or for LiteRT int8 (the converter's own kernels: no Keras layer "
        "computes what they compute).",
    )
    export_s: float = Field(description="Seconds to quantize and export.")


EXPORTS_DIR = "exports"
_SUFFIX = {"saved_model": "saved_model.zip", "onnx": "onnx", "litert": "tflite"}


def artifact_name(format: str, quantize: str | None) -> str:
    """The artifact's name in the run folder: `exports/model[_int8].onnx`, ...; the
    SavedModel folder is zipped (`exports/model.saved_model.zip`)."""
    stem = "model" + (f"_{quantize}" if quantize else "")
    return f"{EXPORTS_DIR}/{stem}.{_SUFFIX[format]}"
