"""One contract for every implementation of the run machinery (see conftest.py): a run's
lifecycle, the order of its events, replay with `after=`, cancel, and a restart of the
API. Real trainer subprocesses, real Keras, a small iris model."""

from __future__ import annotations

import time

from helpers import TERMINAL, assert_whole, receive_until_end, run_body, wait_event, wait_status


def statuses(events: list[dict]) -> list[str]:
    return [e["status"] for e in events if e["type"] == "status"]


def test_a_run_goes_queued_to_succeeded_with_whole_ordered_events(started, implementation):
    with started() as client:
        created = client.post("/api/runs", json=run_body(epochs=2, batch_size=32))
        assert created.status_code == 201, created.text
        run_id = created.json()["id"]
        assert created.json()["status"] == "queued"
        with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
            streamed = receive_until_end(ws)
        run = wait_status(client, run_id, TERMINAL)
        stored = client.get(f"/api/runs/{run_id}/events").json()["events"]
    assert run["status"] == "succeeded", run
    assert statuses(streamed) == ["queued", "starting", "running", "succeeded"]
    assert_whole(streamed)
    assert streamed == stored  # the socket and the REST read are the same objects
    epochs = [e for e in streamed if e["type"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [0, 1]
    assert run["metrics"]["loss"] == epochs[-1]["metrics"]["loss"]
    assert any(e["type"] == "batch" for e in streamed)


def test_replay_after_a_seq_gives_exactly_the_rest(started, implementation):
    with started() as client:
        run_id = client.post("/api/runs", json=run_body(epochs=1, batch_size=32)).json()["id"]
        wait_status(client, run_id, TERMINAL)
        everything = client.get(f"/api/runs/{run_id}/events").json()["events"]
        middle = everything[len(everything) // 2]["seq"]
        rest = client.get(f"/api/runs/{run_id}/events", params={"after": middle}).json()
        page = client.get(f"/api/runs/{run_id}/events", params={"after": 1, "limit": 2}).json()
        with client.websocket_connect(f"/api/runs/{run_id}/stream?after={middle}") as ws:
            replayed = receive_until_end(ws)
    assert rest["events"] == everything[middle:]
    assert replayed == everything[middle:]
    assert [e["seq"] for e in page["events"]] == [2, 3]


def test_cancel_stops_a_training_run_after_its_current_batch(started, implementation):
    with started() as client:
        body = run_body(epochs=200, batch_size=4)
        run_id = client.post("/api/runs", json=body).json()["id"]
        wait_event(client, run_id, "batch", timeout=120)
        asked = time.monotonic()
        answer = client.post(f"/api/runs/{run_id}/cancel")
        assert answer.status_code == 200, answer.text
        assert answer.json()["cancel"] == "cancelling"
        run = wait_status(client, run_id, TERMINAL, timeout=30)
        took = time.monotonic() - asked
        events = client.get(f"/api/runs/{run_id}/events").json()["events"]
        again = client.post(f"/api/runs/{run_id}/cancel")
    assert run["status"] == "cancelled", run
    assert run.get("error") is None  # it stopped by itself, not killed after the grace time
    assert took < 5, f"cancel took {took:.1f} s"
    assert statuses(events)[-1] == "cancelled"
    assert_whole(events)
    assert again.status_code == 409


def test_cancel_a_queued_run_before_any_trainer_takes_it(started, implementation):
    with started() as client:
        busy = client.post("/api/runs", json=run_body(epochs=200, batch_size=4)).json()["id"]
        wait_status(client, busy, {"starting", "running"})
        queued = client.post("/api/runs", json=run_body(epochs=1)).json()["id"]
        answer = client.post(f"/api/runs/{queued}/cancel").json()
        events = client.get(f"/api/runs/{queued}/events").json()["events"]
        client.post(f"/api/runs/{busy}/cancel")
        wait_status(client, busy, TERMINAL, timeout=30)
        later = client.get(f"/api/runs/{queued}").json()
    assert answer["cancel"] == "cancelled" and answer["status"] == "cancelled"
    assert statuses(events) == ["queued", "cancelled"]
    assert later["status"] == "cancelled"  # no worker ran it afterwards


def test_a_restarted_api_serves_the_same_runs_and_takes_queued_ones(started, implementation):
    with started() as client:
        done = client.post("/api/runs", json=run_body(epochs=1, batch_size=32)).json()["id"]
        wait_status(client, done, TERMINAL)
        before = client.get(f"/api/runs/{done}/events").json()["events"]
        listed_before = {r["id"] for r in client.get("/api/runs").json()["runs"]}
    with started() as client:  # a new API process on the same store (and Redis)
        after = client.get(f"/api/runs/{done}/events").json()["events"]
        listed_after = {r["id"] for r in client.get("/api/runs").json()["runs"]}
        with client.websocket_connect(f"/api/runs/{done}/stream?after=0") as ws:
            streamed = receive_until_end(ws)
        again = client.post("/api/runs", json=run_body(epochs=1, batch_size=32)).json()["id"]
        run = wait_status(client, again, TERMINAL)
    assert after == before == streamed
    assert listed_after == listed_before
    assert run["status"] == "succeeded"


def test_cancel_ends_a_run_whose_trainer_is_gone(started, implementation):
    """A run the store holds `running` with no trainer on it (its trainer died and its
    end was lost): cancel ends it, never answering that it 'already ended'."""
    with started() as client:
        store = client.app.state.runtime.store
        body = run_body()
        run_id = store.create_run(
            graph=body["graph"],
            dataset=body["dataset"],
            settings=body["settings"],
            status="running",
        )["id"]
        answer = client.post(f"/api/runs/{run_id}/cancel")
        assert answer.status_code == 200, answer.text
        run = wait_status(client, run_id, TERMINAL, timeout=60)
    assert run["status"] == "cancelled", run
