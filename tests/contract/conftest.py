"""The run machinery's two implementations behind one fixture: `local+memory` (the
one-machine default: in-process scheduler, in-memory event log, SQLite) and
`dramatiq+redis` (the team server: Dramatiq queue, Redis Streams, PostgreSQL, and a real
`layerforge worker --cpu` process). Every test in this folder runs against both; a
third implementation adds a parameter here.

The Redis side uses a database number of its own (flushed before and after) and a
PostgreSQL schema of its own; it is skipped, saying why, when either is unreachable.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contract.team import REDIS_URL, WorkerProcess, flush_redis, redis_or_skip, team_env
from helpers import BASE_URL
from layerforge.api.app import create_app
from layerforge.settings import Settings

CONTRACT_REDIS_DB = 9


@dataclass
class Implementation:
    """One way to run: the app's settings, and whatever else must run beside the app."""

    name: str
    settings: Settings
    env: dict[str, str]
    workers: list[WorkerProcess]

    def app(self) -> AbstractContextManager[TestClient]:
        return TestClient(create_app(self.settings), base_url=BASE_URL)


def wait_for_workers(client: TestClient, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(client.get("/api/workers").json()["workers"]) < count:
        assert time.monotonic() < deadline, f"fewer than {count} workers after {timeout} s"
        time.sleep(0.2)


@contextmanager
def team_server(
    tmp: Path, postgres_url: str, redis_db: int, workers: int
) -> Iterator[Implementation]:
    """PostgreSQL + Redis settings and `workers` worker processes (stopped after)."""
    url = REDIS_URL.format(db=redis_db)
    redis_or_skip(url)
    flush_redis(url)
    settings = Settings(
        data_dir=tmp / "data",
        artifacts_dir=tmp / "artifacts",
        database_url=postgres_url,
        redis_url=url,
        queue="dramatiq",
        events="redis",
        heartbeat_s=0.5,
        worker_lost_s=3,
        cancel_grace_s=10,
        warm_trainer=False,
    )
    env = team_env(settings)
    procs = [WorkerProcess(env, tmp / f"worker-{i}.log", f"w{i}") for i in range(workers)]
    try:
        yield Implementation("dramatiq+redis", settings, env, procs)
    finally:
        for proc in procs:
            proc.stop()
        flush_redis(url)


@pytest.fixture(params=["local+memory", "dramatiq+redis"])
def implementation(request, tmp_path: Path) -> Iterator[Implementation]:
    if request.param == "local+memory":
        settings = Settings(data_dir=tmp_path / "data", cancel_grace_s=10, warm_trainer=False)
        yield Implementation("local+memory", settings, dict(os.environ), [])
        return
    postgres_url = request.getfixturevalue("postgres_url")
    with team_server(tmp_path, postgres_url, CONTRACT_REDIS_DB, workers=1) as team:
        yield team


@pytest.fixture
def started(implementation: Implementation) -> Callable[[], AbstractContextManager[TestClient]]:
    """Opens the app (runtime started) once its workers are listed."""

    @contextmanager
    def open_app() -> Iterator[TestClient]:
        with implementation.app() as client:
            wait_for_workers(client, max(1, len(implementation.workers)))
            yield client

    return open_app
