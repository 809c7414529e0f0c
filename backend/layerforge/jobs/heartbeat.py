"""Worker liveness: a worker's heartbeat, and the API's reaper of runs whose worker is gone.

A worker writes its row every `heartbeat_s` seconds (host, devices, current runs). An API
process looks every `heartbeat_s` seconds (and once at start) for active runs held by a
worker silent for `worker_lost_s`: a run that trained no batch there and was taken only
once is released and queued again; any other ends `failed` with `worker_lost`, naming
the worker. First, the events the worker put in the run's Redis stream but had not yet
written to the store (a kill -9 between the two) are copied into the store. It also
queues again the runs waiting for a worker (queued, or released) whose message the
queue lost (a Redis restarted without persistence). Several API replicas may reap
together: releasing is a conditional update only one wins, the state machine refuses a
second terminal status, and a second message for a run finds it claimed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from layerforge.events.redis import RedisEventLog
from layerforge.events.types import LogEvent, RunError, StatusEvent
from layerforge.settings import Settings
from layerforge.store.workers import LostRun, WorkerStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2  # the first take, and one more after a worker vanished before training


class Heartbeat:
    """The worker side: beats until stopped, then removes the worker's row."""

    def __init__(
        self,
        settings: Settings,
        workers: WorkerStore,
        worker_id: str,
        devices: Callable[[], list[dict[str, Any]]],
        current_runs: Callable[[], list[str]],
    ):
        self.settings = settings
        self.workers = workers
        self.worker_id = worker_id
        self.devices = devices
        self.current_runs = current_runs
        self.host = socket.gethostname()

    async def beat(self) -> None:
        await asyncio.to_thread(
            self.workers.beat,
            self.worker_id,
            host=self.host,
            pid=os.getpid(),
            devices=self.devices(),
            runs=self.current_runs(),
        )

    async def run(self) -> None:
        while True:
            try:
                await self.beat()
            except Exception:  # the database is back on a later beat
                log.exception("heartbeat of worker %s failed", self.worker_id)
            await asyncio.sleep(self.settings.heartbeat_s)

    async def remove(self) -> None:
        await asyncio.to_thread(self.workers.remove, self.worker_id)


class Reaper:
    """The API side: ends or re-queues the runs of workers that are gone."""

    def __init__(
        self,
        settings: Settings,
        workers: WorkerStore,
        events: RedisEventLog,
        submit: Callable[[str], None],
        requeue_if_lost: Callable[[str], Awaitable[bool]],
    ):
        self.settings = settings
        self.workers = workers
        self.events = events
        self.submit = submit
        self.requeue_if_lost = requeue_if_lost

    async def watch(self) -> None:
        while True:
            try:
                await self.reap()
            except Exception:
                log.exception("looking for lost workers failed")
            await asyncio.sleep(self.settings.heartbeat_s)

    async def reap(self) -> None:
        lost = await asyncio.to_thread(self.workers.lost_runs, self.settings.worker_lost_s)
        for run in lost:
            await self._handle(run)
        waiting = await asyncio.to_thread(self.workers.unclaimed_runs, self.settings.heartbeat_s)
        for run_id in waiting:
            if await self.requeue_if_lost(run_id):
                message = "the queue had lost this run (Redis restarted); it is queued again"
                await self.events.append(run_id, LogEvent(level="warning", message=message))

    async def _handle(self, run: LostRun) -> None:
        state = await self.events.state(run.run_id)
        if state is None or state.terminal:
            return
        copied = await self.events.store_unwritten(run.run_id)
        if copied:
            log.info(
                "run %s: %d events of worker %s stored from Redis", run.run_id, copied, run.worker
            )
        trained = bool(state.metrics) or run.trained
        if not trained and run.attempts < MAX_ATTEMPTS:
            if await asyncio.to_thread(self.workers.release, run.run_id, run.worker):
                message = (
                    f"worker {run.worker} vanished before the first batch; the run is queued again"
                )
                await self.events.append(run.run_id, LogEvent(level="warning", message=message))
                self.submit(run.run_id)
            return
        error = RunError(
            code="worker_lost",
            message=f"worker {run.worker} stopped answering while it held this run",
        )
        await self.events.append(run.run_id, StatusEvent(status="failed", error=error))
