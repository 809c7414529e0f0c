"""Trainer subprocesses: start one, hand it a run, forward its events, watch it die.

The protocol (see the training package): one JSON spec line on stdin, one JSON event
per line on stdout, `cancel` on stdin to stop after the current batch, a terminal
status as the last event. Anything else (a kill, an OOM, a crash before the terminal
status) ends the run as failed with the exit code or signal and the tail of stderr. A
trainer that says nothing but batches for the grace time after a cancel is killed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections import deque
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from layerforge.events.log import EventLog
from layerforge.events.types import RUN_EVENT, BatchEvent, LogEvent, RunError, RunEvent, StatusEvent
from layerforge.jobs.forked import ForkedProcess
from layerforge.settings import Settings
from layerforge.store.failures import write_failure
from layerforge.store.models import TERMINAL_STATUSES, RunStatus
from layerforge.training.keras_setup import THREADS_ENV
from layerforge.training.protocol import LINE_LIMIT, TRAINER_MODULE

log = logging.getLogger(__name__)

STDERR_TAIL_LINES = 40


class TrainerProcess:
    """A started trainer: cold (imports Keras after reading its spec) or warm (Keras
    imported, waiting on stdin). Its stderr is drained into a short tail, and into the
    run's `trainer.log` once it has a run."""

    def __init__(self, proc: asyncio.subprocess.Process | ForkedProcess, backend: str):
        self.proc = proc
        self.backend = backend
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self._log_file: IO[str] | None = None
        self._drain = asyncio.create_task(self._drain_stderr())

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    def attach_log(self, path: Path) -> None:
        self._log_file = path.open("a", encoding="utf-8", errors="replace")
        self._log_file.writelines(line + "\n" for line in self.stderr_tail)
        self._log_file.flush()

    async def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            text = line.decode("utf-8", "replace").rstrip("\n")
            self.stderr_tail.append(text)
            if self._log_file:
                try:
                    self._log_file.write(text + "\n")
                    self._log_file.flush()
                except OSError as exc:  # a full disk: keep draining, or the trainer blocks
                    log.warning("trainer.log is not written any more: %s", exc)
                    self._close_log()

    def _close_log(self) -> None:
        if self._log_file:
            try:
                self._log_file.close()
            except OSError:
                pass  # what it buffered is lost with the disk's room
            self._log_file = None

    async def close(self) -> None:
        """Kill if still alive, reap, and finish the stderr log."""
        if self.alive:
            self.proc.kill()
        await self.proc.wait()
        try:
            await asyncio.wait_for(self._drain, 5)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            self._drain.cancel()
        self._close_log()


def trainer_env(settings: Settings, devices: dict[str, str] | None = None) -> dict[str, str]:
    """What a trainer's environment adds for this server: its devices and CPU threads."""
    threads = {THREADS_ENV: str(settings.trainer_threads)} if settings.trainer_threads else {}
    return {**(devices or {}), **threads}


async def spawn_trainer(
    backend: str, *, warm: bool, env: dict[str, str] | None = None
) -> TrainerProcess:
    """Start `python -m TRAINER_MODULE [--warm]` with KERAS_BACKEND set."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        TRAINER_MODULE,
        *(["--warm"] if warm else []),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {}), "KERAS_BACKEND": backend},
        limit=LINE_LIMIT,
    )
    return TrainerProcess(proc, backend)


def describe_exit(code: int | None) -> str:
    if code is None:
        return "the trainer process did not exit"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the trainer process was killed by {name} (signal {-code})"
    return f"the trainer process exited with code {code} without a final status"


class Supervision:
    """One run on one trainer process, from the spec line to the terminal status."""

    def __init__(
        self,
        run_id: str,
        trainer: TrainerProcess,
        events: EventLog,
        grace_s: float,
        first_batch: asyncio.Event | None = None,
    ):
        self.run_id = run_id
        self.trainer = trainer
        self.events = events
        self.grace_s = grace_s
        self.cancel_requested = False
        self.killed_after_cancel = False
        self._terminal: RunStatus | None = None
        self._killer: asyncio.Task[None] | None = None
        self._abort_error: RunError | None = None
        self._progress_at = 0.0  # loop time of the trainer's last event other than a batch
        self.first_batch = first_batch or asyncio.Event()  # set also when the run ends without one
        self.done = asyncio.Event()

    @property
    def ended(self) -> bool:
        """The run reached its terminal status (the process may still be exiting)."""
        return self._terminal is not None or self.done.is_set()

    async def run(self, spec: dict[str, Any]) -> None:
        try:
            await self._run(spec)
        finally:
            if self._killer:
                self._killer.cancel()
            await self.trainer.close()
            self.first_batch.set()
            self.done.set()

    async def _run(self, spec: dict[str, Any]) -> None:
        proc = self.trainer.proc
        try:
            assert proc.stdin is not None
            proc.stdin.write((json.dumps(spec) + "\n").encode())
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # it died already: the exit code tells why
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            await self._forward(line)
            if self._terminal:
                break
        if self._terminal:
            try:  # the terminal status is the last event; give it time to exit cleanly
                await asyncio.wait_for(proc.wait(), self.grace_s)
            except asyncio.TimeoutError:
                proc.kill()
            return
        code = await proc.wait()
        await self._finish_without_status(code)

    async def _forward(self, line: bytes) -> None:
        event: RunEvent
        try:
            event = RUN_EVENT.validate_json(line)
        except ValidationError:
            text = line.decode("utf-8", "replace").strip()[:500]
            event = LogEvent(level="warning", message=f"unreadable trainer output: {text}")
        if not isinstance(event, BatchEvent):
            self._progress_at = asyncio.get_running_loop().time()  # see _kill_after_grace
        if isinstance(event, StatusEvent):
            if event.status == "starting":
                return  # the scheduler said so when it took the run
            if event.status in TERMINAL_STATUSES:
                self._terminal = event.status
        await self._append(event)
        if isinstance(event, BatchEvent):
            self.first_batch.set()

    async def _append(self, event: RunEvent) -> None:
        try:
            await self.events.append(self.run_id, event)
        except KeyError:  # the run was deleted meanwhile; nothing to record
            pass
        except Exception as exc:
            if write_failure(exc) is None:
                raise
            # the log keeps the event and writes it once the store takes it again
            log.warning("run %s: the store refused its %s event: %s", self.run_id, event.type, exc)

    async def _finish_without_status(self, code: int | None) -> None:
        tail = "\n".join(list(self.trainer.stderr_tail)[-10:])
        status: RunStatus
        error: RunError | None = None
        if self._abort_error:
            status, error = "failed", self._abort_error
        elif self.cancel_requested:
            status = "cancelled"
            if self.killed_after_cancel:
                error = RunError(
                    code="killed_after_cancel",
                    message=f"the trainer did not stop within {self.grace_s:g} s of cancel "
                    "and was killed",
                )
        else:
            status = "failed"
            error = RunError(
                code="trainer_died", message=describe_exit(code), exit_code=code, stderr=tail
            )
        await self._append(StatusEvent(status=status, error=error))

    def cancel(self) -> None:
        """Ask the trainer to stop after its current batch; kill it after the grace time.
        Before its first batch there is nothing trained to keep, and the trainer may be
        seconds into building the model or tracing the first step: it is killed at once."""
        if self.cancel_requested or self.ended:
            return
        self.cancel_requested = True
        if not self.first_batch.is_set():
            self.trainer.proc.kill()
            return
        stdin = self.trainer.proc.stdin
        try:
            if stdin is not None and not stdin.is_closing():
                stdin.write(b"cancel\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        self._killer = asyncio.create_task(self._kill_after_grace())

    async def _kill_after_grace(self) -> None:
        """Kill the trainer once it has said nothing but batches for `grace_s` since the
        cancel: a trainer that stopped and is writing its artifacts (each an event) is
        left to finish; one that trains on or hangs is killed."""
        loop = asyncio.get_running_loop()
        self._progress_at = loop.time()
        while (wait := self._progress_at + self.grace_s - loop.time()) > 0:
            await asyncio.sleep(wait)
        if self.trainer.alive:
            self.killed_after_cancel = True
            self.trainer.proc.kill()

    async def abort(self, error: RunError) -> None:
        """Stop now (server shutting down): kill the trainer; the run ends `failed`
        with `error` unless it reached its terminal status first."""
        self._abort_error = error
        if self.trainer.alive:
            self.trainer.proc.kill()
        await self.done.wait()
