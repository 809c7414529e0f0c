"""`layerforge worker` as the containers run it: `--check` (the health check, on the
worker's heartbeat in the store) and `--gpus all` on a machine without a GPU."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from layerforge.settings import Settings
from layerforge.store.db import database_url, sessions_for
from layerforge.store.workers import WorkerStore

LAYERFORGE = Path(sys.executable).parent / "layerforge"


def worker(tmp_path: Path, *args: str, **env_vars: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAYERFORGE_DATA_DIR": str(tmp_path / "data"), **env_vars}
    env.pop("LAYERFORGE_DATABASE_URL", None)
    return subprocess.run(
        [LAYERFORGE, "worker", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def workers(tmp_path: Path) -> WorkerStore:
    return WorkerStore(sessions_for(database_url(Settings(data_dir=tmp_path / "data"))))


def test_check_is_healthy_only_while_this_hosts_worker_beats(tmp_path, workers):
    assert worker(tmp_path, "--check").returncode == 1  # nobody beat yet

    workers.beat("elsewhere:1:abc", host="elsewhere", pid=1, devices=[], runs=[])
    assert worker(tmp_path, "--check").returncode == 1  # another host's worker
    assert worker(tmp_path, "--check", "--id", "elsewhere:1:abc").returncode == 0

    here = socket.gethostname()
    workers.beat(f"{here}:2:def", host=here, pid=2, devices=[], runs=[])
    healthy = worker(tmp_path, "--check")
    assert healthy.returncode == 0, healthy.stderr
    assert f"1 worker(s) of {here} beating" in healthy.stdout

    workers.remove(f"{here}:2:def")  # a worker that stopped (or whose row went stale)
    gone = worker(tmp_path, "--check")
    assert gone.returncode == 1 and f"0 worker(s) of {here} beating" in gone.stderr


def test_a_stale_heartbeat_is_unhealthy(tmp_path, workers):
    here = socket.gethostname()
    workers.beat(f"{here}:3:ghi", host=here, pid=3, devices=[], runs=[])
    assert worker(tmp_path, "--check").returncode == 0
    assert worker(tmp_path, "--check", LAYERFORGE_WORKER_LOST_S="0.000001").returncode == 1


def fake_nvidia_smi(folder: Path) -> str:
    """A PATH whose nvidia-smi lists no GPU (a driver with none visible)."""
    folder.mkdir()
    exe = folder / "nvidia-smi"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    return f"{folder}:{os.environ['PATH']}"


def test_gpus_all_without_a_gpu_says_it_found_none(tmp_path):
    no_driver = worker(tmp_path, "--gpus", "all", PATH=str(Path(sys.executable).parent))
    assert no_driver.returncode == 2
    assert "--gpus all found no GPU: nvidia-smi is not installed" in no_driver.stderr
    assert "--cpu" in no_driver.stderr

    none_listed = worker(tmp_path, "--gpus", "all", PATH=fake_nvidia_smi(tmp_path / "bin"))
    assert none_listed.returncode == 2
    assert "--gpus all found no GPU: nvidia-smi lists none" in none_listed.stderr
