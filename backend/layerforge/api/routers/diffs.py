"""What changed between two models: `POST /api/graphs/diff`.

Each side is a graph, a saved graph's version, or a run's snapshot. Both sides are
validated (under `keras_lock`, as every Keras check is), so the answer also carries the
parameter-count and output-shape changes that follow from the edit."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from layerforge.api.bodies import GraphIn
from layerforge.api.deps import SessionDep, SettingsDep, keras_lock
from layerforge.api.errors import ApiError
from layerforge.api.limits import check_graph_size
from layerforge.graph.diff import GraphDiff, diff_graphs
from layerforge.graph.schema import Graph, parse_graph
from layerforge.jobs.runtime import Runtime
from layerforge.settings import Settings
from layerforge.store import graphs

router = APIRouter(tags=["graphs"])


class SavedRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph_id: str = Field(max_length=64)
    version: int | None = Field(default=None, ge=1, description="The latest when left out.")


class RunRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: str = Field(max_length=64, description="A run's id: the graph it trained.")


Side = GraphIn | SavedRef | RunRef


class DiffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    a: Side = Field(description="The graph before: a graph, {graph_id, version} or {run}.")
    b: Side = Field(description="The graph after, in the same forms.")


async def _graph(request: Request, session: Session, side: Any, field: str) -> Graph:
    if isinstance(side, Graph):
        return side
    if isinstance(side, SavedRef):
        found = await asyncio.to_thread(_saved, session, side)
        if found is None:
            raise ApiError.one(
                404, "graph_not_found", f"no saved graph {side.graph_id!r}", param=field
            )
        data = found
    else:
        runtime: Runtime = request.app.state.runtime
        run = await runtime.runs.get(side.run)
        if run is None:
            raise ApiError.one(404, "run_not_found", f"no run with id {side.run!r}", param=field)
        data = run["graph"]
    try:
        return parse_graph(data)
    except (ValidationError, ValueError) as exc:
        raise ApiError.one(
            422, "bad_saved_graph", f"not a valid graph: {exc}", param=field
        ) from exc


def _saved(session: Session, side: SavedRef) -> dict[str, Any] | None:
    """The saved graph's version (the latest when none is named), or None."""
    saved = graphs.get_graph(session, side.graph_id)
    if saved is None:
        return None
    row = graphs.get_version(session, side.graph_id, side.version or saved.latest_version)
    return dict(row.graph) if row else None


def _diff(a: Graph, b: Graph, settings: Settings) -> GraphDiff:
    from layerforge.graph import validate_graph

    for graph in (a, b):
        check_graph_size(graph, settings)
    with keras_lock:
        reports = (validate_graph(a, settings.limits), validate_graph(b, settings.limits))
    return diff_graphs(a, b, reports)


@router.post("/graphs/diff", response_model=GraphDiff)
async def diff(
    body: DiffRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> GraphDiff:
    """Nodes added, removed and changed (each changed parameter, old and new), edges
    rewired, and the parameter-count and output-shape changes that follow. Nodes match
    by id, then by wiring, so a copy with renamed ids still matches."""
    a = await _graph(request, session, body.a, "a")
    b = await _graph(request, session, body.b, "b")
    return await run_in_threadpool(_diff, a, b, settings)
