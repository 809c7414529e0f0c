"""The one-machine event log: recent events in memory, written to the store in batches.

Appending is synchronous fan-out to subscribers (no store round trip on the path to a
WebSocket), then the event waits for the flusher: one transaction every
`flush_interval` seconds or `flush_max` events, and at once for status, epoch, error
and artifact events. The same transaction updates the run row (status, timestamps,
last value per metric, last_seq, error), so the stored `last_seq` always matches the
stored events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any

from layerforge.events.log import TERMINAL_STATUSES, Event, Subscription, finite
from layerforge.store.runs import RunStore, iso

log = logging.getLogger(__name__)

PROMPT_TYPES = frozenset({"status", "epoch", "error", "artifact"})


class _RunState:
    __slots__ = (
        "run_id",
        "next_seq",
        "stored_seq",
        "status",
        "metrics",
        "error",
        "started_at",
        "finished_at",
        "recent",
        "subscribers",
    )

    def __init__(self, run: dict[str, Any]):
        self.run_id: str = run["id"]
        self.next_seq: int = run["last_seq"] + 1
        self.stored_seq: int = run["last_seq"]
        self.status: str = run["status"]
        self.metrics: dict[str, Any] = dict(run["metrics"] or {})
        self.error: dict[str, Any] | None = run["error"]
        self.started_at: datetime | None = _parse(run["started_at"])
        self.finished_at: datetime | None = _parse(run["finished_at"])
        self.recent: deque[Event] = deque()
        self.subscribers: set[Subscription] = set()

    def columns(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "metrics": dict(self.metrics),
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "last_seq": self.next_seq - 1,
        }


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class MemoryStoreEventLog:
    def __init__(
        self,
        store: RunStore,
        *,
        flush_interval: float = 0.1,
        flush_max: int = 500,
        keep_recent: int = 1000,
    ):
        self.store = store
        self.flush_interval = flush_interval
        self.flush_max = flush_max
        self.keep_recent = keep_recent
        self._runs: dict[str, _RunState] = {}
        self._load_lock = asyncio.Lock()
        self._pending: list[dict[str, Any]] = []
        self._dirty: set[str] = set()
        self._has_pending = asyncio.Event()
        self._prompt = asyncio.Event()
        self._status_subs: set[Subscription] = set()
        self._flusher: asyncio.Task | None = None
        self._stopping = False
        self._flush_lock = asyncio.Lock()

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        self._flusher = asyncio.create_task(self._flush_loop(), name="event-log-flusher")

    async def stop(self) -> None:
        self._stopping = True
        self._has_pending.set()
        self._prompt.set()
        if self._flusher:
            await self._flusher  # lets a write in progress finish
            self._flusher = None
        await self.flush()
        for state in list(self._runs.values()):
            for sub in list(state.subscribers):
                sub.close()
        for sub in list(self._status_subs):
            sub.close()

    # -- state -----------------------------------------------------------------------
    async def _state(self, run_id: str) -> _RunState:
        state = self._runs.get(run_id)
        if state is not None:
            return state
        async with self._load_lock:
            state = self._runs.get(run_id)
            if state is None:
                run = await asyncio.to_thread(self.store.get_run, run_id, with_graph=False)
                if run is None:
                    raise KeyError(run_id)
                state = self._runs[run_id] = _RunState(run)
            return state

    async def status(self, run_id: str) -> str | None:
        try:
            return (await self._state(run_id)).status
        except KeyError:
            return None

    def live(self) -> dict[str, dict[str, Any]]:
        return {rid: state.columns() for rid, state in self._runs.items()}

    def overlay(self, run: dict[str, Any], live: dict[str, dict[str, Any]]) -> dict[str, Any]:
        cols = live.get(run["id"])
        if cols is None or cols["last_seq"] < (run.get("last_seq") or 0):
            return run
        cols = dict(cols)
        for key in ("started_at", "finished_at"):
            cols[key] = iso(cols[key])
        return {**run, **cols}

    # -- writing ---------------------------------------------------------------------
    async def append(self, run_id: str, event: dict[str, Any]) -> Event | None:
        state = await self._state(run_id)
        if state.status in TERMINAL_STATUSES:
            return None  # nothing follows a terminal status
        data = finite(event)
        data.setdefault("time", time.time())
        kind = data.get("type")
        if kind == "status":
            self._apply_status(state, data)
        elif kind in ("batch", "epoch"):
            state.metrics.update(data.get("metrics") or {})
        elif kind == "error":
            state.error = {k: data.get(k) for k in ("code", "message", "node", "epoch", "batch")}
        data = {"seq": state.next_seq, **{k: v for k, v in data.items() if k != "seq"}}
        ev = Event(state.next_seq, data)
        state.next_seq += 1
        state.recent.append(ev)
        for sub in list(state.subscribers):
            sub.offer(ev)
        self._pending.append({"run_id": run_id, "seq": ev.seq, "type": kind, "data": data})
        self._dirty.add(run_id)
        self._has_pending.set()
        if kind in PROMPT_TYPES or len(self._pending) >= self.flush_max:
            self._prompt.set()
        if kind == "status":
            self._publish_status(state, data)
        return ev

    def _apply_status(self, state: _RunState, data: dict[str, Any]) -> None:
        status = data["status"]
        now = datetime.fromtimestamp(data["time"], timezone.utc)
        state.status = status
        if status == "starting" or (status == "running" and state.started_at is None):
            state.started_at = now
        if status in TERMINAL_STATUSES:
            state.finished_at = now
            if data.get("error"):
                state.error = data["error"]

    def _publish_status(self, state: _RunState, data: dict[str, Any]) -> None:
        feed = {
            "type": "status",
            "run_id": state.run_id,
            "status": data["status"],
            "seq": data["seq"],
            "time": data["time"],
        }
        if state.status in TERMINAL_STATUSES:
            feed["error"] = state.error
            feed["metrics"] = dict(state.metrics)
        self.publish(feed)

    def publish(self, feed_event: dict[str, Any]) -> None:
        """Send an event to every all-runs status subscriber."""
        ev = Event(None, feed_event)
        for sub in list(self._status_subs):
            sub.offer(ev)

    async def forget(self, run_id: str) -> None:
        async with self._flush_lock:
            self._pending = [e for e in self._pending if e["run_id"] != run_id]
            self._dirty.discard(run_id)
            state = self._runs.pop(run_id, None)
        if state:
            for sub in list(state.subscribers):
                sub.close()
        self.publish({"type": "deleted", "run_id": run_id, "time": time.time()})

    # -- flushing --------------------------------------------------------------------
    async def _flush_loop(self) -> None:
        while not self._stopping:
            await self._has_pending.wait()
            try:
                await asyncio.wait_for(self._prompt.wait(), self.flush_interval)
            except asyncio.TimeoutError:
                pass
            try:
                await self.flush()
            except Exception:  # keep flushing later batches; this one is logged
                log.exception("event log flush failed")

    async def flush(self) -> None:
        async with self._flush_lock:
            self._prompt.clear()
            self._has_pending.clear()
            if not self._pending and not self._dirty:
                return
            batch, self._pending = self._pending, []
            dirty, self._dirty = self._dirty, set()
            updates = {rid: self._runs[rid].columns() for rid in dirty if rid in self._runs}
            try:
                await asyncio.to_thread(self.store.write_events, batch, updates)
            except Exception:
                await self._write_each_run(batch, updates)
            for rid in dirty:
                state = self._runs.get(rid)
                if state is None:
                    continue
                state.stored_seq = max(
                    [e["seq"] for e in batch if e["run_id"] == rid], default=state.stored_seq
                )
                self._trim(state)

    async def _write_each_run(self, batch: list[dict], updates: dict[str, dict]) -> None:
        """A batch failed (a run deleted meanwhile?): write run by run, so one bad run
        cannot lose the others' events."""
        for rid, cols in updates.items():
            events = [e for e in batch if e["run_id"] == rid]
            try:
                await asyncio.to_thread(self.store.write_events, events, {rid: cols})
            except Exception:
                log.exception("could not store %d events of run %s", len(events), rid)

    def _trim(self, state: _RunState) -> None:
        while len(state.recent) > self.keep_recent and state.recent[0].seq <= state.stored_seq:
            state.recent.popleft()
        self._maybe_drop(state)

    def _maybe_drop(self, state: _RunState) -> None:
        """Forget a finished run once the store has all of it and nobody listens."""
        if (
            state.status in TERMINAL_STATUSES
            and not state.subscribers
            and state.stored_seq == state.next_seq - 1
            and self._runs.get(state.run_id) is state
        ):
            del self._runs[state.run_id]

    # -- reading ---------------------------------------------------------------------
    async def _collect(self, state: _RunState, after: int, limit: int) -> list[Event]:
        """Events after `after`: from the store up to where memory starts, then memory."""
        out: list[Event] = []
        last = after
        while len(out) < limit:
            recent = list(state.recent)
            first_in_memory = recent[0].seq if recent else state.next_seq
            if last + 1 >= first_in_memory:
                out.extend(e for e in recent if e.seq > last)
                break
            want = min(first_in_memory - 1 - last, limit - len(out))
            rows = await asyncio.to_thread(self.store.read_events, state.run_id, last, want)
            if not rows:
                log.error("run %s: events %d.. missing from the store", state.run_id, last + 1)
                break
            out.extend(Event(r["seq"], r) for r in rows)
            last = rows[-1]["seq"]
        return out[:limit]

    async def read(self, run_id: str, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        state = await self._state(run_id)
        events = [e.data for e in await self._collect(state, after, limit)]
        self._maybe_drop(state)
        return events

    async def subscribe(self, run_id: str, after: int = 0, maxsize: int = 1000) -> Subscription:
        state = await self._state(run_id)

        def unsubscribe() -> None:
            state.subscribers.discard(sub)
            self._maybe_drop(state)

        sub = Subscription(maxsize, after, on_close=unsubscribe)
        state.subscribers.add(sub)  # before reading: anything newer lands in its queue
        sub.replay(await self._collect(state, after, 10**9))
        if state.status in TERMINAL_STATUSES:
            sub.finished = True
        return sub

    def subscribe_status(self, maxsize: int = 1000) -> Subscription:
        sub = Subscription(maxsize, None, on_close=lambda: self._status_subs.discard(sub))
        self._status_subs.add(sub)
        return sub
