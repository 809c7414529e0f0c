"""What a run leaves: its artifacts, and evaluate/predict with its trained model (in a
trainer subprocess: TensorFlow is never imported in the API process)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from layerforge.api.deps import RuntimeDep, SettingsDep
from layerforge.api.errors import ApiError, ErrorBody
from layerforge.api.routers.runs import NOT_FOUND, run_or_404
from layerforge.api.schemas.runs import (
    Artifact,
    ArtifactList,
    EvaluateRequest,
    Evaluation,
    Prediction,
    PredictRequest,
)
from layerforge.events.types import ResultEvent
from layerforge.jobs.runtime import Runtime
from layerforge.jobs.spec import OneshotMode, oneshot_spec
from layerforge.settings import Settings
from layerforge.store.models import TERMINAL_STATUSES
from layerforge.training.evaluation import EvaluationReport

router = APIRouter(tags=["runs"])

ONESHOT_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"model": ErrorBody, "description": "The run has no trained model (yet)."},
    504: {"model": ErrorBody, "description": "The trainer took over LAYERFORGE_ONESHOT_TIMEOUT_S."},
}

MODEL_FILE = "model.keras"


def _artifact_list(run_dir: Path) -> list[Artifact]:
    if not run_dir.is_dir():
        return []
    return [
        Artifact(
            name=p.relative_to(run_dir).as_posix(),
            size=p.stat().st_size,
            modified=p.stat().st_mtime,
        )
        for p in sorted(run_dir.rglob("*"))
        if p.is_file()
    ]


@router.get("/runs/{run_id}/artifacts", response_model=ArtifactList, responses=NOT_FOUND)
async def list_artifacts(run_id: str, runtime: RuntimeDep, settings: SettingsDep) -> ArtifactList:
    run_dir = settings.run_root / (await run_or_404(runtime, run_id))["id"]
    return ArtifactList(artifacts=await asyncio.to_thread(_artifact_list, run_dir))


@router.get(
    "/runs/{run_id}/artifacts/{name:path}",
    response_class=FileResponse,
    responses={**NOT_FOUND, 200: {"content": {"application/octet-stream": {}}}},
)
async def get_artifact(
    run_id: str, name: str, runtime: RuntimeDep, settings: SettingsDep
) -> FileResponse:
    run_id = (await run_or_404(runtime, run_id))["id"]
    run_dir = (settings.run_root / run_id).resolve()
    if not name or Path(name).is_absolute() or ".." in Path(name).parts:
        raise ApiError.one(
            400,
            "bad_artifact_name",
            f"artifact name {name!r} must be a path inside the run folder",
            param="name",
        )
    path = (run_dir / name).resolve()
    if not path.is_relative_to(run_dir) or not path.is_file():
        raise ApiError.one(
            404, "artifact_not_found", f"run {run_id} has no artifact {name!r}", param="name"
        )
    return FileResponse(path, filename=path.name)


async def _oneshot(
    runtime: Runtime, settings: Settings, run: dict[str, Any], mode: OneshotMode, **request: Any
) -> ResultEvent:
    """Evaluate or predict through the scheduler (a trainer subprocess, here or on a worker)."""
    from layerforge.training.client import OneshotError

    run_dir = settings.run_root / run["id"]
    if run["status"] not in TERMINAL_STATUSES or not (run_dir / MODEL_FILE).is_file():
        raise ApiError.one(
            409,
            "no_model",
            f"run {run['id']} ({run['status']}) has no trained model ({MODEL_FILE}) yet",
        )
    spec = await asyncio.to_thread(oneshot_spec, settings, runtime.store, run, mode, **request)
    try:
        return await runtime.scheduler.oneshot(spec, settings.oneshot_timeout_s)
    except OneshotError as exc:
        raise ApiError.one(422, f"{mode}_failed", str(exc)) from exc
    except TimeoutError as exc:
        raise ApiError.one(504, "timeout", str(exc)) from exc


@router.post("/runs/{run_id}/predict", response_model=Prediction, responses=ONESHOT_ERRORS)
async def predict(
    run_id: str, body: PredictRequest, runtime: RuntimeDep, settings: SettingsDep
) -> Prediction:
    run = await run_or_404(runtime, run_id)
    result = await _oneshot(runtime, settings, run, "predict", inputs=body.inputs)
    return Prediction(outputs=result.outputs or {})


@router.post("/runs/{run_id}/evaluate", response_model=Evaluation, responses=ONESHOT_ERRORS)
async def evaluate(
    run_id: str, body: EvaluateRequest, runtime: RuntimeDep, settings: SettingsDep
) -> Evaluation:
    run = await run_or_404(runtime, run_id)
    dataset = body.dataset.model_dump() if body.dataset else run["dataset"]
    result = await _oneshot(runtime, settings, run, "evaluate", dataset=dataset)
    report = EvaluationReport.model_validate(result.evaluation) if result.evaluation else None
    first = report.outputs[0] if report and report.outputs else None
    return Evaluation(
        metrics=result.metrics or {},
        samples=result.samples or 0,
        dataset=result.dataset or "",
        data=report.data if report else None,
        outputs=report.outputs if report else [],
        confusion_matrix=first.confusion_matrix if first else None,
        per_class=first.per_class if first else None,
        worst=first.worst if first else None,
    )
