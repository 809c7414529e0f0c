"""Events on their way to the store, written in batches by a background task.

One transaction every `interval` seconds or `max_batch` events, and at once for the
events that matter to a reader of the run row (status, epoch, error, artifact). The
same transaction updates each run's row from its newest state, so the stored
`last_seq` always matches the stored events.
"""

from __future__ import annotations

import asyncio
import logging

from layerforge.events.run_state import RunState, state_columns
from layerforge.store.failures import write_failure
from layerforge.store.runs import RunStore, StoredEvent

log = logging.getLogger(__name__)

PROMPT_TYPES = frozenset({"status", "epoch", "error", "artifact"})
RETRY_S = 1.0
"""How long to wait after the store refused a batch before trying again."""


class StoreWriter:
    def __init__(self, store: RunStore, *, interval: float = 0.1, max_batch: int = 500):
        self.store = store
        self.interval = interval
        self.max_batch = max_batch
        self._events: list[StoredEvent] = []
        self._states: dict[str, RunState] = {}
        self._waiting = asyncio.Event()
        self._prompt = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def add(self, event: StoredEvent, state: RunState) -> None:
        """Queue an event and the run's state after it."""
        self._events.append(event)
        self._states[event.run_id] = state
        self._waiting.set()
        if event.type in PROMPT_TYPES or len(self._events) >= self.max_batch:
            self._prompt.set()

    def drop(self, run_id: str) -> None:
        """Forget what is pending for a deleted run."""
        self._events = [e for e in self._events if e.run_id != run_id]
        self._states.pop(run_id, None)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="store-writer")

    async def stop(self) -> None:
        self._stopping = True
        self._waiting.set()
        self._prompt.set()
        if self._task:
            await self._task
            self._task = None
        await self.flush()

    async def _loop(self) -> None:
        while not self._stopping:
            await self._waiting.wait()
            try:
                await asyncio.wait_for(self._prompt.wait(), self.interval)
            except asyncio.TimeoutError:
                pass
            try:
                await self.flush()
            except Exception:  # kept for the next try; wait a little before it
                log.exception("writing events to the store failed")
                await asyncio.sleep(RETRY_S)

    async def flush(self) -> None:
        async with self._lock:
            self._waiting.clear()
            self._prompt.clear()
            if not self._events and not self._states:
                return
            events, self._events = self._events, []
            states, self._states = self._states, {}
            updates = {rid: state_columns(state) for rid, state in states.items()}
            try:
                await asyncio.to_thread(self.store.write_events, events, updates)
            except Exception:
                await self._write_run_by_run(events, states)

    async def _write_run_by_run(
        self, events: list[StoredEvent], states: dict[str, RunState]
    ) -> None:
        """The batch failed: one bad run (deleted meanwhile) must not lose the others'
        events; a run whose write failed because the store did (a full disk, a lost
        database) keeps its events queued, in order, for the next flush."""
        failure: BaseException | None = None
        for rid, state in states.items():
            mine = [e for e in events if e.run_id == rid]
            try:
                await asyncio.to_thread(self.store.write_events, mine, {rid: state_columns(state)})
            except Exception as exc:
                if write_failure(exc) is None:
                    log.exception("could not store %d events of run %s", len(mine), rid)
                    continue
                failure = exc
                self._events[:0] = mine
                self._states.setdefault(rid, state)  # a newer state queued meanwhile wins
        if failure is not None:
            self._waiting.set()
            raise failure
