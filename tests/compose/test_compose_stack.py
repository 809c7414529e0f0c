"""The team server as `docker compose up --wait` runs it, with a Docker Engine: the project's
own Dockerfile and docker-compose.yml, built on the stand-in base images of
deploy/standins (no registry serves images here; see its README), under a compose
project of its own that is removed (`down -v`) at the end.

The tests run in order on one stack: each leaves what the next checks (the runs, the
admin token, a person, a data set). `make test-compose` runs them (deploy/standins/
engine.sh first makes sure an engine runs)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from helpers import TERMINAL, assert_whole, digits_mlp
from serve_process import free_port

pytestmark = pytest.mark.timeout(3600)

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LIMIT_BYTES = 1_500_000_000
LINK = re.compile(r"http://(\S+?)/\?token=(\S+)")


@dataclass
class Stack:
    project: str
    env_file: Path
    port: int
    token: str = ""
    runs: list[str] = field(default_factory=list)
    people: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def compose(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        command = ["docker", "compose", "-p", self.project, "--env-file", str(self.env_file)]
        done = subprocess.run(
            [*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, f"docker compose {' '.join(args)}:\n{done.stderr[-4000:]}"
        return done

    def up(self) -> float:
        started = time.monotonic()
        self.compose("up", "--detach", "--wait", "--scale", "worker-cpu=2")
        return time.monotonic() - started

    def logs(self, service: str) -> str:
        return self.compose("logs", "--no-color", service).stdout

    def containers(self, service: str) -> dict[str, str]:
        """The service's containers by their host name (what a worker's heartbeat names)."""
        ids = self.compose("ps", "--quiet", service).stdout.split()
        return {inspect(i, "{{.Config.Hostname}}"): i for i in ids}

    def api(self, token: str | None = None) -> httpx.Client:
        token = self.token if token is None else token
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def inspect(obj: str, template: str) -> str:
    done = subprocess.run(
        ["docker", "inspect", "-f", template, obj], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def image_size(image: str) -> int:
    return int(inspect(image, "{{.Size}}"))


def timed(what: str, command: list[str], timeout: float = 3000) -> float:
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{what}:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return time.monotonic() - started


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, figures: dict[str, str]) -> Iterator[Stack]:
    engine = subprocess.run(["docker", "info"], capture_output=True, text=True)
    assert engine.returncode == 0, (
        f"no Docker Engine answers (make test-compose starts one):\n{engine.stderr}"
    )
    folder = tmp_path_factory.mktemp("compose")
    standins = subprocess.run(
        [ROOT / "deploy" / "standins" / "build.sh"], capture_output=True, text=True, timeout=1800
    )
    assert standins.returncode == 0, standins.stderr
    port = free_port()
    env_file = folder / "compose.env"
    env_file.write_text(standins.stdout + f"LAYERFORGE_PORT={port}\n")
    stack = Stack(f"lftest{uuid.uuid4().hex[:8]}", env_file, port)
    build = ["docker", "compose", "-p", stack.project, "--env-file", str(env_file), "build"]
    figures["build api + worker-cpu images (s)"] = f"{timed('build', build):.0f}"
    figures["runtime image (layerforge:latest)"] = f"{image_size('layerforge:latest') / 1e9:.2f} GB"
    try:
        figures["up --wait, cold volumes (s)"] = f"{stack.up():.0f}"
        yield stack
    finally:
        subprocess.run(
            ["docker", "compose", "-p", stack.project, "--env-file", str(env_file)]
            + ["down", "--volumes", "--remove-orphans", "--timeout", "5"],
            cwd=ROOT,
            capture_output=True,
            timeout=300,
        )


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.5)
    return value


def wait_run(api: httpx.Client, run_id: str, statuses: set[str], timeout: float = 300) -> dict:
    return wait_for(
        lambda: (r := api.get(f"/api/runs/{run_id}").json())["status"] in statuses and r,
        timeout,
        f"run {run_id} in {statuses}",
    )


def start_run(api: httpx.Client, epochs: int, batch_size: int = 32) -> str:
    body = {
        "graph": digits_mlp(),
        "dataset": {"name": "digits_flat"},
        "settings": {"epochs": epochs, "batch_size": batch_size, "seed": 1, "tensorboard": False},
    }
    created = api.post("/api/runs", json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def holders(api: httpx.Client) -> dict[str, str]:
    """The host of the worker holding each run (its container's host name)."""
    return {r: w["host"] for w in api.get("/api/workers").json()["workers"] for r in w["run_ids"]}


def stream(stack: Stack, run_id: str) -> list[dict]:
    """The run's WebSocket, as the editor opens it (a ticket, the page's Origin), to the end."""
    ticket = stack.api().post("/api/auth/ticket").json()["ticket"]
    events = []
    url = f"ws://127.0.0.1:{stack.port}/api/runs/{run_id}/stream?ticket={ticket}"
    with connect(url, origin=stack.url, open_timeout=30) as ws:  # type: ignore[arg-type]
        for text in ws:
            message = json.loads(text)
            if message["type"] != "ping":
                events.append(message)
    return events


def test_the_first_start_prints_the_admin_token_once(stack: Stack):
    links = LINK.findall(stack.logs("api"))
    assert len(links) == 1, links
    (host, stack.token) = links[0]
    assert host == "127.0.0.1:8000"  # one a person can open, not 0.0.0.0
    assert stack.api().get("/api/auth/me").json() == {"name": "admin", "admin": True}
    assert stack.api("").get("/api/graphs").status_code == 401


def test_the_editor_and_the_api_docs_are_served(stack: Stack):
    api = stack.api("")
    page = api.get("/")
    assert page.status_code == 200 and '<div id="root">' in page.text
    script = re.search(r'src="(/assets/[^"]+\.js)"', page.text)
    assert script and api.get(script.group(1)).status_code == 200
    docs = api.get("/api/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text.lower()
    assert api.get("/api/openapi.json").json()["info"]["title"] == "Layerforge"


def test_a_run_trains_on_a_worker_streams_whole_and_its_artifacts_download(
    stack: Stack, figures: dict[str, str]
):
    api = stack.api()
    workers = stack.containers("worker-cpu")
    assert len(workers) == 2
    started = time.monotonic()
    run_id = start_run(api, epochs=8)
    stack.runs.append(run_id)
    host = wait_for(lambda: holders(api).get(run_id), 120, "a worker holding the run")
    assert host in workers  # trained in a worker container, not the api's
    events = stream(stack, run_id)
    figures["digits_flat run, 8 epochs, queued to streamed end (s)"] = (
        f"{time.monotonic() - started:.1f}"
    )
    figures["events streamed"] = str(len(events))
    assert_whole(events)
    statuses = [e["status"] for e in events if e["type"] == "status"]
    assert statuses == ["queued", "starting", "running", "succeeded"], statuses
    assert events == api.get(f"/api/runs/{run_id}/events").json()["events"][: len(events)]
    assert len([e for e in events if e["type"] == "epoch"]) == 8

    names = {a["name"] for a in api.get(f"/api/runs/{run_id}/artifacts").json()["artifacts"]}
    assert "model.keras" in names, names
    model = api.get(f"/api/runs/{run_id}/artifacts/model.keras")
    assert model.status_code == 200
    assert "config.json" in zipfile.ZipFile(io.BytesIO(model.content)).namelist()


def test_restarting_the_api_keeps_the_runs_and_the_admin_token(stack: Stack):
    stack.compose("restart", "api")
    stack.compose("up", "--detach", "--wait", "api")
    api = stack.api()
    assert api.get("/api/auth/me").json() == {"name": "admin", "admin": True}
    assert api.get(f"/api/runs/{stack.runs[0]}").json()["status"] == "succeeded"
    logs = stack.logs("api")
    assert len(LINK.findall(logs)) == 1 and logs.count(stack.token) == 2  # printed once
    assert "layerforge users reset-token" in logs.split(stack.token)[-1]


def test_a_killed_worker_fails_its_run_and_the_other_takes_the_next(stack: Stack):
    api = stack.api()
    workers = stack.containers("worker-cpu")
    run_id = start_run(api, epochs=300, batch_size=8)
    stack.runs.append(run_id)
    wait_for(lambda: api.get(f"/api/runs/{run_id}").json()["metrics"], 180, "a trained batch")
    killed = holders(api)[run_id]
    # `docker compose kill worker-cpu` would kill both replicas: the one holding the run
    subprocess.run(["docker", "kill", workers[killed]], check=True, capture_output=True)
    lost = wait_run(api, run_id, TERMINAL, timeout=120)
    assert lost["status"] == "failed", lost
    assert lost["error"]["code"] == "worker_lost" and killed in lost["error"]["message"]

    next_id = start_run(api, epochs=2)
    stack.runs.append(next_id)
    host = wait_for(lambda: holders(api).get(next_id), 120, "a worker holding the next run")
    assert host in workers and host != killed
    assert wait_run(api, next_id, TERMINAL)["status"] == "succeeded"


def test_users_add_in_the_api_container_gives_a_working_token(stack: Stack):
    added = stack.compose("exec", "-T", "api", "layerforge", "users", "add", "carol")
    token = added.stdout.strip().splitlines()[-1]
    assert stack.api(token).get("/api/auth/me").json() == {"name": "carol", "admin": False}
    stack.people["carol"] = token


def test_down_then_up_keeps_graphs_runs_data_sets_and_people(stack: Stack, figures: dict[str, str]):
    api = stack.api()
    graph = api.post("/api/graphs", json={"graph": {**digits_mlp(), "name": "kept"}})
    assert graph.status_code == 201, graph.text
    csv = "a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40))
    upload = api.post(
        "/api/datasets",
        files={"file": ("kept.csv", csv)},
        data={"name": "kept-set", "target": "label"},
    )
    assert upload.status_code == 201, upload.text

    stack.compose("down", "--timeout", "10")
    figures["up --wait, warm volumes (s)"] = f"{stack.up():.0f}"

    api = stack.api()
    assert api.get(f"/api/graphs/{graph.json()['id']}").json()["name"] == "kept"
    listed = {r["id"]: r["status"] for r in api.get("/api/runs").json()["runs"]}
    assert [listed.get(r) for r in stack.runs] == ["succeeded", "failed", "succeeded"]
    assert "kept-set" in [d["name"] for d in api.get("/api/datasets").json()["datasets"]]
    carol = stack.api(stack.people["carol"]).get("/api/auth/me")
    assert carol.json() == {"name": "carol", "admin": False}
    assert "token=" not in stack.logs("api")  # no token printed at a later start


def test_the_gpu_image_builds_and_its_worker_says_it_found_no_gpu(
    stack: Stack, figures: dict[str, str]
):
    build = ["docker", "compose", "-p", stack.project, "--env-file", str(stack.env_file)]
    build += ["--profile", "gpu", "build", "worker-gpu"]
    figures["build worker-gpu image (s)"] = f"{timed('build gpu', build):.0f}"
    figures["gpu image (layerforge-gpu:latest)"] = (
        f"{image_size('layerforge-gpu:latest') / 1e9:.2f} GB"
    )
    cuda = subprocess.run(
        ["docker", "run", "--rm", "layerforge-gpu:latest", "python", "-c"]
        + ["import tensorflow as tf; print(tf.test.is_built_with_cuda())"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cuda.stdout.strip().splitlines()[-1] == "True", cuda.stderr
    # the image's own command, on this machine without a GPU (nor the NVIDIA toolkit)
    worker = subprocess.run(
        ["docker", "run", "--rm", "layerforge-gpu:latest"], capture_output=True, text=True
    )
    assert worker.returncode == 2
    assert "--gpus all found no GPU" in worker.stderr


def test_the_runtime_image_is_at_most_1_5_gb(stack: Stack):
    assert image_size("layerforge:latest") <= RUNTIME_LIMIT_BYTES
