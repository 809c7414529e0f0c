"""Export: Keras JSON that Keras rebuilds into the same model, and a `.keras` file
with fresh random weights and the Output nodes' compile settings."""

from __future__ import annotations

import io
import json
import warnings
import zipfile

import keras
import numpy as np
import pytest

from graphs import EXAMPLE_NAMES, layer_structure, load_example
from layerforge.graph import GraphError, build_model, export_keras_file, export_keras_json
from layerforge.graph.schema import parse_graph


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_keras_json_rebuilds_the_same_model(name):
    graph = load_example(name)
    text = export_keras_json(graph)
    assert json.loads(text)["class_name"] in ("Sequential", "Functional")
    rebuilt = keras.models.model_from_json(text)
    expected = build_model(graph)
    assert rebuilt.count_params() == expected.count_params()
    assert layer_structure(rebuilt, names=True) == layer_structure(expected, names=True)


def load(data: bytes, tmp_path, name: str = "model.keras") -> keras.Model:
    path = tmp_path / name
    path.write_bytes(data)
    return keras.saving.load_model(path, safe_mode=True)


def test_keras_file_loads_in_safe_mode_with_compile_settings(tmp_path):
    graph = load_example("functional_headline_two_inputs_two_outputs")
    data = export_keras_file(graph)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {"config.json", "metadata.json", "model.weights.h5"} <= set(names)
    with warnings.catch_warnings():  # e.g. "Skipping variable loading for optimizer"
        warnings.simplefilter("error", UserWarning)
        model = load(data, tmp_path)
    assert model.count_params() == build_model(graph).count_params()
    assert model.output_names == ["main_output", "aux_output"]
    assert model.loss == {
        "main_output": "binary_crossentropy",
        "aux_output": "binary_crossentropy",
    }
    assert model.optimizer.__class__.__name__ == "Adam"


def test_keras_file_weights_are_freshly_initialised(tmp_path):
    graph = load_example("functional_dense")
    first = load(export_keras_file(graph), tmp_path, "a.keras")
    second = load(export_keras_file(graph), tmp_path, "b.keras")
    kernels = [
        (a, b)
        for a, b in zip(first.get_weights(), second.get_weights(), strict=True)
        if a.ndim == 2
    ]
    assert kernels
    for a, b in kernels:
        assert np.std(a) > 0
        assert not np.allclose(a, b)


def test_keras_file_without_losses_is_not_compiled(tmp_path):
    graph = parse_graph(
        {
            "nodes": [
                {"id": "x", "type": "Input", "params": {"shape": [3]}},
                {"id": "d", "type": "Dense", "params": {"units": 2}},
                {"id": "y", "type": "Output"},
            ],
            "edges": [{"source": "x", "target": "d"}, {"source": "d", "target": "y"}],
        }
    )
    model = load(export_keras_file(graph), tmp_path)
    assert model.count_params() == 8
    assert not model.compiled


def test_invalid_graph_raises_graph_error_naming_the_node():
    graph = parse_graph(
        {
            "nodes": [
                {"id": "x", "type": "Input", "params": {"shape": [3]}},
                {"id": "bad", "type": "Dense", "params": {"units": -4}},
                {"id": "y", "type": "Output"},
            ],
            "edges": [
                {"source": "x", "target": "bad"},
                {"source": "bad", "target": "y"},
            ],
        }
    )
    with pytest.raises(GraphError) as exc:
        export_keras_file(graph)
    assert any(p.node == "bad" for p in exc.value.problems)
