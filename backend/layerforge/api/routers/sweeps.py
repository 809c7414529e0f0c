"""Sweeps: a search over node parameters and training settings, each trial a run.

`POST /api/sweeps` takes a run request (graph, dataset, settings) and a space of JSON
Pointers into it. Before any trial starts, every corner of the space is checked as a
run request exactly as `POST /api/runs` checks one (the graph with Keras, the data set
against it), so a bad pointer, range or corner is a 422 naming it. The search itself is
`jobs/sweeps.py` (Optuna)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from layerforge.api.auth import ADMIN, CurrentPerson, Person, require_owner
from layerforge.api.bodies import GraphIn
from layerforge.api.close_codes import CloseCode
from layerforge.api.deps import SessionDep, SettingsDep, app_sessions
from layerforge.api.errors import ApiError, ErrorBody, problem, validation_problems
from layerforge.api.routers import runs
from layerforge.api.run_check import check_run_request
from layerforge.api.schemas.runs import RunRequest
from layerforge.graph.problems import Problem
from layerforge.jobs.runtime import Runtime
from layerforge.jobs.sweep_space import PointerError, applied, corners
from layerforge.jobs.sweeps import Sweep, SweepOptions, Sweeps
from layerforge.settings import Settings
from layerforge.store.db import session_scope
from layerforge.training.datasets.models import DatasetRef

router = APIRouter(tags=["sweeps"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody}}
STREAM_POLL_S = 1.0


class SweepRequest(SweepOptions):
    model_config = ConfigDict(extra="forbid")

    graph: GraphIn
    dataset: DatasetRef
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Run settings, as in POST /api/runs."
    )


class SweepList(BaseModel):
    sweeps: list[Sweep]


def app_sweeps(request: Request) -> Sweeps:
    sweeps: Sweeps = request.app.state.sweeps
    return sweeps


SweepsDep = Annotated[Sweeps, Depends(app_sweeps)]


def make_sweeps(app: FastAPI, runtime: Runtime, settings: Settings) -> Sweeps:
    """The app's sweeps, submitting each trial's run as POST /api/runs does."""

    async def submit(request: dict[str, Any], owner: str | None) -> str:
        body = RunRequest.model_validate(request)
        person = Person(owner, admin=False) if owner else ADMIN
        with session_scope(app_sessions(app)) as session:
            run = await runs.create_run(body, runtime, settings, person, session)
        return run.id

    sweeps = Sweeps(runtime, settings, submit)
    app.state.sweeps = sweeps
    return sweeps


def _corner_problems(point: dict[str, Any], error: Exception) -> list[Problem]:
    where = ", ".join(f"{path} = {value!r}" for path, value in point.items())
    if isinstance(error, ApiError):
        found = error.problems
    elif isinstance(error, ValidationError):
        found = validation_problems(error.errors(), None)
    else:
        found = [problem("bad_space", str(error))]
    return [
        p.model_copy(update={"message": f"at {where}: {p.message}", "param": p.param or "space"})
        for p in found
    ]


async def _check_corners(
    request: dict[str, Any], body: SweepRequest, settings: Settings, session: Session
) -> None:
    """422 with the problems of every corner of the space that is not a valid run."""
    problems: list[Problem] = []
    for path in body.space:
        try:
            applied(request, {path: body.space[path].extremes()[0]})
        except PointerError as exc:
            problems.append(problem("bad_pointer", str(exc), param=f"space.{path}"))
    if problems:
        raise ApiError(422, problems)
    for point in corners(body.space):
        candidate = applied(request, point)
        try:
            run_body = RunRequest.model_validate(candidate)
            graph = run_body.graph
            assert graph is not None
            await check_run_request(graph, run_body, settings, session)
        except (ApiError, ValidationError, ValueError) as exc:
            problems += _corner_problems(point, exc)
        if len(problems) > 50:
            break
    if problems:
        raise ApiError(422, problems)


@router.post(
    "/sweeps", status_code=201, response_model=Sweep, responses={422: {"model": ErrorBody}}
)
async def create_sweep(
    body: SweepRequest,
    sweeps: SweepsDep,
    settings: SettingsDep,
    person: CurrentPerson,
    session: SessionDep,
) -> Sweep:
    """Start a sweep: `trials` runs, `parallel` at a time, Optuna choosing each point.
    Every corner of the space is checked as a run first (see `jobs/sweep_space.py`)."""
    try:  # with every setting's default filled in, so pointers may address them
        request = RunRequest.model_validate(
            {"graph": body.graph, "dataset": body.dataset, "settings": body.settings}
        ).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        raise ApiError(422, validation_problems(exc.errors(), None)) from exc
    await _check_corners(request, body, settings, session)
    options = SweepOptions.model_validate(body.model_dump(include=set(SweepOptions.model_fields)))
    return await sweeps.create(request, options, person.name)


@router.get("/sweeps", response_model=SweepList)
async def list_sweeps(sweeps: SweepsDep) -> SweepList:
    return SweepList(sweeps=await sweeps.list())


@router.get("/sweeps/{sweep_id}", response_model=Sweep, responses=NOT_FOUND)
async def get_sweep(sweep_id: str, sweeps: SweepsDep) -> Sweep:
    """The sweep: its trials (run ids, points, values, states), the best, and Optuna's
    parameter importance once two trials completed."""
    sweep = await sweeps.get(sweep_id, with_importance=True)
    if sweep is None:
        raise ApiError.one(404, "sweep_not_found", f"no sweep with id {sweep_id!r}")
    return sweep


@router.post("/sweeps/{sweep_id}/cancel", response_model=Sweep, responses=NOT_FOUND)
async def cancel_sweep(sweep_id: str, sweeps: SweepsDep, person: CurrentPerson) -> Sweep:
    sweep = await sweeps.get(sweep_id)
    if sweep is None:
        raise ApiError.one(404, "sweep_not_found", f"no sweep with id {sweep_id!r}")
    require_owner(person, sweep.owner, f"Sweep {sweep_id}", "cancel")
    cancelled = await sweeps.cancel(sweep_id)
    assert cancelled is not None
    return cancelled


@router.websocket("/sweeps/{sweep_id}/stream")
async def sweep_stream(websocket: WebSocket, sweep_id: str) -> None:
    """The sweep (as GET answers it) each time it changes, until it ends."""
    sweeps: Sweeps = websocket.app.state.sweeps
    await websocket.accept()
    last = None
    try:
        while True:
            sweep = await sweeps.get(sweep_id)
            if sweep is None:
                await websocket.close(code=CloseCode.NOT_FOUND, reason="no such sweep")
                return
            text = json.dumps(sweep.model_dump(mode="json"))
            if text != last:
                await websocket.send_text(text)
                last = text
            if sweep.status != "running":
                await websocket.close(code=CloseCode.FINISHED)
                return
            await asyncio.sleep(STREAM_POLL_S)
    except WebSocketDisconnect:
        return
