"""The composition root: the training runtime (store, event log, scheduler, WebSocket
hub, run queries) with its implementations chosen from settings, started and stopped
with the API.

`LAYERFORGE_QUEUE` picks the scheduler and `LAYERFORGE_EVENTS` the event log (only
`local` and `memory` exist so far). On start, runs a previous server left `starting` or
`running` are marked failed ("server restarted": their trainers died with it) and
`queued` runs are queued again in first-come order.
"""

from __future__ import annotations

import asyncio

from layerforge.api.hub import Hub
from layerforge.events.log import EventLog
from layerforge.events.memory import MemoryStoreEventLog
from layerforge.events.types import ACTIVE_STATUSES, RunError, StatusEvent
from layerforge.jobs.local import LocalScheduler
from layerforge.jobs.run_queries import RunQueries
from layerforge.jobs.scheduler import Scheduler
from layerforge.settings import Settings
from layerforge.store.db import database_url, sessions_for
from layerforge.store.runs import RunStore

RESTARTED = RunError(
    code="server_restarted", message="the server restarted while the run was active"
)


def make_event_log(settings: Settings, store: RunStore) -> EventLog:
    if settings.events == "memory":
        return MemoryStoreEventLog(store)
    raise ValueError(f"unknown event log {settings.events!r}")  # pragma: no cover


def make_scheduler(settings: Settings, store: RunStore, events: EventLog) -> Scheduler:
    if settings.queue == "local":
        return LocalScheduler(settings, store, events)
    raise ValueError(f"unknown queue {settings.queue!r}")  # pragma: no cover


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = RunStore(sessions_for(database_url(settings)))
        self.events = make_event_log(settings, self.store)
        self.scheduler = make_scheduler(settings, self.store, self.events)
        self.runs = RunQueries(self.store, self.events)
        self.hub = Hub(settings, self.events)

    async def start(self) -> None:
        await self.events.start()
        await self.recover()
        await self.scheduler.start()
        self.hub.start()

    async def recover(self) -> None:
        active = sorted(ACTIVE_STATUSES)
        for run_id in await asyncio.to_thread(self.store.run_ids_with_status, active):
            await self.events.append(run_id, StatusEvent(status="failed", error=RESTARTED))
        for run_id in await asyncio.to_thread(self.store.run_ids_with_status, ["queued"]):
            self.scheduler.submit(run_id)

    async def stop(self) -> None:
        await self.hub.stop()
        await self.scheduler.stop()
        await self.events.stop()
