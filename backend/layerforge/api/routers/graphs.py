"""Saved graphs with versions: every save is a new version; older versions stay readable.

A saved graph is only parsed (it must be a graph within the size caps), not checked with
Keras: a half-drawn model is worth saving.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from layerforge.api.auth import CurrentPerson, require_owner
from layerforge.api.bodies import GraphIn
from layerforge.api.deps import SessionDep, SettingsDep
from layerforge.api.errors import ApiError, ErrorBody, problem, problems_body
from layerforge.api.limits import check_graph_size
from layerforge.settings import Settings
from layerforge.store import graphs as store
from layerforge.store.models import GraphVersion, SavedGraph

router = APIRouter(prefix="/graphs", tags=["graphs"])

GraphId = Path(min_length=1, max_length=64, description="A saved graph's id.")
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No saved graph (or version) with that id."}
}
MAX_VERSION = 2**31 - 1


class SaveGraph(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, min_length=1, max_length=200, description="Defaults to the graph's name."
    )
    graph: GraphIn
    message: str | None = Field(
        default=None, max_length=2000, description="A note on this version."
    )


class SaveVersion(SaveGraph):
    base_version: int | None = Field(
        default=None,
        ge=1,
        le=MAX_VERSION,
        description="The version this edit started from: if someone saved since, the "
        "answer is a 409 `version_conflict` and nothing is stored. Without it the last "
        "save wins.",
    )


class VersionConflictBody(ErrorBody):
    """A 409 on `PUT /api/graphs/{id}` with a `base_version` that is no longer the latest."""

    latest_version: int
    saved_by: str | None = Field(description="Who saved the latest version; null if unknown.")


class GraphInfo(BaseModel):
    id: str
    name: str
    latest_version: int
    owner: str | None = Field(description="Who saved it first; null for older graphs.")
    created_at: datetime
    updated_at: datetime


class GraphList(BaseModel):
    graphs: list[GraphInfo]
    total: int


class VersionInfo(BaseModel):
    version: int
    message: str | None
    saved_by: str | None = Field(description="Who saved this version; null for older ones.")
    created_at: datetime


class VersionList(BaseModel):
    id: str
    versions: list[VersionInfo]


class SavedGraphOut(GraphInfo):
    version: int
    message: str | None
    saved_by: str | None = Field(description="Who saved this version; null for older ones.")
    saved_at: datetime = Field(description="When this version was saved.")
    graph: dict[str, Any]


def _info(saved: SavedGraph) -> GraphInfo:
    return GraphInfo(
        id=saved.id,
        name=saved.name,
        latest_version=saved.latest_version,
        owner=saved.owner,
        created_at=saved.created_at,
        updated_at=saved.updated_at,
    )


def _out(saved: SavedGraph, version: GraphVersion) -> SavedGraphOut:
    return SavedGraphOut(
        **_info(saved).model_dump(),
        version=version.version,
        message=version.message,
        saved_by=version.saved_by,
        saved_at=version.created_at,
        graph=version.graph,
    )


def _not_found(graph_id: str, version: int | None = None) -> ApiError:
    what = f"Saved graph {graph_id!r}" + (
        f" has no version {version}" if version else " does not exist"
    )
    return ApiError.one(404, "not_found", what)


def _conflict(conflict: store.VersionConflict, base_version: int) -> HTTPException:
    who = conflict.saved_by or "Someone"
    message = (
        f"{who} saved version {conflict.latest_version} since version {base_version}; "
        "reload theirs or save yours as a copy"
    )
    body = VersionConflictBody(
        **problems_body([problem("version_conflict", message, param="base_version")]),
        latest_version=conflict.latest_version,
        saved_by=conflict.saved_by,
    )
    return HTTPException(409, body.model_dump())


def _checked(body: SaveGraph, settings: Settings) -> dict[str, Any]:
    check_graph_size(body.graph, settings)
    return body.graph.model_dump(mode="json")


@router.post("", response_model=SavedGraphOut, status_code=201)
def create_graph(
    body: SaveGraph,
    session: SessionDep,
    person: CurrentPerson,
    settings: SettingsDep,
) -> SavedGraphOut:
    """Save a new graph as version 1."""
    graph = _checked(body, settings)
    name = body.name or body.graph.name or "Untitled graph"
    saved, version = store.create_graph(session, name, graph, body.message, person.name)
    return _out(saved, version)


@router.get("", response_model=GraphList)
def list_graphs(
    session: SessionDep,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10**9),
) -> GraphList:
    """Saved graphs, most recently saved first."""
    rows, total = store.list_graphs(session, limit, offset)
    return GraphList(graphs=[_info(r) for r in rows], total=total)


@router.get("/{graph_id}", response_model=SavedGraphOut, responses=NOT_FOUND)
def get_graph(session: SessionDep, graph_id: str = GraphId) -> SavedGraphOut:
    """The latest version of a saved graph."""
    saved = store.get_graph(session, graph_id)
    version = saved and store.get_version(session, graph_id, saved.latest_version)
    if not saved or not version:
        raise _not_found(graph_id)
    return _out(saved, version)


@router.put(
    "/{graph_id}",
    response_model=SavedGraphOut,
    responses={
        **NOT_FOUND,
        409: {
            "model": VersionConflictBody,
            "description": "Someone saved a version since `base_version`.",
        },
    },
)
def save_version(
    body: SaveVersion,
    session: SessionDep,
    settings: SettingsDep,
    person: CurrentPerson,
    graph_id: str = GraphId,
) -> SavedGraphOut:
    """Save the graph as the next version (and rename it when `name` is given): its
    owner or an admin. With `base_version`, only if nobody saved since (else a 409)."""
    saved = store.get_graph(session, graph_id)
    if saved is None:
        raise _not_found(graph_id)
    require_owner(person, saved.owner, f"Saved graph {graph_id!r}", "change")
    graph = _checked(body, settings)
    try:
        result = store.save_version(
            session, graph_id, graph, body.name, body.message, person.name, body.base_version
        )
    except store.VersionConflict as conflict:
        raise _conflict(conflict, body.base_version or 0) from None
    if result is None:
        raise _not_found(graph_id)
    return _out(*result)


@router.get("/{graph_id}/versions", response_model=VersionList, responses=NOT_FOUND)
def list_versions(session: SessionDep, graph_id: str = GraphId) -> VersionList:
    versions = store.list_versions(session, graph_id)
    if not versions:
        raise _not_found(graph_id)
    return VersionList(
        id=graph_id,
        versions=[
            VersionInfo(
                version=v.version, message=v.message, saved_by=v.saved_by, created_at=v.created_at
            )
            for v in versions
        ],
    )


@router.get("/{graph_id}/versions/{version}", response_model=SavedGraphOut, responses=NOT_FOUND)
def get_version(
    session: SessionDep, graph_id: str = GraphId, version: int = Path(ge=1, le=MAX_VERSION)
) -> SavedGraphOut:
    saved = store.get_graph(session, graph_id)
    row = saved and store.get_version(session, graph_id, version)
    if not saved or not row:
        raise _not_found(graph_id, version if saved else None)
    return _out(saved, row)


@router.delete("/{graph_id}", status_code=204, responses=NOT_FOUND)
def delete_graph(session: SessionDep, person: CurrentPerson, graph_id: str = GraphId) -> Response:
    """Delete a saved graph and every version of it (its owner or an admin)."""
    saved = store.get_graph(session, graph_id)
    if saved is not None:
        require_owner(person, saved.owner, f"Saved graph {graph_id!r}", "delete")
    if not store.delete_graph(session, graph_id):
        raise _not_found(graph_id)
    return Response(status_code=204)
