"""Starts and stops the training runtime (event log, scheduler, WebSocket hub) with the API.

On start, runs a previous server left `starting` or `running` are marked failed
("server restarted": their trainers died with it) and `queued` runs are queued again
in first-come order.
"""

from __future__ import annotations

import asyncio

from layerforge.api.hub import Hub
from layerforge.events.memory import MemoryStoreEventLog
from layerforge.jobs.local import LocalScheduler
from layerforge.settings import Settings
from layerforge.store.db import database_url, sessions_for
from layerforge.store.runs import ACTIVE, RunStore

RESTARTED = {"code": "server_restarted", "message": "the server restarted while the run was active"}


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = RunStore(sessions_for(database_url(settings)))
        self.events = MemoryStoreEventLog(self.store)
        self.scheduler = LocalScheduler(settings, self.store, self.events)
        self.hub = Hub(settings, self.events)

    async def start(self) -> None:
        await self.events.start()
        await self.recover()
        await self.scheduler.start()
        self.hub.start()

    async def recover(self) -> None:
        for run_id in await asyncio.to_thread(self.store.run_ids_with_status, ACTIVE):
            await self.events.append(
                run_id, {"type": "status", "status": "failed", "error": RESTARTED}
            )
        for run_id in await asyncio.to_thread(self.store.run_ids_with_status, ["queued"]):
            self.scheduler.submit(run_id)

    async def stop(self) -> None:
        await self.hub.stop()
        await self.scheduler.stop()
        await self.events.stop()
