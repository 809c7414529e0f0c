"""A real trainer process that fails says why, and a cancel is prompt:
- an error raised in fit reaches the run's error and its events as Keras's own words;
- a write that meets a full disk (a real one: a small tmpfs as the run folder) ends the
  run `failed` with `disk_full`, leaving no half-written file;
- a cancel stops at the batch: no layer statistics are measured for the cut epoch."""

from __future__ import annotations

import json
from pathlib import Path

from disks import small_disk
from helpers import Trainer, chain, train_spec

QUIET = {"tensorboard": False, "seed": 1}


def test_an_error_in_fit_reaches_the_runs_error_in_keras_words(tmp_path: Path) -> None:
    """Token ids (the `headline` set's, up to 9,999) reach an Embedding(1000) through a
    Reshape, past the data set check (it looks at Embeddings fed by an Input)."""
    graph = chain(
        {"id": "grid", "type": "Reshape", "params": {"target_shape": [10, 10]}},
        {"id": "embedding", "type": "Embedding", "params": {"input_dim": 1000, "output_dim": 4}},
        {"type": "Flatten", "params": {}},
        {"type": "Dense", "params": {"units": 1, "activation": "sigmoid"}},
        input_shape=[100],
        input_params={"dtype": "int32"},
        loss="binary_crossentropy",
        output_name="main_output",
    )
    graph["nodes"][0]["name"] = "main_input"
    t = Trainer(train_spec(tmp_path, graph, {"name": "headline", "samples": 64}, epochs=1, **QUIET))
    events = t.finish()
    status = events[-1]
    assert status["type"] == "status" and status["status"] == "failed", events[-3:]
    error = status["error"]
    assert error["code"] == "training_error" and error["node"] == "embedding", error
    assert "is not in [0, 1000)" in error["message"], error
    assert "Graph execution error" not in error["message"] and "<keras>" not in error["message"]
    [event] = [e for e in events if e["type"] == "error"]
    assert event["message"] == error["message"] and event["node"] == "embedding"


def big_mlp() -> dict:
    """About 600,000 weights: its model.keras (with the optimizer's slots) is ~7 MB."""
    return chain(
        {"type": "Dense", "params": {"units": 1024, "activation": "relu"}},
        {"type": "Dense", "params": {"units": 512, "activation": "relu"}},
        {"type": "Dense", "params": {"units": 10, "activation": "softmax"}},
        input_shape=[64],
        loss="sparse_categorical_crossentropy",
    )


def test_a_full_disk_ends_the_run_disk_full_and_leaves_no_half_file(tmp_path: Path) -> None:
    with small_disk(tmp_path / "runs", size_mb=2) as disk:
        spec = train_spec(tmp_path, big_mlp(), {"name": "digits_flat"}, epochs=1, **QUIET)
        spec["run_dir"] = str(disk.path / "run")
        events = Trainer(spec).finish()
        status = events[-1]
        assert status["type"] == "status" and status["status"] == "failed", events[-3:]
        assert status["error"]["code"] == "disk_full", status
        assert "disk is full" in status["error"]["message"]
        assert any(e["type"] == "error" and e["code"] == "disk_full" for e in events)
        run_dir = disk.path / "run"
        left = sorted(p.name for p in run_dir.iterdir())
        # no model.keras, whole or half, and no temp file; the small reports written before
        # the disk filled (evaluation.json) are whole
        assert "run.json" in left and not {"model.keras", "best.keras"} & set(left), left
        assert not [name for name in left if ".writing" in name], left
        for name in left:
            json.loads((run_dir / name).read_text())


def test_cancel_stops_at_the_batch_without_measuring_the_cut_epoch(tmp_path: Path) -> None:
    spec = train_spec(
        tmp_path, big_mlp(), {"name": "digits_flat"}, epochs=50, batch_size=8, layer_stats=True
    )
    t = Trainer({**spec, "settings": {**spec["settings"], **QUIET}})
    t.wait_for(lambda e: e["type"] == "batch")
    t.send("cancel")
    events = t.finish()
    assert events[-1]["type"] == "status" and events[-1]["status"] == "cancelled", events[-3:]
    asked = next(i for i, e in enumerate(events) if e["type"] == "log" and "cancel" in e["message"])
    assert [e for e in events[asked:] if e["type"] == "layer_stats"] == []
    assert {"model.keras", "history.json"} <= {e["name"] for e in events if e["type"] == "artifact"}
