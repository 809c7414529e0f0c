"""The WebSocket hub: a slow client never delays a fast one; Origin checks; close codes."""

from __future__ import annotations

import asyncio
import json

import pytest

from helpers import new_run
from layerforge.api.hub import Hub
from layerforge.events.memory import MemoryStoreEventLog
from layerforge.events.types import BatchEvent, StatusEvent
from layerforge.settings import Settings

pytestmark = pytest.mark.asyncio


class FakeSocket:
    """Stands in for a Starlette WebSocket; `stuck` makes every send block."""

    def __init__(self, *, stuck: bool = False, headers: dict[str, str] | None = None):
        self.scope = {
            "type": "websocket",
            "query_string": b"",
            "headers": [
                (k.encode(), v.encode()) for k, v in (headers or {"host": "127.0.0.1:8000"}).items()
            ],
        }
        self.sent: list[dict] = []
        self.closed: tuple[int, str | None] | None = None
        self.stuck = stuck
        self._unblock = asyncio.Event()
        self._gone = asyncio.Event()

    async def accept(self) -> None:
        pass

    async def send_text(self, text: str) -> None:
        if self.stuck:
            await self._unblock.wait()
        self.sent.append(json.loads(text))

    async def receive(self) -> dict:
        await self._gone.wait()
        return {"type": "websocket.disconnect", "code": 1000}

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = (code, reason)
        self._gone.set()


def batch(i: int) -> BatchEvent:
    return BatchEvent(epoch=0, epochs=1, batch=i, batches=50, metrics={"loss": 1.0})


async def test_a_stuck_client_does_not_delay_a_fast_one(run_store):
    run_id = new_run(run_store)
    log = MemoryStoreEventLog(run_store)
    await log.start()
    hub = Hub(Settings(ws_queue=20), log)
    slow, fast = FakeSocket(stuck=True), FakeSocket()
    slow_task = asyncio.create_task(hub.stream_run(slow, run_id, "0"))
    fast_task = asyncio.create_task(hub.stream_run(fast, run_id, "0"))
    await asyncio.sleep(0.05)
    for i in range(50):
        await log.append(run_id, batch(i))
        if i % 10 == 9:  # a commit per 10 events: bursts the fast client's queue holds
            await log.flush()
            await asyncio.sleep(0.01)
    await log.append(run_id, StatusEvent(status="succeeded"))
    await asyncio.wait_for(fast_task, 5)  # done while the slow one has not received one event
    assert [e["seq"] for e in fast.sent] == list(range(1, 52))
    assert fast.closed == (1000, "run finished")
    assert slow.sent == []
    await asyncio.wait_for(slow_task, 5)  # cut off once its queue overflowed
    assert slow.closed == (4408, "client too slow: reconnect with after=0")
    # it reconnects from where it was and gets everything
    again = FakeSocket()
    await asyncio.wait_for(hub.stream_run(again, run_id, "0"), 5)
    assert [e["seq"] for e in again.sent] == list(range(1, 52))
    await log.stop()


@pytest.mark.parametrize(
    "headers, allowed",
    [
        ({"host": "127.0.0.1:8000"}, True),  # no Origin: not a browser
        ({"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000"}, True),
        ({"host": "127.0.0.1:8000", "origin": "http://localhost:5173"}, True),
        ({"host": "127.0.0.1:8000", "origin": "https://evil.example"}, False),
        ({"host": "127.0.0.1:8000", "origin": "https://editor.example"}, True),  # listed
    ],
)
async def test_origin_check(run_store, headers, allowed):
    hub = Hub(Settings(allowed_origins=["https://editor.example"]), MemoryStoreEventLog(run_store))
    assert (hub.refusal(FakeSocket(headers=headers)) is None) is allowed


async def test_token_and_close_codes(run_store):
    log = MemoryStoreEventLog(run_store)
    await log.start()
    hub = Hub(Settings(token="s3cret"), log)
    ws = FakeSocket()
    await hub.stream_run(ws, new_run(run_store), "0")
    assert ws.closed[0] == 4403
    hub = Hub(Settings(), log)
    ws = FakeSocket()
    await hub.stream_run(ws, "nope", "0")
    assert ws.closed == (4404, "unknown run")
    ws = FakeSocket()
    await hub.stream_run(ws, new_run(run_store), "-3")
    assert ws.closed[0] == 4400
    await log.stop()


async def test_status_socket_closes_with_1001_on_shutdown(run_store):
    run_id = new_run(run_store)
    log = MemoryStoreEventLog(run_store)
    await log.start()
    hub = Hub(Settings(), log)
    ws = FakeSocket()
    task = asyncio.create_task(hub.stream_status(ws))
    await asyncio.sleep(0.05)
    await log.append(run_id, StatusEvent(status="running"))
    await asyncio.sleep(0.05)
    await hub.stop()
    await asyncio.wait_for(task, 5)
    assert [(e["run_id"], e["status"]) for e in ws.sent] == [(run_id, "running")]
    assert ws.closed == (1001, "server shutting down")
    await log.stop()


async def test_an_idle_socket_gets_pings_without_seq(run_store):
    log = MemoryStoreEventLog(run_store)
    await log.start()
    hub = Hub(Settings(ws_ping_s=0.2), log)
    hub.start()
    ws = FakeSocket()
    task = asyncio.create_task(hub.stream_status(ws))
    await asyncio.sleep(0.7)
    await hub.stop()
    await asyncio.wait_for(task, 5)
    assert len(ws.sent) >= 2 and all(m["type"] == "ping" and "seq" not in m for m in ws.sent)
    await log.stop()
