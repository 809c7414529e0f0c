"""`POST /api/graphs/estimate`: what a graph costs before it trains, for given run
settings: MACs and parameters, training and inference memory, the largest batch that
fits a device."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from layerforge.api.bodies import GraphIn
from layerforge.api.deps import SettingsDep, keras_lock
from layerforge.api.limits import check_graph_size
from layerforge.graph.checks.estimate import MemoryEstimate, estimate_memory
from layerforge.graph.problems import GraphError
from layerforge.training.optimizers import optimizer_slots
from layerforge.training.settings import RunSettings

router = APIRouter(tags=["models"])


class EstimateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph: GraphIn
    settings: RunSettings = Field(default_factory=RunSettings)
    device_memory_bytes: int | None = Field(
        default=None,
        gt=0,
        description="Memory of the device; the answer then says the "
        "largest batch size whose training fits.",
    )


class Estimate(MemoryEstimate):
    total_params: int
    total_macs: int
    macs_uncounted: list[str]
    optimizer_slots: int
    mixed_precision: bool


@router.post(
    "/graphs/estimate",
    response_model=Estimate,
    responses={422: {"description": 'The graph or the settings are invalid: `{"errors": [...]}`.'}},
)
def estimate(body: EstimateRequest, settings: SettingsDep) -> Estimate:
    """Training memory (weights, gradients, optimizer slots, activations kept for the
    backward pass, at the settings' batch size and precision), one inference step, and
    MACs per sample. An invalid graph is a 422 with its errors."""
    check_graph_size(body.graph, settings)
    from layerforge.graph import validate_graph

    with keras_lock:
        report = validate_graph(body.graph, settings.limits)
    if report.errors:
        raise GraphError(report.errors)
    run, opt = body.settings, body.settings.optimizer
    slots = optimizer_slots(opt.name, opt.momentum, opt.amsgrad, opt.centered)
    memory = estimate_memory(
        body.graph,
        report,
        run.batch_size,
        slots,
        run.mixed_precision,
        body.device_memory_bytes,
    )
    return Estimate(
        **memory.model_dump(),
        total_params=report.total_params or 0,
        total_macs=report.total_macs or 0,
        macs_uncounted=report.macs_uncounted,
        optimizer_slots=slots,
        mixed_precision=run.mixed_precision,
    )
