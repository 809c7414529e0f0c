"""Workers and which run each holds (synchronous; callers run them in a thread).

A worker claims a run in its row (`runs.worker`) before it starts a trainer, so two
workers handed the same run (a duplicate queue message) never both run it. Heartbeats
say a worker is alive; a run whose worker stopped beating is lost (`lost_runs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from layerforge.store.db import session_scope
from layerforge.store.models import ACTIVE_STATUSES, Run, Worker, utcnow


@dataclass(frozen=True)
class LostRun:
    run_id: str
    worker: str
    attempts: int
    trained: bool  # it had metrics: a batch ended on the lost worker


class WorkerStore:
    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def beat(
        self, worker_id: str, *, host: str, pid: int, devices: list[Any], runs: list[str]
    ) -> None:
        """Record that the worker is alive, with its devices and current runs."""
        with session_scope(self.sessions) as s:
            row = s.get(Worker, worker_id)
            if row is None:
                s.add(Worker(id=worker_id, host=host, pid=pid, devices=devices, run_ids=runs))
            else:
                row.devices, row.run_ids, row.last_seen = devices, runs, utcnow()

    def remove(self, worker_id: str) -> None:
        with session_scope(self.sessions) as s:
            s.execute(delete(Worker).where(Worker.id == worker_id))

    def list_workers(self, seen_within_s: float) -> list[dict[str, Any]]:
        """Workers heard from in the last `seen_within_s` seconds, by host then id."""
        since = utcnow() - timedelta(seconds=seen_within_s)
        with session_scope(self.sessions) as s:
            rows = s.scalars(
                select(Worker).where(Worker.last_seen >= since).order_by(Worker.host, Worker.id)
            ).all()
            return [
                {
                    "id": w.id,
                    "host": w.host,
                    "pid": w.pid,
                    "devices": w.devices,
                    "run_ids": list(w.run_ids),
                    "started_at": w.started_at,
                    "last_seen": w.last_seen,
                }
                for w in rows
            ]

    def claim(self, run_id: str, worker_id: str) -> bool:
        """Take an active run nobody holds; False when another worker has it or it ended."""
        with session_scope(self.sessions) as s:
            taken = s.execute(
                update(Run)
                .where(
                    Run.id == run_id,
                    Run.worker.is_(None),
                    Run.status.in_(["queued", *ACTIVE_STATUSES]),
                )
                .values(worker=worker_id, attempts=Run.attempts + 1)
            )
            return cast(CursorResult[Any], taken).rowcount == 1

    def release(self, run_id: str, worker_id: str) -> bool:
        """Let go of a run `worker_id` held (to queue it again); False when it did not hold
        it (another API process released it first)."""
        with session_scope(self.sessions) as s:
            freed = s.execute(
                update(Run).where(Run.id == run_id, Run.worker == worker_id).values(worker=None)
            )
            return cast(CursorResult[Any], freed).rowcount == 1

    def lost_runs(self, lost_after_s: float) -> list[LostRun]:
        """Active runs held by a worker silent for `lost_after_s` seconds or with no row."""
        cutoff: datetime = utcnow() - timedelta(seconds=lost_after_s)
        with session_scope(self.sessions) as s:
            rows = s.execute(
                select(Run.id, Run.worker, Run.attempts, Run.metrics)
                .outerjoin(Worker, Worker.id == Run.worker)
                .where(
                    Run.status.in_(sorted(ACTIVE_STATUSES)),
                    Run.worker.is_not(None),
                    or_(Worker.id.is_(None), Worker.last_seen < cutoff),
                )
                .order_by(Run.created_at)
            ).all()
            return [
                LostRun(run_id=r.id, worker=r.worker, attempts=r.attempts, trained=bool(r.metrics))
                for r in rows
            ]

    def unclaimed_runs(self, older_than_s: float) -> list[str]:
        """Runs waiting for a worker, made at least `older_than_s` seconds ago: queued,
        or released after their worker vanished (still `starting`, held by nobody)."""
        cutoff = utcnow() - timedelta(seconds=older_than_s)
        with session_scope(self.sessions) as s:
            return list(
                s.scalars(
                    select(Run.id)
                    .where(
                        Run.status.in_(["queued", *ACTIVE_STATUSES]),
                        Run.worker.is_(None),
                        Run.created_at < cutoff,
                    )
                    .order_by(Run.created_at)
                )
            )
