"""Events on their way to the store, written in batches by a background task.

One transaction every `interval` seconds or `max_batch` events, and at once for the
events that matter to a reader of the run row (status, epoch, error, artifact). The
same transaction updates each run's row from its newest state, so the stored
`last_seq` always matches the stored events.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from layerforge.events.run_state import RunState
from layerforge.store.runs import RunStore, StoredEvent, state_columns

log = logging.getLogger(__name__)

PROMPT_TYPES = frozenset({"status", "epoch", "error", "artifact"})


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
            except Exception:  # later batches still get written; this one is logged
                log.exception("writing events to the store failed")

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
                await self._write_run_by_run(events, updates)

    async def _write_run_by_run(
        self, events: list[StoredEvent], updates: dict[str, dict[str, Any]]
    ) -> None:
        """The batch failed (a run deleted meanwhile?): one run's failure must not lose
        the others' events."""
        for rid, columns in updates.items():
            mine = [e for e in events if e.run_id == rid]
            try:
                await asyncio.to_thread(self.store.write_events, mine, {rid: columns})
            except Exception:
                log.exception("could not store %d events of run %s", len(mine), rid)
