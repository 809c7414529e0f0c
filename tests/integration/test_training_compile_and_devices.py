"""Compile as Keras takes it, and one run over several devices, in the real trainer process."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from helpers import Trainer, digits_mlp, example, run_trainer, train_spec

pytestmark = pytest.mark.slow

QUIET = {"tensorboard": False, "keep_best_checkpoint": False}


def _compile_kwargs(source: str) -> dict:
    """The literal keyword arguments of the `model.compile(...)` call in model.py."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "model.compile":
            return {
                k.arg: ast.unparse(k.value) if k.arg == "optimizer" else ast.literal_eval(k.value)
                for k in node.keywords
            }
    raise AssertionError("model.py has no model.compile call")


def test_compile_style_settings_train_and_reach_model_py(tmp_path):
    """One loss for both outputs, weights as a list in output order, metrics by name, an
    optimizer: the history has what they ask for, and model.py compiles with the same."""
    graph = example("functional_headline_two_inputs_two_outputs.json")
    t = run_trainer(
        tmp_path,
        graph,
        {"name": "headline", "samples": 64},
        epochs=1,
        batch_size=32,
        validation_split=0,
        loss="mse",
        loss_weights=[1.0, 0.5],
        metrics={"aux_output": ["mae"]},
        optimizer={"name": "sgd", "learning_rate": 0.05, "momentum": 0.9},
        **QUIET,
    )
    assert t.of("status")[-1]["status"] == "succeeded", (t.events[-5:], t.stderr[-2000:])
    m = t.of("epoch")[-1]["metrics"]
    assert {"main_output_accuracy", "aux_output_mae"} <= set(m)
    assert "aux_output_accuracy" not in m  # the dict replaced the aux Output node's metrics
    # the total loss is the weighted sum of the two mse losses
    assert m["loss"] == pytest.approx(m["main_output_loss"] + 0.5 * m["aux_output_loss"], rel=0.1)
    kwargs = _compile_kwargs((tmp_path / "run" / "model.py").read_text())
    assert kwargs == {
        "optimizer": "keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)",
        "loss": {"main_output": "mse", "aux_output": "mse"},
        "loss_weights": {"main_output": 1.0, "aux_output": 0.5},
        "metrics": {"main_output": ["accuracy"], "aux_output": ["mae"]},
    }


def test_a_list_that_does_not_fit_the_outputs_fails_naming_the_setting(tmp_path):
    graph = example("functional_headline_two_inputs_two_outputs.json")
    t = run_trainer(tmp_path, graph, {"name": "headline", "samples": 32}, loss=["mse"], **QUIET)
    errors = t.of("error")
    assert [(e["code"], e["param"]) for e in errors] == [("outputs_mismatch", "settings.loss")]
    assert t.of("status")[-1]["status"] == "failed"


@pytest.fixture
def two_cpus(monkeypatch):
    """The trainer shows its CPU as two logical devices (tf.config logical devices)."""
    monkeypatch.setenv("LAYERFORGE_CPU_DEVICES", "2")


def test_gpus_two_trains_with_mirrored_strategy_over_two_devices(tmp_path, two_cpus):
    spec = train_spec(
        tmp_path,
        digits_mlp(),
        {"name": "digits_flat"},
        epochs=3,
        batch_size=64,
        seed=1,
        gpus=2,
        layer_stats=True,
        optimizer={"name": "adam", "learning_rate": 0.01},
        **QUIET,
    )
    t = Trainer(spec)
    t.finish()
    assert t.of("status")[-1]["status"] == "succeeded", (t.events[-5:], t.stderr[-3000:])
    logs = [e["message"] for e in t.of("log")]
    mirrored = [m for m in logs if m.startswith("MirroredStrategy over ")]
    assert len(mirrored) == 1 and mirrored[0].count("CPU:") == 2, logs
    assert t.of("epoch")[-1]["metrics"]["val_accuracy"] >= 0.85
    stats = t.of("layer_stats")
    assert len(stats) == 3 and stats[-1]["nodes"]["l0"]["weight_norm"] > 0
    assert not [m for m in logs if "layer statistics stopped" in m]
    # the saved model is a plain model again (loads and predicts outside the strategy)
    import keras

    model = keras.saving.load_model(tmp_path / "run" / "model.keras")
    assert model.predict(np.zeros((2, 64), "float32"), verbose=0).shape == (2, 10)


def test_more_gpus_than_the_worker_has_fail_before_training(tmp_path, two_cpus):
    t = run_trainer(tmp_path, digits_mlp(), {"name": "digits_flat"}, gpus=3, **QUIET)
    errors = t.of("error")
    assert [e["code"] for e in errors] == ["not_enough_devices"]
    assert "asks for 3 devices, this worker has 2" in errors[0]["message"]
    assert "running" not in [e["status"] for e in t.of("status")]
