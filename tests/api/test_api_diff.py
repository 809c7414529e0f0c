"""POST /api/graphs/diff: what changed between two graphs, and what it did to shapes and
parameter counts; nodes match by id, then by wiring when the ids were renamed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from graphs import EXAMPLE_NAMES, EXAMPLES_DIR
from helpers import digits_mlp
from layerforge.api.app import create_app
from layerforge.settings import Settings


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES_DIR / f"{name}.json").read_text())
    return data


def _diff(client: TestClient, a: Any, b: Any) -> dict[str, Any]:
    answer = client.post("/api/graphs/diff", json={"a": a, "b": b})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _node(graph: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in graph["nodes"] if n["id"] == node_id)


def test_every_example_equals_itself_and_a_renamed_copy(client: TestClient) -> None:
    for name in EXAMPLE_NAMES:
        a = _example(name)
        same = _diff(client, a, a)
        assert same["same"], (name, same)
        renamed = copy.deepcopy(a)
        for n in renamed["nodes"]:
            n["id"] = "x_" + n["id"]
        for e in renamed["edges"]:
            e["source"], e["target"] = "x_" + e["source"], "x_" + e["target"]
        for n in renamed["nodes"]:
            if n.get("shared_with"):
                n["shared_with"] = "x_" + n["shared_with"]
        renamed["layout"] = {}
        body = _diff(client, a, renamed)
        assert body["same"], (name, body)
        assert body["matched"] == {n["id"]: "x_" + n["id"] for n in a["nodes"]}, name


def test_a_width_change_lists_the_param_and_what_follows(client: TestClient) -> None:
    a = _example("sequential_mlp_mnist")
    b = copy.deepcopy(a)
    _node(b, "dense_1")["params"]["units"] = 128
    body = _diff(client, a, b)
    changed = {c["b"]: c for c in body["changed"]}
    assert changed["dense_1"]["changes"] == [{"param": "params.units", "old": 64, "new": 128}]
    assert changed["dense_1"]["params"] == [784 * 64 + 64, 784 * 128 + 128]
    assert changed["dense_1"]["output_shapes"] == [[[None, 64]], [[None, 128]]]
    # dense_2's own params did not change, but its weight count did
    assert changed["dense_2"]["changes"] == []
    assert changed["dense_2"]["params"] == [64 * 64 + 64, 128 * 64 + 64]
    assert "dropout_2" not in changed
    total_a, total_b = body["total_params"]
    assert total_b - total_a == (784 + 1) * 64 + 64 * 64
    assert not body["same"]


def test_added_removed_and_rewired(client: TestClient) -> None:
    a = _example("sequential_mlp_mnist")
    b = copy.deepcopy(a)
    b["nodes"] = [n for n in b["nodes"] if n["id"] != "dropout_1"]
    b["nodes"].append({"id": "bn", "type": "BatchNormalization", "params": {}})
    b["edges"] = [e for e in b["edges"] if "dropout_1" not in (e["source"], e["target"])]
    b["edges"] += [
        {"source": "dense_1", "target": "bn"},
        {"source": "bn", "target": "dense_2"},
    ]
    body = _diff(client, a, b)
    assert [n["id"] for n in body["added"]] == ["bn"]
    assert [n["id"] for n in body["removed"]] == ["dropout_1"]
    added = {(e["source"], e["target"]) for e in body["edges_added"]}
    removed = {(e["source"], e["target"]) for e in body["edges_removed"]}
    assert added == {("dense_1", "bn"), ("bn", "dense_2")}
    assert removed == {("dense_1", "dropout_1"), ("dropout_1", "dense_2")}


def test_a_port_swap_is_an_edge_change(client: TestClient) -> None:
    a = _example("functional_headline_two_inputs_two_outputs")
    concat = next(n for n in a["nodes"] if n["type"] == "Concatenate")
    b = copy.deepcopy(a)
    into = [e for e in b["edges"] if e["target"] == concat["id"]]
    assert len(into) >= 2
    into[0]["target_port"], into[1]["target_port"] = into[1]["target_port"], into[0]["target_port"]
    body = _diff(client, a, b)
    assert not body["same"]
    assert len(body["edges_added"]) == 2 and len(body["edges_removed"]) == 2


def test_saved_versions_and_runs_as_sides(client: TestClient) -> None:
    a = _example("sequential_mlp_mnist")
    saved = client.post("/api/graphs", json={"name": "mlp", "graph": a})
    assert saved.status_code == 201, saved.text
    graph_id = saved.json()["id"]
    b = copy.deepcopy(a)
    _node(b, "dropout_1")["params"]["rate"] = 0.2
    put = client.put(f"/api/graphs/{graph_id}", json={"graph": b})
    assert put.status_code == 200, put.text
    body = _diff(client, {"graph_id": graph_id, "version": 1}, {"graph_id": graph_id})
    assert [c["changes"] for c in body["changed"]] == [
        [{"param": "params.rate", "old": 0.5, "new": 0.2}]
    ]


def test_bad_sides_name_the_field(client: TestClient) -> None:
    a = _example("sequential_mlp_mnist")
    missing = client.post("/api/graphs/diff", json={"a": a, "b": {"graph_id": "nope"}})
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["param"] == "b"
    bad = client.post("/api/graphs/diff", json={"a": a, "b": {"nodes": "x"}})
    assert bad.status_code == 422


def test_a_run_is_a_side(tmp_path: Path) -> None:
    """A run's snapshot against the graph it was edited into after the run."""
    app = create_app(Settings(data_dir=tmp_path / "data", warm_trainer=False))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        trained = digits_mlp()
        run = client.post(
            "/api/runs",
            json={"graph": trained, "dataset": {"name": "digits_flat"}, "settings": {"epochs": 1}},
        )
        assert run.status_code == 201, run.text
        edited = copy.deepcopy(trained)
        edited["nodes"][1]["params"]["units"] = 32
        body = _diff(client, {"run": run.json()["id"]}, edited)
        first = edited["nodes"][1]["id"]
        assert {c["b"] for c in body["changed"]} == {first, edited["nodes"][2]["id"]}
        missing = client.post("/api/graphs/diff", json={"a": {"run": "nope"}, "b": edited})
        assert missing.status_code == 404
        assert missing.json()["errors"][0]["param"] == "a"
        client.post(f"/api/runs/{run.json()['id']}/cancel")
