"""Image sets and results end to end by REST on the real app (scheduler, trainer
subprocesses): a .zip of a few hundred generated PNGs trains a small CNN streamed from
disk; the run leaves evaluation.json (confusion matrix with each cell's most confident
images, per-class scores, the most confidently wrong images, with thumbnails) and POST /evaluate answers the same on the
set's validation images; array sets get evaluation.json too (classification and
regression)."""

from __future__ import annotations

import json

from helpers import TERMINAL, chain, iris_graph, mlp_graph, wait_status
from image_sets import image_zip


def _cnn() -> dict:
    return chain(
        {"id": "scale", "type": "Rescaling", "params": {"scale": 1 / 255}},
        {
            "id": "conv",
            "type": "Conv2D",
            "params": {"filters": 8, "kernel_size": 3, "activation": "relu"},
        },
        {"id": "pool", "type": "MaxPooling2D", "params": {}},
        {"id": "flat", "type": "Flatten", "params": {}},
        {"id": "probs", "type": "Dense", "params": {"units": 3, "activation": "softmax"}},
        input_shape=[16, 16, 3],
        loss="sparse_categorical_crossentropy",
    )


def _artifact(client, run_id: str, name: str) -> dict:
    got = client.get(f"/api/runs/{run_id}/artifacts/{name}")
    assert got.status_code == 200, got.text
    return json.loads(got.content)


def _train(client, graph: dict, dataset: str, **settings) -> dict:
    body = {
        "graph": graph,
        "dataset": {"name": dataset},
        "settings": {"batch_size": 32, "seed": 3, "tensorboard": False, **settings},
    }
    created = client.post("/api/runs", json=body)
    assert created.status_code == 201, created.text
    run = wait_status(client, created.json()["id"], TERMINAL, timeout=300)
    assert run["status"] == "succeeded", run
    return run


def test_an_image_zip_trains_a_cnn_streamed_from_disk_and_is_evaluated(runs_client):
    client = runs_client
    up = client.post(
        "/api/datasets",
        files={"file": ("shapes.zip", image_zip(100))},
        data={
            "name": "shapes",
            "image_height": "16",
            "image_width": "16",
            "validation_split": "0.25",
        },
    )
    assert up.status_code == 201, up.text
    run = _train(
        client, _cnn(), "shapes", epochs=6, optimizer={"name": "adam", "learning_rate": 0.01}
    )
    assert run["metrics"]["val_accuracy"] > 0.8, run["metrics"]
    events = client.get(f"/api/runs/{run['id']}/events").json()["events"]
    logs = [e["message"] for e in events if e["type"] == "log"]
    assert any("images streamed from disk: 225 for training, 75 for validation" in m for m in logs)

    report = _artifact(client, run["id"], "evaluation.json")
    assert report["dataset"] == "shapes" and report["data"] == "validation"
    assert report["samples"] == 75
    (out,) = report["outputs"]
    assert out["task"] == "classification" and out["classes"] == ["left", "right", "top"]
    matrix = out["confusion_matrix"]
    assert sum(map(sum, matrix)) == 75
    correct = sum(matrix[i][i] for i in range(3))
    assert abs(correct / 75 - run["metrics"]["val_accuracy"]) < 1e-6
    assert [c["support"] for c in out["per_class"]] == [sum(row) for row in matrix]
    for worst in out["worst"]:
        assert worst["true"] != worst["predicted"] and worst["file"].split("/")[0] == worst["true"]
        assert worst["thumbnail"].startswith("data:image/jpeg;base64,")
    assert len(out["worst"]) == min(12, 75 - correct)
    # every cell with samples lists its most confident ones, thumbnails and all
    assert [(c["true"], c["predicted"]) for c in out["cells"]] == [
        (i, j) for i in range(3) for j in range(3) if matrix[i][j]
    ]
    for cell in out["cells"]:
        i, j, listed = cell["true"], cell["predicted"], cell["samples"]
        assert len(listed) == min(8, matrix[i][j])
        assert [s["confidence"] for s in listed] == sorted(
            (s["confidence"] for s in listed), reverse=True
        )
        for s in listed:
            assert (s["true"], s["predicted"]) == (out["classes"][i], out["classes"][j])
            assert s["file"].split("/")[0] == s["true"]
            assert s["thumbnail"].startswith("data:image/jpeg;base64,")

    evaluated = client.post(f"/api/runs/{run['id']}/evaluate", json={})
    assert evaluated.status_code == 200, evaluated.text
    body = evaluated.json()
    assert body["samples"] == 75 and body["data"] == "validation"
    assert body["confusion_matrix"] == matrix  # the same validation images, the same model
    assert body["per_class"] == out["per_class"] and body["outputs"][0]["worst"] == out["worst"]
    assert body["outputs"][0]["cells"] == out["cells"]
    assert abs(body["metrics"]["accuracy"] - run["metrics"]["val_accuracy"]) < 1e-6


def test_array_sets_get_an_evaluation_too(runs_client):
    client = runs_client
    run = _train(client, iris_graph(), "iris", epochs=3, batch_size=16, validation_split=0.2)
    (out,) = _artifact(client, run["id"], "evaluation.json")["outputs"]
    assert out["task"] == "classification" and out["samples"] == 30
    assert out["classes"] == ["setosa", "versicolor", "virginica"]
    assert all(len(w["row"]) == 4 for w in out["worst"])
    whole = client.post(f"/api/runs/{run['id']}/evaluate", json={}).json()
    assert whole["data"] == "whole set" and sum(map(sum, whole["confusion_matrix"])) == 150

    regression = mlp_graph()
    regression["nodes"][0]["params"]["shape"] = [10]
    run = _train(client, regression, "diabetes", epochs=2, batch_size=32, validation_split=0.2)
    (out,) = _artifact(client, run["id"], "evaluation.json")["outputs"]
    assert out["task"] == "regression" and out["confusion_matrix"] is None
    fit = out["regression"]
    assert len(fit["points"]) == out["samples"] == 89
    assert sum(fit["residuals"]["counts"]) == 89
    assert fit["mae"] <= fit["rmse"]
