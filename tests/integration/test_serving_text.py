"""Serving exports of a text classifier (string Input -> TextVectorization -> Embedding ->
GlobalAveragePooling1D -> Dense) trained by REST: the SavedModel takes the raw strings and
answers as the run's model.keras does (float and Keras int8); ONNX and LiteRT, whose
runtimes have no string ops, are refused with a 422 naming the TextVectorization node,
and nothing is stored for them."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import numpy as np
import pytest

from helpers import TERMINAL, wait_status
from text_sets import text_csv, text_run_request

pytestmark = pytest.mark.slow

SENTENCES = ["The rocket and the moon", "Bread and cheese soup", "A goal for the team"]


@pytest.fixture(scope="module")
def text_run(runs_client) -> str:
    """The text classifier trained on 600 generated sentences, a fifth kept to validate."""
    up = runs_client.post(
        "/api/datasets",
        files={"file": ("topics.csv", text_csv(600))},
        data={"name": "topics", "text_column": "text", "label_column": "topic"},
    )
    assert up.status_code == 201, up.text
    body = text_run_request("topics", 4)
    created = runs_client.post("/api/runs", json=body)
    assert created.status_code == 201, created.text
    run = wait_status(runs_client, created.json()["id"], TERMINAL, timeout=300)
    assert run["status"] == "succeeded", run["error"]
    return run["id"]


def _export(client, run_id: str, format: str, quantize: str | None = None) -> Any:
    return client.post(f"/api/runs/{run_id}/export", json={"format": format, "quantize": quantize})


@pytest.mark.parametrize("quantize", [None, "int8"])
def test_the_saved_model_takes_raw_strings(runs_client, text_run, quantize, tmp_path) -> None:
    import tensorflow as tf

    answer = _export(runs_client, text_run, "saved_model", quantize)
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert report["split"] == "validation" and report["samples"] == 120
    (output,) = report["outputs"]
    if quantize is None:
        assert output["max_abs_diff"] <= 1e-5 and output["top1_agreement"] == 1.0, output
    else:  # Keras's int8: the Embedding's and the Dense's kernels
        assert set(report["quantized_nodes"]) == {"embed", "probs"}, report
        assert 0 < output["max_abs_diff"] and output["mean_abs_diff"] < 0.1, output
        assert set(report["layer_errors"]) >= {"embed", "probs"}

    # the downloaded SavedModel, called with the raw sentences, answers as model.keras does
    got = runs_client.get(f"/api/runs/{text_run}/artifacts/{report['artifact']}")
    assert got.status_code == 200 and len(got.content) == report["bytes"]
    zipfile.ZipFile(io.BytesIO(got.content)).extractall(tmp_path / "saved")
    served = tf.saved_model.load(str(tmp_path / "saved"))
    texts = [[s] for s in SENTENCES]
    probs = np.asarray(served.serve(tf.constant(texts)))
    predicted = runs_client.post(f"/api/runs/{text_run}/predict", json={"inputs": {"x": texts}})
    assert predicted.status_code == 200, predicted.text
    (keras_probs,) = predicted.json()["outputs"].values()
    tolerance = 1e-5 if quantize is None else 0.1
    assert np.abs(probs - np.asarray(keras_probs)).max() <= tolerance
    assert probs.argmax(axis=1).tolist() == [1, 0, 2]  # space, food, sport


@pytest.mark.parametrize(
    ("format", "quantize"),
    [("onnx", None), ("onnx", "int8"), ("litert", None), ("litert", "float16")],
)
def test_formats_without_string_ops_refuse_text(runs_client, text_run, format, quantize) -> None:
    answer = _export(runs_client, text_run, format, quantize)
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert error["param"] == "format" and error["code"] == "takes_text", error
    assert "`vectorize` (TextVectorization)" in error["message"], error
    assert "saved_model" in error["message"], error  # what does take the strings
    names = [
        a["name"] for a in runs_client.get(f"/api/runs/{text_run}/artifacts").json()["artifacts"]
    ]
    assert not [n for n in names if n.endswith((".onnx", ".tflite"))], names
