"""The team server's scheduler: runs go to `layerforge worker` processes through Dramatiq
on Redis.

The API enqueues only the run id; the run's row is the source of truth (a worker claims
it there before starting a trainer, so a duplicate message is harmless). Dramatiq's own
retries, time limits and age limits are off (no middleware): our code decides what
happens to a run whose worker vanished (jobs/heartbeat.py). Cancel is a message on a
Redis channel every worker listens to, plus a key for a worker that has claimed the run
but not started its trainer yet. A queued run's message has a key beside it until a
worker claims the run: a Redis restarted without persistence loses both, and the
reaper queues such a run again (`requeue_if_lost`). Evaluate and predict are queued
too (their own queue), at most `oneshot_slots` at once per API process; the answer
comes back on a Redis list.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from redis.asyncio import Redis

from layerforge.events.log import EventLog
from layerforge.events.redis import RedisEventLog
from layerforge.events.redis_clients import async_redis, sync_redis
from layerforge.events.types import TRAINER_EVENT, ResultEvent, StatusEvent
from layerforge.jobs.heartbeat import Reaper
from layerforge.jobs.scheduler import CancelOutcome
from layerforge.jobs.spec import RunSpec
from layerforge.jobs.worker_info import WorkerInfo
from layerforge.settings import Settings
from layerforge.store.models import utcnow
from layerforge.store.runs import RunStore
from layerforge.store.workers import WorkerStore
from layerforge.training.client import OneshotError

RUN_QUEUE = "layerforge-runs"
ONESHOT_QUEUE = "layerforge-oneshot"
RUN_ACTOR = "layerforge_run"
ONESHOT_ACTOR = "layerforge_oneshot"
CANCEL_CHANNEL = "layerforge:cancel"
CANCEL_KEEP_S = 24 * 3600
QUEUED_KEEP_S = 7 * 24 * 3600  # past it, a run still waiting gets a second message


def cancel_key(run_id: str) -> str:
    return f"layerforge:run:{run_id}:cancel"


def queued_key(run_id: str) -> str:
    return f"layerforge:run:{run_id}:queued"


def reply_key(request_id: str) -> str:
    return f"layerforge:oneshot:{request_id}"


def make_broker(redis_url: str) -> RedisBroker:
    """A Redis broker with no middleware: no retries, no time or age limits (its
    client waits out a Redis restart as ours do)."""
    broker = RedisBroker(client=sync_redis(redis_url), middleware=[])  # type: ignore[no-untyped-call]
    broker.declare_queue(RUN_QUEUE)
    broker.declare_queue(ONESHOT_QUEUE)
    return broker


def run_message(run_id: str) -> Message[None]:
    return Message(
        queue_name=RUN_QUEUE, actor_name=RUN_ACTOR, args=(run_id,), kwargs={}, options={}
    )


class DramatiqScheduler:
    def __init__(self, settings: Settings, store: RunStore, events: EventLog):
        self.settings = settings
        self.store = store
        if not isinstance(events, RedisEventLog):  # workers write their runs' events to Redis
            raise TypeError("LAYERFORGE_QUEUE=dramatiq needs LAYERFORGE_EVENTS=redis")
        self.events = events
        self.broker = make_broker(settings.redis_url)
        self.redis: Redis = async_redis(settings.redis_url)
        self.workers_store = WorkerStore(store.sessions)
        self.reaper = Reaper(
            settings, self.workers_store, events, self.submit, self.requeue_if_lost
        )
        self._oneshots = asyncio.Semaphore(settings.oneshot_slots)
        self._reaping: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._reaping = asyncio.create_task(self.reaper.watch(), name="worker-reaper")

    async def stop(self) -> None:
        """Runs go on on their workers: only this process's own tasks stop."""
        if self._reaping:
            self._reaping.cancel()
            await asyncio.gather(self._reaping, return_exceptions=True)
        self.broker.close()
        await self.redis.aclose()

    def submit(self, run_id: str) -> None:
        # the key first: a message is never in the queue without it
        self.broker.client.set(queued_key(run_id), "1", ex=QUEUED_KEEP_S)
        self.broker.enqueue(run_message(run_id))

    async def requeue_if_lost(self, run_id: str) -> bool:
        """Queue again a run waiting for a worker whose message Redis no longer holds."""
        if await self.redis.exists(queued_key(run_id)):
            return False
        self.submit(run_id)
        return True

    async def cancel(self, run_id: str) -> CancelOutcome:
        state = await self.events.state(run_id)
        if state is None:
            return "unknown"
        if state.terminal:
            return "finished"
        if state.status == "queued":
            if await self.events.append(run_id, StatusEvent(status="cancelled")) is not None:
                return "cancelled"
            state = await self.events.state(run_id)  # a worker took it meanwhile
            if state is None or state.terminal:
                return "finished"
        await self.redis.set(cancel_key(run_id), "1", ex=CANCEL_KEEP_S)
        await self.redis.publish(CANCEL_CHANNEL, run_id)
        return "cancelling"

    async def wait_idle(self, run_id: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = await self.events.state(run_id)
            if state is None or state.terminal:
                return True
            await asyncio.sleep(0.1)
        return False

    def trainer_pid(self, run_id: str) -> int | None:
        return None  # trainers run on the workers' machines

    async def workers(self) -> list[WorkerInfo]:
        rows = await asyncio.to_thread(self.workers_store.list_workers, self.settings.worker_lost_s)
        now = utcnow()
        return [
            WorkerInfo(
                id=w["id"],
                host=w["host"],
                devices=w["devices"],
                run_id=w["run_ids"][0] if w["run_ids"] else None,
                run_ids=w["run_ids"],
                free_slots=max(0, len(w["devices"]) - len(w["run_ids"])),
                last_seen_s=(now - w["last_seen"]).total_seconds(),
            )
            for w in rows
        ]

    async def oneshot(self, spec: RunSpec, timeout: float) -> ResultEvent:
        """Evaluate or predict on a worker; its `ResultEvent`."""
        request_id = uuid.uuid4().hex
        message: Message[None] = Message(
            queue_name=ONESHOT_QUEUE,
            actor_name=ONESHOT_ACTOR,
            args=(request_id, spec.line(), timeout),
            kwargs={},
            options={},
        )
        async with self._oneshots:
            self.broker.enqueue(message)
            reply = await self.redis.blpop([reply_key(request_id)], timeout=timeout + 30)
        if reply is None:
            raise TimeoutError(f"{spec.mode} got no answer from a worker within {timeout:g} s")
        body = json.loads(reply[1])
        if body.get("timed_out"):
            raise TimeoutError(body["failure"])
        if "failure" in body:
            raise OneshotError(body["failure"])
        result = TRAINER_EVENT.validate_python(body["result"])
        assert isinstance(result, ResultEvent)
        return result
