"""Events the store cannot take (a real full disk: SQLite on a small tmpfs) are kept, in
order, and written once space is freed: by the one-machine log and by the team
server's store writer alike. Nothing a run said is dropped."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from disks import small_disk
from helpers import assert_whole, new_run
from layerforge.events.memory import MemoryStoreEventLog
from layerforge.events.run_state import RunState
from layerforge.events.store_writer import StoreWriter
from layerforge.events.types import LogEvent, StatusEvent
from layerforge.store.db import sessions_for
from layerforge.store.runs import RunStore, StoredEvent

NOTE = "x" * 3000  # a few events fill more than the page a full disk leaves


def test_the_memory_log_keeps_events_the_full_disk_refused(tmp_path: Path) -> None:
    with small_disk(tmp_path / "data", size_mb=8) as disk:
        store = RunStore(sessions_for(f"sqlite:///{disk.path / 'runs.db'}"))
        run_id = new_run(store)

        async def scenario() -> None:
            log = MemoryStoreEventLog(store)
            await log.start()
            await log.append(run_id, StatusEvent(status="running"))
            disk.fill()
            for i in range(20):
                await log.append(run_id, LogEvent(message=f"{i} {NOTE}"))
            with pytest.raises(OperationalError, match="full"):
                await log.append(run_id, StatusEvent(status="failed"))
            disk.free()
            await log.flush()
            await log.stop()

        asyncio.run(scenario())
        events = store.read_events(run_id)
        assert_whole(events)
        assert len(events) == 22 and events[-1]["status"] == "failed"
        assert store.get_run(run_id)["status"] == "failed"


def test_the_store_writer_keeps_events_the_full_disk_refused(tmp_path: Path) -> None:
    with small_disk(tmp_path / "data", size_mb=8) as disk:
        store = RunStore(sessions_for(f"sqlite:///{disk.path / 'runs.db'}"))
        run_id = new_run(store)

        async def scenario() -> None:
            writer = StoreWriter(store)
            disk.fill()
            for seq in range(1, 21):
                data = {"type": "log", "seq": seq, "time": 0.0, "message": NOTE}
                writer.add(StoredEvent(run_id, seq, "log", data), RunState("running", seq))
            with pytest.raises(OperationalError, match="full"):
                await writer.flush()
            disk.free()
            await writer.flush()

        asyncio.run(scenario())
        events = store.read_events(run_id)
        assert_whole(events)
        assert len(events) == 20
        assert store.get_run(run_id)["last_seq"] == 20
