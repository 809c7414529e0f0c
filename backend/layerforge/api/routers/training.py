"""`GET /api/training/options`: the choices of a run's settings, so the editor offers
exactly what the server accepts (optimizers, losses, metrics, backends, statuses, and
the range of each number it asks for)."""

from __future__ import annotations

import annotated_types
from fastapi import APIRouter
from pydantic import BaseModel, Field

from layerforge.graph.catalogue.losses_metrics import LOSSES, METRICS
from layerforge.store.models import RUN_STATUSES, RunStatus
from layerforge.training.optimizers import OPTIMIZERS
from layerforge.training.settings import (
    Backend,
    OptimizerSettings,
    RunSettings,
    available_backends,
)

router = APIRouter(prefix="/training", tags=["training"])


class OptimizerOption(BaseModel):
    name: str
    learning_rate: float = Field(description="The learning rate a run uses when none is set.")
    params: list[str] = Field(description="What it takes besides learning_rate.")


class Bounds(BaseModel):
    """A number setting's range (a bound is exclusive where the field says so)."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False


def _bounds(model: type[BaseModel], name: str) -> Bounds:
    """The range pydantic checks for `model.name` (its ge/gt/le/lt)."""
    out = Bounds()
    for rule in model.model_fields[name].metadata:
        if isinstance(rule, annotated_types.Ge):
            out.minimum = float(rule.ge)  # type: ignore[arg-type]
        elif isinstance(rule, annotated_types.Gt):
            out.minimum, out.exclusive_minimum = float(rule.gt), True  # type: ignore[arg-type]
        elif isinstance(rule, annotated_types.Le):
            out.maximum = float(rule.le)  # type: ignore[arg-type]
        elif isinstance(rule, annotated_types.Lt):
            out.maximum, out.exclusive_maximum = float(rule.lt), True  # type: ignore[arg-type]
    return out


class TrainingOptions(BaseModel):
    optimizers: list[OptimizerOption]
    losses: list[str] = Field(description="In the order the editor offers them.")
    metrics: list[str]
    backends: list[Backend] = Field(description="Keras backends installed on this server.")
    statuses: list[RunStatus]
    defaults: RunSettings
    bounds: dict[str, Bounds] = Field(
        description="The range of each number setting the editor asks for: epochs, "
        "batch_size, validation_split, and learning_rate (of `optimizer`)."
    )


@router.get("/options", response_model=TrainingOptions)
def training_options() -> TrainingOptions:
    default_lr = OptimizerSettings.model_fields["learning_rate"].default
    return TrainingOptions(
        optimizers=[
            OptimizerOption(name=name, learning_rate=default_lr, params=sorted(kind.params))
            for name, kind in OPTIMIZERS.items()
        ],
        losses=list(LOSSES),
        metrics=sorted(METRICS),
        backends=available_backends(),
        statuses=list(RUN_STATUSES),
        defaults=RunSettings(),
        bounds={
            "epochs": _bounds(RunSettings, "epochs"),
            "batch_size": _bounds(RunSettings, "batch_size"),
            "validation_split": _bounds(RunSettings, "validation_split"),
            "learning_rate": _bounds(OptimizerSettings, "learning_rate"),
        },
    )
