"""Runs through the real server stack (app, scheduler, event log, hub) and the real
trainer subprocess, on iris with a tiny MLP."""

from __future__ import annotations

import os
import signal
import time

import pytest

from helpers import (
    TERMINAL,
    assert_whole,
    iris_graph,
    receive_until_end,
    run_body,
    wait_event,
    wait_status,
)

pytestmark = pytest.mark.slow


def test_a_run_succeeds_with_whole_events_across_a_reconnect(runs_client):
    client = runs_client
    with client.websocket_connect("/api/runs/stream") as all_runs:
        created = client.post("/api/runs", json=run_body(epochs=4, batch_size=8))
        assert created.status_code == 201, created.text
        run = created.json()
        assert run["status"] == "queued" and run["graph"]["nodes"][0]["id"] == "features"
        run_id = run["id"]
        with client.websocket_connect(f"/api/runs/{run_id}/stream?after=0") as ws:
            first = [ws.receive_json() for _ in range(6)]
        resume = first[-1]["seq"]
        with client.websocket_connect(f"/api/runs/{run_id}/stream?after={resume}") as ws:
            rest = receive_until_end(ws)
        statuses = []
        while len(statuses) < 4:
            change = all_runs.receive_json()
            if change.get("run_id") == run_id:
                statuses.append(change["status"])
    streamed = [e for e in first + rest if e["type"] != "ping"]
    assert_whole(streamed)
    assert [e["status"] for e in streamed if e["type"] == "status"] == [
        "queued",
        "starting",
        "running",
        "succeeded",
    ]
    assert statuses == ["queued", "starting", "running", "succeeded"]
    assert {e["type"] for e in streamed} >= {"status", "batch", "epoch", "artifact"}
    assert [e["epoch"] for e in streamed if e["type"] == "epoch"] == [0, 1, 2, 3]
    assert all(isinstance(e["time"], float) for e in streamed)

    # the events endpoint holds the same objects
    stored = client.get(f"/api/runs/{run_id}/events").json()["events"]
    assert stored == streamed
    page = client.get(f"/api/runs/{run_id}/events", params={"after": 3, "limit": 2}).json()[
        "events"
    ]
    assert [e["seq"] for e in page] == [4, 5]

    final = client.get(f"/api/runs/{run_id}").json()
    assert final["status"] == "succeeded" and final["last_seq"] == streamed[-1]["seq"]
    assert final["started_at"] and final["finished_at"] and final["error"] is None
    last_epoch = [e for e in streamed if e["type"] == "epoch"][-1]["metrics"]
    assert final["metrics"]["val_loss"] == last_epoch["val_loss"]
    listed = client.get("/api/runs", params={"status": "succeeded"}).json()["runs"]
    assert run_id in [r["id"] for r in listed] and "graph" not in listed[0]

    # artifacts: listed, downloadable, no way out of the run folder
    names = {a["name"] for a in client.get(f"/api/runs/{run_id}/artifacts").json()["artifacts"]}
    assert {"model.keras", "history.json", "model.py", "run.json"} <= names
    history = client.get(f"/api/runs/{run_id}/artifacts/history.json").json()
    assert len(history["history"]["val_loss"]) == 4
    assert client.get(f"/api/runs/{run_id}/artifacts/..%2F..%2Flayerforge.db").status_code in (
        400,
        404,
    )
    assert client.get(f"/api/runs/{run_id}/artifacts/nope.bin").status_code == 404

    # a trained model evaluates and predicts
    predicted = client.post(
        f"/api/runs/{run_id}/predict", json={"inputs": {"features": [[0.1, 0.2, 0.3, 0.4]]}}
    )
    assert predicted.status_code == 200, predicted.text
    evaluated = client.post(f"/api/runs/{run_id}/evaluate", json={})
    assert evaluated.status_code == 200, evaluated.text

    # a reconnect after the end replays nothing more and closes as finished
    with client.websocket_connect(f"/api/runs/{run_id}/stream?after={final['last_seq']}") as ws:
        assert receive_until_end(ws) == []

    assert client.delete(f"/api/runs/{run_id}").status_code == 204
    assert client.get(f"/api/runs/{run_id}").status_code == 404
    assert client.get(f"/api/runs/{run_id}/artifacts/model.keras").status_code == 404


def test_first_come_order_cancel_and_kill_9(runs_client):
    client = runs_client
    long_a = client.post("/api/runs", json=run_body(epochs=2000, batch_size=4)).json()["id"]
    long_b = client.post("/api/runs", json=run_body(epochs=2000, batch_size=4)).json()["id"]
    wait_event(client, long_a, "batch")
    assert client.get(f"/api/runs/{long_b}").json()["status"] == "queued"  # one slot, first come

    asked = time.monotonic()
    answer = client.post(f"/api/runs/{long_a}/cancel")
    assert answer.status_code == 200 and answer.json()["cancel"] == "cancelling"
    run = wait_status(client, long_a, TERMINAL, timeout=30)
    assert run["status"] == "cancelled", run
    cancel_s = time.monotonic() - asked
    assert cancel_s < 12  # stopped after the current batch, at worst killed after 10 s
    names = {a["name"] for a in client.get(f"/api/runs/{long_a}/artifacts").json()["artifacts"]}
    assert {"model.keras", "history.json"} <= names  # last weights and history kept
    assert client.post(f"/api/runs/{long_a}/cancel").status_code == 409

    wait_event(client, long_b, "batch")
    pid = client.app.state.runtime.scheduler.trainer_pid(long_b)
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    run = wait_status(client, long_b, TERMINAL, timeout=30)
    assert time.monotonic() - killed < 5
    assert run["status"] == "failed" and run["error"]["code"] == "trainer_died"
    assert "SIGKILL" in run["error"]["message"]
    events = client.get(f"/api/runs/{long_b}/events").json()["events"]
    assert_whole(events)
    assert events[-1]["type"] == "status" and events[-1]["status"] == "failed"


def test_cancel_a_queued_run_and_bad_requests(runs_client):
    client = runs_client
    blocker = client.post("/api/runs", json=run_body(epochs=2000, batch_size=4)).json()["id"]
    queued = client.post("/api/runs", json=run_body()).json()["id"]
    assert (
        client.post(
            f"/api/runs/{queued}/predict", json={"inputs": {"features": [[1, 2, 3, 4]]}}
        ).status_code
        == 409
    )
    answer = client.post(f"/api/runs/{queued}/cancel").json()
    assert answer["cancel"] == "cancelled" and answer["status"] == "cancelled"
    assert [e["status"] for e in client.get(f"/api/runs/{queued}/events").json()["events"]] == [
        "queued",
        "cancelled",
    ]

    # a saved graph version instead of a graph: snapshotted with its id and version
    saved = client.post("/api/graphs", json={"name": "iris mlp", "graph": iris_graph()}).json()
    from_saved = client.post(
        "/api/runs", json={**run_body(), "graph": None, "graph_id": saved["id"]}
    )
    assert from_saved.status_code == 201, from_saved.text
    body = from_saved.json()
    assert (body["graph_id"], body["graph_version"], body["status"]) == (saved["id"], 1, "queued")
    assert [n["id"] for n in body["graph"]["nodes"]] == ["features", "hidden", "probs", "species"]
    assert client.post(f"/api/runs/{body['id']}/cancel").json()["status"] == "cancelled"
    missing = client.post(
        "/api/runs", json={**run_body(), "graph": None, "graph_id": saved["id"], "graph_version": 9}
    )
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "graph_not_found"

    assert client.delete(f"/api/runs/{blocker}").status_code == 204  # cancels it first

    misfit = run_body()
    misfit["graph"] = iris_graph(input_features=5)
    answer = client.post("/api/runs", json=misfit)
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert (
        error["node"] == "features"
        and "(None, 5)" in error["message"]
        and "(150, 4)" in error["message"]
    )

    broken = run_body()
    broken["graph"]["nodes"][1]["params"]["units"] = -3
    answer = client.post("/api/runs", json=broken)
    assert answer.status_code == 422 and any(e["node"] == "hidden" for e in answer.json()["errors"])

    answer = client.post("/api/runs", json=run_body(epochs=0))
    assert answer.status_code == 422 and "settings.epochs" in answer.json()["errors"][0]["param"]

    answer = client.post("/api/runs", json={**run_body(), "dataset": {"name": "no_such_set"}})
    assert answer.status_code == 422 and answer.json()["errors"][0]["code"] == "dataset_unknown"

    assert client.get("/api/runs/nope").status_code == 404
    assert client.get("/api/runs", params={"status": "sleeping"}).status_code == 422
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect("/api/runs/nope/stream") as ws:
            ws.receive_json()
    assert closed.value.code == 4404


def test_a_run_trains_and_evaluates_on_an_uploaded_set_it_reads_from_its_spec(runs_client):
    """The trainer gets the uploaded set's file and description in its run spec (it never
    opens the database): training on it, validating on a second one, and evaluating."""
    import io

    import numpy as np

    client = runs_client
    rng = np.random.default_rng(0)
    names = []
    for name in ("flowers", "flowers_val"):
        buf = io.BytesIO()
        np.savez(buf, x=rng.normal(size=(48, 4)).astype("float32"), y=rng.integers(0, 3, 48))
        up = client.post(
            "/api/datasets",
            files={"file": (f"{name}.npz", buf.getvalue(), "application/octet-stream")},
            data={"name": name},
        )
        assert up.status_code == 201, up.text
        names.append(up.json()["name"])
    body = run_body(epochs=1, batch_size=16, validation_split=0.0)
    body["dataset"] = {"name": names[0]}
    body["settings"]["validation_dataset"] = {"name": names[1]}
    created = client.post("/api/runs", json=body)
    assert created.status_code == 201, created.text
    run = wait_status(client, created.json()["id"], TERMINAL)
    assert run["status"] == "succeeded", run
    assert {"loss", "val_loss"} <= set(run["metrics"])
    evaluated = client.post(f"/api/runs/{run['id']}/evaluate", json={"dataset": {"name": names[1]}})
    assert evaluated.status_code == 200, evaluated.text
    assert "loss" in evaluated.json()["metrics"]
