"""Nothing lost, nothing renumbered: an event reaches a client only once it is stored.

A real `layerforge serve` trains on a real trainer while a WebSocket client reads; the
server is killed with SIGKILL mid-run, five times, on SQLite and on PostgreSQL. Every
event the client got must be in the store with the same seq and content, and the client
that resumes with `after=` its last seq must get the run's terminal status."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import httpx
import pytest

from helpers import assert_whole, new_run
from layerforge.events.memory import MemoryStoreEventLog
from layerforge.events.types import BatchEvent, StatusEvent
from serve_process import Server

KILLS = 5
GRAPH = {
    "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "p", "type": "Dense", "params": {"units": 3, "activation": "softmax"}},
        {"id": "y", "type": "Output", "params": {"loss": "sparse_categorical_crossentropy"}},
    ],
    "edges": [{"source": "x", "target": "p"}, {"source": "p", "target": "y"}],
}
LONG_RUN = {
    "graph": GRAPH,
    "dataset": {"name": "iris"},
    "settings": {"epochs": 500, "batch_size": 8, "tensorboard": False},
}


@pytest.mark.asyncio
async def test_a_subscriber_never_sees_an_event_the_store_lacks(run_store):
    run_id = new_run(run_store)
    log = MemoryStoreEventLog(run_store)
    await log.start()
    sub = await log.subscribe(run_id)
    unstored: list[int] = []

    async def consume() -> int:
        seen = 0
        while (ev := await sub.next()) is not None:
            seen += 1
            stored = await asyncio.to_thread(run_store.read_events, run_id, ev.seq - 1, 1)
            if [e["seq"] for e in stored] != [ev.seq]:
                unstored.append(ev.seq)
        return seen

    consumer = asyncio.create_task(consume())
    for i in range(300):
        await log.append(run_id, BatchEvent(epoch=0, batch=i, metrics={"loss": 1.0}))
        if i % 25 == 0:
            await asyncio.sleep(0.002)
    await log.append(run_id, StatusEvent(status="succeeded"))
    assert await asyncio.wait_for(consumer, 30) == 301
    assert unstored == []
    await log.stop()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _receive_batches(server: Server, run_id: str, want: int) -> list[dict]:
    """Events of a run's socket until `want` batch events arrived."""
    got: list[dict] = []
    with server.ws(f"/api/runs/{run_id}/stream?after=0") as ws:
        while sum(e["type"] == "batch" for e in got) < want:
            message = json.loads(ws.recv(timeout=180))
            if message.get("type") != "ping":
                got.append(message)
    return got


def _resume_until_end(server: Server, run_id: str, after: int) -> list[dict]:
    got: list[dict] = []
    with server.ws(f"/api/runs/{run_id}/stream?after={after}") as ws:
        for raw in ws:
            message = json.loads(raw)
            if message.get("type") != "ping":
                got.append(message)
    return got


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_mid_run_loses_and_renumbers_nothing(backend, tmp_path, request):
    env = {"LAYERFORGE_WARM_TRAINER": "false"}
    if backend == "postgresql":
        env["LAYERFORGE_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    data_dir = tmp_path / "data"
    received: dict[str, list[dict]] = {}
    for kill in range(KILLS):
        server = Server(data_dir, env=env)
        api = httpx.Client(base_url=server.url, timeout=180)  # the first POST imports Keras
        run_id = api.post("/api/runs", json=LONG_RUN).raise_for_status().json()["id"]
        received[run_id] = _receive_batches(server, run_id, want=3 + 7 * kill)
        trainers = _children(server.proc.pid)
        server.kill()
        for pid in trainers:  # the killed server's trainers would die on their next write
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    server = Server(data_dir, env=env)  # the next server recovers the last run too
    try:
        api = httpx.Client(base_url=server.url, timeout=180)
        for run_id, got in received.items():
            stored = api.get(f"/api/runs/{run_id}/events", params={"limit": 10000}).json()
            stored_by_seq = {e["seq"]: e for e in stored["events"]}
            assert_whole(stored["events"])
            missing = [e["seq"] for e in got if stored_by_seq.get(e["seq"]) != e]
            assert missing == [], f"run {run_id}: received but not stored as received"
            after = got[-1]["seq"]
            rest = _resume_until_end(server, run_id, after)
            assert rest and rest[0]["seq"] == after + 1, rest
            assert (rest[-1]["type"], rest[-1]["status"]) == ("status", "failed")
            assert rest[-1]["error"]["code"] == "server_restarted"
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_second_server_on_the_same_data_refuses_and_changes_nothing(backend, tmp_path, request):
    env = {"LAYERFORGE_WARM_TRAINER": "false"}
    if backend == "postgresql":
        env["LAYERFORGE_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    first = Server(tmp_path / "data", env=env)
    try:
        api = httpx.Client(base_url=first.url, timeout=180)
        run_id = api.post("/api/runs", json=LONG_RUN).raise_for_status().json()["id"]
        _receive_batches(first, run_id, want=2)
        # SQLite: the same data directory; PostgreSQL: another directory, the same database
        second_dir = tmp_path / ("data" if backend == "sqlite" else "data2")
        second = Server(second_dir, env=env, wait=False, log_name="second.log")
        assert second.proc.wait(timeout=60) == 1
        said = second.log_path.read_text()
        assert "another Layerforge server" in said, said
        assert ("advisory lock" in said) == (backend == "postgresql"), said
        run = api.get(f"/api/runs/{run_id}").json()
        assert run["status"] == "running" and run["error"] is None
        events = api.get(f"/api/runs/{run_id}/events", params={"limit": 10000}).json()
        assert_whole(events["events"])
        assert all(e.get("status") != "failed" for e in events["events"])
        assert api.post(f"/api/runs/{run_id}/cancel").status_code == 200
    finally:
        log = first.stop()
    assert "UniqueViolation" not in log and "IntegrityError" not in log, log


def test_a_stuck_request_does_not_hold_shutdown_past_the_grace_time(tmp_path):
    import socket
    import time

    server = Server(tmp_path / "data", env={"LAYERFORGE_SHUTDOWN_GRACE_S": "2"})
    stuck = socket.create_connection(("127.0.0.1", server.port))
    try:  # a body promised and never sent: the request stays in flight
        stuck.sendall(
            b"POST /api/graphs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
        )
        time.sleep(1)
        started = time.monotonic()
        server.proc.terminate()
        server.proc.wait(timeout=60)
        took = time.monotonic() - started
    finally:
        stuck.close()
        server.log.close()
    assert took < 2 + 5, f"shutdown took {took:.1f} s"
