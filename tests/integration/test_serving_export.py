"""POST /api/runs/{id}/export: a finished run's model as a SavedModel, ONNX or LiteRT file,
run by its own runtime against the Keras model (the parity report), quantized or not.

Three trained runs (module-scoped, each exported to every format): a Sequential MLP, a
Functional model with two inputs and two outputs, a small CNN."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np
import pytest

from helpers import chain, example, iris_graph, run_body, wait_status

pytestmark = pytest.mark.slow

FORMATS = ("saved_model", "onnx", "litert")
UNQUANTIZED_TOLERANCE = 1e-4


def _headline(recurrent: bool = False) -> dict[str, Any]:
    """The guide's two-input, two-output model, narrowed to train in seconds; its LSTM
    replaced by average pooling unless `recurrent` (LiteRT alone cannot run an LSTM)."""
    graph = example("functional_headline_two_inputs_two_outputs.json")
    assert graph is not None
    for node in graph["nodes"]:
        if node["id"] == "embedding":
            node["params"]["output_dim"] = 8
        elif node["id"] == "lstm":
            node.update(
                {"params": {"units": 8}}
                if recurrent
                else {"type": "GlobalAveragePooling1D", "params": {}}
            )
        elif node["type"] == "Dense" and node["params"]["units"] == 64:
            node["params"]["units"] = 8
    return graph


def _cnn() -> dict[str, Any]:
    return chain(
        {"id": "conv", "type": "Conv2D", "params": {"filters": 4, "kernel_size": 3}},
        {"id": "flat", "type": "Flatten", "params": {}},
        {"id": "head", "type": "Dense", "params": {"units": 10, "activation": "softmax"}},
        input_shape=[8, 8, 1],
        loss="sparse_categorical_crossentropy",
    )


MODELS = {
    "mlp": (iris_graph(), {"name": "iris"}),
    "two_outputs": (_headline(), {"name": "headline", "samples": 96}),
    "cnn": (_cnn(), {"name": "digits"}),
}
RECURRENT = (_headline(recurrent=True), {"name": "headline", "samples": 96})


@pytest.fixture(scope="module")
def runs(runs_client) -> dict[str, str]:
    """Each model trained for two epochs, with a validation split: name -> run id."""
    ids = {}
    for name, (graph, dataset) in {**MODELS, "recurrent": RECURRENT}.items():
        body = {**run_body(epochs=2, validation_split=0.25), "graph": graph, "dataset": dataset}
        created = runs_client.post("/api/runs", json=body)
        assert created.status_code == 201, created.text
        ids[name] = created.json()["id"]
    for run_id in ids.values():
        assert wait_status(runs_client, run_id, {"succeeded", "failed"}, 300)["status"] == (
            "succeeded"
        )
    return ids


def _export(client, run_id: str, format: str, quantize: str | None = None) -> dict[str, Any]:
    answer = client.post(
        f"/api/runs/{run_id}/export", json={"format": format, "quantize": quantize}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _outputs_of(graph: dict[str, Any]) -> list[str]:
    return [n.get("name") or n["id"] for n in graph["nodes"] if n["type"] == "Output"]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("format", FORMATS)
def test_unquantized_export_matches_keras(runs_client, runs, model: str, format: str) -> None:
    run_id = runs[model]
    report = _export(runs_client, run_id, format)
    assert report["format"] == format and report["quantize"] is None
    assert report["split"] == "validation" and report["samples"] > 0
    assert [o["name"] for o in report["outputs"]] == _outputs_of(MODELS[model][0])
    for output in report["outputs"]:
        assert output["max_abs_diff"] <= UNQUANTIZED_TOLERANCE, output
        assert output["top1_agreement"] == 1.0, output  # every output here classifies
        assert output["accuracy_exported"] == output["accuracy_keras"]
    assert report["layer_errors"] is None and report["quantized_nodes"] == []
    runtime = {"saved_model": "tensorflow", "onnx": "onnxruntime", "litert": "ai-edge-litert"}
    assert report["runtime"].startswith(runtime[format])

    # the artifact downloads like the others, whole, with its report beside it
    artifact = runs_client.get(f"/api/runs/{run_id}/artifacts/{report['artifact']}")
    assert artifact.status_code == 200 and len(artifact.content) == report["bytes"]
    if format == "saved_model":
        assert "saved_model.pb" in zipfile.ZipFile(io.BytesIO(artifact.content)).namelist()
    stored = runs_client.get(f"/api/runs/{run_id}/artifacts/{report['artifact']}.json")
    assert json.loads(stored.content) == report


QUANTIZED = [
    ("mlp", "saved_model", "int8"),
    ("mlp", "onnx", "int8"),
    ("mlp", "litert", "int8"),
    ("mlp", "litert", "float16"),
    ("two_outputs", "onnx", "int8"),
    ("cnn", "saved_model", "int8"),
    ("cnn", "litert", "int8"),
]


@pytest.mark.parametrize(("model", "format", "quantize"), QUANTIZED)
def test_quantized_export_reports_agreement_and_layer_errors(
    runs_client, runs, model: str, format: str, quantize: str
) -> None:
    run_id = runs[model]
    report = _export(runs_client, run_id, format, quantize)
    assert report["quantize"] == quantize
    assert report["artifact"].endswith(f"model_{quantize}." + report["artifact"].split(".", 1)[1])
    if (model, format) == ("cnn", "litert"):  # the others are too small to shrink
        assert report["bytes"] < _export(runs_client, run_id, format)["bytes"]
    for output in report["outputs"]:
        assert 0.0 <= output["top1_agreement"] <= 1.0
        assert output["accuracy_keras"] is not None and output["accuracy_exported"] is not None
    # the quantization changed the outputs, measurably and by little
    assert max(o["max_abs_diff"] for o in report["outputs"]) > 0
    assert all(o["mean_abs_diff"] < 0.1 for o in report["outputs"])

    graph = MODELS[model][0]
    node_ids = {n["id"] for n in graph["nodes"]}
    dense = {n["id"] for n in graph["nodes"] if n["type"] in ("Dense", "Embedding")}
    if format == "litert" and quantize == "int8":
        assert report["quantized_by"] == "litert_converter" and report["layer_errors"] is None
        return
    errors = report["layer_errors"]
    assert errors and set(errors) <= node_ids, errors
    quantized = set(report["quantized_nodes"])
    if quantize == "int8":  # Keras quantizes Dense and Embedding kernels, nothing else
        assert report["quantized_by"] == "keras" and quantized == dense
        conv = [n for n in graph["nodes"] if n["type"] == "Conv2D"]
        for node in conv:  # before the first quantized layer nothing differs
            assert errors[node["id"]]["max_abs"] == 0.0
    else:
        assert quantized == dense  # every node with weights: their float16 rounding
    for node in quantized:
        assert errors[node]["max_abs"] > 0 and errors[node]["relative"] > 0


def test_litert_refuses_what_its_interpreter_cannot_run(runs_client, runs) -> None:
    """An LSTM converts to LiteRT only with TensorFlow (Flex) ops, which the LiteRT
    interpreter lacks: a 422 saying so, and nothing stored."""
    run_id = runs["recurrent"]
    answer = runs_client.post(f"/api/runs/{run_id}/export", json={"format": "litert"})
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert error["param"] == "format" and "Flex" in error["message"], error
    names = [
        a["name"] for a in runs_client.get(f"/api/runs/{run_id}/artifacts").json()["artifacts"]
    ]
    assert not [n for n in names if n.startswith("exports/")], names
    assert _export(runs_client, run_id, "onnx")["outputs"][0]["max_abs_diff"] <= 1e-4


def test_float16_is_a_litert_quantization_only(runs_client, runs) -> None:
    for format in ("saved_model", "onnx"):
        answer = runs_client.post(
            f"/api/runs/{runs['mlp']}/export", json={"format": format, "quantize": "float16"}
        )
        assert answer.status_code == 422, answer.text
        (error,) = answer.json()["errors"]
        assert error["param"] == "quantize" and format in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "tflite"}, "format"),
        ({}, "format"),
        ({"format": "onnx", "quantize": "int4"}, "quantize"),
        ({"format": "onnx", "quantise": "int8"}, "quantise"),
    ],
)
def test_bad_request_names_the_field(runs_client, runs, body: dict, field: str) -> None:
    answer = runs_client.post(f"/api/runs/{runs['mlp']}/export", json=body)
    assert answer.status_code == 422, answer.text
    assert any(field in (e.get("param") or "") for e in answer.json()["errors"]), answer.text


def test_unfinished_and_unknown_runs_are_refused(runs_client) -> None:
    answer = runs_client.post("/api/runs/nope/export", json={"format": "onnx"})
    assert answer.status_code == 404, answer.text
    created = runs_client.post("/api/runs", json=run_body(epochs=200, batch_size=1))
    run_id = created.json()["id"]
    try:
        answer = runs_client.post(f"/api/runs/{run_id}/export", json={"format": "onnx"})
        assert answer.status_code == 409, answer.text
        assert answer.json()["errors"][0]["code"] == "no_model"
    finally:
        runs_client.post(f"/api/runs/{run_id}/cancel")
        wait_status(runs_client, run_id, {"cancelled", "succeeded", "failed"})


def test_exported_onnx_answers_as_keras_does(runs_client, runs, tmp_path) -> None:
    """The downloaded file itself, run outside the server, gives the run's predictions."""
    import onnxruntime

    run_id = runs["mlp"]
    report = _export(runs_client, run_id, "onnx")
    path = tmp_path / "model.onnx"
    path.write_bytes(runs_client.get(f"/api/runs/{run_id}/artifacts/{report['artifact']}").content)
    samples = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    predicted = runs_client.post(
        f"/api/runs/{run_id}/predict", json={"inputs": {"features": samples.tolist()}}
    )
    assert predicted.status_code == 200, predicted.text
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: samples})
    want = np.asarray(predicted.json()["outputs"]["species"])
    assert np.abs(got - want).max() <= UNQUANTIZED_TOLERANCE
