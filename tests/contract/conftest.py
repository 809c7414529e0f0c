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
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers import BASE_URL
from layerforge.api.app import create_app
from layerforge.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/{db}"
CONTRACT_REDIS_DB = 9


def redis_or_skip(url: str) -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis at {url} is unreachable: {exc}")


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


class WorkerProcess:
    """`layerforge worker --cpu` in a subprocess, its output in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path, worker_id: str):
        self.log_path = log_path
        self.id = worker_id
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "layerforge.cli", "worker", "--cpu", "--id", worker_id],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._log.close()


@dataclass
class Implementation:
    """One way to run: the app's settings, and whatever else must run beside the app."""

    name: str
    settings: Settings
    env: dict[str, str]
    workers: list[WorkerProcess]

    def app(self) -> AbstractContextManager[TestClient]:
        return TestClient(create_app(self.settings), base_url=BASE_URL)


def team_env(settings: Settings) -> dict[str, str]:
    """The environment a worker gets, as compose gives it."""
    return {
        **os.environ,
        "LAYERFORGE_DATABASE_URL": settings.database_url or "",
        "LAYERFORGE_REDIS_URL": settings.redis_url,
        "LAYERFORGE_DATA_DIR": str(settings.data_dir),
        "LAYERFORGE_ARTIFACTS_DIR": str(settings.artifacts_dir),
        "LAYERFORGE_HEARTBEAT_S": str(settings.heartbeat_s),
        "LAYERFORGE_WORKER_LOST_S": str(settings.worker_lost_s),
        "LAYERFORGE_CANCEL_GRACE_S": str(settings.cancel_grace_s),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


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
