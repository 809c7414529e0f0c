"""Validate, build, import and export through the REST API, with real Keras."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import keras
import pytest
from fastapi.testclient import TestClient

from helpers import HEADLINE_PARAMS, example_graph, mlp_graph
from layerforge.api.app import create_app
from layerforge.settings import Limits

MLP_PARAMS = 4 * 8 + 8 + 8 * 1 + 1


def broken_headline() -> dict:
    """Dense with -3 units, and Concatenate fed a 3-D and a 2-D tensor."""
    graph = example_graph()
    for node in graph["nodes"]:
        if node["id"] == "dense1":
            node["params"]["units"] = -3
    graph["edges"] = [e for e in graph["edges"] if (e["source"], e["target"]) != ("lstm", "concat")]
    graph["edges"].append({"source": "embedding", "target": "concat", "target_port": 0})
    return graph


# --- validate --------------------------------------------------------------------------


def test_validate_reports_shapes_and_params_per_node(client):
    response = client.post("/api/graphs/validate", json={"graph": example_graph()})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["valid"] is True and report["errors"] == []
    assert report["model_type"] == "functional"
    assert report["total_params"] == HEADLINE_PARAMS
    nodes = report["nodes"]
    assert nodes["embedding"]["output_shapes"] == [[None, 100, 512]]
    assert nodes["embedding"]["params"] == 10_000 * 512
    assert nodes["lstm"]["output_shapes"] == [[None, 32]]
    assert nodes["concat"]["output_shapes"] == [[None, 37]]


def test_validate_names_node_and_param_of_every_error(client):
    response = client.post("/api/graphs/validate", json={"graph": broken_headline()})
    assert response.status_code == 200
    report = response.json()
    assert report["valid"] is False and report["total_params"] is None
    located = {(e["node"], e["param"]) for e in report["errors"]}
    assert ("dense1", "units") in located
    assert any(node == "concat" for node, _ in located)
    for error in report["errors"]:
        assert error["code"] and error["message"]
        assert "Traceback" not in error["message"] and "site-packages" not in error["message"]
    assert report["nodes"]["dense1"]["errors"]


def test_sequential_chain_is_reported_as_sequential(client):
    report = client.post("/api/graphs/validate", json={"graph": mlp_graph()}).json()
    assert report["model_type"] == "sequential"
    assert report["total_params"] == MLP_PARAMS


def test_refused_layer_types_are_errors_not_code(client):
    graph = mlp_graph()
    graph["nodes"][1] = {"id": "d1", "type": "Lambda", "params": {"function": "lambda x: x"}}
    report = client.post("/api/graphs/validate", json={"graph": graph}).json()
    assert report["valid"] is False
    assert any(
        e["node"] == "d1" and e["code"] in ("refused_type", "unknown_type")
        for e in report["errors"]
    )


def test_parameter_cap_is_a_422_naming_the_limit(settings):
    """The app's settings carry the cap (LAYERFORGE_LIMIT_PARAMS) into validation."""
    capped = settings.model_copy(update={"limits": Limits(params=1_000_000)})
    client = TestClient(create_app(capped), base_url="http://127.0.0.1:8000")
    response = client.post("/api/graphs/validate", json={"graph": example_graph()})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["code"] == "too_large" and "1,000,000" in error["message"]


def test_concurrent_validations_all_answer(client):
    def validate(units: int) -> int:
        response = client.post("/api/graphs/validate", json={"graph": mlp_graph(units)})
        assert response.status_code == 200
        return response.json()["total_params"]

    with ThreadPoolExecutor(4) as pool:
        totals = list(pool.map(validate, range(1, 9)))
    assert totals == [4 * u + u + u + 1 for u in range(1, 9)]


# --- build -----------------------------------------------------------------------------


def test_build_summarises_like_model_summary(client):
    response = client.post("/api/models/build", json={"graph": example_graph()})
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["model_type"] == "functional"
    assert summary["total_params"] == summary["trainable_params"] == HEADLINE_PARAMS
    rows = {row["node"]: row for row in summary["layers"]}
    assert rows["lstm"]["params"] == 69_760
    assert rows["concat"]["output_shapes"] == [[None, 37]]
    assert sum(row["params"] for row in summary["layers"]) == HEADLINE_PARAMS


def test_build_of_an_invalid_graph_is_422_with_the_same_errors(client):
    response = client.post("/api/models/build", json={"graph": broken_headline()})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert ("dense1", "units") in {(e["node"], e["param"]) for e in errors}
    validated = client.post("/api/graphs/validate", json={"graph": broken_headline()}).json()
    assert errors == validated["errors"]


# --- export ----------------------------------------------------------------------------


def test_export_python_is_code_that_builds_the_same_model(client):
    response = client.post(
        "/api/models/export", json={"graph": example_graph(), "format": "python"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-python")
    namespace: dict = {}
    exec(compile(response.text, "exported.py", "exec"), namespace)  # noqa: S102 - our own export
    models = [v for v in namespace.values() if isinstance(v, keras.Model)]
    assert models and models[0].count_params() == HEADLINE_PARAMS


def test_exported_files_are_named_after_the_model_keras_builds(client):
    graph = {**mlp_graph(), "name": "digits v1.2 > small (test)"}
    response = client.post("/api/models/export", json={"graph": graph, "format": "python"})
    assert response.status_code == 200
    assert "name='digits_v1.2_>_small_test'" in response.text.replace('"', "'")
    assert 'filename="digits_v1_2_small_test.py"' in response.headers["content-disposition"]


def test_export_json_loads_in_keras(client):
    response = client.post("/api/models/export", json={"graph": mlp_graph(), "format": "json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    model = keras.models.model_from_json(response.text)
    assert model.count_params() == MLP_PARAMS


def test_export_keras_file_downloads_and_loads_in_safe_mode(client, tmp_path):
    response = client.post("/api/models/export", json={"graph": example_graph(), "format": "keras"})
    assert response.status_code == 200
    assert 'attachment; filename="' in response.headers["content-disposition"]
    assert response.headers["content-disposition"].endswith('.keras"')
    path = tmp_path / "model.keras"
    path.write_bytes(response.content)
    model = keras.saving.load_model(path, safe_mode=True)
    assert model.count_params() == HEADLINE_PARAMS
    assert sorted(model.output_names) == ["aux_output", "main_output"]


def test_export_refuses_invalid_graphs_and_unknown_formats(client):
    invalid = client.post(
        "/api/models/export", json={"graph": broken_headline(), "format": "python"}
    )
    assert invalid.status_code == 422
    unknown = client.post("/api/models/export", json={"graph": mlp_graph(), "format": "onnx"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["param"] == "format"


# --- import ----------------------------------------------------------------------------


def shared_lstm_model() -> keras.Model:
    """The Functional guide's tweet model, small: one LSTM shared by two inputs."""
    a = keras.Input((28, 16), name="tweet_a")
    b = keras.Input((28, 16), name="tweet_b")
    shared = keras.layers.LSTM(8)
    merged = keras.layers.concatenate([shared(a), shared(b)])
    out = keras.layers.Dense(1, activation="sigmoid", name="same")(merged)
    return keras.Model([a, b], out)


def test_import_keras_json_then_build_gives_the_same_model(client):
    model = shared_lstm_model()
    response = client.post("/api/models/import", json={"keras_json": model.to_json()})
    assert response.status_code == 200, response.text
    graph = response.json()["graph"]
    lstm_calls = [n for n in graph["nodes"] if n["type"] == "LSTM" or n.get("shared_with")]
    assert len(lstm_calls) == 2  # one layer, two call sites
    built = client.post("/api/models/build", json={"graph": graph}).json()
    assert built["total_params"] == model.count_params()


def test_import_keras_file_upload(client, tmp_path):
    model = shared_lstm_model()
    path = tmp_path / "tweets.keras"
    model.save(path)
    with path.open("rb") as f:
        response = client.post("/api/models/import", files={"file": ("tweets.keras", f)})
    assert response.status_code == 200, response.text
    graph = response.json()["graph"]
    report = client.post("/api/graphs/validate", json={"graph": graph}).json()
    assert report["valid"] and report["total_params"] == model.count_params()
    assert not list(client.app.state.settings.data_dir.rglob(".upload-*"))  # cleaned up


@pytest.mark.parametrize(
    "body, code",
    [
        ({"keras_json": "{not json"}, None),
        ({"keras_json": '{"class_name": "Sequential", "config": 3}'}, None),
        ({"keras_json": '{"class_name": "Lambda", "config": {}}'}, None),
        ({"keras_json": 5}, "string_type"),
        ({}, "missing"),
    ],
)
def test_import_of_garbage_is_422_never_500(client, body, code):
    response = client.post("/api/models/import", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert errors and all(e["message"] for e in errors)
    if code:
        assert errors[0]["code"] == code and errors[0]["param"] == "keras_json"


def test_import_refuses_code_carrying_layers_naming_them(client):
    x = keras.Input((4,))
    y = keras.layers.Lambda(lambda t: t * 2, name="doubler")(x)
    model = keras.Model(x, keras.layers.Dense(1)(y))
    response = client.post("/api/models/import", json={"keras_json": model.to_json()})
    assert response.status_code == 422
    assert "doubler" in response.text or "Lambda" in response.text


def test_import_upload_that_is_not_a_keras_file(client):
    response = client.post(
        "/api/models/import", files={"file": ("x.keras", io.BytesIO(b"PK nope"))}
    )
    assert response.status_code == 422
    assert "/uploads/" not in response.text and "import-" not in response.text
    missing = client.post("/api/models/import", files={"other": ("x.keras", io.BytesIO(b"1"))})
    assert missing.status_code == 422 and missing.json()["errors"][0]["param"] == "file"
    text = client.post(
        "/api/models/import", content=b"hello", headers={"content-type": "text/plain"}
    )
    assert text.status_code == 415


def test_a_subgraph_with_a_schema_version_out_of_range_is_a_422_naming_it(client):
    """Found by bench/fuzz_api.py: only the top-level schema_version was checked."""
    graph = {"nodes": [], "edges": [], "subgraphs": {"block": {"nodes": [], "schema_version": 0}}}
    response = client.post("/api/graphs/validate", json={"graph": graph})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["param"] == "graph.subgraphs.block.schema_version"
