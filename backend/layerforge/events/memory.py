"""The one-machine event log: recent events in memory, written to the store by group commit.

A seq is assigned once, forever: an appended event is applied to the run's state at once
(so the next append is checked against it) but reaches no reader until it is stored.
The flusher commits whatever is pending in one transaction as soon as there is any
(events appended while a commit is under way go in the next one), and only then fans
the batch out to subscribers and to memory for readers. So every event a client ever
saw is in the store with the same seq, and a server that dies loses only events nobody
saw; the next server numbers after the stored `last_seq`. The same transaction updates
the run row (status, timestamps, last value per metric, last_seq, error).

A status event's append returns only once it is stored, so whoever changed a run's
status (a cancel over REST, the trainer's end) reads it back at once; when the store
cannot take it (a full disk, a lost database) the append raises that error, and the
events stay queued, in order, until the store takes them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from layerforge.events.log import Event, Subscription
from layerforge.events.run_state import RunState, run_state, state_columns
from layerforge.events.types import RUN_EVENT, RunDeleted, RunEvent, RunStatusChange, StatusEvent
from layerforge.store.failures import write_failure
from layerforge.store.models import TERMINAL_STATUSES
from layerforge.store.runs import RunStore, StoredEvent

log = logging.getLogger(__name__)

RETRY_S = 1.0
"""How long the flusher waits after the store refused a batch before trying again."""


@dataclass(frozen=True)
class _Pending:
    stored: StoredEvent
    event: Event


class _Run:
    """A run held in memory: its state (with pending events applied), the state as
    stored, its recent stored events and its subscribers."""

    __slots__ = ("run_id", "state", "stored", "recent", "subscribers")

    def __init__(self, run_id: str, state: RunState):
        self.run_id = run_id
        self.state = state
        self.stored = state.copy()
        self.recent: deque[Event] = deque()
        self.subscribers: set[Subscription] = set()


class MemoryStoreEventLog:
    def __init__(
        self,
        store: RunStore,
        *,
        keep_recent: int = 1000,
    ):
        self.store = store
        self.keep_recent = keep_recent
        self._runs: dict[str, _Run] = {}
        self._load_lock = asyncio.Lock()
        self._pending: list[_Pending] = []
        self._dirty: set[str] = set()
        self._has_pending = asyncio.Event()
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
        return {rid: run.stored.copy() for rid, run in self._runs.items()}

    # -- writing ---------------------------------------------------------------------
    async def append(self, run_id: str, event: RunEvent) -> Event | None:
        run = await self._run(run_id)
        if not run.state.accepts(event):
            return None
        event = event.model_copy(update={"seq": run.state.last_seq + 1})
        run.state.apply(event)
        ev = Event(event)
        stored = StoredEvent(run_id=run_id, seq=run.state.last_seq, type=event.type, data=ev.data)
        self._pending.append(_Pending(stored, ev))
        self._dirty.add(run_id)
        self._has_pending.set()
        if isinstance(event, StatusEvent):
            await self.flush()  # a status change is stored before its caller goes on
        return ev

    def _deliver(self, run: _Run, ev: Event) -> None:
        """Show a stored event: to memory for readers, then to subscribers."""
        run.recent.append(ev)
        for sub in list(run.subscribers):
            sub.offer(ev)
        if isinstance(ev.message, StatusEvent):
            self._publish_status(run, ev.message)

    def _publish_status(self, run: _Run, event: StatusEvent) -> None:
        assert event.seq is not None
        ended = event.status in TERMINAL_STATUSES
        self._publish(
            RunStatusChange(
                run_id=run.run_id,
                status=event.status,
                seq=event.seq,
                time=event.time,
                error=run.stored.error if ended else None,
                metrics=dict(run.stored.metrics) if ended else None,
            )
        )

    def _publish(self, message: RunStatusChange | RunDeleted) -> None:
        """Send a message to every all-runs feed subscriber."""
        ev = Event(message)
        for sub in list(self._status_subs):
            sub.offer(ev)

    async def forget(self, run_id: str) -> None:
        async with self._flush_lock:
            self._pending = [p for p in self._pending if p.stored.run_id != run_id]
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
                await self.flush()
            except Exception:  # kept for the next try; wait a little before it
                log.exception("event log flush failed")
                await asyncio.sleep(RETRY_S)

    async def flush(self) -> None:
        async with self._flush_lock:
            self._has_pending.clear()
            if not self._pending and not self._dirty:
                return
            batch, self._pending = self._pending, []
            dirty, self._dirty = self._dirty, set()
            states = {rid: self._runs[rid].state.copy() for rid in dirty if rid in self._runs}
            events = [p.stored for p in batch]
            updates = {rid: state_columns(state) for rid, state in states.items()}
            failure: BaseException | None = None
            try:
                await asyncio.to_thread(self.store.write_events, events, updates)
                written = set(states)
            except Exception:
                written, waiting, failure = await self._write_each_run(events, updates)
                self._keep_for_later(batch, waiting)
            for rid in written:
                run = self._runs.get(rid)
                if run is not None:
                    run.stored = states[rid]
            for p in batch:
                run = self._runs.get(p.stored.run_id)
                if run is not None and p.stored.run_id in written:
                    self._deliver(run, p.event)
            for rid in written:
                run = self._runs.get(rid)
                if run is not None:
                    self._trim(run)
            if failure is not None:
                raise failure

    def _keep_for_later(self, batch: list[_Pending], waiting: set[str]) -> None:
        """The store could not take these runs' events (a full disk, a lost database):
        they go back to the head of the queue, in order, for the next flush."""
        if waiting:
            self._pending = [p for p in batch if p.stored.run_id in waiting] + self._pending
            self._dirty |= waiting
            self._has_pending.set()

    async def _write_each_run(
        self, batch: list[StoredEvent], updates: dict[str, dict[str, Any]]
    ) -> tuple[set[str], set[str], BaseException | None]:
        """A batch failed: write run by run, so one bad run (deleted meanwhile) cannot
        lose the others' events. Returns the runs written; the runs that wait, because
        the store itself failed (a full disk, a lost database); and that failure. A bad
        run's events are dropped."""
        written: set[str] = set()
        waiting: set[str] = set()
        failure: BaseException | None = None
        for rid, cols in updates.items():
            events = [e for e in batch if e.run_id == rid]
            try:
                await asyncio.to_thread(self.store.write_events, events, {rid: cols})
                written.add(rid)
            except Exception as exc:
                if write_failure(exc) is None:
                    log.exception("could not store %d events of run %s", len(events), rid)
                    continue
                failure = exc
                waiting.add(rid)
                log.warning("run %s: %d events wait for the store: %s", rid, len(events), exc)
        return written, waiting, failure

    def _trim(self, run: _Run) -> None:
        while len(run.recent) > self.keep_recent:
            run.recent.popleft()
        self._maybe_drop(run)

    def _maybe_drop(self, run: _Run) -> None:
        """Forget a finished run once the store has all of it and nobody listens."""
        if (
            run.state.terminal
            and not run.subscribers
            and run.stored.last_seq == run.state.last_seq
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
            first_in_memory = (recent[0].seq or 0) if recent else run.stored.last_seq + 1
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
        if run.stored.terminal:  # its terminal status is in the replay
            sub.finished = True
        return sub

    def subscribe_status(self, maxsize: int = 1000) -> Subscription:
        sub = Subscription(maxsize, None, on_close=lambda: self._status_subs.discard(sub))
        self._status_subs.add(sub)
        return sub
