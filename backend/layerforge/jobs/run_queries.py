"""Reading runs for the API: the store's rows, with the event log's newer state where it
has one (the store is written in batches, a little behind the log)."""

from __future__ import annotations

import asyncio
from typing import Any

from layerforge.events.log import EventLog
from layerforge.events.run_state import with_state
from layerforge.store.models import RunStatus
from layerforge.store.runs import RunStore


class RunQueries:
    def __init__(self, store: RunStore, events: EventLog):
        self.store = store
        self.events = events

    async def get(self, run_id: str) -> dict[str, Any] | None:
        fresh = self.events.fresh_states()  # before the store read (see fresh_states)
        row = await asyncio.to_thread(self.store.get_run, run_id)
        if row is None:
            return None
        state = fresh.get(run_id)
        return with_state(row, state) if state else row

    async def matching(self, prefix: str, limit: int = 10) -> list[str]:
        """Ids of runs that start with `prefix` (a short id, as git takes one)."""
        return await asyncio.to_thread(self.store.ids_starting_with, prefix, limit)

    async def list(
        self, status: RunStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        fresh = self.events.fresh_states()
        rows = await asyncio.to_thread(self.store.list_runs, status, limit, offset)
        return [with_state(r, fresh[r["id"]]) if r["id"] in fresh else r for r in rows]
