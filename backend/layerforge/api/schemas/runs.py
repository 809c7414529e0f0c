"""What the runs routes take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from layerforge.api.bodies import GraphIn
from layerforge.events.types import Metrics, RunError, RunEvent
from layerforge.graph.schema import Graph
from layerforge.store.models import RunStatus
from layerforge.training.datasets.models import DatasetRef
from layerforge.training.evaluation import ClassScores, EvaluatedSample, OutputResults
from layerforge.training.settings import RunSettings


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph: GraphIn | None = None
    graph_id: str | None = None
    graph_version: int | None = Field(default=None, ge=1)
    dataset: DatasetRef
    settings: RunSettings = Field(default_factory=RunSettings)


class RunSummary(BaseModel):
    """A run as listed: everything but the graph snapshot."""

    id: str
    status: RunStatus
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    settings: RunSettings
    dataset: DatasetRef
    graph_id: str | None = None
    graph_version: int | None = None
    owner: str | None = None
    metrics: Metrics = Field(description="The last value of each metric (Keras history keys).")
    error: RunError | None = None
    last_seq: int = Field(description="The seq of the run's last event.")


class Run(RunSummary):
    graph: Graph | None = Field(default=None, description="The graph snapshot.")


class CancelledRun(Run):
    cancel: Literal["cancelled", "cancelling"]


class RunList(BaseModel):
    runs: list[RunSummary]


class EventList(BaseModel):
    """A run's events after `after`; the WebSocket sends the same objects one by one."""

    events: list[RunEvent]


class Artifact(BaseModel):
    name: str
    size: int
    modified: float = Field(description="Unix time.")


class ArtifactList(BaseModel):
    artifacts: list[Artifact]


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: dict[str, list[Any]]


class EvaluateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: DatasetRef | None = None


class Prediction(BaseModel):
    outputs: dict[str, list[Any]] = Field(description="Per Output name, one row per sample.")


class Evaluation(BaseModel):
    """Keras's metrics on the data, and where the model goes wrong there: per Output in
    `outputs`; `confusion_matrix`, `per_class` and `worst` repeat the first Output's."""

    metrics: Metrics
    samples: int
    dataset: str
    data: Literal["validation", "whole set"] | None = Field(
        default=None,
        description="What was evaluated: an image set's validation images (the run's "
        "own split), else the whole set.",
    )
    outputs: list[OutputResults] = Field(default_factory=list)
    confusion_matrix: list[list[int]] | None = None
    per_class: list[ClassScores] | None = None
    worst: list[EvaluatedSample] | None = None


def run_out(row: dict[str, Any]) -> Run:
    return Run.model_validate(row)
