"""Fine-tuning through the API: a run starts from a weight set with its base frozen (every
frozen layer, BatchNormalization's moving statistics included, ends bit-identical to the
starting weights; the head does not), reports the match as its `weights` event before
it trains, and `POST /api/runs/{id}/fine-tune` queues the second step from its model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from helpers import wait_status
from layerforge.graph import build_model, parse_graph

pytestmark = pytest.mark.slow
BASE = ("base_1", "bn", "base_2")


def classifier(frozen: tuple[str, ...] = BASE) -> dict[str, Any]:
    """features -> Dense -> BatchNormalization -> Dense -> Dense(3) head, for iris."""
    layers = [
        ("base_1", "Dense", {"units": 16, "activation": "relu"}),
        ("bn", "BatchNormalization", {}),
        ("base_2", "Dense", {"units": 8, "activation": "relu"}),
        ("head", "Dense", {"units": 3, "activation": "softmax"}),
    ]
    nodes = [{"id": "features", "type": "Input", "params": {"shape": [4]}}]
    for name, kind, params in layers:
        nodes.append(
            {
                "id": name,
                "type": kind,
                "name": name,
                "params": params,
                "trainable": name not in frozen,
            }
        )
    nodes.append(
        {
            "id": "species",
            "type": "Output",
            "params": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
        }
    )
    ids = [n["id"] for n in nodes]
    return {
        "nodes": nodes,
        "edges": [{"source": a, "target": b} for a, b in zip(ids, ids[1:], strict=False)],
    }


def weights_of(path: Path) -> dict[str, list[np.ndarray]]:
    model = keras.saving.load_model(path, compile=False, safe_mode=True)
    return {layer.name: layer.get_weights() for layer in model.layers if layer.weights}


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def download(client, run_id: str, tmp: Path, name: str = "model.keras") -> Path:
    answer = client.get(f"/api/runs/{run_id}/artifacts/{name}")
    assert answer.status_code == 200, answer.text
    path = tmp / f"{run_id}-{name}"
    path.write_bytes(answer.content)
    return path


def run_request(graph: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {
        "graph": graph,
        "dataset": {"name": "iris"},
        "settings": {"epochs": 3, "batch_size": 16, "seed": 1, "tensorboard": False, **settings},
    }


def started(client, body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    answer = client.post("/api/runs", json=body)
    assert answer.status_code == 201, answer.text
    run = wait_status(client, answer.json()["id"], {"succeeded", "failed", "cancelled"}, 180)
    assert run["status"] == "succeeded", run
    return run, client.get(f"/api/runs/{run['id']}/events").json()["events"]


def test_a_frozen_base_keeps_its_weights_exactly_and_fine_tune_unfreezes_its_top(
    runs_client, tmp_path
):
    client = runs_client
    pretrained = build_model(parse_graph(classifier()))
    rng = np.random.default_rng(3)
    bn = pretrained.get_layer("bn")  # moving statistics a trained model would have
    bn.set_weights([rng.normal(size=w.shape).astype("float32") ** 2 + 0.5 for w in bn.weights])
    source = tmp_path / "pretrained.keras"
    pretrained.save(source)
    files = {"file": ("pretrained.keras", source.read_bytes())}
    weight_id = client.post("/api/models/import?keep_weights=true", files=files).json()["weights"][
        "id"
    ]
    start = weights_of(source)

    first, events = started(
        client, run_request(classifier(), initial_weights={"weights": weight_id})
    )
    types = [e["type"] for e in events]
    assert types.index("weights") < types.index("epoch")
    report = next(e for e in events if e["type"] == "weights")
    assert report["source"] == f"weights {weight_id}"
    assert {(r["layer"], r["node"], r["by"]) for r in report["loaded"]} == {
        (n, n, "name") for n in (*BASE, "head")
    }
    assert report["skipped"] == [] and report["initialised"] == []
    trained = weights_of(download(client, first["id"], tmp_path))
    for name in BASE:
        assert same(trained[name], start[name]), f"frozen {name} changed"
    assert not same(trained["head"], start["head"]), "the head did not train"

    answer = client.post(
        f"/api/runs/{first['id'][:8]}/fine-tune", json={"unfreeze_top": 1, "epochs": 2}
    )
    assert answer.status_code == 201, answer.text
    second = answer.json()
    start_from = second["settings"]["initial_weights"]
    assert (start_from["run"], start_from["artifact"]) == (first["id"], "model.keras")
    assert second["settings"]["optimizer"]["learning_rate"] == pytest.approx(0.0001)
    assert second["settings"]["epochs"] == 2
    done = wait_status(client, second["id"], {"succeeded", "failed", "cancelled"}, 180)
    assert done["status"] == "succeeded", done
    nodes = {n["id"]: n for n in client.get(f"/api/runs/{second['id']}").json()["graph"]["nodes"]}
    assert [nodes[n]["trainable"] for n in BASE] == [False, False, True]  # bn stays frozen
    tuned = weights_of(download(client, second["id"], tmp_path))
    assert same(tuned["base_1"], trained["base_1"]) and same(tuned["bn"], trained["bn"])
    assert not same(tuned["base_2"], trained["base_2"])


def test_starting_weights_that_are_not_there_are_refused_naming_the_field(runs_client):
    client = runs_client
    for start, param in (
        ({"weights": "f" * 64}, "settings.initial_weights.weights"),
        ({"run": "nosuchrun"}, "settings.initial_weights.run"),
        ({"run": "abc", "weights": "f" * 64}, "settings.initial_weights"),
    ):
        answer = client.post("/api/runs", json=run_request(classifier(), initial_weights=start))
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["param"] == param, answer.text
    missing = client.post("/api/runs/nosuchrun/fine-tune", json={})
    assert missing.status_code == 404
