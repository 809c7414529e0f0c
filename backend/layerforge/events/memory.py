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
from typing import Any

from layerforge.events.log import Event, Subscription
from layerforge.events.run_state import RunState
from layerforge.events.types import (
    RUN_EVENT,
    RunDeleted,
    RunEvent,
    RunStatusChange,
    StatusEvent,
)
from layerforge.store.runs import RunStore, StoredEvent, run_state, state_columns

log = logging.getLogger(__name__)

PROMPT_TYPES = frozenset({"status", "epoch", "error", "artifact"})


class _Run:
    """A run held in memory: its state, its recent events and its subscribers."""

    __slots__ = ("run_id", "state", "stored_seq", "recent", "subscribers")

    def __init__(self, run_id: str, state: RunState):
        self.run_id = run_id
        self.state = state
        self.stored_seq = state.last_seq
        self.recent: deque[Event] = deque()
        self.subscribers: set[Subscription] = set()


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
        self._runs: dict[str, _Run] = {}
        self._load_lock = asyncio.Lock()
        self._pending: list[StoredEvent] = []
        self._dirty: set[str] = set()
        self._has_pending = asyncio.Event()
        self._prompt = asyncio.Event()
        self._status_subs: set[Subscription] = set()
        self._flusher: asyncio.Task[None] | None = None
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
        for run in list(self._runs.values()):
            for sub in list(run.subscribers):
                sub.close()
        for sub in list(self._status_subs):
            sub.close()

    # -- state -----------------------------------------------------------------------
    async def _run(self, run_id: str) -> _Run:
        run = self._runs.get(run_id)
        if run is not None:
            return run
        async with self._load_lock:
            run = self._runs.get(run_id)
            if run is None:
                row = await asyncio.to_thread(self.store.get_run, run_id, with_graph=False)
                if row is None:
                    raise KeyError(run_id)
                run = self._runs[run_id] = _Run(run_id, run_state(row))
            return run

    async def state(self, run_id: str) -> RunState | None:
        try:
            return (await self._run(run_id)).state.copy()
        except KeyError:
            return None

    def fresh_states(self) -> dict[str, RunState]:
        return {rid: run.state.copy() for rid, run in self._runs.items()}

    # -- writing ---------------------------------------------------------------------
    async def append(self, run_id: str, event: RunEvent) -> Event | None:
        run = await self._run(run_id)
        if not run.state.accepts(event):
            return None
        event = event.model_copy(update={"seq": run.state.last_seq + 1})
        run.state.apply(event)
        ev = Event(event)
        run.recent.append(ev)
        for sub in list(run.subscribers):
            sub.offer(ev)
        self._pending.append(
            StoredEvent(run_id=run_id, seq=run.state.last_seq, type=event.type, data=ev.data)
        )
        self._dirty.add(run_id)
        self._has_pending.set()
        if event.type in PROMPT_TYPES or len(self._pending) >= self.flush_max:
            self._prompt.set()
        if isinstance(event, StatusEvent):
            self._publish_status(run, event)
        return ev

    def _publish_status(self, run: _Run, event: StatusEvent) -> None:
        assert event.seq is not None
        ended = run.state.terminal
        self._publish(
            RunStatusChange(
                run_id=run.run_id,
                status=event.status,
                seq=event.seq,
                time=event.time,
                error=run.state.error if ended else None,
                metrics=dict(run.state.metrics) if ended else None,
            )
        )

    def _publish(self, message: RunStatusChange | RunDeleted) -> None:
        """Send a message to every all-runs feed subscriber."""
        ev = Event(message)
        for sub in list(self._status_subs):
            sub.offer(ev)

    async def forget(self, run_id: str) -> None:
        async with self._flush_lock:
            self._pending = [e for e in self._pending if e.run_id != run_id]
            self._dirty.discard(run_id)
            run = self._runs.pop(run_id, None)
        if run:
            for sub in list(run.subscribers):
                sub.close()
        self._publish(RunDeleted(run_id=run_id, time=time.time()))

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
            updates = {
                rid: state_columns(self._runs[rid].state) for rid in dirty if rid in self._runs
            }
            try:
                await asyncio.to_thread(self.store.write_events, batch, updates)
            except Exception:
                await self._write_each_run(batch, updates)
            for rid in dirty:
                run = self._runs.get(rid)
                if run is None:
                    continue
                run.stored_seq = max(
                    [e.seq for e in batch if e.run_id == rid], default=run.stored_seq
                )
                self._trim(run)

    async def _write_each_run(
        self, batch: list[StoredEvent], updates: dict[str, dict[str, Any]]
    ) -> None:
        """A batch failed (a run deleted meanwhile?): write run by run, so one bad run
        cannot lose the others' events."""
        for rid, cols in updates.items():
            events = [e for e in batch if e.run_id == rid]
            try:
                await asyncio.to_thread(self.store.write_events, events, {rid: cols})
            except Exception:
                log.exception("could not store %d events of run %s", len(events), rid)

    def _trim(self, run: _Run) -> None:
        while len(run.recent) > self.keep_recent and (run.recent[0].seq or 0) <= run.stored_seq:
            run.recent.popleft()
        self._maybe_drop(run)

    def _maybe_drop(self, run: _Run) -> None:
        """Forget a finished run once the store has all of it and nobody listens."""
        if (
            run.state.terminal
            and not run.subscribers
            and run.stored_seq == run.state.last_seq
            and self._runs.get(run.run_id) is run
        ):
            del self._runs[run.run_id]

    # -- reading ---------------------------------------------------------------------
    async def _collect(self, run: _Run, after: int, limit: int) -> list[Event]:
        """Events after `after`: from the store up to where memory starts, then memory."""
        out: list[Event] = []
        last = after
        while len(out) < limit:
            recent = list(run.recent)
            first_in_memory = (recent[0].seq or 0) if recent else run.state.last_seq + 1
            if last + 1 >= first_in_memory:
                out.extend(e for e in recent if (e.seq or 0) > last)
                break
            want = min(first_in_memory - 1 - last, limit - len(out))
            rows = await asyncio.to_thread(self.store.read_events, run.run_id, last, want)
            if not rows:
                log.error("run %s: events %d.. missing from the store", run.run_id, last + 1)
                break
            out.extend(Event(RUN_EVENT.validate_python(r)) for r in rows)
            last = out[-1].seq or last
        return out[:limit]

    async def read(self, run_id: str, after: int = 0, limit: int = 1000) -> list[RunEvent]:
        run = await self._run(run_id)
        events: list[RunEvent] = [
            e.message  # type: ignore[misc]  # a run's log holds run events only
            for e in await self._collect(run, after, limit)
        ]
        self._maybe_drop(run)
        return events

    async def subscribe(self, run_id: str, after: int = 0, maxsize: int = 1000) -> Subscription:
        run = await self._run(run_id)

        def unsubscribe() -> None:
            run.subscribers.discard(sub)
            self._maybe_drop(run)

        sub = Subscription(maxsize, after, on_close=unsubscribe)
        run.subscribers.add(sub)  # before reading: anything newer lands in its queue
        sub.replay(await self._collect(run, after, 10**9))
        if run.state.terminal:
            sub.finished = True
        return sub

    def subscribe_status(self, maxsize: int = 1000) -> Subscription:
        sub = Subscription(maxsize, None, on_close=lambda: self._status_subs.discard(sub))
        self._status_subs.add(sub)
        return sub
