"""`layerforge worker`: takes runs from the Dramatiq queue and trains them, one at a time
per device slot, each in a fresh trainer subprocess (jobs/supervisor.py); a run with
`gpus: N` takes N slots and trains over their devices (MirroredStrategy). Each slot keeps
one trainer started ahead with its devices (the local scheduler's WarmPool), so a run
skips the TensorFlow import; the replacement starts once the run has its first batch.

Dramatiq calls the actors in its own threads; they hand the work to this process's
event loop, where the supervision, the event log (Redis Streams, events/redis.py), the
heartbeat and the cancel listener run. A run is claimed in the store first (a
duplicate message finds it taken), said `starting` (refused when it was cancelled
meanwhile), then given to a trainer with its slot's devices. Cancel arrives on a Redis
channel; a run cancelled before its trainer got it is never started.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import dramatiq
from redis.asyncio import Redis

from layerforge.events.redis import RedisEventLog
from layerforge.events.redis_clients import async_redis, sync_redis
from layerforge.events.types import RunError, StatusEvent
from layerforge.jobs.devices import Slot
from layerforge.jobs.dramatiq_queue import (
    CANCEL_CHANNEL,
    ONESHOT_ACTOR,
    ONESHOT_QUEUE,
    RUN_ACTOR,
    RUN_QUEUE,
    cancel_key,
    make_broker,
    queued_key,
    reply_key,
)
from layerforge.jobs.forked import ForkServer
from layerforge.jobs.heartbeat import Heartbeat
from layerforge.jobs.local import WARM_BACKEND, WarmPool
from layerforge.jobs.spec import RunSpec, run_spec
from layerforge.jobs.supervisor import Supervision, TrainerProcess, spawn_trainer, trainer_env
from layerforge.settings import Settings
from layerforge.store.db import database_url, sessions_for
from layerforge.store.runs import RunStore
from layerforge.store.workers import WorkerStore

log = logging.getLogger(__name__)

REPLY_KEEP_S = 600
T = TypeVar("T")


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class TeamWorker:
    def __init__(self, settings: Settings, slots: list[Slot], worker_id: str | None = None):
        self.settings = settings
        self.slots = slots
        self.id = worker_id or new_worker_id()
        self.store = RunStore(sessions_for(database_url(settings)))
        self.events = RedisEventLog(self.store, settings.redis_url, maxlen=settings.stream_maxlen)
        self.workers = WorkerStore(self.store.sessions)
        self.redis: Redis = async_redis(settings.redis_url)
        self.active: dict[str, Supervision] = {}
        self.on_slot: dict[int, str] = {}  # slot index -> the run training there
        self._free: asyncio.Queue[Slot] = asyncio.Queue()
        self._gathering = asyncio.Lock()  # one run at a time gathers several slots
        self._loop: asyncio.AbstractEventLoop | None = None
        self._forks = ForkServer(WARM_BACKEND)  # one for every slot's warm trainers
        self._warm = (
            {
                slot.index: WarmPool(self._forks, env=trainer_env(settings, slot.env))
                for slot in slots
            }
            if settings.warm_trainer
            else {}
        )
        self.heartbeat = Heartbeat(
            settings, self.workers, self.id, self.current_devices, self.current_runs
        )

    def current_runs(self) -> list[str]:
        return list(self.active)

    def current_devices(self) -> list[dict[str, object]]:
        """Every slot's devices, each with the run training on it (None: free)."""
        return [
            {**d.describe(), "run_id": self.on_slot.get(slot.index)}
            for slot in self.slots
            for d in slot.devices
        ]

    # -- the process -------------------------------------------------------------------
    async def serve(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; runs still active then end `failed` (worker_stopped)."""
        self._loop = asyncio.get_running_loop()
        for slot in self.slots:
            self._free.put_nowait(slot)
        for pool in self._warm.values():
            pool.start()
        await self.events.start()
        await self.heartbeat.beat()  # listed before it takes anything
        tasks = [
            asyncio.create_task(self.heartbeat.run(), name="heartbeat"),
            asyncio.create_task(self._listen_for_cancel(), name="cancel-listener"),
        ]
        consumer = self._start_consumer()
        log.info("worker %s ready with %d slot(s)", self.id, len(self.slots))
        try:
            await stop.wait()
        finally:
            error = RunError(code="worker_stopped", message=f"worker {self.id} was stopped")
            await asyncio.gather(*(sup.abort(error) for sup in list(self.active.values())))
            await asyncio.to_thread(consumer.stop, 5000)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(*(pool.stop() for pool in self._warm.values()))
            await self._forks.stop()
            await self.heartbeat.remove()
            await self.events.stop()
            await self.redis.aclose()

    def _start_consumer(self) -> dramatiq.Worker:
        """Dramatiq threads: one per slot for runs (prefetch = slots, so a busy worker
        leaves queued runs to others) and one for evaluate/predict."""
        broker = make_broker(self.settings.redis_url)
        dramatiq.Actor(
            self._run_actor,
            broker=broker,
            actor_name=RUN_ACTOR,
            queue_name=RUN_QUEUE,
            priority=0,
            options={},
        )
        dramatiq.Actor(
            self._oneshot_actor,
            broker=broker,
            actor_name=ONESHOT_ACTOR,
            queue_name=ONESHOT_QUEUE,
            priority=0,
            options={},
        )
        consumer = dramatiq.Worker(broker, worker_threads=len(self.slots) + 1, worker_timeout=200)
        consumer.queue_prefetch = len(self.slots)
        consumer.start()
        return consumer

    def _on_loop(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on this process's loop from a Dramatiq thread; wait for it."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    # -- training ----------------------------------------------------------------------
    def _run_actor(self, run_id: str) -> None:
        self._on_loop(self.execute(run_id))

    async def execute(self, run_id: str) -> None:
        slots = [await self._free.get()]
        try:
            spec = await self._claimed(run_id)
            if spec is None:
                return
            wanted = int(spec.settings.get("gpus") or 1)
            if wanted > 1:
                for slot in slots:  # given back: the run gathers its devices afresh
                    self._free.put_nowait(slot)
                slots = []
                slots = await self._gather(spec, wanted)
            if slots:
                await self._train(spec, slots)
        except Exception:
            log.exception("run %s: the worker failed", run_id)
            error = RunError(code="worker_error", message=f"worker {self.id} failed; see its log")
            await self.events.append(run_id, StatusEvent(status="failed", error=error))
        finally:
            for slot in slots:
                self._free.put_nowait(slot)

    async def _claimed(self, run_id: str) -> RunSpec | None:
        """The run's spec once this worker holds it and said `starting`; None when another
        worker has it, it ended or it was cancelled meanwhile."""
        if not await asyncio.to_thread(self.workers.claim, run_id, self.id):
            return None
        await self.redis.delete(queued_key(run_id))  # held: no longer a message to lose
        state = await self.events.state(run_id)
        if state is None or state.terminal:
            return None
        if state.status == "queued":
            if await self.events.append(run_id, StatusEvent(status="starting")) is None:
                return None
        run = await asyncio.to_thread(self.store.get_run, run_id)
        return None if run is None else run_spec(self.settings, self.store, run)

    async def _gather(self, spec: RunSpec, wanted: int) -> list[Slot]:
        """`wanted` of this worker's slots for a run with `gpus: N`, gathered one run at a
        time (so two such runs never hold part each and wait on each other); [] (and the
        run failed) when the worker has fewer."""
        if wanted > len(self.slots):
            devices = ", ".join(d.name for slot in self.slots for d in slot.devices)
            message = f"the run asks for {wanted} devices, worker {self.id} has {len(self.slots)} ({devices})"
            error = RunError(code="not_enough_devices", message=message)
            await self.events.append(spec.run_id, StatusEvent(status="failed", error=error))
            return []
        gathered: list[Slot] = []
        try:
            async with self._gathering:
                while len(gathered) < wanted:
                    gathered.append(await self._free.get())
        except BaseException:
            for slot in gathered:
                self._free.put_nowait(slot)
            raise
        return gathered

    async def _train(self, spec: RunSpec, slots: list[Slot]) -> None:
        started = asyncio.Event()  # the first batch, or the end: the slot's warm pool refills
        try:
            await self._train_on(spec, slots, started)
        finally:
            started.set()

    async def _trainer_for(
        self, spec: RunSpec, slots: list[Slot], started: asyncio.Event
    ) -> TrainerProcess | None:
        """The slot's warm trainer (one slot), or a cold one seeing every slot's devices;
        None (and the run failed) when none starts."""
        pool = self._warm.get(slots[0].index) if len(slots) == 1 else None
        trainer = await pool.take(spec.backend, started) if pool else None
        if trainer is not None:
            return trainer
        devices = Slot(slots[0].index, tuple(d for slot in slots for d in slot.devices))
        try:
            env = trainer_env(self.settings, devices.env)
            return await spawn_trainer(spec.backend, warm=False, env=env)
        except OSError as exc:
            error = RunError(code="trainer_start_failed", message=f"could not start it: {exc}")
            await self.events.append(spec.run_id, StatusEvent(status="failed", error=error))
            return None

    async def _train_on(self, spec: RunSpec, slots: list[Slot], started: asyncio.Event) -> None:
        run_id = spec.run_id
        trainer = await self._trainer_for(spec, slots, started)
        if trainer is None:
            return
        sup = Supervision(
            run_id, trainer, self.events, self.settings.cancel_grace_s, first_batch=started
        )
        self.active[run_id] = sup
        self.on_slot.update((slot.index, run_id) for slot in slots)
        try:
            if await self.redis.exists(cancel_key(run_id)):
                await trainer.close()
                await self.events.append(run_id, StatusEvent(status="cancelled"))
                return
            run_dir = Path(spec.run_dir)
            run_dir.mkdir(parents=True, exist_ok=True)
            trainer.attach_log(run_dir / "trainer.log")
            asyncio.create_task(self.heartbeat.beat())  # the current run shows at once
            await sup.run(spec.line())
        finally:
            self.active.pop(run_id, None)
            for slot in slots:
                self.on_slot.pop(slot.index, None)
            await self.events.flush()

    async def _listen_for_cancel(self) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(CANCEL_CHANNEL)
        async for message in pubsub.listen():
            if message.get("type") != "message":
                continue
            sup = self.active.get(message["data"].decode())
            if sup is not None:
                sup.cancel()

    # -- evaluate and predict -----------------------------------------------------------
    def _oneshot_actor(self, request_id: str, spec: dict[str, Any], timeout: float) -> None:
        """Runs in a Dramatiq thread: the one-shot trainer blocks only this thread."""
        from layerforge.training.client import OneshotError, run_oneshot

        body: dict[str, Any]
        try:
            body = {"result": run_oneshot(spec, timeout).model_dump(mode="json")}
        except OneshotError as exc:
            body = {"failure": str(exc)}
        except TimeoutError as exc:
            body = {"failure": str(exc), "timed_out": True}
        client = sync_redis(self.settings.redis_url)
        try:
            client.rpush(reply_key(request_id), json.dumps(body))
            client.expire(reply_key(request_id), REPLY_KEEP_S)
        finally:
            client.close()


def run_worker(settings: Settings, slots: list[Slot], worker_id: str | None = None) -> None:
    """Serve until SIGTERM or SIGINT."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await TeamWorker(settings, slots, worker_id).serve(stop)

    asyncio.run(main())
