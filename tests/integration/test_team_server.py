"""The team server started natively, as docker compose would: `layerforge serve`
processes with the PostgreSQL and Redis URLs (LAYERFORGE_QUEUE=dramatiq,
LAYERFORGE_EVENTS=redis) and two `layerforge worker --cpu` processes, one artifacts
folder shared by all. Skipped, saying why, when PostgreSQL or Redis is unreachable."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contract.team import REDIS_URL, WorkerProcess, flush_redis, redis_or_skip, team_env
from helpers import TERMINAL, assert_whole, run_body
from layerforge.settings import Settings
from needs import unavailable
from serve_process import Server

TEAM_REDIS_DB = 10


class Team:
    def __init__(
        self, tmp: Path, postgres_url: str, redis_url: str = REDIS_URL.format(db=TEAM_REDIS_DB)
    ):
        self.tmp = tmp
        self.settings = Settings(
            data_dir=tmp / "data",
            artifacts_dir=tmp / "artifacts",
            database_url=postgres_url,
            redis_url=redis_url,
            queue="dramatiq",
            events="redis",
            heartbeat_s=0.5,
            worker_lost_s=3,
            cancel_grace_s=10,
        )
        self.env = {k: v for k, v in team_env(self.settings).items() if k != "LAYERFORGE_DATA_DIR"}
        self.env |= {"LAYERFORGE_QUEUE": "dramatiq", "LAYERFORGE_EVENTS": "redis"}
        self.workers: list[WorkerProcess] = []
        self.apis: list[Server] = []

    def worker(
        self, name: str, devices: list[str] | None = None, env: dict[str, str] | None = None
    ) -> WorkerProcess:
        proc = WorkerProcess(
            {**self.env, "LAYERFORGE_DATA_DIR": str(self.tmp / name), **(env or {})},
            self.tmp / f"{name}.log",
            name,
            devices,
        )
        self.workers.append(proc)
        return proc

    def api(self, name: str) -> Server:
        data_dir = self.tmp / name  # each replica its own data dir; the store is shared
        data_dir.mkdir()
        server = Server(data_dir, env=self.env, log_name=f"{name}.log")
        self.apis.append(server)
        return server

    def close(self) -> None:
        for server in self.apis:
            if server.proc.poll() is None:
                server.stop()
        for proc in self.workers:
            proc.stop()


@pytest.fixture
def team(tmp_path: Path, postgres_url: str) -> Iterator[Team]:
    redis_or_skip(REDIS_URL.format(db=TEAM_REDIS_DB))
    flush_redis(REDIS_URL.format(db=TEAM_REDIS_DB))
    team = Team(tmp_path, postgres_url)
    try:
        yield team
    finally:
        team.close()
        flush_redis(REDIS_URL.format(db=TEAM_REDIS_DB))


def get(server: Server, path: str, **params: object) -> dict:
    answer = httpx.get(f"{server.url}{path}", params=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def post(server: Server, path: str, body: dict | None = None) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=30)


def wait(server: Server, run_id: str, statuses: set[str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while (run := get(server, f"/api/runs/{run_id}"))["status"] not in statuses:
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        time.sleep(0.1)
    return run


def workers_by_run(server: Server) -> dict[str, str]:
    return {
        run_id: w["id"] for w in get(server, "/api/workers")["workers"] for run_id in w["run_ids"]
    }


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.1)
    return value


def stream(server: Server, run_id: str, after: int = 0) -> list[dict]:
    events = []
    with server.ws(f"/api/runs/{run_id}/stream?after={after}") as ws:
        for text in ws:
            message = json.loads(text)
            if message["type"] != "ping":
                events.append(message)
    return events


def test_two_runs_on_two_workers_read_from_two_replicas_and_cancel_across(team):
    team.worker("w1"), team.worker("w2")
    api_a, api_b = team.api("api-a"), team.api("api-b")
    wait_for(lambda: len(get(api_a, "/api/workers")["workers"]) == 2, 60, "two workers")
    workers = get(api_b, "/api/workers")["workers"]
    assert {w["id"] for w in workers} == {"w1", "w2"}
    assert all(w["devices"][0]["kind"] == "cpu" and w["free_slots"] == 1 for w in workers)

    short = post(api_a, "/api/runs", run_body(epochs=3, batch_size=16)).json()["id"]
    long = post(api_a, "/api/runs", run_body(epochs=500, batch_size=4)).json()["id"]

    def both_held() -> dict[str, str] | None:
        held = workers_by_run(api_b)
        return held if {short, long} <= set(held) else None

    holders = wait_for(both_held, 60, "both runs on workers at once")
    assert holders[short] != holders[long]  # one run per worker, both at once
    # each worker's device names the run training on it (the editor shows which device)
    on_device = {
        d["run_id"]: w["id"]
        for w in get(api_a, "/api/workers")["workers"]
        for d in w["devices"]
        if d["run_id"]
    }
    assert on_device.get(long) == holders[long]

    from_b = stream(api_b, short)  # replica B streams a run replica A queued
    assert_whole(from_b)
    assert [e["status"] for e in from_b if e["type"] == "status"] == [
        "queued",
        "starting",
        "running",
        "succeeded",
    ]
    assert from_b == get(api_a, f"/api/runs/{short}/events")["events"]
    assert stream(api_a, short, after=5) == from_b[5:]
    artifacts = {a["name"] for a in get(api_b, f"/api/runs/{short}/artifacts")["artifacts"]}
    assert "model.keras" in artifacts  # written by a worker, read by any replica

    wait_for(lambda: get(api_a, f"/api/runs/{long}")["metrics"], 60, "a batch of the long run")
    asked = time.monotonic()
    assert post(api_b, f"/api/runs/{long}/cancel").json()["cancel"] == "cancelling"
    cancelled = wait(api_a, long, TERMINAL, timeout=30)
    assert cancelled["status"] == "cancelled" and cancelled.get("error") is None
    assert time.monotonic() - asked < 5


def test_a_killed_worker_requeues_an_unstarted_run_and_fails_a_training_one(team):
    first, second = team.worker("w1"), team.worker("w2")
    api = team.api("api")
    by_id = {"w1": first, "w2": second}
    wait_for(lambda: len(get(api, "/api/workers")["workers"]) == 2, 60, "two workers")

    # killed while its trainer starts (no batch yet): queued again once, on the other worker
    early = post(api, "/api/runs", run_body(epochs=2, batch_size=16)).json()["id"]
    holder = wait_for(lambda: workers_by_run(api).get(early), 30, "a worker holding it")
    by_id[holder].kill()
    assert not [e for e in get(api, f"/api/runs/{early}/events")["events"] if e["type"] == "batch"]
    done = wait(api, early, TERMINAL, timeout=120)
    events = get(api, f"/api/runs/{early}/events")["events"]
    assert done["status"] == "succeeded", done
    assert any(f"worker {holder} vanished" in e.get("message", "") for e in events)
    assert_whole(events)

    # killed mid-run: failed with worker_lost naming the worker, never stuck
    survivor = "w2" if holder == "w1" else "w1"
    late = post(api, "/api/runs", run_body(epochs=500, batch_size=4)).json()["id"]
    wait_for(lambda: get(api, f"/api/runs/{late}")["metrics"], 90, "a batch")
    by_id[survivor].kill()
    lost = wait(api, late, TERMINAL, timeout=30)
    assert lost["status"] == "failed"
    assert lost["error"]["code"] == "worker_lost" and survivor in lost["error"]["message"]
    assert get(api, "/api/workers")["workers"] == []


def test_a_run_with_gpus_2_trains_over_two_of_a_workers_devices(team: Team, tmp_path: Path):
    # this machine has no GPU: a stand-in nvidia-smi lists two, so the worker makes two
    # slots; the trainer's TensorFlow then finds no GPU and mirrors over two logical CPUs
    tools = tmp_path / "bin"
    tools.mkdir()
    smi = tools / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho '0, Stand-in GPU, 16384'\necho '1, Stand-in GPU, 16384'\n")
    smi.chmod(0o755)
    env = {"PATH": f"{tools}:{os.environ['PATH']}", "LAYERFORGE_CPU_DEVICES": "2"}
    team.worker("w1", devices=[], env=env)
    api = team.api("api")
    workers = wait_for(lambda: get(api, "/api/workers")["workers"], 60, "the worker")
    assert [(d["id"], d["kind"]) for d in workers[0]["devices"]] == [("0", "gpu"), ("1", "gpu")]

    run_id = post(api, "/api/runs", run_body(epochs=15, batch_size=4, gpus=2)).json()["id"]

    def on_devices() -> list[str | None]:
        return [d["run_id"] for d in get(api, "/api/workers")["workers"][0]["devices"]]

    wait_for(lambda: on_devices() == [run_id, run_id], 90, "the run on both devices")
    done = wait(api, run_id, TERMINAL, timeout=240)
    assert done["status"] == "succeeded", done
    events = get(api, f"/api/runs/{run_id}/events")["events"]
    logs = [e["message"] for e in events if e["type"] == "log"]
    assert any(m.startswith("MirroredStrategy over") and m.count("CPU:") == 2 for m in logs), logs
    assert wait_for(lambda: on_devices() == [None, None], 30, "both devices free again")

    # more devices than the worker has: failed, saying so, and the worker goes on
    too_many = post(api, "/api/runs", run_body(epochs=1, gpus=3)).json()["id"]
    failed = wait(api, too_many, TERMINAL, timeout=60)
    assert failed["status"] == "failed" and failed["error"]["code"] == "not_enough_devices"
    assert "asks for 3 devices, worker w1 has 2" in failed["error"]["message"]
    one = post(api, "/api/runs", run_body(epochs=1)).json()["id"]
    assert wait(api, one, TERMINAL, timeout=120)["status"] == "succeeded"


class PrivateRedis:
    """A redis-server of this test's own, without persistence, so a restart loses
    everything it held (as a crashed Redis without a volume would)."""

    def __init__(self, tmp: Path):
        if not shutil.which("redis-server"):
            unavailable("redis-server is not installed")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.tmp = tmp
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.tmp)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        wait_for(lambda: self._pings(), 10, "redis-server up")

    def _pings(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.exceptions.ConnectionError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


def test_redis_restarted_mid_run_loses_no_event(tmp_path: Path, postgres_url: str):
    redis_server = PrivateRedis(tmp_path)
    team = Team(tmp_path, postgres_url, redis_url=redis_server.url)
    try:
        team.worker("w1")
        api = team.api("api")
        wait_for(lambda: get(api, "/api/workers")["workers"], 60, "the worker")
        run_id = post(api, "/api/runs", run_body(epochs=12, batch_size=4)).json()["id"]
        wait_for(lambda: get(api, f"/api/runs/{run_id}")["metrics"], 90, "a batch")
        assert get(api, f"/api/runs/{run_id}")["status"] == "running"
        redis_server.kill()  # everything in Redis is gone: streams, states, the queue
        time.sleep(1.5)
        redis_server.start()
        done = wait(api, run_id, TERMINAL, timeout=120)
        assert done["status"] == "succeeded", done
        events = get(api, f"/api/runs/{run_id}/events")["events"]
        assert_whole(events)
        assert [e["epoch"] for e in events if e["type"] == "epoch"] == list(range(12))
        batches = [(e["epoch"], e["batch"]) for e in events if e["type"] == "batch"]
        assert batches == sorted(set(batches))  # in order, none twice
        assert {epoch for epoch, _ in batches} == set(range(12))
        assert stream(api, run_id) == events  # a socket after the restart replays it all
        # the team still takes runs: the worker's queue consumer came back
        after = post(api, "/api/runs", run_body(epochs=1, batch_size=16)).json()["id"]
        assert wait(api, after, TERMINAL, timeout=120)["status"] == "succeeded"
    finally:
        team.close()
        redis_server.kill()


def test_a_run_queued_when_redis_restarts_is_queued_again(tmp_path: Path, postgres_url: str):
    """Redis without persistence loses the queue's messages on a restart; a run that was
    waiting for a worker then is queued again by the API's reaper, and trains once."""
    import redis

    redis_server = PrivateRedis(tmp_path)
    team = Team(tmp_path, postgres_url, redis_url=redis_server.url)
    try:
        api = team.api("api")
        run_id = post(api, "/api/runs", run_body(epochs=1, batch_size=16)).json()["id"]
        client = redis.Redis.from_url(redis_server.url)
        time.sleep(2)  # several reaper looks: the message is there, none is added
        assert client.llen("dramatiq:layerforge-runs") == 1
        redis_server.kill()  # no worker yet: the run's only message is gone
        redis_server.start()  # empty: the reaper's next look sends the run again
        wait_for(lambda: client.llen("dramatiq:layerforge-runs") == 1, 30, "the run queued again")
        team.worker("w1")
        done = wait(api, run_id, TERMINAL, timeout=120)
        assert done["status"] == "succeeded", done
        events = get(api, f"/api/runs/{run_id}/events")["events"]
        # an event leaves out fields at their default (a log's level: "info")
        warnings = [
            e["message"] for e in events if e["type"] == "log" and e.get("level") == "warning"
        ]
        assert any("queued again" in w for w in warnings), warnings
        assert [e["status"] for e in events if e["type"] == "status"].count("starting") == 1
    finally:
        team.close()
        redis_server.kill()
