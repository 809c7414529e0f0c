"""Bounded, whatever arrives, on a real `layerforge serve`: a huge request head is a 431
before it fills memory, a `.keras` upload is written to disk once, and `/api/health`
answers while a burst of validations runs (Keras routes queue without taking threads;
past the queue's depth, a 503 with Retry-After). Times are measured in
bench/bench_hostile.py, never asserted here."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from hostile_clients import huge_head, io_counters, keras_file, peak_memory, validation_burst
from layerforge.api.app import create_app
from layerforge.api.limits import KERAS_ROUTES
from layerforge.settings import Settings
from serve_process import Server

MB = 2**20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = Server(tmp_path_factory.mktemp("bounded") / "data")
    yield started
    started.stop()


def test_ten_heads_of_50_mb_are_431s_before_they_fill_memory(server):
    with peak_memory(server.proc.pid) as memory, ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: huge_head(server.port, 50 * MB), range(10)))
    assert [status for status, _sent in answers] == [431] * 10
    assert all(sent < 50 * MB for _status, sent in answers), "the server read every byte"
    assert memory["peak"] < 100 * MB  # before the cap: +480 MB
    assert httpx.get(f"{server.url}/api/health", headers={"x-fine": "a" * 30_000}).is_success


def test_a_keras_upload_is_written_to_disk_once(server, tmp_path):
    path = keras_file(tmp_path / "big.keras", 200 * MB)
    size = path.stat().st_size
    before = io_counters(server.proc.pid)["write_bytes"]
    with path.open("rb") as f:
        answer = httpx.post(
            f"{server.url}/api/models/import", files={"file": ("big.keras", f)}, timeout=600
        )
    assert answer.status_code == 200, answer.text
    assert [n["type"] for n in answer.json()["graph"]["nodes"]] == ["Input", "Dense", "Output"]
    written = io_counters(server.proc.pid)["write_bytes"] - before
    assert size <= written < 1.25 * size  # spooled and then copied: 2x
    leftovers = list(server_data(server).rglob(".upload-*"))  # the upload, removed after
    assert not leftovers, leftovers


def server_data(server: Server) -> Path:
    return Path(server.env["LAYERFORGE_DATA_DIR"])


def test_health_answers_while_a_burst_of_validations_waits(server):
    """60 checks of distinct 300-node graphs at once: each took a thread of the 40 while
    it waited for Keras, and health (a sync route) waited behind them until 21 were done.
    Now no health check waits behind more than a few."""
    burst = validation_burst(server.url, 60)
    assert burst.statuses == [200] * 60
    assert len(burst.health) >= 3, "the burst ended before health was asked"
    # Before the queue, health waited behind 13 to 21 of them. A few may finish during
    # one health call on a busy machine (each takes tens of ms once Keras is warm).
    assert max(finished for _seconds, finished in burst.health) <= 5, burst.health


def test_past_the_queue_depth_keras_routes_answer_503_with_retry_after(tmp_path):
    server = Server(tmp_path / "data", env={"LAYERFORGE_LIMIT_KERAS_QUEUE": "2"})
    try:
        burst = validation_burst(server.url, 20, first_variant=100)
    finally:
        server.stop()
    assert set(burst.statuses) == {200, 503}
    assert burst.statuses.count(200) >= 4  # two at work, two waiting
    assert {r for s, r in zip(burst.statuses, burst.retry_after, strict=True) if s == 503} == {"2"}


def test_the_keras_queue_names_routes_the_server_has():
    routes = {
        (method.upper(), path)
        for path, operations in create_app(Settings()).openapi()["paths"].items()
        for method in operations
    }
    assert KERAS_ROUTES <= routes
