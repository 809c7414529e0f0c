"""Runs a person can trust: a short id names a run (as git takes one), cancel ends a run
whose trainer is gone, and a data set whose ids are out of an Embedding's range is
refused before the run is queued, on the Embedding's `input_dim`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpers import BASE_URL, example_graph, iris_graph
from layerforge.api.app import create_app
from layerforge.settings import Settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The app with its runtime started (no warm trainer: these runs never train)."""
    settings = Settings(data_dir=tmp_path / "data", warm_trainer=False)
    with TestClient(create_app(settings), base_url=BASE_URL) as c:
        yield c


def stored_run(client: TestClient, status: str = "succeeded") -> str:
    store = client.app.state.runtime.store
    run = store.create_run(graph=iris_graph(), dataset={"name": "iris"}, settings={}, status=status)
    return str(run["id"])


def shortest_unique(run_id: str, ids: list[str]) -> str:
    for n in range(1, len(run_id) + 1):
        if sum(other.startswith(run_id[:n]) for other in ids) == 1:
            return run_id[:n]
    raise AssertionError(run_id)


def test_a_unique_prefix_names_a_run_an_ambiguous_one_lists_the_candidates(client) -> None:
    ids = [stored_run(client) for _ in range(17)]  # 17 ids: two share a first character
    for run_id in ids:
        short = shortest_unique(run_id, ids)
        assert client.get(f"/api/runs/{short}").json()["id"] == run_id
        assert client.get(f"/api/runs/{run_id[:8]}").json()["id"] == run_id
        assert client.get(f"/api/runs/{short}/events").status_code == 200
        assert client.get(f"/api/runs/{short}/artifacts").status_code == 200
        ended = client.post(f"/api/runs/{short}/cancel")
        assert ended.status_code == 409 and run_id in ended.json()["errors"][0]["message"]

    first = [i[0] for i in ids]
    shared = next(c for c in first if first.count(c) > 1)
    ambiguous = client.get(f"/api/runs/{shared}")
    assert ambiguous.status_code == 409, ambiguous.text
    problem = ambiguous.json()["errors"][0]
    assert problem["code"] == "ambiguous_run_id" and problem["param"] == "run_id"
    assert all(i in problem["message"] for i in ids if i.startswith(shared))
    assert client.get(f"/api/runs/{shared}/events").status_code == 409

    unknown = client.get("/api/runs/nothing-starts-so")
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "run_not_found"
    assert client.delete(f"/api/runs/{shortest_unique(ids[0], ids)}").status_code == 204
    assert client.get(f"/api/runs/{ids[0]}").status_code == 404


@pytest.mark.parametrize("status", ["running", "starting"])
def test_cancel_ends_a_run_whose_trainer_is_gone(client, status: str) -> None:
    """A run the store holds active with no trainer on it (its trainer died and its end
    was lost) is cancelled, not answered 409 "already ended with status 'running'"."""
    run_id = stored_run(client, status=status)
    answer = client.post(f"/api/runs/{run_id}/cancel")
    assert answer.status_code == 200, answer.text
    assert answer.json()["cancel"] == "cancelled"
    run = client.get(f"/api/runs/{run_id}").json()
    assert run["status"] == "cancelled"
    assert run["error"]["code"] == "trainer_died"


def headline_with_small_embedding() -> dict:
    graph = example_graph("functional_headline_two_inputs_two_outputs.json")
    for node in graph["nodes"]:
        if node["type"] == "Embedding":
            node["params"]["input_dim"] = 1000  # the `headline` set's ids go up to 9,999
    return graph


def test_ids_beyond_an_embeddings_input_dim_are_refused_before_the_run(client) -> None:
    body = {"graph": headline_with_small_embedding(), "dataset": {"name": "headline"}}
    check = client.post("/api/datasets/check", json=body)
    assert check.status_code == 200 and check.json()["fits"] is False, check.text
    run = client.post("/api/runs", json={**body, "settings": {"epochs": 1}})
    assert run.status_code == 422, run.text
    for answer in (check, run):
        found = [p for p in answer.json()["errors"] if p["param"] == "input_dim"]
        assert found, answer.text
        assert found[0]["node"] == "embedding"
        assert "input_dim 1000" in found[0]["message"] and "9999" in found[0]["message"]
    assert client.get("/api/runs").json()["runs"] == []  # nothing was queued
