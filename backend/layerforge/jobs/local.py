"""The in-process scheduler: a first-come queue, N slots, a fresh trainer per run.

Slots default to one per GPU (one without GPUs); GPUs are counted without importing
TensorFlow. With several GPUs each slot pins its trainer to one GPU. An optional warm
trainer (Keras imported, waiting on stdin) takes the next run whose backend matches,
which cuts the time to the first metric; it is replaced once that run has trained its
first batch. Warm trainers are forked from a fork server that imported TensorFlow once
(`jobs/forked.py`), so a replacement costs a fork and a warm-up, not an import beside
the runs training.

Its queue is in memory and its trainers are its children, so at start it recovers from
the server before it: runs left `starting` or `running` died with that server and are
marked failed ("server restarted"), and `queued` runs are queued again in first-come
order.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

from layerforge.events.log import EventLog
from layerforge.events.types import ResultEvent, RunError, StatusEvent
from layerforge.jobs.devices import cpu_device, nvidia_gpus
from layerforge.jobs.forked import ForkServer
from layerforge.jobs.scheduler import CancelOutcome
from layerforge.jobs.spec import RunSpec, run_spec
from layerforge.jobs.supervisor import Supervision, TrainerProcess, spawn_trainer, trainer_env
from layerforge.jobs.worker_info import WorkerInfo
from layerforge.settings import Settings
from layerforge.store.failures import write_failure
from layerforge.store.models import ACTIVE_STATUSES
from layerforge.store.runs import RunStore

log = logging.getLogger(__name__)

WARM_BACKEND = "tensorflow"
RESTARTED = RunError(
    code="server_restarted", message="the server restarted while the run was active"
)


def count_gpus() -> int:
    """NVIDIA GPUs on this machine, from the driver's /proc entries or `nvidia-smi -L`."""
    proc_dir = Path("/proc/driver/nvidia/gpus")
    if proc_dir.is_dir():
        return sum(1 for _ in proc_dir.iterdir())
    exe = shutil.which("nvidia-smi")
    if not exe:
        return 0
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


class WarmPool:
    """Keeps one trainer started ahead for the default backend (with `env`, such as a
    worker slot's devices), forked from `forks` (started with `python -m` when that
    fails)."""

    def __init__(
        self,
        forks: ForkServer,
        backend: str = WARM_BACKEND,
        env: dict[str, str] | None = None,
    ):
        self.forks = forks
        self.backend = backend
        self.env = env
        self._trainer: TrainerProcess | None = None
        self._refill: asyncio.Task[None] | None = None
        self._stopped = False

    def start(self) -> None:
        self._refill = asyncio.create_task(self._spawn())

    async def _spawn(self, after: asyncio.Event | None = None) -> None:
        if after is not None:
            await after.wait()
        if self._stopped:
            return
        try:
            forked = await self.forks.spawn(self.env or {}, warm=True)
            self._trainer = TrainerProcess(forked, self.backend)
            return
        except OSError:
            log.exception("could not fork a warm trainer; starting one")
        try:
            self._trainer = await spawn_trainer(self.backend, warm=True, env=self.env)
        except OSError:
            log.exception("could not start a warm trainer")

    async def take(self, backend: str, refill_after: asyncio.Event) -> TrainerProcess | None:
        """The warm trainer if it is alive and for `backend`; a new one starts once
        `refill_after` is set."""
        if self._stopped or backend != self.backend:
            return None
        if self._refill and not self._refill.done():
            await self._refill  # the process start (the import goes on inside)
        trainer, self._trainer = self._trainer, None
        if trainer is not None and not trainer.alive:
            await trainer.close()
            trainer = None
        self._refill = asyncio.create_task(self._spawn(after=refill_after))
        return trainer

    async def stop(self) -> None:
        self._stopped = True
        if self._refill:
            await asyncio.gather(self._refill, return_exceptions=True)
        if self._trainer:
            await self._trainer.close()
            self._trainer = None


class LocalScheduler:
    def __init__(
        self, settings: Settings, store: RunStore, events: EventLog, slots: int | None = None
    ):
        self.settings = settings
        self.store = store
        self.events = events
        gpus = count_gpus()
        self.gpus = gpus
        self.slots = slots or settings.slots or max(1, gpus)
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._active: dict[str, Supervision] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._cancel_before_start: set[str] = set()
        self._taken: set[str] = set()  # runs a slot has taken, from `starting` to their end
        self._stopping = False
        self._oneshots = asyncio.Semaphore(settings.oneshot_slots)
        # A warm trainer sees every GPU, so it serves only when slots need no pinning.
        self._forks = ForkServer(WARM_BACKEND)
        self._warm = (
            WarmPool(self._forks, env=trainer_env(settings))
            if settings.warm_trainer and gpus <= 1
            else None
        )

    async def start(self) -> None:
        await self._recover()
        if self._warm:
            self._warm.start()
        self._workers = [
            asyncio.create_task(self._work(slot), name=f"run-slot-{slot}")
            for slot in range(self.slots)
        ]

    async def stop(self) -> None:
        self._stopping = True
        error = RunError(
            code="server_stopped", message="the server stopped while the run was active"
        )
        await asyncio.gather(*(sup.abort(error) for sup in list(self._active.values())))
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        if self._warm:
            await self._warm.stop()
        await self._forks.stop()

    async def _recover(self) -> None:
        """The runs the last server was training died with it; its queue was in memory."""
        active = sorted(ACTIVE_STATUSES)
        for run_id in await asyncio.to_thread(self.store.run_ids_with_status, active):
            await self.events.append(run_id, StatusEvent(status="failed", error=RESTARTED))
        for run_id in await asyncio.to_thread(self.store.run_ids_with_status, ["queued"]):
            self.submit(run_id)

    def submit(self, run_id: str) -> None:
        self._queue.put_nowait(run_id)

    async def cancel(self, run_id: str) -> CancelOutcome:
        sup = self._active.get(run_id)
        if sup is not None and not sup.ended:
            sup.cancel()
            return "cancelling"
        state = await self.events.state(run_id)
        if state is None:
            return "unknown"
        if state.status == "queued":
            await self.events.append(run_id, StatusEvent(status="cancelled"))
            return "cancelled"
        if state.terminal:
            return "finished"
        if run_id in self._taken:  # starting: its trainer is not handed the run yet
            self._cancel_before_start.add(run_id)
            return "cancelling"
        # active in the store, but no slot here has it: its trainer is gone
        error = RunError(code="trainer_died", message="cancelled: the run's trainer was gone")
        await self.events.append(run_id, StatusEvent(status="cancelled", error=error))
        return "cancelled"

    async def wait_idle(self, run_id: str, timeout: float) -> bool:
        sup = self._active.get(run_id)
        if sup is None:
            return True
        try:
            await asyncio.wait_for(sup.done.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    def trainer_pid(self, run_id: str) -> int | None:
        """The process id of the run's trainer while it is active here."""
        sup = self._active.get(run_id)
        return sup.trainer.proc.pid if sup else None

    async def oneshot(self, spec: RunSpec, timeout: float) -> ResultEvent:
        """Evaluate or predict in a trainer subprocess here, `oneshot_slots` at once."""
        from layerforge.training.client import run_oneshot

        async with self._oneshots:
            return await asyncio.to_thread(run_oneshot, spec.line(), timeout)

    async def workers(self) -> list[WorkerInfo]:
        """This server's slots, as one worker."""
        gpus = nvidia_gpus()
        devices = [d.describe() for d in gpus] if gpus else [cpu_device().describe()]
        runs = list(self._active)
        return [
            WorkerInfo(
                id="local",
                host=socket.gethostname(),
                devices=devices,
                run_id=runs[0] if runs else None,
                run_ids=runs,
                free_slots=max(0, self.slots - len(runs)),
                last_seen_s=0.0,
            )
        ]

    async def _work(self, slot: int) -> None:
        while True:
            run_id = await self._queue.get()
            if self._stopping:
                return
            try:
                state = await self.events.state(run_id)
                if state is None or state.status != "queued":
                    continue  # cancelled or deleted while it waited
                run = await asyncio.to_thread(self.store.get_run, run_id)
                if run is None:
                    continue
                await self._execute(run, slot)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("run %s: the scheduler failed", run_id)
                await self._fail(
                    run_id,
                    "scheduler_error",
                    "the scheduler failed to run this run; see the server log",
                )

    async def _fail(self, run_id: str, code: str, message: str) -> None:
        try:
            await self.events.append(
                run_id, StatusEvent(status="failed", error=RunError(code=code, message=message))
            )
        except KeyError:
            pass
        except Exception as exc:  # the log keeps the event until the store takes it
            if write_failure(exc) is None:
                raise
            log.warning("run %s: the store refused its failed status: %s", run_id, exc)

    async def _execute(self, run: dict[str, Any], slot: int) -> None:
        run_id = run["id"]
        self._taken.add(run_id)
        try:
            if await self.events.append(run_id, StatusEvent(status="starting")) is None:
                return
            run_dir = self.settings.run_root / run_id
            run_dir.mkdir(parents=True, exist_ok=True)
            backend = (run["settings"] or {}).get("backend") or WARM_BACKEND
            started = asyncio.Event()  # its first batch, or its end: the warm pool refills then
            try:
                await self._run_on_trainer(run, slot, run_dir, backend, started)
            finally:
                started.set()
        finally:
            self._taken.discard(run_id)

    async def _run_on_trainer(
        self, run: dict[str, Any], slot: int, run_dir: Path, backend: str, started: asyncio.Event
    ) -> None:
        run_id = run["id"]
        trainer = await self._warm.take(backend, started) if self._warm else None
        if trainer is None:
            devices = {"CUDA_VISIBLE_DEVICES": str(slot)} if self.gpus > 1 else None
            env = trainer_env(self.settings, devices)
            try:
                trainer = await spawn_trainer(backend, warm=False, env=env)
            except OSError as exc:
                await self._fail(
                    run_id, "trainer_start_failed", f"could not start the trainer: {exc}"
                )
                return
        if run_id in self._cancel_before_start:
            self._cancel_before_start.discard(run_id)
            await trainer.close()
            await self.events.append(run_id, StatusEvent(status="cancelled"))
            return
        trainer.attach_log(run_dir / "trainer.log")
        spec = await asyncio.to_thread(run_spec, self.settings, self.store, run)
        sup = Supervision(
            run_id, trainer, self.events, self.settings.cancel_grace_s, first_batch=started
        )
        self._active[run_id] = sup
        try:
            await sup.run(spec.line())
        finally:
            self._active.pop(run_id, None)
