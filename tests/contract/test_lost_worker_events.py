"""A worker killed with kill -9 between its Redis append and its store flush loses no
event: the reaper copies what the run's stream has past the stored `last_seq` into the
store before it writes `worker_lost`. Real PostgreSQL, Redis and a killed process."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap

from contract.team import REDIS_URL, flush_redis, redis_or_skip
from layerforge.events.redis import RedisEventLog
from layerforge.jobs.heartbeat import Reaper
from layerforge.settings import Settings
from layerforge.store.db import engine_for, sessions_for
from layerforge.store.migrate import upgrade
from layerforge.store.runs import RunStore
from layerforge.store.workers import WorkerStore

LOST_REDIS_DB = 12
UNFLUSHED_BATCHES = 5

# A "worker" holding a run: its statuses reach the store, then five batches only Redis
# (the store writer waits an hour), then it is killed before any flush.
GHOST_WORKER = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from layerforge.events.redis import RedisEventLog
    from layerforge.events.types import BatchEvent, StatusEvent
    from layerforge.store.db import sessions_for
    from layerforge.store.runs import RunStore
    from layerforge.store.workers import WorkerStore

    async def main(database_url, redis_url):
        store = RunStore(sessions_for(database_url))
        run = store.create_run(graph={}, dataset={}, settings={})
        assert WorkerStore(store.sessions).claim(run["id"], "ghost")
        log = RedisEventLog(store, redis_url, flush_interval=3600)
        await log.start()
        for status in ("queued", "starting", "running"):
            await log.append(run["id"], StatusEvent(status=status))
        await log.flush()
        for batch in range(int(sys.argv[3])):
            metrics = {"loss": 1.0 / (batch + 1)}
            await log.append(run["id"], BatchEvent(epoch=0, batch=batch, metrics=metrics))
        print(run["id"], flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def test_a_killed_workers_unstored_events_are_stored_before_worker_lost(postgres_url, tmp_path):
    redis_url = REDIS_URL.format(db=LOST_REDIS_DB)
    redis_or_skip(redis_url)
    flush_redis(redis_url)
    upgrade(engine_for(postgres_url))
    store = RunStore(sessions_for(postgres_url))
    try:
        ghost = subprocess.run(
            [sys.executable, "-c", GHOST_WORKER, postgres_url, redis_url, str(UNFLUSHED_BATCHES)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ghost.returncode == -signal.SIGKILL, ghost.stderr
        run_id = ghost.stdout.strip()
        before = store.read_events(run_id)
        assert [e["seq"] for e in before] == [1, 2, 3]  # the batches never reached the store

        asyncio.run(reap(store, redis_url))

        stored = store.read_events(run_id)
        assert [e["seq"] for e in stored] == list(range(1, 3 + UNFLUSHED_BATCHES + 2))
        assert [e["batch"] for e in stored if e["type"] == "batch"] == list(
            range(UNFLUSHED_BATCHES)
        )
        assert stored[-1]["type"] == "status" and stored[-1]["status"] == "failed"
        assert stored[-1]["error"]["code"] == "worker_lost"
        assert "ghost" in stored[-1]["error"]["message"]
        run = store.get_run(run_id, with_graph=False)
        assert run is not None
        assert run["status"] == "failed" and run["last_seq"] == stored[-1]["seq"]
    finally:
        flush_redis(redis_url)


async def kept(_run_id: str) -> bool:
    return False  # the queue still holds every message


async def reap(store: RunStore, redis_url: str) -> None:
    """One look of an API's reaper; the ghost has no heartbeat row, so it is lost."""
    settings = Settings(redis_url=redis_url, worker_lost_s=1)
    events = RedisEventLog(store, redis_url)
    await events.start()
    try:
        reaper = Reaper(settings, WorkerStore(store.sessions), events, lambda _run: None, kept)
        await reaper.reap()
        await events.flush()
    finally:
        await events.stop()
