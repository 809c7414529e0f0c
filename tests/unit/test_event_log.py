"""The memory+store event log: seq assignment, batched storage, replay then tail."""

from __future__ import annotations

import asyncio

import pytest

from helpers import assert_whole, new_run, read_events
from layerforge.events.log import SubscriberOverflow
from layerforge.events.memory import MemoryStoreEventLog
from layerforge.events.types import BatchEvent, EpochEvent, RunError, StatusEvent
from layerforge.store.db import sessions_for
from layerforge.store.runs import RunStore

pytestmark = pytest.mark.asyncio
EVENT_LOG_REDIS_DB = 13


def batch(i: int) -> BatchEvent:
    return BatchEvent(epoch=0, epochs=1, batch=i, batches=1000, metrics={"loss": 1 / (i + 1)})


async def test_seq_grows_and_store_gets_events_and_run_state(run_store):
    run_id = new_run(run_store)
    log = MemoryStoreEventLog(run_store)
    await log.start()
    await log.append(run_id, StatusEvent(status="queued"))
    await log.append(run_id, StatusEvent(status="running"))
    for i in range(30):
        await log.append(run_id, batch(i))
    await log.append(run_id, EpochEvent(epoch=0, epochs=1, metrics={"val_loss": 0.5, "loss": 0.1}))
    await log.append(run_id, StatusEvent(status="succeeded"))
    assert await log.append(run_id, batch(99)) is None  # nothing after a terminal status
    await log.stop()
    stored = run_store.read_events(run_id, 0, 100)
    assert_whole(stored)
    assert len(stored) == 34 and stored[-1]["status"] == "succeeded"
    run = run_store.get_run(run_id)
    assert run["status"] == "succeeded" and run["last_seq"] == 34
    assert run["metrics"] == {"loss": 0.1, "val_loss": 0.5}
    assert run["started_at"] is not None and run["finished_at"] is not None


async def test_postgresql_store_gets_events_and_run_state(postgres_url):  # noqa: F811
    store = RunStore(sessions_for(postgres_url))
    run_id = new_run(store)
    log = MemoryStoreEventLog(store)
    await log.start()
    for i in range(10):
        await log.append(run_id, batch(i))
    await log.append(run_id, BatchEvent(epoch=0, batch=10, metrics={"loss": float("inf")}))
    await log.append(run_id, StatusEvent(status="failed", error=RunError(code="x", message="y")))
    await log.stop()
    assert_whole(store.read_events(run_id))
    run = store.get_run(run_id)
    assert (run["status"], run["last_seq"], run["error"]["code"]) == ("failed", 12, "x")
    assert run["metrics"] == {"loss": None}


async def test_nan_metrics_become_null(run_store):
    run_id = new_run(run_store)
    log = MemoryStoreEventLog(run_store)
    await log.start()
    ev = await log.append(run_id, BatchEvent(epoch=0, batch=0, metrics={"loss": float("nan")}))
    assert ev.data["metrics"]["loss"] is None and '"loss":null' in ev.text
    await log.stop()


async def test_seq_continues_after_a_new_log_on_the_same_store(run_store):
    run_id = new_run(run_store)
    first = MemoryStoreEventLog(run_store)
    await first.start()
    for i in range(5):
        await first.append(run_id, batch(i))
    await first.stop()
    second = MemoryStoreEventLog(run_store)
    await second.start()
    ev = await second.append(run_id, batch(5))
    assert ev.seq == 6
    assert_whole(await read_events(second, run_id, 0))
    await second.stop()


async def test_read_merges_store_and_memory(run_store):
    run_id = new_run(run_store)
    log = MemoryStoreEventLog(run_store, keep_recent=5)
    await log.start()
    for i in range(20):
        await log.append(run_id, batch(i))
    for i in range(20, 25):
        await log.append(run_id, batch(i))
    await log.flush()  # 1..25 stored, memory trimmed to the last 5 (21..25)
    events = await read_events(log, run_id, 3)
    assert_whole(events, start=4)
    assert events[-1]["seq"] == 25
    assert [e["seq"] for e in await read_events(log, run_id, 10, limit=3)] == [11, 12, 13]
    await log.stop()


async def test_subscribe_mid_run_has_no_gap_and_no_duplicate(run_store):
    run_id = new_run(run_store)
    log = MemoryStoreEventLog(run_store, keep_recent=3)
    await log.start()
    for i in range(40):
        await log.append(run_id, batch(i))
    await asyncio.sleep(0.05)

    async def produce():
        for i in range(40, 200):
            await log.append(run_id, batch(i))
            if i % 7 == 0:
                await asyncio.sleep(0)
        await log.append(run_id, StatusEvent(status="succeeded"))

    producer = asyncio.create_task(produce())
    sub = await log.subscribe(run_id, after=17)
    got = []
    while (ev := await sub.next()) is not None:
        got.append(ev.data)
    await producer
    assert_whole(got, start=18)
    assert got[-1]["status"] == "succeeded" and got[-1]["seq"] == 201
    sub.close()
    # a finished run: replay only, then the end
    late = await log.subscribe(run_id, after=195)
    assert [e.seq async for e in _drain(late)] == [196, 197, 198, 199, 200, 201]
    await log.stop()


async def _drain(sub):
    while (ev := await sub.next()) is not None:
        yield ev


async def test_a_consumer_that_falls_behind_is_cut_off(run_store):
    run_id = new_run(run_store)
    log = MemoryStoreEventLog(run_store)
    await log.start()
    sub = await log.subscribe(run_id, after=0, maxsize=10)
    for i in range(11):
        await log.append(run_id, batch(i))
    await log.flush()  # subscribers get events once they are stored
    with pytest.raises(SubscriberOverflow):
        await sub.next()
    await log.stop()


async def test_status_feed_sees_every_run(run_store):
    a, b = new_run(run_store), new_run(run_store)
    log = MemoryStoreEventLog(run_store)
    await log.start()
    feed = log.subscribe_status()
    await log.append(a, StatusEvent(status="running"))
    await log.append(b, StatusEvent(status="cancelled"))
    await log.append(a, batch(0))  # not a status change
    first, second = await feed.next(), await feed.next()
    assert (first.data["run_id"], first.data["status"]) == (a, "running")
    assert (second.data["run_id"], second.data["status"]) == (b, "cancelled")
    assert feed._queue.empty()
    await log.stop()


async def test_redis_append_stored_before_a_dropped_reply_is_not_appended_twice(
    run_store, monkeypatch
):
    """A connection that drops after EXEC stored the event (redis-py reconnects and says
    WatchError): the append finds its event in the stream instead of numbering it again."""
    from redis.asyncio.client import Pipeline
    from redis.exceptions import WatchError

    from contract.team import REDIS_URL, flush_redis, redis_or_skip
    from layerforge.events.redis import RedisEventLog

    url = REDIS_URL.format(db=EVENT_LOG_REDIS_DB)
    redis_or_skip(url)
    flush_redis(url)
    run_id = new_run(run_store)
    log = RedisEventLog(run_store, url)
    await log.start()
    try:
        await log.append(run_id, StatusEvent(status="queued"))
        execute = Pipeline.execute
        drops = []

        async def stored_then_dropped(self, *args, **kwargs):
            result = await execute(self, *args, **kwargs)
            if not drops:
                drops.append(1)
                raise WatchError("the connection dropped while watching")
            return result

        monkeypatch.setattr(Pipeline, "execute", stored_then_dropped)
        appended = await log.append(run_id, StatusEvent(status="running"))
        assert drops and appended is not None and appended.seq == 2
        await log.append(run_id, batch(0))
        events = await log.read(run_id)
        assert [e.seq for e in events] == [1, 2, 3]
        assert [e.type for e in events] == ["status", "status", "batch"]
    finally:
        await log.stop()
        flush_redis(url)
