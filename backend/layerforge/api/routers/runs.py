"""Training runs: create (validate, check the data set, snapshot, queue), list, read,
cancel, delete; and their events (`RunEvent`, the same objects as the WebSocket)."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError

from layerforge.api.auth import CurrentPerson, require_owner
from layerforge.api.deps import RuntimeDep, SessionDep, SettingsDep
from layerforge.api.errors import ApiError, ErrorBody, problem
from layerforge.api.routers.weights import checked_start
from layerforge.api.run_check import check_run_request
from layerforge.api.schemas.runs import (
    CancelledRun,
    EventList,
    Run,
    RunList,
    RunRequest,
    RunSummary,
    run_out,
)
from layerforge.events.types import StatusEvent
from layerforge.graph.schema import Graph, parse_graph
from layerforge.jobs.runtime import Runtime
from layerforge.store.models import RUN_STATUSES, RunStatus

router = APIRouter(tags=["runs"])

STATUS_FILTER = f"Only runs in this status: {', '.join(RUN_STATUSES)}."
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No run with that id (or short id)."},
    409: {"model": ErrorBody, "description": "A short id that several runs start with."},
}
ENDED_OR_BUSY: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {
        "model": ErrorBody,
        "description": "The run has ended, did not stop in time, or the short id is ambiguous.",
    },
}
CANDIDATES_SHOWN = 10


def not_found(run_id: str) -> ApiError:
    return ApiError.one(404, "run_not_found", f"no run with id {run_id!r}", param="run_id")


async def full_run_id(runtime: Runtime, run_id: str) -> str:
    """The id of the run that `run_id` names: its whole id, or any prefix of it that no
    other run's id starts with (a short id, as git takes one). 404 when none does, 409
    naming the candidates when several do."""
    found = await runtime.runs.matching(run_id, CANDIDATES_SHOWN + 1)
    if run_id in found or len(found) == 1:
        return run_id if run_id in found else found[0]
    if not found:
        raise not_found(run_id)
    shown = ", ".join(found[:CANDIDATES_SHOWN]) + (", ..." if len(found) > CANDIDATES_SHOWN else "")
    raise ApiError.one(
        409,
        "ambiguous_run_id",
        f"{run_id!r} is the start of several runs' ids ({shown}); give more of the id",
        param="run_id",
    )


async def run_or_404(runtime: Runtime, run_id: str) -> dict[str, Any]:
    """The run that `run_id` (its id or a short id) names."""
    run = await runtime.runs.get(await full_run_id(runtime, run_id))
    if run is None:
        raise not_found(run_id)
    return run


async def _resolve_graph(
    runtime: Runtime, body: RunRequest
) -> tuple[Graph, str | None, int | None]:
    if body.graph is not None:
        if body.graph_id is not None:
            raise ApiError.one(
                422, "ambiguous_graph", "send either graph or graph_id, not both", param="graph_id"
            )
        return body.graph, None, None
    if body.graph_id is None:
        raise ApiError.one(
            422,
            "missing_graph",
            "send a graph, or graph_id (and graph_version) of a saved graph",
            param="graph",
        )
    found = await asyncio.to_thread(
        runtime.store.get_graph_version, body.graph_id, body.graph_version
    )
    if found is None:
        what = f"version {body.graph_version} of " if body.graph_version else ""
        raise ApiError.one(
            404, "graph_not_found", f"no {what}saved graph {body.graph_id!r}", param="graph_id"
        )
    data, version = found
    try:
        return parse_graph(data), body.graph_id, version
    except (ValidationError, ValueError) as exc:
        raise ApiError.one(
            422,
            "bad_saved_graph",
            f"saved graph {body.graph_id!r} v{version} is not a valid graph: {exc}",
            param="graph_id",
        ) from exc


@router.post(
    "/runs",
    status_code=201,
    response_model=Run,
    responses={
        404: {"model": ErrorBody, "description": "No saved graph (version) `graph_id`."},
        422: {"model": ErrorBody},
    },
)
async def create_run(
    body: RunRequest,
    runtime: RuntimeDep,
    settings: SettingsDep,
    person: CurrentPerson,
    session: SessionDep,
) -> Run:
    graph, graph_id, graph_version = await _resolve_graph(runtime, body)
    await check_run_request(graph, body, settings, session)
    body.settings = await checked_start(runtime, settings, body.settings)
    row = await asyncio.to_thread(
        runtime.store.create_run,
        graph=graph.model_dump(mode="json"),
        dataset=body.dataset.model_dump(),
        settings=body.settings.model_dump(mode="json"),
        graph_id=graph_id,
        graph_version=graph_version,
        owner=person.name,
    )
    await runtime.events.append(row["id"], StatusEvent(status="queued"))
    # read before it is handed on: a free slot may say `starting` before this answers
    created = run_out(await run_or_404(runtime, row["id"]))
    runtime.scheduler.submit(row["id"])
    return created


@router.get("/runs", response_model=RunList)
async def list_runs(
    runtime: RuntimeDep,
    status: RunStatus | None = Query(None, description=STATUS_FILTER),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> RunList:
    rows = await runtime.runs.list(status, limit, offset)
    return RunList(runs=[RunSummary.model_validate(r) for r in rows])


@router.get("/runs/{run_id}", response_model=Run, responses=NOT_FOUND)
async def get_run(run_id: str, runtime: RuntimeDep) -> Run:
    return run_out(await run_or_404(runtime, run_id))


@router.post("/runs/{run_id}/cancel", response_model=CancelledRun, responses=ENDED_OR_BUSY)
async def cancel_run(run_id: str, runtime: RuntimeDep, person: CurrentPerson) -> CancelledRun:
    run = await run_or_404(runtime, run_id)
    run_id = run["id"]
    require_owner(person, run.get("owner"), f"Run {run_id}", "cancel")
    outcome = await runtime.scheduler.cancel(run_id)
    if outcome == "unknown":
        raise not_found(run_id)
    if outcome == "finished":  # the log's state: the store may be a little behind it
        state = await runtime.events.state(run_id)
        status = state.status if state else run["status"]
        raise ApiError(
            409, [problem("run_finished", f"run {run_id} already ended with status {status!r}")]
        )
    run = await run_or_404(runtime, run_id)
    return CancelledRun.model_validate({**run, "cancel": outcome})


@router.delete("/runs/{run_id}", status_code=204, responses=ENDED_OR_BUSY)
async def delete_run(
    run_id: str, runtime: RuntimeDep, settings: SettingsDep, person: CurrentPerson
) -> Response:
    run = await run_or_404(runtime, run_id)
    run_id = run["id"]
    require_owner(person, run.get("owner"), f"Run {run_id}", "delete")
    outcome = await runtime.scheduler.cancel(run_id)
    if outcome == "cancelling" and not await runtime.scheduler.wait_idle(
        run_id, settings.cancel_grace_s + 10
    ):
        raise ApiError.one(
            409, "run_still_active", f"run {run_id} did not stop after cancel; try again"
        )
    await runtime.events.forget(run_id)
    await asyncio.to_thread(runtime.store.delete_run, run_id)
    await asyncio.to_thread(shutil.rmtree, settings.run_root / run_id, True)
    return Response(status_code=204)


@router.get(
    "/runs/{run_id}/events",
    response_model=EventList,
    response_model_exclude_unset=True,
    responses=NOT_FOUND,
)
async def run_events(
    run_id: str,
    runtime: RuntimeDep,
    after: int = Query(0, ge=0),
    limit: int = Query(1000, ge=1, le=10000),
) -> EventList:
    """The run's events with seq > `after`, oldest first. `WS /api/runs/{id}/stream`
    sends the same objects (`RunStreamMessage`: these and pings); `WS /api/runs/stream`
    sends `FeedMessage`s."""
    run_id = await full_run_id(runtime, run_id)
    try:
        events = await runtime.events.read(run_id, after, limit)
    except KeyError:
        raise not_found(run_id) from None
    return EventList(events=events)
