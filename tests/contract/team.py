"""What the contract suite and the team-server integration tests share: Redis checks,
a `layerforge worker --cpu` process, and the environment a worker gets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from layerforge.settings import Settings
from needs import unavailable

REDIS_URL = "redis://127.0.0.1:6379/{db}"


def redis_or_skip(url: str) -> None:
    """Skip the test when Redis does not answer at `url` (fail it in CI)."""
    try:
        import redis
    except ImportError:
        unavailable("the redis package is not installed (pip install -e '.[team]')")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        unavailable(f"Redis at {url} is unreachable: {exc}")


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


class WorkerProcess:
    """`layerforge worker --cpu` (or with `devices`, e.g. `[]`: the GPUs it finds) in a
    subprocess, its output in a log file."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        worker_id: str,
        devices: list[str] | None = None,
    ):
        self.log_path = log_path
        self.id = worker_id
        self._log = log_path.open("ab")
        choice = ["--cpu"] if devices is None else devices
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "layerforge.cli", "worker", *choice, "--id", worker_id],
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
