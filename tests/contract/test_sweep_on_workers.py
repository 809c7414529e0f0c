"""A sweep of 16 trials on the team server: its trials are ordinary runs that the Dramatiq workers
train, two at a time on two `layerforge worker --cpu` processes, with the study in
PostgreSQL (a schema of its own) and events through Redis."""

from __future__ import annotations

import time
from pathlib import Path

from contract.conftest import team_server, wait_for_workers
from helpers import run_body

SWEEP_REDIS_DB = 12
TRIALS = 16


def test_a_sweep_trains_its_trials_on_two_workers(tmp_path: Path, postgres_url: str) -> None:
    space = {
        "/graph/nodes/hidden/params/units": {"choices": [4, 8]},
        "/settings/optimizer/learning_rate": {"low": 1e-3, "high": 3e-2, "log": True},
    }
    body = {
        **run_body(epochs=10, batch_size=8),
        "space": space,
        "trials": TRIALS,
        "parallel": 2,
        "pruner": "none",
        "seed": 2,
    }
    with team_server(tmp_path, postgres_url, SWEEP_REDIS_DB, workers=2) as team:
        with team.app() as client:
            wait_for_workers(client, 2)
            created = client.post("/api/sweeps", json=body)
            assert created.status_code == 201, created.text
            sweep_id = created.json()["id"]
            deadline = time.monotonic() + 600
            most_busy: set[str] = set()  # the workers seen training at one moment
            while (sweep := client.get(f"/api/sweeps/{sweep_id}").json())["status"] == "running":
                assert time.monotonic() < deadline, sweep
                busy = {
                    w["id"]
                    for w in client.get("/api/workers").json()["workers"]
                    if w.get("run_id") or any(d.get("run_id") for d in w.get("devices", []))
                }
                most_busy = max(most_busy, busy, key=len)
                time.sleep(0.5)
    assert sweep["status"] == "succeeded", sweep
    assert [t["state"] for t in sweep["trials"]] == ["complete"] * TRIALS
    assert sweep["best"] is not None
    assert len(most_busy) == 2, most_busy  # two trials at a time: one on each worker
