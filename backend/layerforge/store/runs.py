"""Queries for runs and their events (synchronous; callers run them in a thread)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, sessionmaker

from layerforge.store import graphs
from layerforge.store.db import session_scope
from layerforge.store.models import Run, RunEvent, RunStatus


@dataclass(frozen=True)
class StoredEvent:
    """A run event as the `run_events` table keeps it."""

    run_id: str
    seq: int
    type: str
    data: dict[str, Any]


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite gives naive datetimes back
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def run_to_dict(run: Run, *, with_graph: bool = True) -> dict[str, Any]:
    """A run's columns, times in ISO 8601 (events/run_state.py reads a state from them)."""
    body = {
        "id": run.id,
        "status": run.status,
        "created_at": iso(run.created_at),
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "settings": run.settings,
        "dataset": run.dataset,
        "graph_id": run.graph_id,
        "graph_version": run.graph_version,
        "metrics": run.metrics or {},
        "error": run.error,
        "last_seq": run.last_seq,
        "owner": run.owner,
    }
    if with_graph:
        body["graph"] = run.graph
    return body


class RunStore:
    """Runs and their events in the app's database."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def create_run(
        self,
        *,
        graph: dict[str, Any],
        dataset: dict[str, Any],
        settings: dict[str, Any],
        graph_id: str | None = None,
        graph_version: int | None = None,
        owner: str | None = None,
        status: RunStatus = "queued",
    ) -> dict[str, Any]:
        with session_scope(self.sessions) as s:
            run = Run(
                graph=graph,
                dataset=dataset,
                settings=settings,
                graph_id=graph_id,
                graph_version=graph_version,
                owner=owner,
                status=status,
                metrics={},
            )
            s.add(run)
            s.flush()
            return run_to_dict(run)

    def get_run(self, run_id: str, *, with_graph: bool = True) -> dict[str, Any] | None:
        with session_scope(self.sessions) as s:
            run = s.get(Run, run_id)
            return run_to_dict(run, with_graph=with_graph) if run else None

    def list_runs(
        self, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        with session_scope(self.sessions) as s:
            query = select(Run).order_by(Run.created_at.desc(), Run.id.desc())
            if status:
                query = query.where(Run.status == status)
            rows = s.scalars(query.limit(limit).offset(offset)).all()
            return [run_to_dict(r, with_graph=False) for r in rows]

    def ids_starting_with(self, prefix: str, limit: int) -> list[str]:
        """Ids of runs that start with `prefix` (at most `limit`), in id order."""
        with session_scope(self.sessions) as s:
            query = select(Run.id).where(Run.id.startswith(prefix, autoescape=True))
            return list(s.scalars(query.order_by(Run.id).limit(limit)).all())

    def run_ids_with_status(self, statuses: Iterable[str]) -> list[str]:
        """Ids of runs in the given states, oldest first (first-come order)."""
        with session_scope(self.sessions) as s:
            query = (
                select(Run.id)
                .where(Run.status.in_(list(statuses)))
                .order_by(Run.created_at, Run.id)
            )
            return list(s.scalars(query).all())

    def delete_run(self, run_id: str) -> bool:
        with session_scope(self.sessions) as s:
            s.execute(delete(RunEvent).where(RunEvent.run_id == run_id))
            deleted = cast("CursorResult[Any]", s.execute(delete(Run).where(Run.id == run_id)))
            return deleted.rowcount > 0

    def get_graph_version(
        self, graph_id: str, version: int | None
    ) -> tuple[dict[str, Any], int] | None:
        """A saved graph's version (the latest when `version` is None): (graph, version)."""
        with session_scope(self.sessions) as s:
            if version is None:
                saved = graphs.get_graph(s, graph_id)
                if saved is None:
                    return None
                version = saved.latest_version
            row = graphs.get_version(s, graph_id, version)
            return (row.graph, row.version) if row else None

    def read_events(self, run_id: str, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        with session_scope(self.sessions) as s:
            rows = s.scalars(
                select(RunEvent)
                .where(RunEvent.run_id == run_id, RunEvent.seq > after)
                .order_by(RunEvent.seq)
                .limit(limit)
            ).all()
            return [r.data for r in rows]

    def write_events(
        self, events: list[StoredEvent], run_updates: dict[str, dict[str, Any]]
    ) -> None:
        """Store a batch of events and the runs' new state in one transaction."""
        with session_scope(self.sessions) as s:
            if events:
                s.execute(
                    insert(RunEvent),
                    [
                        {"run_id": e.run_id, "seq": e.seq, "type": e.type, "data": e.data}
                        for e in events
                    ],
                )
            for run_id, values in run_updates.items():
                query = update(Run).where(Run.id == run_id)
                if "last_seq" in values:  # several processes may write one run's events
                    query = query.where(Run.last_seq <= values["last_seq"])
                s.execute(query.values(**values))
