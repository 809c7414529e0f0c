"""Training runs: create (validate, check the data set, snapshot, queue), list, read,
cancel, delete; their events, artifacts, and evaluate/predict with a trained model."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException

from layerforge.api.auth import CurrentPerson, require_owner
from layerforge.api.bodies import GraphIn
from layerforge.api.deps import keras_lock
from layerforge.api.errors import problem, problems_body, validation_problems
from layerforge.api.limits import graph_size_problems
from layerforge.graph.errors import Problem
from layerforge.graph.schema import Graph, parse_graph
from layerforge.graph.structure import output_name
from layerforge.jobs.runtime import Runtime
from layerforge.settings import Settings
from layerforge.store.runs import STATUSES, TERMINAL
from layerforge.training.settings import RunSettings, parse_settings

router = APIRouter(tags=["runs"])

MODEL_FILE = "model.keras"
ONESHOT_TIMEOUT_S = 300.0


class DatasetRef(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, max_length=200)


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph: GraphIn | None = None
    graph_id: str | None = None
    graph_version: int | None = Field(default=None, ge=1)
    dataset: DatasetRef
    settings: dict[str, Any] = Field(default_factory=dict)


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: dict[str, list[Any]]


class EvaluateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: DatasetRef | None = None


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _unprocessable(problems: list[Problem] | list[dict[str, Any]]) -> HTTPException:
    items = [p if isinstance(p, dict) else p.model_dump() for p in problems]
    return HTTPException(422, {"errors": items})


def _not_found(run_id: str) -> HTTPException:
    return HTTPException(
        404, problems_body([problem("run_not_found", f"no run with id {run_id!r}")])
    )


async def _run_or_404(request: Request, run_id: str) -> dict[str, Any]:
    runtime = _runtime(request)
    live = runtime.events.live()
    run = await asyncio.to_thread(runtime.store.get_run, run_id)
    if run is None:
        raise _not_found(run_id)
    return runtime.events.overlay(run, live)


def _validate(graph: Graph) -> dict[str, Any]:
    from layerforge.graph.validate import validate_graph

    with keras_lock:
        return validate_graph(graph)


async def _resolve_graph(
    request: Request, body: RunRequest
) -> tuple[Graph, str | None, int | None]:
    if body.graph is not None:
        if body.graph_id is not None:
            raise _unprocessable(
                [
                    problem(
                        "ambiguous_graph",
                        "send either graph or graph_id, not both",
                        param="graph_id",
                    )
                ]
            )
        return body.graph, None, None
    if body.graph_id is None:
        raise _unprocessable(
            [
                problem(
                    "missing_graph",
                    "send a graph, or graph_id (and graph_version) of a saved graph",
                    param="graph",
                )
            ]
        )
    found = await asyncio.to_thread(
        _runtime(request).store.get_graph_version, body.graph_id, body.graph_version
    )
    if found is None:
        what = f"version {body.graph_version} of " if body.graph_version else ""
        raise HTTPException(
            404,
            problems_body(
                [
                    problem(
                        "graph_not_found",
                        f"no {what}saved graph {body.graph_id!r}",
                        param="graph_id",
                    )
                ]
            ),
        )
    data, version = found
    try:
        return parse_graph(data), body.graph_id, version
    except (ValidationError, ValueError) as exc:
        raise _unprocessable(
            [
                problem(
                    "bad_saved_graph",
                    f"saved graph {body.graph_id!r} v{version} is not a valid graph: {exc}",
                    param="graph_id",
                )
            ]
        ) from exc


def _parse_run_settings(data: dict[str, Any]) -> RunSettings:
    try:
        return parse_settings(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", "settings", *e.get("loc", ()))} for e in exc.errors()]
        raise _unprocessable(validation_problems(errors, {"settings": data})) from exc


def _dataset_problems(
    graph: Graph, body: RunRequest, run_settings: RunSettings, nodes: dict[str, Any], data_dir: Path
) -> list[Problem]:
    from layerforge.training.datasets import check_dataset

    outputs = [output_name(n) for n in graph.nodes if n.type == "Output"]
    problems = run_settings.check_against(outputs)
    losses = {name: o.loss for name, o in run_settings.outputs.items() if o.loss}
    problems += check_dataset(
        graph, body.dataset.model_dump(), nodes, losses=losses, data_dir=data_dir
    )
    if run_settings.validation_dataset is not None:
        for p in check_dataset(
            graph, run_settings.validation_dataset, nodes, losses=losses, data_dir=data_dir
        ):
            problems.append(
                p.model_copy(
                    update={
                        "param": "settings.validation_dataset",
                        "message": f"validation data set: {p.message}",
                    }
                )
            )
    return problems


@router.post("/runs", status_code=201)
async def create_run(body: RunRequest, request: Request, person: CurrentPerson) -> dict[str, Any]:
    runtime, settings = _runtime(request), _settings(request)
    graph, graph_id, graph_version = await _resolve_graph(request, body)
    too_large = graph_size_problems(graph, settings.limits)
    if too_large:
        raise _unprocessable(too_large)
    run_settings = _parse_run_settings(body.settings)
    result = await run_in_threadpool(_validate, graph)
    if result.get("errors"):
        raise _unprocessable(result["errors"])
    problems = await run_in_threadpool(
        _dataset_problems, graph, body, run_settings, result["nodes"], settings.data_dir
    )
    if problems:
        raise _unprocessable(problems)
    run = await asyncio.to_thread(
        runtime.store.create_run,
        graph=graph.model_dump(mode="json"),
        dataset=body.dataset.model_dump(),
        settings=run_settings.model_dump(mode="json"),
        graph_id=graph_id,
        graph_version=graph_version,
        owner=person.name,
    )
    await runtime.events.append(run["id"], {"type": "status", "status": "queued"})
    runtime.scheduler.submit(run["id"])
    return runtime.events.overlay(run, runtime.events.live())


@router.get("/runs")
async def list_runs(
    request: Request,
    status: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    if status is not None and status not in STATUSES:
        raise HTTPException(
            422,
            problems_body(
                [
                    problem(
                        "bad_status",
                        f"status {status!r} is not one of {', '.join(STATUSES)}",
                        param="status",
                    )
                ]
            ),
        )
    runtime = _runtime(request)
    live = runtime.events.live()
    runs = await asyncio.to_thread(runtime.store.list_runs, status, limit, offset)
    return {"runs": [runtime.events.overlay(r, live) for r in runs]}


@router.get("/runs/{run_id}")
async def get_run(run_id: str, request: Request) -> dict[str, Any]:
    return await _run_or_404(request, run_id)


@router.post("/runs/{run_id}/cancel")
async def cancel_run(run_id: str, request: Request, person: CurrentPerson) -> dict[str, Any]:
    runtime = _runtime(request)
    owner = (await _run_or_404(request, run_id)).get("owner")
    require_owner(person, owner, f"Run {run_id}", "cancel")
    outcome = await runtime.scheduler.cancel(run_id)
    if outcome == "unknown":
        raise _not_found(run_id)
    run = await _run_or_404(request, run_id)
    if outcome == "finished":
        raise HTTPException(
            409,
            problems_body(
                [
                    problem(
                        "run_finished", f"run {run_id} already ended with status {run['status']!r}"
                    )
                ]
            ),
        )
    return {**run, "cancel": outcome}


@router.delete("/runs/{run_id}", status_code=204)
async def delete_run(run_id: str, request: Request, person: CurrentPerson) -> Response:
    runtime, settings = _runtime(request), _settings(request)
    owner = (await _run_or_404(request, run_id)).get("owner")
    require_owner(person, owner, f"Run {run_id}", "delete")
    outcome = await runtime.scheduler.cancel(run_id)
    if outcome == "cancelling" and not await runtime.scheduler.wait_idle(
        run_id, settings.cancel_grace_s + 10
    ):
        raise HTTPException(
            409,
            problems_body(
                [problem("run_still_active", f"run {run_id} did not stop after cancel; try again")]
            ),
        )
    await runtime.events.forget(run_id)
    await asyncio.to_thread(runtime.store.delete_run, run_id)
    await asyncio.to_thread(shutil.rmtree, settings.run_root / run_id, True)
    return Response(status_code=204)


@router.get("/runs/{run_id}/events")
async def run_events(
    run_id: str,
    request: Request,
    after: int = Query(0, ge=0),
    limit: int = Query(1000, ge=1, le=10000),
) -> dict[str, Any]:
    runtime = _runtime(request)
    try:
        events = await runtime.events.read(run_id, after, limit)
    except KeyError:
        raise _not_found(run_id) from None
    return {"events": events}


def _artifact_list(run_dir: Path) -> list[dict[str, Any]]:
    if not run_dir.is_dir():
        return []
    return [
        {
            "name": p.relative_to(run_dir).as_posix(),
            "size": p.stat().st_size,
            "modified": p.stat().st_mtime,
        }
        for p in sorted(run_dir.rglob("*"))
        if p.is_file()
    ]


@router.get("/runs/{run_id}/artifacts")
async def list_artifacts(run_id: str, request: Request) -> dict[str, Any]:
    await _run_or_404(request, run_id)
    run_dir = _settings(request).run_root / run_id
    return {"artifacts": await asyncio.to_thread(_artifact_list, run_dir)}


@router.get("/runs/{run_id}/artifacts/{name:path}")
async def get_artifact(run_id: str, name: str, request: Request) -> FileResponse:
    await _run_or_404(request, run_id)
    run_dir = (_settings(request).run_root / run_id).resolve()
    parts = Path(name).parts
    if not name or Path(name).is_absolute() or ".." in parts:
        raise HTTPException(
            400,
            problems_body(
                [
                    problem(
                        "bad_artifact_name",
                        f"artifact name {name!r} must be a path inside the run folder",
                        param="name",
                    )
                ]
            ),
        )
    path = (run_dir / name).resolve()
    if not path.is_relative_to(run_dir) or not path.is_file():
        raise HTTPException(
            404,
            problems_body(
                [
                    problem(
                        "artifact_not_found", f"run {run_id} has no artifact {name!r}", param="name"
                    )
                ]
            ),
        )
    return FileResponse(path, filename=path.name)


async def _oneshot(request: Request, run: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    from layerforge.training.client import OneshotError, run_oneshot

    settings = _settings(request)
    run_dir = settings.run_root / run["id"]
    if run["status"] not in TERMINAL or not (run_dir / MODEL_FILE).is_file():
        raise HTTPException(
            409,
            problems_body(
                [
                    problem(
                        "no_model",
                        f"run {run['id']} ({run['status']}) has no trained model ({MODEL_FILE}) yet",
                    )
                ]
            ),
        )
    spec = {
        "run_id": run["id"],
        "run_dir": str(run_dir),
        "graph": run["graph"],
        "settings": run["settings"],
        "data_dir": str(settings.data_dir.resolve()),
        "backend": (run["settings"] or {}).get("backend") or "tensorflow",
        **extra,
    }
    try:
        return await run_in_threadpool(run_oneshot, spec, ONESHOT_TIMEOUT_S)
    except OneshotError as exc:
        raise _unprocessable([problem(f"{extra['mode']}_failed", str(exc))]) from exc
    except TimeoutError as exc:
        raise HTTPException(504, problems_body([problem("timeout", str(exc))])) from exc


@router.post("/runs/{run_id}/predict")
async def predict(run_id: str, body: PredictRequest, request: Request) -> dict[str, Any]:
    run = await _run_or_404(request, run_id)
    return await _oneshot(request, run, {"mode": "predict", "inputs": body.inputs})


@router.post("/runs/{run_id}/evaluate")
async def evaluate(run_id: str, body: EvaluateRequest, request: Request) -> dict[str, Any]:
    run = await _run_or_404(request, run_id)
    dataset = body.dataset.model_dump() if body.dataset else run["dataset"]
    return await _oneshot(request, run, {"mode": "evaluate", "dataset": dataset})
