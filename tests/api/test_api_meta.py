"""Health, the layer catalogue (cached, with ETag) and the graph's JSON Schema."""

from __future__ import annotations

import gzip

import jsonschema_rs

from helpers import example_graph
from layerforge import __version__


def test_health(client):
    assert client.get("/api/health").json() == {"status": "ok", "version": __version__}


def test_layers_lists_every_category_with_params(client):
    response = client.get("/api/layers")
    assert response.status_code == 200
    layers = response.json()["layers"]
    by_type = {spec["type"]: spec for spec in layers}
    assert len(by_type) >= 80
    for wanted in ("Dense", "Conv2D", "LSTM", "Concatenate", "Input", "Output", "Model"):
        assert wanted in by_type
    dense = {p["name"]: p for p in by_type["Dense"]["params"]}
    assert dense["units"]["required"] is True and dense["units"]["kind"] == "int"
    assert "relu" in dense["activation"]["choices"]
    assert by_type["Concatenate"]["inputs"] == "many"
    assert {"core", "convolution", "recurrent", "merging"} <= {s["category"] for s in layers}
    assert not {"Lambda", "TFSMLayer", "TorchModuleWrapper"} & set(by_type)


def test_layers_revalidates_with_etag_and_is_gzipped(client):
    first = client.get("/api/layers")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    unchanged = client.get("/api/layers", headers={"if-none-match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    raw = client.get("/api/layers", headers={"accept-encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    plain = client.get("/api/layers", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert len(gzip.compress(plain.content)) < len(plain.content) / 4
    assert raw.json() == plain.json()


def test_graph_schema_accepts_the_examples_and_rejects_non_graphs(client):
    schema = client.get("/api/schema/graph").json()
    validator = jsonschema_rs.validator_for(schema)
    assert validator.is_valid(example_graph())
    assert not validator.is_valid({"nodes": [{"id": "a"}]})  # no type
    assert not validator.is_valid({"nodes": [], "colour": "red"})  # unknown field
    assert not validator.is_valid({"edges": [{"source": "a b", "target": "c"}]})  # bad id


def test_openapi_document_is_served_under_api(client):
    document = client.get("/api/openapi.json").json()
    for path in (
        "/api/graphs/validate",
        "/api/models/build",
        "/api/models/import",
        "/api/graphs/{graph_id}",
    ):
        assert path in document["paths"]
    import_body = document["paths"]["/api/models/import"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(import_body)


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_editor_is_served_with_client_route_fallback_but_never_over_api(
    tmp_path, monkeypatch, settings
):
    from fastapi.testclient import TestClient

    from layerforge.api import app as app_module

    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text("<div id=root>editor</div>")
    (static / "assets" / "app.js").write_text("console.log(1)")
    monkeypatch.setattr(app_module, "STATIC_DIR", static)
    editor = TestClient(app_module.create_app(settings), base_url="http://127.0.0.1:8000")

    assert "editor" in editor.get("/").text
    assert "editor" in editor.get("/runs/abc123").text  # a client route
    assert editor.get("/assets/app.js").text == "console.log(1)"
    assert editor.get("/assets/missing.js").status_code == 404
    api_miss = editor.get("/api/no-such-thing")
    assert api_miss.status_code == 404 and api_miss.json()["errors"][0]["code"] == "not_found"
    assert editor.get("/api/health").json()["status"] == "ok"
