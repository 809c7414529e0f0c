"""`layerforge train FILE --dataset ...`: trains in-process, prints a table, writes artifacts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from helpers import digits_mlp
from layerforge.cli import app

pytestmark = pytest.mark.slow


def test_train_command_writes_artifacts_and_a_metrics_table(tmp_path):
    graph_file = tmp_path / "mlp.json"
    graph_file.write_text(json.dumps(digits_mlp()))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "train",
            str(graph_file),
            "--dataset",
            "digits_flat",
            "--epochs",
            "2",
            "--batch-size",
            "64",
            "--lr",
            "0.01",
            "--seed",
            "4",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "metrics per epoch" in result.output and "val_accuracy" in result.output
    assert "succeeded" in result.output
    for name in ("model.keras", "best.keras", "history.json", "run.json", "model.py"):
        assert (out / name).stat().st_size > 0, name
    history = json.loads((out / "history.json").read_text())["history"]
    assert len(history["loss"]) == 2 and history["loss"][1] < history["loss"][0]


def test_train_command_fails_clearly_on_a_misfit(tmp_path):
    graph_file = tmp_path / "mlp.json"
    graph_file.write_text(json.dumps(digits_mlp()))
    result = CliRunner().invoke(
        app,
        [
            "train",
            str(graph_file),
            "--dataset",
            "digits",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1
    assert (
        "input `x` expects (None, 64), array `x` has shape (1797, 8, 8, 1)"
        in result.output.replace("\n", "")
    )
    bad = CliRunner().invoke(app, ["train", str(graph_file), "--optimizer", "adamx"])
    assert bad.exit_code != 0 and "unknown optimizer 'adamx'" in bad.output
