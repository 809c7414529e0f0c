"""Real training in the real trainer subprocess, on small data.

Every test starts `python -m layerforge.training.trainer`, speaks the protocol over
its stdin/stdout and checks events and artifacts."""

from __future__ import annotations

import json
import math
import time

import pytest

from helpers import TERMINAL, Trainer, chain, digits_mlp, example, run_trainer, train_spec
from layerforge.training.client import OneshotError, run_oneshot

pytestmark = pytest.mark.slow


def _assert_protocol(t: Trainer) -> None:
    """Every event has type and time; starting first, one terminal status last, exit 0."""
    assert t.proc.returncode == 0, t.stderr[-2000:]
    assert all("type" in e and isinstance(e["time"], float) for e in t.events)
    statuses = [e["status"] for e in t.of("status")]
    assert statuses[0] == "starting" and statuses[-1] in TERMINAL
    assert t.events[-1]["type"] == "status" and sum(s in TERMINAL for s in statuses) == 1
    stopped = [e["message"] for e in t.of("log") if "layer statistics stopped" in e["message"]]
    assert not stopped, stopped


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("digits")
    spec = train_spec(
        tmp,
        digits_mlp(),
        {"name": "digits_flat"},
        epochs=5,
        batch_size=32,
        optimizer={"name": "adam", "learning_rate": 0.01},
        seed=1,
        layer_stats=True,
    )
    t = Trainer(spec, warm=True)
    t.finish()
    return tmp, spec, t


def test_digits_mlp_reaches_90_percent(digits_run):
    _, _, t = digits_run
    _assert_protocol(t)
    assert t.of("status")[-1]["status"] == "succeeded", t.events[-6:]
    epochs = t.of("epoch")
    assert [e["epoch"] for e in epochs] == [0, 1, 2, 3, 4]
    assert epochs[-1]["metrics"]["val_accuracy"] >= 0.9
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(epochs[-1]["metrics"])


def test_layer_stats_on_every_weighted_node_at_the_epochs_the_budget_allows(digits_run):
    _, _, t = digits_run
    stats = t.of("layer_stats")
    measured = [e["epoch"] for e in stats]
    assert measured[0] == 0 and measured[-1] == 4 and measured == sorted(set(measured))
    # the time budget may skip some: the log says which were measured, and what they cost
    (said,) = [e["message"] for e in t.of("log") if e["message"].startswith("layer statistics")]
    assert said.startswith(f"layer statistics at {len(measured)} of 5 epochs (1")
    assert said.endswith("held to 2%, the first and the last epoch always measured")
    for event in stats:
        assert set(event["nodes"]) == {"l0", "l1"}
        hidden, head = event["nodes"]["l0"], event["nodes"]["l1"]
        assert hidden["weight_norm"] > 0 and hidden["grad_norm"] > 0
        assert 0 < hidden["update_ratio"] < 1
        assert 0 <= hidden["dead_fraction"] < 1 and hidden["mean"] > 0  # relu
        assert "dead_fraction" not in head and 0 < head["mean"] < 1  # softmax
    # each epoch's stats come right after its epoch event
    kinds = [(e["type"], e["epoch"]) for e in t.events if e["type"] in ("epoch", "layer_stats")]
    assert [k for k in kinds if k[0] == "epoch"] == [("epoch", e) for e in range(5)]
    for i, kind in enumerate(kinds):
        if kind[0] == "layer_stats":
            assert kinds[i - 1] == ("epoch", kind[1])


def test_layer_stats_are_on_by_default_and_measure_the_epoch_an_early_stop_ends_on(tmp_path):
    """EarlyStopping that never sees an improvement stops after epoch 4 of 30; the layer
    statistics (on: the settings do not name them) measure that epoch as the run's last,
    whatever their time budget skipped before it: they see the stop EarlyStopping sets."""
    never_better = {"monitor": "loss", "min_delta": 1e9, "patience": 3}
    t = run_trainer(
        tmp_path,
        digits_mlp(),
        {"name": "digits_flat"},
        epochs=30,
        validation_split=0,
        early_stopping=never_better,
        tensorboard=False,
        keep_best_checkpoint=False,
        seed=1,
    )
    _assert_protocol(t)
    assert [e["epoch"] for e in t.of("epoch")] == [0, 1, 2, 3]
    measured = [e["epoch"] for e in t.of("layer_stats")]
    assert measured[0] == 0 and measured[-1] == 3
    assert t.of("layer_stats")[-1]["nodes"]["l0"]["weight_norm"] > 0
    (said,) = [e["message"] for e in t.of("log") if e["message"].startswith("layer statistics")]
    assert said.startswith(f"layer statistics at {len(measured)} of 4 epochs (1")


def test_batch_events_are_throttled_and_include_each_last_batch(digits_run):
    _, _, t = digits_run
    batches = t.of("batch")
    steps = batches[0]["batches"]
    assert steps == math.ceil(1797 * 0.8 / 32)
    for epoch in range(5):
        of_epoch = [b for b in batches if b["epoch"] == epoch]
        assert of_epoch[-1]["batch"] == steps - 1
        assert [b["batch"] for b in of_epoch] == sorted({b["batch"] for b in of_epoch})
    times = [b["time"] for b in batches]
    span = times[-1] - times[0]
    assert len(batches) <= 5 + span * 10 + 1  # at most ~10 a second plus each epoch's last


def test_artifacts_are_written_and_announced(digits_run):
    tmp, spec, t = digits_run
    run_dir = tmp / "run"
    names = {e["name"]: e["size"] for e in t.of("artifact")}
    for name in ("run.json", "model.keras", "best.keras", "history.json"):
        assert names[name] == (run_dir / name).stat().st_size > 0
    assert any(n.startswith("tensorboard/train/") for n in names)
    assert any(n.startswith("tensorboard/validation/") for n in names)
    history = json.loads((run_dir / "history.json").read_text())
    assert len(history["history"]["val_accuracy"]) == 5 and history["status"] == "succeeded"
    val_loss = history["history"]["val_loss"]
    assert history["best"] == {
        "monitor": "val_loss",
        "value": min(val_loss),
        "epoch": val_loss.index(min(val_loss)),
    }
    assert json.loads((run_dir / "run.json").read_text())["settings"] == spec["settings"]


def test_evaluate_and_predict_one_shot(digits_run):
    tmp, spec, _ = digits_run
    evaluated = run_oneshot({**spec, "mode": "evaluate"}, timeout=180)
    assert evaluated.samples == 1797 and evaluated.metrics["accuracy"] >= 0.9
    predicted = run_oneshot(
        {**spec, "mode": "predict", "inputs": {"x": [[0.0] * 64, [0.5] * 64]}}, timeout=180
    )
    rows = predicted.outputs["label"]
    assert len(rows) == 2 and all(len(r) == 10 and abs(sum(r) - 1) < 1e-4 for r in rows)
    with pytest.raises(OneshotError, match="input `x` expects"):
        run_oneshot({**spec, "mode": "predict", "inputs": {"x": [[0.0] * 3]}}, timeout=180)


def test_cancel_stops_after_the_current_batch_and_keeps_weights(tmp_path):
    spec = train_spec(
        tmp_path,
        digits_mlp(),
        {"name": "digits_flat"},
        epochs=500,
        batch_size=8,
        validation_split=0.1,
    )
    t = Trainer(spec)
    t.wait_for(lambda e: e["type"] == "epoch")
    sent = time.time()
    t.send("cancel")
    end = t.wait_for(lambda e: e["type"] == "status" and e["status"] in TERMINAL, timeout=30)
    t.finish()
    _assert_protocol(t)
    assert end["status"] == "cancelled"
    last_batch = max(b["time"] for b in t.of("batch"))
    assert last_batch - sent < 10  # the parent's kill deadline; the bench reports the figure
    assert 1 <= len(t.of("epoch")) < 500
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert history["status"] == "cancelled" and len(history["history"]["loss"]) == len(
        t.of("epoch")
    )
    assert (tmp_path / "run" / "model.keras").stat().st_size > 0


def test_nan_loss_fails_with_epoch_and_batch(tmp_path):
    graph = chain(
        {"type": "Dense", "params": {"units": 1}}, input_shape=[10], loss="mse", metrics=()
    )
    t = run_trainer(
        tmp_path,
        graph,
        {"name": "diabetes"},
        epochs=3,
        batch_size=16,
        optimizer={"name": "sgd", "learning_rate": 10},
        tensorboard=False,
    )
    _assert_protocol(t)
    errors = [e for e in t.of("error") if e["code"] == "nan_loss"]
    assert (
        len(errors) == 1
        and isinstance(errors[0]["epoch"], int)
        and isinstance(errors[0]["batch"], int)
    )
    assert f"epoch {errors[0]['epoch'] + 1}, batch {errors[0]['batch'] + 1}" in errors[0]["message"]
    assert "the loss became" in errors[0]["message"]
    final = t.of("status")[-1]
    assert final["status"] == "failed" and final["error"]["code"] == "nan_loss"
    assert (final["error"]["epoch"], final["error"]["batch"]) == (
        errors[0]["epoch"],
        errors[0]["batch"],
    )
    assert len(t.of("epoch")) == errors[0]["epoch"] + 1  # stopped in the epoch it happened


def test_layer_exception_maps_to_its_node(tmp_path):
    graph = {
        "nodes": [
            {
                "id": "main_input",
                "type": "Input",
                "name": "main_input",
                "params": {"shape": [100], "dtype": "int32"},
            },
            # through a Reshape, so the data set check (which refuses ids past an Embedding
            # fed by an Input) lets it train and the gather fails inside fit
            {"id": "same", "type": "Reshape", "params": {"target_shape": [100]}},
            {"id": "tiny_vocab", "type": "Embedding", "params": {"input_dim": 50, "output_dim": 4}},
            {"id": "flat", "type": "Flatten"},
            {"id": "head", "type": "Dense", "params": {"units": 1, "activation": "sigmoid"}},
            {
                "id": "aux_output",
                "type": "Output",
                "name": "aux_output",
                "params": {"loss": "binary_crossentropy"},
            },
        ],
        "edges": [
            {"source": "main_input", "target": "same"},
            {"source": "same", "target": "tiny_vocab"},
            {"source": "tiny_vocab", "target": "flat"},
            {"source": "flat", "target": "head"},
            {"source": "head", "target": "aux_output"},
        ],
    }
    t = run_trainer(
        tmp_path, graph, {"name": "headline", "samples": 64}, epochs=1, tensorboard=False
    )
    _assert_protocol(t)
    errors = t.of("error")
    assert errors and errors[0]["code"] == "training_error" and errors[0]["node"] == "tiny_vocab", (
        errors
    )
    assert t.of("status")[-1]["status"] == "failed"


def test_dataset_that_does_not_fit_fails_before_training(tmp_path):
    t = run_trainer(tmp_path, digits_mlp(), {"name": "digits"}, epochs=1)
    _assert_protocol(t)
    errors = t.of("error")
    assert errors[0]["code"] == "dataset_shape_mismatch" and errors[0]["node"] == "in"
    assert "running" not in [e["status"] for e in t.of("status")]


def test_headline_model_reports_both_losses_with_the_weight(tmp_path):
    graph = example("functional_headline_two_inputs_two_outputs.json")
    t = run_trainer(
        tmp_path,
        graph,
        {"name": "headline", "samples": 96},
        epochs=1,
        batch_size=32,
        validation_split=0,
        tensorboard=False,
        keep_best_checkpoint=False,
    )
    _assert_protocol(t)
    assert t.of("status")[-1]["status"] == "succeeded", t.events[-5:]
    m = t.of("epoch")[-1]["metrics"]
    assert {
        "main_output_loss",
        "aux_output_loss",
        "main_output_accuracy",
        "aux_output_accuracy",
    } <= set(m)
    assert m["loss"] == pytest.approx(m["main_output_loss"] + 0.2 * m["aux_output_loss"], rel=1e-3)


def test_stateful_stack_trains_unshuffled_on_whole_batches(tmp_path):
    graph = example("sequential_stateful_lstm.json")
    t = run_trainer(
        tmp_path,
        graph,
        {"name": "sequences", "samples": 300},
        epochs=2,
        batch_size=7,
        validation_split=0.2,
        tensorboard=False,
    )
    _assert_protocol(t)
    assert t.of("status")[-1]["status"] == "succeeded", t.events[-5:]
    logs = " ".join(e["message"] for e in t.of("log"))
    assert (
        "stateful graph: batch size 32" in logs and "256 training and 32 validation samples" in logs
    )
    assert t.of("batch")[-1]["batches"] == 256 // 32
    assert "val_loss" in t.of("epoch")[-1]["metrics"]


def test_shared_lstm_trains(tmp_path):
    t = run_trainer(
        tmp_path,
        example("functional_shared_lstm_tweets.json"),
        {"name": "tweets", "samples": 32},
        epochs=1,
        batch_size=16,
        tensorboard=False,
    )
    _assert_protocol(t)
    assert t.of("status")[-1]["status"] == "succeeded", t.events[-5:]
    assert math.isfinite(t.of("epoch")[-1]["metrics"]["loss"])


def test_time_distributed_trains(tmp_path):
    t = run_trainer(
        tmp_path,
        example("functional_video_timedistributed.json"),
        {"name": "videos", "samples": 16},
        epochs=1,
        batch_size=8,
        validation_split=0.25,
        tensorboard=False,
    )
    _assert_protocol(t)
    assert t.of("status")[-1]["status"] == "succeeded", t.events[-5:]
    assert {"loss", "accuracy", "val_loss"} <= set(t.of("epoch")[-1]["metrics"])
