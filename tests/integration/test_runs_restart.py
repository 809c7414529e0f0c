"""A server restart: runs the previous server was running end failed, queued runs run."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from helpers import BASE_URL, TERMINAL, assert_whole, iris_graph, wait_status
from layerforge.api.app import create_app
from layerforge.settings import Settings
from layerforge.store.db import database_url, sessions_for
from layerforge.store.runs import RunStore
from layerforge.training.settings import parse_settings

pytestmark = pytest.mark.slow


def test_restart_fails_active_runs_and_picks_up_queued_ones(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", warm_trainer=False)
    store = RunStore(sessions_for(database_url(settings)))
    snapshot = {
        "graph": iris_graph(),
        "dataset": {"name": "iris"},
        "settings": parse_settings(
            {"epochs": 1, "batch_size": 16, "tensorboard": False}
        ).model_dump(mode="json"),
    }
    # what a server that died left behind
    running = store.create_run(**snapshot, status="running")["id"]
    starting = store.create_run(**snapshot, status="starting")["id"]
    queued = store.create_run(**snapshot, status="queued")["id"]

    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        for run_id in (running, starting):
            run = client.get(f"/api/runs/{run_id}").json()
            assert run["status"] == "failed" and run["error"]["code"] == "server_restarted"
            (event,) = client.get(f"/api/runs/{run_id}/events").json()["events"]
            assert (event["seq"], event["status"]) == (1, "failed")
        run = wait_status(client, queued, TERMINAL, timeout=300)
        assert run["status"] == "succeeded", run
        events = client.get(f"/api/runs/{queued}/events").json()["events"]
        assert_whole(events)
        assert events[0]["status"] == "starting" and events[-1]["status"] == "succeeded"
