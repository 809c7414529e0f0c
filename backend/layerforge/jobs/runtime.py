"""The composition root: the training runtime (store, event log, scheduler, run queries)
with its implementations chosen from settings, started and stopped with the API.

`LAYERFORGE_QUEUE` picks the scheduler (`local`, `dramatiq`) and `LAYERFORGE_EVENTS` the
event log (`memory`, `redis`). On start, `queued` runs are queued again in first-come
order (a worker's claim makes a duplicate harmless). Runs left `starting` or `running`:
with the local scheduler their trainers died with the previous server, so they are
marked failed ("server restarted"); with workers only the runs of workers that stopped
beating are (jobs/heartbeat.py), the others train on.
"""

from __future__ import annotations

import asyncio

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
    if settings.events == "redis":
        from layerforge.events.redis import RedisEventLog

        return RedisEventLog(store, settings.redis_url, maxlen=settings.stream_maxlen)
    return MemoryStoreEventLog(store)


def make_scheduler(settings: Settings, store: RunStore, events: EventLog) -> Scheduler:
    if settings.queue == "dramatiq":
        from layerforge.jobs.dramatiq_queue import DramatiqScheduler

        if settings.events != "redis":  # workers write their runs' events to Redis
            raise ValueError("LAYERFORGE_QUEUE=dramatiq needs LAYERFORGE_EVENTS=redis")

        return DramatiqScheduler(settings, store, events)
    return LocalScheduler(settings, store, events)


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = RunStore(sessions_for(database_url(settings)))
        self.events = make_event_log(settings, self.store)
        self.scheduler = make_scheduler(settings, self.store, self.events)
        self.runs = RunQueries(self.store, self.events)

    async def start(self) -> None:
        await self.events.start()
        await self.recover()
        await self.scheduler.start()

    async def recover(self) -> None:
        """One machine: the runs this process was training died with it, and its queue
        was in memory. The team server's runs live on in their workers and its queue in
        Redis (the reaper handles lost workers and lost messages)."""
        if self.settings.queue != "local":
            return
        active = sorted(ACTIVE_STATUSES)
        for run_id in await asyncio.to_thread(self.store.run_ids_with_status, active):
            await self.events.append(run_id, StatusEvent(status="failed", error=RESTARTED))
        for run_id in await asyncio.to_thread(self.store.run_ids_with_status, ["queued"]):
            self.scheduler.submit(run_id)

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.events.stop()
