"""Python export: the code runs, builds the same model as `build_model`, follows the
guides' style (Sequential or Functional, shared layers, sub-graphs built once) and
is already formatted as `ruff format` (black style) would leave it."""

from __future__ import annotations

import re
import subprocess
import sys

import keras
import pytest

from graphs import (
    EXAMPLE_NAMES,
    layer_structure,
    load_example,
)
from layerforge.graph import build_model, import_keras_json, to_python
from layerforge.graph.convert.codegen import literal
from layerforge.graph.schema import parse_graph


def run(code: str) -> keras.Model:
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)  # noqa: S102 - our own output
    return namespace["model"]


def ruff_diff(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--diff", "--line-length", "88", "-"],
        input=code,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def assert_same(generated: keras.Model, expected: keras.Model) -> None:
    assert generated.count_params() == expected.count_params()
    assert type(generated).__name__ == type(expected).__name__
    assert layer_structure(generated) == layer_structure(expected)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_code_builds_the_same_model(name):
    graph = load_example(name)
    code = to_python(graph)
    generated, expected = run(code), build_model(graph)
    assert_same(generated, expected)
    if isinstance(expected, keras.Sequential):
        assert "keras.Sequential(" in code and "keras.Model(" not in code.split("def ")[0]
    else:
        assert generated.output_names == expected.output_names
    assert ruff_diff(code) == ""


def test_compile_comes_from_the_output_nodes():
    code = to_python(load_example("functional_headline_two_inputs_two_outputs"))
    model = run(code)
    assert model.loss == {
        "main_output": "binary_crossentropy",
        "aux_output": "binary_crossentropy",
    }
    assert model._compile_config.config["loss_weights"] == {
        "main_output": 1.0,
        "aux_output": 0.2,
    }
    single = run(to_python(load_example("sequential_mlp_mnist")))
    assert single.loss == "sparse_categorical_crossentropy"


def test_guide_style_for_the_headline_model():
    code = to_python(load_example("functional_headline_two_inputs_two_outputs"))
    assert code.startswith("import keras\nfrom keras import layers\n\n")
    assert 'main_input = keras.Input(shape=(100,), dtype="int32", name="main_input")\n' in code
    assert 'lstm = layers.LSTM(32, name="lstm")(embedding)\n' in code
    assert (
        "model = keras.Model(\n"
        "    inputs=[main_input, aux_input],\n"
        "    outputs=[main_output, aux_output],\n"
        '    name="Headline_model_two_inputs_two_outputs",\n'
        ")\n" in code
    )


def test_the_model_is_named_as_the_graph_and_no_variable_shadows_a_builtin():
    """The canvas, the built model and the exported code give the model the same name;
    a node called `input` (or `sum`, `type`) does not shadow the Python built-in."""
    graph = parse_graph(
        {
            "name": "tiny/net: v2",
            "nodes": [
                {"id": "input", "type": "Input", "params": {"shape": [4]}},
                {"id": "sum", "type": "Dense", "params": {"units": 2}},
                {"id": "other", "type": "Input", "params": {"shape": [2]}},
                {"id": "add", "type": "Add"},
                {"id": "out", "type": "Output", "params": {"loss": "mse"}},
            ],
            "edges": [
                {"source": "input", "target": "sum"},
                {"source": "sum", "target": "add"},
                {"source": "other", "target": "add", "target_port": 1},
                {"source": "add", "target": "out"},
            ],
        }
    )
    code = to_python(graph)
    assert "input_ = keras.Input(" in code and "sum_ = layers.Dense(" in code
    assert not re.search(r"^(input|sum) = ", code, re.M)
    assert 'name="tiny_net_v2"' in code
    assert build_model(graph).name == "tiny_net_v2" == run(code).name


def test_shared_layer_is_one_variable_called_at_each_call_site():
    code = to_python(load_example("functional_shared_lstm_tweets"))
    assert code.count("layers.LSTM(") == 1
    assert 'shared_lstm_layer = layers.LSTM(64, name="shared_lstm")\n' in code
    assert "shared_lstm_layer(tweet_a)" in code and "shared_lstm_layer(tweet_b)" in code


def test_subgraph_is_built_once_by_a_function_and_called():
    code = to_python(load_example("functional_nested_model_twice"))
    assert code.count("def build_vision_model():") == 1
    assert code.count("vision_model = build_vision_model()") == 1
    assert "vision_model(digit_a)" in code and "vision_model(digit_b)" in code
    video = to_python(load_example("functional_video_timedistributed"))
    assert "layers.TimeDistributed(vision_model" in video


def test_multi_output_ports_and_from_logits_loss():
    graph = parse_graph(
        {
            "nodes": [
                {"id": "seq", "type": "Input", "params": {"shape": [6, 3]}},
                {
                    "id": "lstm",
                    "type": "LSTM",
                    "params": {"units": 4, "return_state": True},
                },
                {"id": "states", "type": "Concatenate"},
                {"id": "logits", "type": "Dense", "params": {"units": 3}},
                {
                    "id": "out",
                    "type": "Output",
                    "name": "logits",
                    "params": {
                        "loss": "sparse_categorical_crossentropy",
                        "from_logits": True,
                    },
                },
            ],
            "edges": [
                {"source": "seq", "target": "lstm"},
                {"source": "lstm", "source_port": 1, "target": "states"},
                {
                    "source": "lstm",
                    "source_port": 2,
                    "target": "states",
                    "target_port": 1,
                },
                {"source": "states", "target": "logits"},
                {"source": "logits", "target": "out"},
            ],
        }
    )
    code = to_python(graph)
    assert 'layers.Concatenate(name="states")([lstm[1], lstm[2]])' in code
    assert "keras.losses.SparseCategoricalCrossentropy(from_logits=True)" in code
    model = run(code)
    assert_same(model, build_model(graph))
    assert model.loss.get_config()["from_logits"] is True
    assert ruff_diff(code) == ""


def test_frozen_layers_and_subgraphs_stay_frozen():
    graph = load_example("functional_nested_model_twice")
    uses = [n for n in graph.nodes if n.type == "Model"]
    for use in uses:
        use.trainable = False
    graph.nodes[-2].trainable = False  # the Dense head
    model = run(to_python(graph))
    assert model.trainable_weights == []
    assert model.count_params() == build_model(graph).count_params()


def test_imported_resnet50_code_runs_and_is_formatted(applications):
    original = applications("ResNet50")
    code = to_python(import_keras_json(original.to_json()))
    assert ruff_diff(code) == ""
    generated = run(code)
    assert generated.count_params() == original.count_params()
    assert layer_structure(generated, names=True) == layer_structure(original, names=True)


def test_long_calls_are_split_as_black_does():
    initializer = {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.05}}
    graph = parse_graph(
        {
            "nodes": [
                {"id": "inputs", "type": "Input", "params": {"shape": [4]}},
                {
                    "id": "d",
                    "type": "Dense",
                    "name": "a_rather_long_layer_name",
                    "params": {"units": 64, "kernel_initializer": initializer},
                },
                {"id": "short", "type": "Dense", "params": {"units": 2, "activation": "relu"}},
                {"id": "out", "type": "Output", "params": {"loss": "mse"}},
            ],
            "edges": [
                {"source": "inputs", "target": "d"},
                {"source": "d", "target": "short"},
                {"source": "short", "target": "out"},
            ],
            "model_type": "functional",
        }
    )
    code = to_python(graph)
    lines = code.splitlines()
    assert (
        'short = layers.Dense(2, activation="relu", name="out")(a_rather_long_layer_name)' in lines
    )
    assert "a_rather_long_layer_name = layers.Dense(" in lines
    assert all(len(line) <= 88 for line in lines)
    assert ruff_diff(code) == ""
    assert_same(run(code), build_model(graph))
    assert literal([3]) == "(3,)"
    assert literal([None, 3]) == "(None, 3)"
    assert literal(["accuracy"]) == '["accuracy"]'


def test_wrappers_and_several_subgraphs_with_many_inputs_and_outputs():
    p, q = keras.Input((3,), name="p"), keras.Input((3,), name="q")
    total = keras.layers.Add(name="total")([p, q])
    pair = keras.Model(
        [p, q],
        [
            keras.layers.Dense(2, name="u")(total),
            keras.layers.Dense(1, name="v")(total),
        ],
        name="pair",
    )
    frame = keras.Input((5,), name="frame")
    per_frame = keras.Model(frame, keras.layers.Dense(3, name="d")(frame), name="per_frame")
    seq = keras.Input((4, 5), name="seq")
    frames = keras.layers.TimeDistributed(per_frame, name="frames")(seq)
    both = keras.layers.Bidirectional(
        keras.layers.LSTM(3, name="inner_lstm"), merge_mode="sum", name="both"
    )(frames)
    u, v = pair([both, both])
    original = keras.Model(seq, [u, v])
    graph = import_keras_json(original.to_json())
    code = to_python(graph)
    assert code.count("def build_") == 2
    assert "layers.Bidirectional(" in code and "layers.TimeDistributed(per_frame" in code
    assert "pair([both, both])" in code
    assert ruff_diff(code) == ""
    generated = run(code)
    assert generated.count_params() == original.count_params()
    assert layer_structure(generated, names=True) == layer_structure(original, names=True)
