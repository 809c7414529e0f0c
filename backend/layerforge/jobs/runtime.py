"""The composition root: the training runtime (store, event log, scheduler, run queries)
with its implementations chosen from settings, started and stopped with the API.

`LAYERFORGE_QUEUE` picks the scheduler (`local`, `dramatiq`) and `LAYERFORGE_EVENTS` the
event log (`memory`, `redis`). What a restart leaves behind is each scheduler's own
business, in its `start()`: the local one fails the runs that died with the last server
and queues its queued runs again; with workers, runs train on, and the reaper
(jobs/heartbeat.py) handles lost workers and lost queue messages.
"""

from __future__ import annotations

from layerforge.events.log import EventLog
from layerforge.events.memory import MemoryStoreEventLog
from layerforge.jobs.local import LocalScheduler
from layerforge.jobs.run_queries import RunQueries
from layerforge.jobs.scheduler import Scheduler
from layerforge.settings import Settings
from layerforge.store.db import database_url, sessions_for
from layerforge.store.runs import RunStore


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
        await self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.events.stop()
