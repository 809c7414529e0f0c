"""The disk of a one-machine server fills while a run trains (a real full disk: a small
tmpfs as the data directory, SQLite on it). The server goes on answering; the run's
trainer meets the full disk and ends; its events wait for the store; once space is
freed the run ends `failed` with `disk_full`, with every event, none lost, none stuck."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from disks import small_disk
from helpers import TERMINAL, assert_whole, chain, wait_status
from serve_process import Server


def big_mlp() -> dict:
    return chain(
        {"type": "Dense", "params": {"units": 1024, "activation": "relu"}},
        {"type": "Dense", "params": {"units": 512, "activation": "relu"}},
        {"type": "Dense", "params": {"units": 10, "activation": "softmax"}},
        input_shape=[64],
        loss="sparse_categorical_crossentropy",
    )


def wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.2)


def test_a_run_on_a_full_disk_ends_disk_full_once_space_is_freed(tmp_path: Path) -> None:
    with small_disk(tmp_path / "data", size_mb=64) as disk:
        server = Server(disk.path, env={"LAYERFORGE_WARM_TRAINER": "false"})
        try:
            c = httpx.Client(base_url=server.url, timeout=30)
            body = {
                "graph": big_mlp(),
                "dataset": {"name": "digits_flat"},
                "settings": {"epochs": 50, "batch_size": 8, "tensorboard": False},
            }
            run_id = c.post("/api/runs", json=body).json()["id"]

            def trained() -> bool:
                events = c.get(f"/api/runs/{run_id}/events").json()["events"]
                return any(e["type"] == "batch" for e in events)

            def trainer_gone() -> bool:
                return not c.get("/api/workers").json()["workers"][0]["run_ids"]

            wait(trained, 120, "batch event")
            disk.fill()
            cancel = c.post(f"/api/runs/{run_id}/cancel")
            assert cancel.status_code == 200 and cancel.json()["cancel"] == "cancelling"
            wait(trainer_gone, 60, "end of the trainer")
            assert c.get("/api/health").status_code == 200  # the server goes on

            disk.free()
            run = wait_status(c, run_id, TERMINAL, timeout=30)
            assert run["status"] == "failed", run
            assert run["error"]["code"] == "disk_full", run["error"]
            events = c.get(f"/api/runs/{run_id}/events", params={"limit": 10000}).json()["events"]
            assert_whole(events)
            assert events[-1]["type"] == "status" and events[-1]["status"] == "failed"
            assert c.post("/api/graphs", json={"graph": big_mlp()}).status_code == 201
        finally:
            server.stop()
