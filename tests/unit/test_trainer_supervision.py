"""Supervision of a trainer process, isolated with the protocol stand-in
(tests/runs_protocol_trainer.py): events forwarded, crash, kill -9, cancel, a trainer
that ignores cancel."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from helpers import assert_whole, new_run, protocol_trainer, read_events
from layerforge.events.memory import MemoryStoreEventLog
from layerforge.events.types import StatusEvent
from layerforge.jobs.supervisor import Supervision

pytestmark = pytest.mark.asyncio


async def supervised(run_store, mode: str, grace: float = 10.0, **settings):
    run_id = new_run(run_store, **settings)
    log = MemoryStoreEventLog(run_store)
    await log.start()
    await log.append(run_id, StatusEvent(status="starting"))
    sup = Supervision(run_id, await protocol_trainer(mode), log, grace)
    task = asyncio.create_task(sup.run({"run_id": run_id, "settings": settings}))
    return run_id, log, sup, task


async def wait_for_type(log, run_id, kind, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(e["type"] == kind for e in await read_events(log, run_id)):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no {kind} event")


async def test_events_are_forwarded_in_order(run_store):
    run_id, log, sup, task = await supervised(run_store, "ok", batches=7)
    await asyncio.wait_for(task, 30)
    events = await read_events(log, run_id)
    assert_whole(events)
    assert [e.get("status") for e in events if e["type"] == "status"] == [
        "starting",
        "running",
        "succeeded",
    ]
    assert [e["batch"] for e in events if e["type"] == "batch"] == list(range(7))
    await log.stop()
    run = run_store.get_run(run_id)
    assert run["status"] == "succeeded" and run["metrics"] == {"loss": 0.2, "val_loss": 0.3}


async def test_a_crash_fails_the_run_with_exit_code_and_stderr(run_store):
    run_id, log, sup, task = await supervised(run_store, "crash")
    await asyncio.wait_for(task, 30)
    last = (await read_events(log, run_id))[-1]
    assert last["status"] == "failed"
    assert last["error"]["code"] == "trainer_died"
    assert "exited with code 3" in last["error"]["message"]
    assert "boom: simulated crash" in last["error"]["stderr"]
    await log.stop()


async def test_kill_9_fails_the_run_within_seconds(run_store):
    run_id, log, sup, task = await supervised(run_store, "cancel")
    await wait_for_type(log, run_id, "batch")
    os.kill(sup.trainer.proc.pid, signal.SIGKILL)
    killed = time.monotonic()
    await asyncio.wait_for(task, 10)
    assert time.monotonic() - killed < 3
    last = (await read_events(log, run_id))[-1]
    assert last["status"] == "failed" and "SIGKILL" in last["error"]["message"]
    await log.stop()


async def test_cancel_stops_the_run_as_cancelled(run_store):
    run_id, log, sup, task = await supervised(run_store, "cancel")
    await wait_for_type(log, run_id, "batch")
    sup.cancel()
    await asyncio.wait_for(task, 10)
    last = (await read_events(log, run_id))[-1]
    assert last["status"] == "cancelled" and "error" not in last
    assert sup.trainer.proc.returncode == 0
    await log.stop()


async def test_a_trainer_writing_its_artifacts_after_cancel_is_not_killed(run_store):
    """Stopped at the batch, it writes artifacts for 1.5 s, each an event: a grace of
    0.5 s counts from its last word, so it ends cancelled by itself."""
    run_id, log, sup, task = await supervised(run_store, "slow-finish", grace=0.5)
    await wait_for_type(log, run_id, "batch")
    sup.cancel()
    await asyncio.wait_for(task, 10)
    events = await read_events(log, run_id)
    assert events[-1]["status"] == "cancelled" and "error" not in events[-1], events[-1]
    assert len([e for e in events if e["type"] == "artifact"]) == 5
    assert sup.trainer.proc.returncode == 0
    await log.stop()


async def test_a_run_cancelled_before_its_first_batch_ends_at_once(run_store):
    """Still building or tracing (here: hanging) before its first batch: nothing trained
    to keep, so the trainer is killed at once, not after the grace time."""
    run_id, log, sup, task = await supervised(run_store, "hang", grace=60)
    await wait_for_type(log, run_id, "status")
    asked = time.monotonic()
    sup.cancel()
    await asyncio.wait_for(task, 10)
    assert time.monotonic() - asked < 10
    last = (await read_events(log, run_id))[-1]
    assert last["status"] == "cancelled" and last.get("error") is None, last
    assert sup.trainer.proc.returncode == -signal.SIGKILL
    await log.stop()


async def test_a_trainer_that_ignores_cancel_is_killed_after_the_grace_time(run_store):
    run_id, log, sup, task = await supervised(run_store, "ignore", grace=0.5)
    await wait_for_type(log, run_id, "batch")
    await asyncio.sleep(0.3)
    sup.cancel()
    await asyncio.wait_for(task, 10)
    last = (await read_events(log, run_id))[-1]
    assert last["status"] == "cancelled" and last["error"]["code"] == "killed_after_cancel"
    assert sup.trainer.proc.returncode == -signal.SIGKILL
    await log.stop()
