"""Sweeps: Optuna picks each point of a space marked on the run request; every trial is
an ordinary run (real trainer processes); a hopeless trial is pruned from its epochs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from helpers import digits_mlp
from layerforge.api.app import create_app
from layerforge.jobs.sweeps import optuna_schema, optuna_storage
from layerforge.settings import Settings

SWEEP_TIMEOUT_S = 300


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path / "data", warm_trainer=False, slots=2))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def _request(**options: Any) -> dict[str, Any]:
    graph = digits_mlp()
    return {
        "graph": graph,
        "dataset": {"name": "digits_flat"},
        "settings": {"epochs": 2, "batch_size": 64},
        **options,
    }


def _hidden(graph: dict[str, Any]) -> str:
    return str(graph["nodes"][1]["id"])


def _wait(client: TestClient, sweep_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + SWEEP_TIMEOUT_S
    while time.monotonic() < deadline:
        sweep: dict[str, Any] = client.get(f"/api/sweeps/{sweep_id}").json()
        if sweep["status"] != "running":
            return sweep
        time.sleep(1)
    raise AssertionError(f"sweep {sweep_id} still running after {SWEEP_TIMEOUT_S} s")


def test_bad_pointers_specs_and_corners_are_422_before_any_run(client: TestClient) -> None:
    base = _request()
    hidden = _hidden(base["graph"])
    cases = [
        ({"/graph/nodes/nope/params/units": {"low": 8, "high": 64, "step": 8}}, "space./graph"),
        ({"/settings/optimizer/name/x": {"choices": ["adam"]}}, "space./settings"),
        ({f"/graph/nodes/{hidden}/params/units": {"low": 64, "high": 8, "step": 8}}, "space"),
        ({f"/graph/nodes/{hidden}/params/units": {"choices": [16, -3]}}, "units"),
        ({"/settings/optimizer/learning_rate": {"low": 0.0, "high": 0.1, "log": True}}, "space"),
    ]
    for space, where in cases:
        answer = client.post("/api/sweeps", json={**base, "space": space, "trials": 2})
        assert answer.status_code == 422, (space, answer.text)
        errors = answer.json()["errors"]
        assert any(where in f"{e.get('param')} {e['message']}" for e in errors), (space, errors)
    assert client.get("/api/runs").json()["runs"] == []
    assert client.get("/api/sweeps").json()["sweeps"] == []


def test_a_sweep_runs_its_trials_as_runs_and_names_the_best(client: TestClient) -> None:
    base = _request()
    hidden = _hidden(base["graph"])
    space = {
        f"/graph/nodes/{hidden}/params/units": {"low": 8, "high": 32, "step": 8},
        "/settings/optimizer/learning_rate": {"low": 1e-3, "high": 1e-1, "log": True},
    }
    answer = client.post(
        "/api/sweeps",
        json={**base, "space": space, "trials": 4, "parallel": 2, "pruner": "none", "seed": 1},
    )
    assert answer.status_code == 201, answer.text
    sweep = _wait(client, answer.json()["id"])
    assert sweep["status"] == "succeeded"
    assert len(sweep["trials"]) == 4
    for trial in sweep["trials"]:
        assert trial["state"] == "complete", trial
        run = client.get(f"/api/runs/{trial['run_id']}").json()
        assert run["status"] == "succeeded"
        units = trial["params"][f"/graph/nodes/{hidden}/params/units"]
        assert _node(run["graph"], hidden)["params"]["units"] == units
        lr = trial["params"]["/settings/optimizer/learning_rate"]
        assert run["settings"]["optimizer"]["learning_rate"] == pytest.approx(lr)
        assert trial["value"] == pytest.approx(run["metrics"]["val_loss"])
    best = min(sweep["trials"], key=lambda t: t["value"])
    assert sweep["best"]["number"] == best["number"]
    assert set(sweep["importance"]) == set(space)


def _ended(client: TestClient, run_id: str) -> dict[str, Any]:
    """The run once it ended (a cancelled trial's run stops at its next batch)."""
    deadline = time.monotonic() + 60
    while True:
        run: dict[str, Any] = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in ("succeeded", "failed", "cancelled"):
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.5)


def _node(graph: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in graph["nodes"] if n["id"] == node_id)


def test_hopeless_trials_are_pruned_and_their_runs_say_so(client: TestClient) -> None:
    base = _request(settings={"epochs": 8, "batch_size": 8})  # epochs slow enough to prune
    space = {"/settings/optimizer/learning_rate": {"choices": [0.01, 1e-7]}}
    answer = client.post(
        "/api/sweeps",
        json={
            **base,
            "space": space,
            "trials": 6,
            "parallel": 1,
            "sampler": "random",
            "pruner": "median",
            "seed": 3,
        },
    )
    assert answer.status_code == 201, answer.text
    sweep = _wait(client, answer.json()["id"])
    pruned = [t for t in sweep["trials"] if t["state"] == "pruned"]
    assert pruned, sweep["trials"]
    for trial in pruned:
        assert trial["params"]["/settings/optimizer/learning_rate"] == 1e-7
        assert "pruned by sweep" in trial["error"]
        assert _ended(client, trial["run_id"])["status"] == "cancelled"
        events = client.get(f"/api/runs/{trial['run_id']}/events").json()["events"]
        assert any("pruned by sweep" in (e.get("message") or "") for e in events)
        epochs = [e for e in events if e["type"] == "epoch"]
        assert len(epochs) < 8


def test_cancel_stops_the_sweep_and_its_runs(client: TestClient) -> None:
    base = _request(settings={"epochs": 50, "batch_size": 16})
    hidden = _hidden(base["graph"])
    space = {f"/graph/nodes/{hidden}/params/units": {"choices": [8, 16]}}
    answer = client.post("/api/sweeps", json={**base, "space": space, "trials": 8})
    assert answer.status_code == 201, answer.text
    sweep_id = answer.json()["id"]
    deadline = time.monotonic() + 60
    while not client.get(f"/api/sweeps/{sweep_id}").json()["trials"]:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    cancelled = client.post(f"/api/sweeps/{sweep_id}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert all(t["state"] != "running" for t in cancelled["trials"])
    for trial in cancelled["trials"]:
        assert _ended(client, trial["run_id"])["status"] == "cancelled"
    time.sleep(2)
    assert len(client.get(f"/api/sweeps/{sweep_id}").json()["trials"]) == len(cancelled["trials"])


def test_postgresql_keeps_the_studies_beside_the_store(tmp_path: Path, postgres_url: str) -> None:
    """Optuna's tables (its own alembic_version among them) go to a schema of their own
    in the server's database, so the store's migrations and the studies never meet."""
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url)
    schema = optuna_schema(postgres_url)
    engine = create_engine(postgres_url.split("?")[0])  # the database, any schema
    try:
        study = optuna.create_study(storage=optuna_storage(settings), study_name="probe")
        study.set_user_attr("status", "done")
        for _ in range(2):  # the store migrates, then starts again, beside the studies
            with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
                saved = client.post("/api/graphs", json={"name": "g", "graph": digits_mlp()})
                assert saved.status_code == 201, saved.text
        with engine.connect() as connection:
            tables = connection.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            )
            assert {"studies", "trials", "alembic_version"} <= {row[0] for row in tables}
        again = optuna.load_study(study_name="probe", storage=optuna_storage(settings))
        assert again.user_attrs == {"status": "done"}
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def test_a_restarted_server_drives_its_sweeps_on(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", warm_trainer=False)
    base = _request(settings={"epochs": 30, "batch_size": 16})
    hidden = _hidden(base["graph"])
    space = {f"/graph/nodes/{hidden}/params/units": {"choices": [8, 16]}}
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        answer = client.post(
            "/api/sweeps", json={**base, "space": space, "trials": 2, "parallel": 1}
        )
        assert answer.status_code == 201, answer.text
        sweep_id = answer.json()["id"]
        deadline = time.monotonic() + 60
        while not [
            t for t in client.get(f"/api/sweeps/{sweep_id}").json()["trials"] if t["run_id"]
        ]:
            assert time.monotonic() < deadline
            time.sleep(0.5)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        sweep = _wait(client, sweep_id)
        assert sweep["status"] == "succeeded"
        assert len(sweep["trials"]) == 2
        first, second = sweep["trials"]
        assert first["state"] in ("failed", "complete")  # its run outlived or not its server
        assert _ended(client, first["run_id"])["status"] in ("failed", "succeeded", "cancelled")
        assert second["run_id"] and second["state"] in ("complete", "failed")
