"""Queries for saved graphs: every save is a new version; older versions stay readable."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from layerforge.store.models import GraphVersion, SavedGraph, utcnow


def create_graph(
    session: Session,
    name: str,
    graph: dict[str, Any],
    message: str | None = None,
    owner: str | None = None,
) -> tuple[SavedGraph, GraphVersion]:
    saved = SavedGraph(name=name, latest_version=1, owner=owner)
    session.add(saved)
    session.flush()
    version = GraphVersion(
        graph_id=saved.id, version=1, graph=graph, message=message, saved_by=owner
    )
    session.add(version)
    session.flush()
    return saved, version


def list_graphs(
    session: Session, limit: int = 100, offset: int = 0
) -> tuple[list[SavedGraph], int]:
    """The saved graphs, most recently updated first, and how many there are in all."""
    total = session.scalar(select(func.count()).select_from(SavedGraph)) or 0
    rows = session.scalars(
        select(SavedGraph)
        .order_by(SavedGraph.updated_at.desc(), SavedGraph.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def get_graph(session: Session, graph_id: str) -> SavedGraph | None:
    return session.get(SavedGraph, graph_id)


def get_version(session: Session, graph_id: str, version: int) -> GraphVersion | None:
    return session.scalars(
        select(GraphVersion).where(
            GraphVersion.graph_id == graph_id, GraphVersion.version == version
        )
    ).first()


def list_versions(session: Session, graph_id: str) -> list[GraphVersion]:
    return list(
        session.scalars(
            select(GraphVersion)
            .where(GraphVersion.graph_id == graph_id)
            .order_by(GraphVersion.version)
        ).all()
    )


class VersionConflict(Exception):
    """Someone saved the graph since the version an edit started from."""

    def __init__(self, latest_version: int, saved_by: str | None):
        super().__init__(f"version {latest_version} saved by {saved_by}")
        self.latest_version = latest_version
        self.saved_by = saved_by


def save_version(
    session: Session,
    graph_id: str,
    graph: dict[str, Any],
    name: str | None = None,
    message: str | None = None,
    saved_by: str | None = None,
    base_version: int | None = None,
) -> tuple[SavedGraph, GraphVersion] | None:
    """Store `graph` as the next version; None when the graph does not exist. With
    `base_version`, only if that is still the latest version (else VersionConflict).

    The version number comes from one atomic UPDATE ... RETURNING (conditional on
    `base_version`), so two concurrent saves get different numbers, and of two saves
    from the same base only one is stored, on SQLite and PostgreSQL alike.
    """
    values: dict[str, Any] = {
        "latest_version": SavedGraph.latest_version + 1,
        "updated_at": utcnow(),
    }
    if name is not None:
        values["name"] = name
    where = [SavedGraph.id == graph_id]
    if base_version is not None:
        where.append(SavedGraph.latest_version == base_version)
    number = session.scalar(
        update(SavedGraph).where(*where).values(**values).returning(SavedGraph.latest_version)
    )
    if number is None:
        saved = session.get(SavedGraph, graph_id, populate_existing=True)
        if saved is None:
            return None
        latest = get_version(session, graph_id, saved.latest_version)
        raise VersionConflict(saved.latest_version, latest.saved_by if latest else None)
    version = GraphVersion(
        graph_id=graph_id, version=number, graph=graph, message=message, saved_by=saved_by
    )
    session.add(version)
    session.flush()
    saved = session.get(SavedGraph, graph_id, populate_existing=True)
    assert saved is not None
    return saved, version


def delete_graph(session: Session, graph_id: str) -> bool:
    """Delete a graph and all its versions; False when it does not exist."""
    session.execute(delete(GraphVersion).where(GraphVersion.graph_id == graph_id))
    result = session.execute(delete(SavedGraph).where(SavedGraph.id == graph_id))
    return bool(cast("CursorResult[Any]", result).rowcount)
