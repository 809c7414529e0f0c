"""What a run says, as one typed union: the trainer emits these, the event log numbers and
stores them, `GET /api/runs/{id}/events` and the WebSocket send them.

A run's events (`RunEvent`, discriminated by `type`) get their `seq` from the event log;
`time` is set where the event is made. The all-runs feed (`FeedMessage`) and the pings of
an idle socket carry no seq. `ResultEvent` is the answer of a one-shot evaluate/predict
trainer, never part of a run's log.
"""

from __future__ import annotations

import math
import time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter

from layerforge.store.models import RunStatus


def _finite(value: float | None) -> float | None:
    """NaN and infinities become None: JSON (and PostgreSQL) have no place for them."""
    return value if value is None or math.isfinite(value) else None


MetricValue = Annotated[float | None, AfterValidator(_finite)]
Metrics = dict[str, MetricValue]


def _type_and_time_required(schema: dict[str, Any]) -> None:
    schema["required"] = sorted({"type", "time", *schema.get("required", [])})


class _Message(BaseModel):
    # Stored events of an older version may carry fields this one no longer knows.
    model_config = ConfigDict(extra="ignore", json_schema_extra=_type_and_time_required)

    time: float = Field(default_factory=time.time, description="Unix time it happened.")

    def model_post_init(self, context: Any, /) -> None:
        # On the wire an optional field left out stays out (exclude_unset), but every
        # message says what it is and when.
        self.__pydantic_fields_set__.update(("type", "time"))


def _numbered(schema: dict[str, Any]) -> None:
    """A run event a client reads has its seq: the schema says so (it is None only
    between the trainer and the event log)."""
    _type_and_time_required(schema)
    schema["required"] = sorted({"seq", *schema["required"]})
    schema["properties"]["seq"] = {
        "type": "integer",
        "title": "Seq",
        "description": schema["properties"]["seq"].get("description"),
    }


class RunEventBase(_Message):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_numbered)

    seq: int | None = Field(
        default=None, description="The run's event number (1, 2, ...); set by the event log."
    )


class RunError(BaseModel):
    """Why a run failed: a machine code and a message, where known the node and step."""

    model_config = ConfigDict(extra="ignore")

    code: str | None = None
    message: str | None = None
    node: str | None = None
    epoch: int | None = None
    batch: int | None = None
    exit_code: int | None = None
    stderr: str | None = None
    worker: str | None = None


class StatusEvent(RunEventBase):
    type: Literal["status"] = "status"
    status: RunStatus
    error: RunError | None = None


class BatchEvent(RunEventBase):
    type: Literal["batch"] = "batch"
    epoch: int = Field(description="0-based.")
    epochs: int | None = None
    batch: int = Field(description="0-based, within the epoch.")
    batches: int | None = None
    metrics: Metrics = Field(default_factory=dict)


class EpochEvent(RunEventBase):
    type: Literal["epoch"] = "epoch"
    epoch: int = Field(description="0-based.")
    epochs: int | None = None
    metrics: Metrics = Field(default_factory=dict)
    duration: float | None = Field(default=None, description="Seconds the epoch took.")


LogLevel = Literal["debug", "info", "warning", "error"]


class LogEvent(RunEventBase):
    type: Literal["log"] = "log"
    level: LogLevel = "info"
    message: str
    fit_seconds: float | None = None
    fit_cpu_seconds: float | None = Field(
        default=None, description="CPU seconds the trainer process spent in fit (all threads)."
    )
    samples: int | None = None


class ErrorEvent(RunEventBase):
    """A problem found while preparing or training, on its node and parameter if known."""

    type: Literal["error"] = "error"
    code: str
    message: str
    node: str | None = None
    param: str | None = None
    epoch: int | None = None
    batch: int | None = None


class ArtifactEvent(RunEventBase):
    type: Literal["artifact"] = "artifact"
    name: str = Field(description="Path inside the run folder (GET .../artifacts/{name}).")
    size: int


class GpuSample(BaseModel):
    index: int = Field(description="The device's NVML index.")
    utilization_percent: float | None = None
    memory_used_bytes: int | None = None
    memory_total_bytes: int | None = None


class SystemEvent(RunEventBase):
    """The trainer process's CPU and memory, and its GPUs' use (NVML, where there are
    any), sampled every few seconds while it trains."""

    type: Literal["system"] = "system"
    cpu_percent: float = Field(description="Of one core: 200 is two cores busy.")
    rss_bytes: int = Field(description="The trainer's resident memory.")
    gpus: list[GpuSample] = Field(default_factory=list)


class NodeStats(BaseModel):
    """One node's training statistics at an epoch end; a field is absent where it does not
    apply (no weights, no activation, not of the ReLU family)."""

    model_config = ConfigDict(extra="ignore")

    weight_norm: MetricValue = Field(
        default=None, description="L2 norm of the node's trainable weights."
    )
    grad_norm: MetricValue = Field(
        default=None, description="L2 norm of the loss gradient on the probe batch."
    )
    update_ratio: MetricValue = Field(
        default=None,
        description="Norm of the weights' change since the previous epoch / weight norm.",
    )
    mean: MetricValue = Field(default=None, description="Mean activation on the probe batch.")
    std: MetricValue = Field(default=None, description="Activation standard deviation.")
    dead_fraction: MetricValue = Field(
        default=None,
        description="Fraction of units (last axis) that never fire on the probe batch (ReLU family).",
    )


class LayerStatsEvent(RunEventBase):
    """Per-node statistics measured at an epoch end on a fixed probe batch."""

    type: Literal["layer_stats"] = "layer_stats"
    epoch: int = Field(description="0-based.")
    nodes: dict[str, NodeStats] = Field(default_factory=dict, description="By node id.")


class LayerWeights(BaseModel):
    """One layer of a `weights` event: what it got, or why not."""

    model_config = ConfigDict(extra="ignore")

    layer: str = Field(description="The Keras layer (`model/layer` inside a nested model).")
    node: str | None = Field(default=None, description="Its node, where it has one.")
    source: str | None = Field(default=None, description="loaded: the layer it came from.")
    by: Literal["name", "position"] | None = Field(
        default=None, description="loaded: matched by name, or by position, type and shapes."
    )
    reason: str | None = Field(default=None, description="skipped, initialised: why.")


class WeightsEvent(RunEventBase):
    """A run that starts from trained weights (`settings.initial_weights`) says, before it
    trains, which layers got them (`loaded`), which layers of the source went unused
    (`skipped`, with the reason) and which of the graph's start fresh (`initialised`)."""

    type: Literal["weights"] = "weights"
    source: str = Field(description="Where the weights came from: `weights ID`, `run ID/FILE`.")
    loaded: list[LayerWeights] = Field(default_factory=list)
    skipped: list[LayerWeights] = Field(default_factory=list)
    initialised: list[LayerWeights] = Field(default_factory=list)


class AdaptedEvent(RunEventBase):
    """A preprocessing node adapted to the run's training split before fit, as Keras's
    `layer.adapt` does, and what it learned: a lookup's vocabulary, a Normalization's
    mean and variance (per feature, the first 256), a Discretization's bin boundaries."""

    type: Literal["adapted"] = "adapted"
    node: str | None = Field(description="Its node (None inside a sub-graph).")
    layer: str = Field(description="The Keras layer (`model/layer` inside a nested model).")
    layer_type: str = Field(description="TextVectorization, StringLookup, Normalization, ...")
    seconds: float = Field(description="How long adapting took.")
    vocabulary_size: int | None = Field(default=None, description="With the special tokens.")
    top_tokens: list[str] | None = Field(
        default=None, description="The 20 most frequent tokens, most frequent first."
    )
    mean: list[MetricValue] | None = None
    variance: list[MetricValue] | None = None
    bin_boundaries: list[MetricValue] | None = None


RunEvent = Annotated[
    StatusEvent
    | BatchEvent
    | EpochEvent
    | LayerStatsEvent
    | LogEvent
    | ErrorEvent
    | ArtifactEvent
    | SystemEvent
    | WeightsEvent
    | AdaptedEvent,
    Field(discriminator="type"),
]
RUN_EVENT = TypeAdapter[RunEvent](RunEvent)


class ResultEvent(_Message):
    """The one line a one-shot (evaluate or predict) trainer prints."""

    type: Literal["result"] = "result"
    mode: Literal["evaluate", "predict"]
    metrics: Metrics | None = None
    samples: int | None = None
    dataset: str | None = None
    outputs: dict[str, list[Any]] | None = None
    evaluation: dict[str, Any] | None = Field(
        default=None, description="evaluate: training.evaluation's report, as JSON."
    )
    error: RunError | None = None


TrainerEvent = Annotated[RunEvent | ResultEvent, Field(discriminator="type")]
TRAINER_EVENT = TypeAdapter[TrainerEvent](TrainerEvent)


class PingMessage(_Message):
    """Sent on an idle socket; no seq."""

    type: Literal["ping"] = "ping"


class RunStatusChange(_Message):
    """All-runs feed: one run changed status (with its error and metrics once it ended)."""

    type: Literal["status"] = "status"
    run_id: str
    status: RunStatus
    seq: int
    error: RunError | None = None
    metrics: Metrics | None = None


class RunDeleted(_Message):
    type: Literal["deleted"] = "deleted"
    run_id: str


RunStreamMessage = Annotated[RunEvent | PingMessage, Field(discriminator="type")]
FeedMessage = Annotated[RunStatusChange | RunDeleted | PingMessage, Field(discriminator="type")]
STREAM_SCHEMAS: dict[str, Any] = {
    "RunStreamMessage": RunStreamMessage,
    "FeedMessage": FeedMessage,
}
