"""Run settings: defaults, validators with clear messages, overrides of the Output nodes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from layerforge.graph.schema import Graph, parse_graph
from layerforge.training.optimizers import OPTIMIZERS
from layerforge.training.settings import LOSSES, METRICS, RunSettings, parse_settings


def _message(data: dict) -> str:
    with pytest.raises(ValidationError) as info:
        parse_settings(data)
    return str(info.value)


def test_defaults_are_a_usable_run():
    s = parse_settings(None)
    assert (s.epochs, s.batch_size, s.validation_split, s.backend) == (5, 32, 0.2, "tensorflow")
    assert s.optimizer.name == "adam" and s.optimizer.keras_config() == {"learning_rate": 0.001}
    assert s.keep_best_checkpoint and s.shuffle and s.has_validation
    assert s.layer_stats and s.gpus == 1  # statistics are held to 2 % of fit time (the bench)


def test_optimizer_parameters_reach_keras_config():
    s = parse_settings(
        {"optimizer": {"name": "SGD", "learning_rate": 0.05, "momentum": 0.9, "nesterov": True}}
    )
    assert s.optimizer.name == "sgd"
    assert s.optimizer.keras_config() == {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"optimizer": {"name": "adamx"}}, ["unknown optimizer 'adamx'", "adam"]),
        (
            {"optimizer": {"name": "adam", "momentum": 0.9}},
            ["optimizer 'adam' does not take momentum"],
        ),
        ({"optimizer": {"learning_rate": -1}}, ["learning_rate"]),
        ({"epochs": 0}, ["epochs"]),
        ({"batch_size": 0}, ["batch_size"]),
        ({"validation_split": 1.0}, ["validation_split"]),
        ({"outputs": {"main": {"loss": "crossentropy"}}}, ["unknown loss 'crossentropy'"]),
        ({"outputs": {"main": {"metrics": ["acuracy"]}}}, ["unknown metric 'acuracy'"]),
        (
            {"validation_split": 0, "early_stopping": {"monitor": "val_loss"}},
            ["early_stopping.monitor is 'val_loss' but there is no validation data"],
        ),
        (
            {"validation_split": 0.1, "validation_dataset": {"name": "iris"}},
            ["validation_split or validation_dataset, not both"],
        ),
        ({"epochs": 3, "learning_rate": 0.1}, ["learning_rate", "Extra inputs are not permitted"]),
    ],
)
def test_bad_settings_name_the_field(data, words):
    message = _message(data)
    for word in words:
        assert word in message


def test_backend_must_be_installed(monkeypatch):
    import layerforge.training.settings as mod

    monkeypatch.setattr(mod, "backend_available", lambda name: False)
    assert "Keras backend 'jax' is not installed" in _message({"backend": "jax"})
    monkeypatch.setattr(mod, "backend_available", lambda name: True)
    assert parse_settings({"backend": "jax"}).backend == "jax"


def test_default_monitors_fall_back_to_training_metrics_without_validation():
    s = parse_settings({"validation_split": 0, "early_stopping": {"patience": 2}})
    assert s.checkpoint_monitor == "loss" and s.early_stopping.monitor == "loss"


def test_training_monitors_work_without_validation():
    s = parse_settings(
        {
            "validation_split": 0,
            "checkpoint_monitor": "loss",
            "early_stopping": {"monitor": "loss", "patience": 1},
        }
    )
    assert not s.has_validation and s.early_stopping.patience == 1


def _two_outputs() -> Graph:
    """in -> d -> main (bce, weight 1, accuracy) and in -> d -> aux (bce, weight 0.2)."""
    out = {"loss": "binary_crossentropy"}
    return parse_graph(
        {
            "nodes": [
                {"id": "in", "type": "Input", "params": {"shape": [4]}},
                {"id": "d", "type": "Dense", "params": {"units": 1, "activation": "sigmoid"}},
                {"id": "main", "type": "Output", "params": {**out, "metrics": ["accuracy"]}},
                {"id": "aux", "type": "Output", "params": {**out, "loss_weight": 0.2}},
            ],
            "edges": [
                {"source": "in", "target": "d"},
                {"source": "d", "target": "main"},
                {"source": "d", "target": "aux"},
            ],
        }
    )


def _compile_args(settings: dict, graph: Graph | None = None) -> dict:
    from layerforge.graph import compile_spec

    return compile_spec(parse_settings(settings).resolve_graph(graph or _two_outputs()))


def test_output_overrides_replace_the_output_nodes_compile_args():
    graph = _two_outputs()
    args = _compile_args(
        {"outputs": {"aux": {"loss": "mse", "loss_weight": 0.5, "metrics": ["mae"]}}}, graph
    )
    assert args["loss"] == {"main": "binary_crossentropy", "aux": "mse"}
    assert args["loss_weights"] == {"main": 1.0, "aux": 0.5}
    assert args["metrics"] == {"main": ["accuracy"], "aux": ["mae"]}
    assert graph.nodes[3].params["loss_weight"] == 0.2  # the graph itself is not modified


def test_no_compile_settings_keep_the_output_nodes():
    assert _compile_args({}) == {
        "loss": {"main": "binary_crossentropy", "aux": "binary_crossentropy"},
        "loss_weights": {"main": 1.0, "aux": 0.2},
        "metrics": {"main": ["accuracy"], "aux": []},
    }


@pytest.mark.parametrize(
    ("settings", "loss", "weights", "metrics"),
    [
        # one value for every output
        ({"loss": "mse"}, {"main": "mse", "aux": "mse"}, None, None),
        ({"loss_weights": 2}, None, {"main": 2.0, "aux": 2.0}, None),
        ({"metrics": "mae"}, None, None, {"main": ["mae"], "aux": ["mae"]}),
        # a list in output order
        ({"loss": ["mse", "mae"]}, {"main": "mse", "aux": "mae"}, None, None),
        ({"loss_weights": [0.3, 0.7]}, None, {"main": 0.3, "aux": 0.7}, None),
        (
            {"metrics": ["mae", ["mse", "auc"]]},
            None,
            None,
            {"main": ["mae"], "aux": ["mse", "auc"]},
        ),
        # a dict by output name: the others keep their node's settings
        ({"loss": {"aux": "mse"}}, {"main": "binary_crossentropy", "aux": "mse"}, None, None),
        ({"loss_weights": {"main": 3}}, None, {"main": 3.0, "aux": 0.2}, None),
        ({"metrics": {"aux": "auc"}}, None, None, {"main": ["accuracy"], "aux": ["auc"]}),
        # `outputs` is more specific than the compile()-style value
        (
            {"loss": "mse", "outputs": {"aux": {"loss": "mae"}}},
            {"main": "mse", "aux": "mae"},
            None,
            None,
        ),
    ],
)
def test_compile_style_loss_weights_and_metrics(settings, loss, weights, metrics):
    args = _compile_args(settings)
    defaults = _compile_args({})
    assert args["loss"] == (loss or defaults["loss"])
    assert args["loss_weights"] == (weights or defaults["loss_weights"])
    assert args["metrics"] == (metrics or defaults["metrics"])


def test_metrics_list_of_a_single_output_model_is_all_its_own():
    graph = parse_graph(
        {
            "nodes": [
                {"id": "in", "type": "Input", "params": {"shape": [4]}},
                {"id": "d", "type": "Dense", "params": {"units": 1}},
                {"id": "y", "type": "Output", "params": {"loss": "mse"}},
            ],
            "edges": [{"source": "in", "target": "d"}, {"source": "d", "target": "y"}],
        }
    )
    assert _compile_args({"metrics": ["mae", "mse"]}, graph)["metrics"] == {"y": ["mae", "mse"]}


@pytest.mark.parametrize(
    ("settings", "param", "code", "words"),
    [
        (
            {"loss": ["mse"]},
            "settings.loss",
            "outputs_mismatch",
            "a list of 1, but the graph has 2",
        ),
        ({"metrics": ["mae", "mse", "auc"]}, "settings.metrics", "outputs_mismatch", "list of 3"),
        ({"loss_weights": {"nope": 1}}, "settings.loss_weights", "unknown_output", "'nope'"),
    ],
)
def test_compile_style_values_that_do_not_fit_the_outputs_are_problems(
    settings, param, code, words
):
    problems = parse_settings(settings).check_against(["main", "aux"])
    assert [(p.param, p.code) for p in problems] == [(param, code)]
    assert words in problems[0].message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"loss": "crossentropy"}, "unknown loss 'crossentropy'"),
        ({"loss": {"main": "nope"}}, "unknown loss 'nope'"),
        ({"metrics": ["acuracy"]}, "unknown metric 'acuracy'"),
        ({"loss_weights": [-1, 1]}, "greater than or equal to 0"),
        ({"gpus": 0}, "gpus"),
        ({"gpus": 2, "backend": "jax"}, "needs the tensorflow backend"),
    ],
)
def test_bad_compile_and_device_settings_name_the_field(data, words):
    assert words in _message(data)


def test_settings_losses_feed_the_data_set_check():
    s = parse_settings({"loss": ["mse", "mae"], "outputs": {"aux": {"loss": "huber"}}})
    assert s.losses(["main", "aux"]) == {"main": "mse", "aux": "huber"}


def test_overrides_of_unknown_outputs_are_problems():
    s = parse_settings({"outputs": {"nope": {"loss_weight": 2}}})
    problems = s.check_against(["main_output", "aux_output"])
    assert [p.code for p in problems] == ["unknown_output"]
    assert "'nope'" in problems[0].message and "main_output, aux_output" in problems[0].message
    assert problems[0].param == "settings.outputs.nope"


def test_listed_names_resolve_in_keras():
    """The static lists (the API never imports Keras) must match what Keras accepts."""
    import keras

    for loss in LOSSES:
        assert keras.losses.get(loss) is not None, loss
    for metric in METRICS - {"accuracy", "acc"}:
        assert keras.metrics.get(metric) is not None, metric
    for name in OPTIMIZERS:
        opt = keras.optimizers.get(name)
        import inspect

        accepted = set(inspect.signature(type(opt).__init__).parameters)
        kind = OPTIMIZERS[name]
        assert type(opt).__name__ == kind.keras_class, name
        assert kind.params <= accepted, (name, kind.params - accepted)


def test_settings_round_trip_as_json():
    s = RunSettings(epochs=2, early_stopping={"patience": 1}, reduce_lr_on_plateau={"factor": 0.5})
    again = parse_settings(s.model_dump(exclude_none=True))
    assert again == s
