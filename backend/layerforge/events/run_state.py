"""The run state machine, pure: what an event does to a run's status, timestamps, last
metrics and error, and which events a run no longer accepts.

Statuses only move forward (queued -> starting -> running -> a terminal one; any of the
first three may end at once). Repeating the current status is accepted (the API and the
scheduler may both say `queued`); a step back is refused, and nothing at all is accepted
after a terminal status. Every event log implementation applies events through here,
and reads and writes a run's state as the store's `runs` columns with `run_state` and
`state_columns`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from layerforge.events.types import (
    BatchEvent,
    EpochEvent,
    ErrorEvent,
    Metrics,
    RunError,
    RunEvent,
    StatusEvent,
)
from layerforge.store.models import RUN_STATUSES, TERMINAL_STATUSES, RunStatus
from layerforge.store.runs import iso

# queued < starting < running < every terminal status (RUN_STATUSES is in that order)
_RANK: dict[RunStatus, int] = {
    status: len(RUN_STATUSES) if status in TERMINAL_STATUSES else rank
    for rank, status in enumerate(RUN_STATUSES)
}


def may_follow(current: RunStatus, new: RunStatus) -> bool:
    """Whether a run in `current` may move to `new`."""
    if current in TERMINAL_STATUSES:
        return False
    return _RANK[new] >= _RANK[current]


@dataclass
class RunState:
    """The columns of a run that its events change."""

    status: RunStatus
    last_seq: int = 0
    metrics: Metrics = field(default_factory=dict)
    error: RunError | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def accepts(self, event: RunEvent) -> bool:
        if isinstance(event, StatusEvent):
            return may_follow(self.status, event.status)
        return not self.terminal

    def apply(self, event: RunEvent) -> None:
        """Update the state for an accepted event that has its seq."""
        assert event.seq is not None, "the event log numbers events before applying them"
        self.last_seq = event.seq
        if isinstance(event, StatusEvent):
            self._apply_status(event)
        elif isinstance(event, (BatchEvent, EpochEvent)):
            self.metrics.update(event.metrics)
        elif isinstance(event, ErrorEvent):
            self.error = RunError(
                code=event.code,
                message=event.message,
                node=event.node,
                epoch=event.epoch,
                batch=event.batch,
            )

    def _apply_status(self, event: StatusEvent) -> None:
        now = datetime.fromtimestamp(event.time, timezone.utc)
        self.status = event.status
        if event.status == "starting" or (event.status == "running" and self.started_at is None):
            self.started_at = now
        if event.status in TERMINAL_STATUSES:
            self.finished_at = now
            if event.error is not None:
                self.error = event.error

    def copy(self) -> RunState:
        return RunState(
            status=self.status,
            last_seq=self.last_seq,
            metrics=dict(self.metrics),
            error=self.error,
            started_at=self.started_at,
            finished_at=self.finished_at,
        )


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def run_state(row: dict[str, Any]) -> RunState:
    """The state-machine view of a stored run (a `run_to_dict` row)."""
    return RunState(
        status=row["status"],
        last_seq=row["last_seq"],
        metrics=dict(row["metrics"] or {}),
        error=RunError.model_validate(row["error"]) if row["error"] else None,
        started_at=_parse_time(row["started_at"]),
        finished_at=_parse_time(row["finished_at"]),
    )


def state_columns(state: RunState) -> dict[str, Any]:
    """The `runs` columns for a state (what `write_events` updates)."""
    return {
        "status": state.status,
        "metrics": dict(state.metrics),
        "error": state.error.model_dump(exclude_none=True) if state.error else None,
        "started_at": state.started_at,
        "finished_at": state.finished_at,
        "last_seq": state.last_seq,
    }


def with_state(row: dict[str, Any], state: RunState) -> dict[str, Any]:
    """A stored run's row updated with a state that is at least as new."""
    if state.last_seq < (row.get("last_seq") or 0):
        return row
    cols = state_columns(state)
    cols["started_at"], cols["finished_at"] = iso(state.started_at), iso(state.finished_at)
    return {**row, **cols}
