"""`GET /api/training/options`: the choices of a run's settings, so the editor offers
exactly what the server accepts (optimizers, losses, metrics, backends, statuses)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from layerforge.events.types import RUN_STATUSES, RunStatus
from layerforge.graph.catalogue.compile import LOSSES, METRICS
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


class TrainingOptions(BaseModel):
    optimizers: list[OptimizerOption]
    losses: list[str] = Field(description="In the order the editor offers them.")
    metrics: list[str]
    backends: list[Backend] = Field(description="Keras backends installed on this server.")
    statuses: list[RunStatus]
    defaults: RunSettings


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
    )
