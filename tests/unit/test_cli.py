"""The `layerforge` command line, run for real (typer's runner, and `serve` as a process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from helpers import HEADLINE_PARAMS
from layerforge.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HEADLINE = EXAMPLES / "functional_headline_two_inputs_two_outputs.json"

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """The headline model with a Dense of -3 units and a Concatenate fed mismatched ranks."""
    graph = json.loads(HEADLINE.read_text())
    for node in graph["nodes"]:
        if node["id"] == "dense1":
            node["params"]["units"] = -3
    graph["edges"] = [e for e in graph["edges"] if e["source"] != "lstm" or e["target"] != "concat"]
    graph["edges"].append({"source": "embedding", "target": "concat", "target_port": 0})
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(graph))
    return path


def test_validate_prints_shapes_and_succeeds(tmp_path):
    result = run("validate", str(HEADLINE))
    assert result.exit_code == 0, result.output
    assert "valid: functional model, 5,200,610 parameters" in result.output
    assert "(None, 100, 512)" in result.output  # the Embedding's output


def test_validate_json_report(tmp_path):
    result = run("validate", "--json", str(HEADLINE))
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["valid"] is True and report["total_params"] == HEADLINE_PARAMS


def test_validate_names_node_and_parameter_and_fails(broken):
    result = run("validate", str(broken))
    assert result.exit_code == 1
    assert "node=dense1 param=units" in result.stderr
    assert "node=concat" in result.stderr


def test_a_file_that_is_not_a_graph_exits_2_naming_the_field(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"nodes": [{"id": "x", "type": 5}]}))
    result = run("validate", str(path))
    assert result.exit_code == 2
    assert "node=x param=nodes[0].type" in result.stderr
    path.write_text("{not json")
    result = run("build", str(path))
    assert result.exit_code == 2 and "not valid JSON" in result.stderr
    assert run("validate", str(tmp_path / "missing.json")).exit_code == 2


def test_build_prints_a_summary_table(broken):
    result = run("build", str(HEADLINE))
    assert result.exit_code == 0, result.output
    assert "Total params: 5,200,610" in result.stdout
    assert "Trainable params: 5,200,610" in result.stdout
    for name in ("embedding", "lstm", "main_output", "aux_output"):
        assert name in result.stdout
    failed = run("build", str(broken))
    assert failed.exit_code == 1
    assert "node=" in failed.stderr


def test_export_python_runs_and_builds_the_same_model(tmp_path):
    target = tmp_path / "model.py"
    result = run("export", str(HEADLINE), "--format", "python", "-o", str(target))
    assert result.exit_code == 0, result.output
    code = target.read_text()
    namespace: dict = {}
    exec(compile(code, str(target), "exec"), namespace)  # noqa: S102 - our own export
    import keras

    models = [v for v in namespace.values() if isinstance(v, keras.Model)]
    assert models and models[0].count_params() == HEADLINE_PARAMS


def test_export_of_an_invalid_graph_names_the_problem(broken, tmp_path):
    result = run("export", str(broken), "--format", "python", "-o", str(tmp_path / "m.py"))
    assert result.exit_code == 1
    assert "node=dense1 param=units" in result.stderr
    assert not (tmp_path / "m.py").exists()


def test_export_json_to_stdout_and_keras_needs_output(tmp_path):
    result = run("export", str(HEADLINE), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["class_name"] in ("Functional", "Model")
    assert run("export", str(HEADLINE), "--format", "keras").exit_code == 2
    assert run("export", str(HEADLINE), "--format", "onnx").exit_code == 2


def test_export_keras_then_import_round_trips(tmp_path):
    model_file = tmp_path / "headline.keras"
    result = run("export", str(HEADLINE), "--format", "keras", "-o", str(model_file))
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(model_file)

    graph_file = tmp_path / "imported.json"
    result = run("import", str(model_file), "-o", str(graph_file))
    assert result.exit_code == 0, result.output
    imported = json.loads(graph_file.read_text())
    assert {n["type"] for n in imported["nodes"]} >= {
        "Input",
        "Embedding",
        "LSTM",
        "Concatenate",
        "Output",
    }

    again = run("validate", "--json", str(graph_file))
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["total_params"] == HEADLINE_PARAMS


def test_import_keras_json_to_stdout_and_refuses_garbage(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(1)])
    source = tmp_path / "model.json"
    source.write_text(model.to_json())
    result = run("import", str(source))
    assert result.exit_code == 0, result.output
    graph = json.loads(result.stdout)
    assert [n["type"] for n in graph["nodes"]].count("Dense") == 2

    source.write_text('{"class_name": "Sequential", "config": 3}')
    refused = run("import", str(source))
    assert refused.exit_code != 0
    assert "Traceback" not in refused.output


def test_openapi_prints_the_document():
    result = run("openapi")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert "/api/graphs/validate" in document["paths"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_a_real_server(tmp_path):
    port = _free_port()
    env = {**os.environ, "LAYERFORGE_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "layerforge.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "server did not start in 60 s"
                time.sleep(0.3)
        assert response.json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
