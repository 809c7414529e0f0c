"""Weight sets over REST: a `.keras` file imported with `keep_weights` (stored once by
content hash, listed, deleted), a `.weights.h5` file matched to a graph, an export that
carries a set, refusals naming the field, and pretrained applications offline."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from helpers import example_graph
from layerforge.graph import build_model, parse_graph


def sample(model: keras.Model, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, *t.shape[1:])).astype("float32") for t in model.inputs]


def outputs(model: keras.Model, xs: list[np.ndarray]) -> list[np.ndarray]:
    out = model(xs if len(xs) > 1 else xs[0])
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def max_difference(a: keras.Model, b: keras.Model) -> float:
    xs = sample(a)
    return max(
        float(np.max(np.abs(x - y))) for x, y in zip(outputs(a, xs), outputs(b, xs), strict=True)
    )


@pytest.fixture(scope="module")
def trained_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, keras.Model]:
    """The two-input, two-output headline example saved with random weights."""
    model = build_model(parse_graph(example_graph()))
    path = tmp_path_factory.mktemp("weights") / "headline.keras"
    model.save(path)
    return path, model


def import_with_weights(client, path: Path, how: str = "query") -> dict:
    files = {"file": (path.name, path.read_bytes())}
    if how == "query":
        answer = client.post("/api/models/import?keep_weights=true", files=files)
    else:
        answer = client.post("/api/models/import", files=files, data={"keep_weights": "true"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_keras_file_imported_with_weights_is_stored_once_and_exported_exactly(
    client, settings, trained_file, tmp_path
):
    path, original = trained_file
    first = import_with_weights(client, path)
    weights = first["weights"]
    assert weights["id"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert weights["name"] == "headline.keras" and weights["source"] == "keras"
    assert weights["owner"] == "local"
    with_weights = [layer.name for layer in original.layers if layer.weights]
    assert [layer["name"] for layer in weights["layers"]] == with_weights
    node_names = {n.get("name") for n in first["graph"]["nodes"]}
    assert set(with_weights) <= node_names  # the editor marks these nodes
    stored = settings.data_dir / "weights" / f"{weights['id']}.keras"
    assert weights["bytes"] == stored.stat().st_size
    assert [p.name for p in stored.parent.iterdir()] == [stored.name]  # nothing else left

    again = import_with_weights(client, path, how="form")
    assert again["weights"]["id"] == weights["id"]
    listed = client.get("/api/weights").json()["weight_sets"]
    assert [w["id"] for w in listed] == [weights["id"]]  # the same file is stored once
    assert client.get(f"/api/weights/{weights['id']}").json() == listed[0]
    plain = client.post("/api/models/import", files={"file": (path.name, path.read_bytes())})
    assert plain.json()["weights"] is None

    exported = client.post(
        "/api/models/export",
        json={"graph": first["graph"], "format": "keras", "weights": weights["id"]},
    )
    assert exported.status_code == 200, exported.text
    (tmp_path / "out.keras").write_bytes(exported.content)
    carried = keras.saving.load_model(tmp_path / "out.keras", safe_mode=True)
    assert max_difference(original, carried) <= 1e-5
    fresh = client.post("/api/models/export", json={"graph": first["graph"], "format": "keras"})
    (tmp_path / "fresh.keras").write_bytes(fresh.content)
    assert max_difference(original, keras.saving.load_model(tmp_path / "fresh.keras")) > 1e-3

    assert client.delete(f"/api/weights/{weights['id']}").status_code == 204
    assert client.get(f"/api/weights/{weights['id']}").status_code == 404
    assert not stored.exists()
    assert client.delete(f"/api/weights/{weights['id']}").status_code == 404


def test_a_weights_h5_file_is_matched_to_a_graph(client, tmp_path):
    graph = example_graph()
    model = build_model(parse_graph(graph))
    h5 = tmp_path / "headline.weights.h5"
    model.save_weights(h5)
    body = h5.read_bytes()
    answer = client.post(
        "/api/weights", files={"file": (h5.name, body)}, data={"graph": json.dumps(graph)}
    )
    assert answer.status_code == 201, answer.text
    info = answer.json()
    assert (info["id"], info["source"]) == (hashlib.sha256(body).hexdigest(), "weights.h5")
    exported = client.post(
        "/api/models/export", json={"graph": graph, "format": "keras", "weights": info["id"]}
    )
    (tmp_path / "out.keras").write_bytes(exported.content)
    assert max_difference(model, keras.saving.load_model(tmp_path / "out.keras")) <= 1e-5

    saved = client.post("/api/graphs", json={"graph": graph}).json()["id"]
    by_id = client.post("/api/weights", files={"file": (h5.name, body)}, data={"graph_id": saved})
    assert (by_id.status_code, by_id.json()["id"]) == (201, info["id"])

    model.save(tmp_path / "whole.keras")  # a .keras file needs no graph
    whole = (tmp_path / "whole.keras").read_bytes()
    kept = client.post("/api/weights", files={"file": ("whole.keras", whole)})
    assert kept.status_code == 201, kept.text
    assert (kept.json()["source"], kept.json()["id"]) == (
        "keras",
        hashlib.sha256(whole).hexdigest(),
    )


def test_weight_uploads_that_do_not_fit_are_refused_naming_the_field(client, tmp_path):
    graph = example_graph()
    h5 = tmp_path / "m.weights.h5"
    build_model(parse_graph(graph)).save_weights(h5)
    no_graph = client.post("/api/weights", files={"file": (h5.name, h5.read_bytes())})
    assert no_graph.status_code == 422
    assert no_graph.json()["errors"][0]["param"] == "graph"
    other = example_graph("sequential_mlp_mnist.json")
    wrong = client.post(
        "/api/weights",
        files={"file": (h5.name, h5.read_bytes())},
        data={"graph": json.dumps(other)},
    )
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["errors"][0]["code"] == "bad_weights"
    assert str(tmp_path) not in wrong.text and "/weights/" not in wrong.text
    junk = client.post("/api/weights", files={"file": ("x.keras", b"PK\x03\x04 not a zip at all")})
    assert junk.status_code == 422, junk.text
    unknown = client.post(
        "/api/weights", files={"file": (h5.name, h5.read_bytes())}, data={"graph_id": "nope"}
    )
    assert (unknown.status_code, unknown.json()["errors"][0]["param"]) == (404, "graph_id")
    missing = client.post(
        "/api/models/export", json={"graph": graph, "format": "keras", "weights": "nope"}
    )
    assert (missing.status_code, missing.json()["errors"][0]["param"]) == (404, "weights")
    python = client.post(
        "/api/models/export", json={"graph": graph, "format": "python", "weights": "nope"}
    )
    assert (python.status_code, python.json()["errors"][0]["param"]) == (422, "weights")
    assert client.get("/api/weights").json()["weight_sets"] == []
    leftovers = list((client.app.state.settings.data_dir / "weights").iterdir())
    assert leftovers == []


def test_a_pretrained_application_offline_says_which_file_the_cache_lacks(client):
    names = client.get("/api/models/applications").json()["applications"]
    assert "MobileNetV2" in names and len(names) == 40
    body = {"name": "MobileNetV2", "input_shape": [96, 96, 3], "include_top": False}
    random = client.post("/api/models/applications", json=body)
    assert random.status_code == 200, random.text
    assert random.json()["weights"] is None
    assert any(n["type"] == "DepthwiseConv2D" for n in random.json()["graph"]["nodes"])
    pretrained = client.post("/api/models/applications", json={**body, "weights": "imagenet"})
    assert pretrained.status_code == 503, pretrained.text
    error = pretrained.json()["errors"][0]
    assert error["code"] == "weights_unavailable"
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5" in error["message"]
    assert ".keras/models" in error["message"] and "could not be downloaded" in error["message"]
    unknown = client.post("/api/models/applications", json={"name": "Lambda"})
    assert (unknown.status_code, unknown.json()["errors"][0]["param"]) == (422, "name")
    assert client.get("/api/weights").json()["weight_sets"] == []


def test_the_answers_are_documented(client):
    doc = client.get("/api/openapi.json").json()
    imported = doc["components"]["schemas"]["ImportedGraph"]["properties"]
    assert "weights" in imported
    assert "weights" in doc["components"]["schemas"]["ExportRequest"]["properties"]
    assert {"/api/weights", "/api/weights/{weight_id}", "/api/models/applications"} <= set(
        doc["paths"]
    )
