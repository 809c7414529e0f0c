"""Weight sets, exactly: a model saved as `.keras`, imported as a graph and built, then
given the file's weights (graph/build/weights.py, what runs and exports do) computes what
the original computes, for every guide example and eleven keras.applications models;
layers match by name, then by position and shape, and the rest is reported; frozen
nodes (a sub-graph use too) count as Keras counts them."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from graphs import EXAMPLE_NAMES, load_example
from layerforge.graph import build_model, import_keras_file, model_summary, validate_graph
from layerforge.graph.build.weights import assign_weights, layer_list, load_weight_file
from layerforge.graph.schema import parse_graph


def inputs_for(model: keras.Model, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = (tensor.shape[0] or 2, *[d or 5 for d in tensor.shape[1:]])
        if "int" in str(tensor.dtype):
            arrays.append(rng.integers(0, 3, shape).astype(str(tensor.dtype)))
        else:
            arrays.append(rng.normal(size=shape).astype("float32"))
    return arrays


def outputs_of(model: keras.Model, xs: list[np.ndarray]) -> list[np.ndarray]:
    out = model(xs if len(xs) > 1 else xs[0])
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def assert_exact_through_a_weight_set(original: keras.Model, folder: Path) -> None:
    path = folder / "model.keras"
    original.save(path)
    rebuilt = build_model(import_keras_file(path))
    match = assign_weights(rebuilt, load_weight_file(path))
    assert (match.skipped, match.initialised) == ([], [])
    assert len(match.loaded) == len(layer_list(original))
    xs = inputs_for(original)
    for a, b in zip(outputs_of(original, xs), outputs_of(rebuilt, xs), strict=True):
        assert float(np.max(np.abs(a - b))) <= 1e-5


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_computes_the_same_with_its_weight_set(name, tmp_path):
    assert_exact_through_a_weight_set(build_model(load_example(name)), tmp_path)


APPLICATIONS = [  # small inputs keep each under a few seconds here
    ("MobileNet", (32, 32, 3)),
    ("MobileNetV2", (32, 32, 3)),
    ("MobileNetV3Small", (32, 32, 3)),
    ("EfficientNetB0", (32, 32, 3)),
    ("EfficientNetV2B0", (32, 32, 3)),
    ("ConvNeXtTiny", (32, 32, 3)),
    ("ResNet50", (32, 32, 3)),
    ("ResNet50V2", (32, 32, 3)),
    ("VGG16", (32, 32, 3)),
    ("DenseNet121", (32, 32, 3)),
    ("Xception", (71, 71, 3)),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "shape"), APPLICATIONS, ids=[a for a, _ in APPLICATIONS])
def test_applications_compute_the_same_with_their_weight_set(name, shape, tmp_path):
    original = getattr(keras.applications, name)(weights=None, input_shape=shape, classes=10)
    assert_exact_through_a_weight_set(original, tmp_path)


def mlp(names: list[str], units: list[int]) -> keras.Model:
    x = inputs = keras.Input((4,))
    for name, n in zip(names, units, strict=True):
        x = keras.layers.Dense(n, name=name)(x)
    return keras.Model(inputs, x)


def test_layers_match_by_name_then_by_position_and_shape_and_the_rest_is_reported():
    source = mlp(["a", "b", "c", "head"], [8, 8, 8, 3])
    target = mlp(["a", "renamed_b", "renamed_c", "head"], [8, 8, 8, 5])
    match = assign_weights(target, source)
    assert match.loaded == [("a", "a", "name"), ("renamed_b", "b", "position"),
                            ("renamed_c", "c", "position")]  # fmt: skip
    assert [t for t, _ in match.initialised] == ["head"]
    assert "(8, 3)" in match.initialised[0][1] and "(8, 5)" in match.initialised[0][1]
    assert [s for s, _ in match.skipped] == ["head"]
    for t, s, _ in match.loaded:
        for x, y in zip(
            target.get_layer(t).get_weights(), source.get_layer(s).get_weights(), strict=True
        ):
            assert np.array_equal(x, y)
    extra = mlp(["x", "y"], [8, 2])
    match = assign_weights(extra, source)
    assert match.loaded == [("x", "a", "position")]
    assert [s for s, _ in match.skipped] == ["b", "c", "head"]
    assert "no layer of the graph" in match.skipped[0][1]


def frozen(name: str, node_ids: set[str]):
    data = load_example(name).model_dump(mode="json")
    for node in data["nodes"]:
        if node["id"] in node_ids:
            node["trainable"] = False
    return parse_graph(data)


def keras_counts(model: keras.Model) -> tuple[int, int]:
    def count(variables: list) -> int:
        return sum(int(np.prod(v.shape)) for v in variables)

    return count(model.trainable_weights), count(model.non_trainable_weights)


@pytest.mark.parametrize(
    ("name", "nodes"),
    [
        ("functional_nested_model_twice", {"vision_a"}),  # a sub-graph use (was trainable)
        ("functional_headline_two_inputs_two_outputs", {"embedding", "lstm"}),
        ("sequential_mlp_mnist", {"dense_1"}),
    ],
)
def test_frozen_nodes_count_as_keras_counts_them(name, nodes):
    graph = frozen(name, nodes)
    assert nodes <= {n.id for n in graph.nodes}
    summary = model_summary(graph)
    report = validate_graph(graph)
    expected = keras_counts(build_model(graph))
    assert expected[1] > 0
    assert (summary.trainable_params, summary.non_trainable_params) == expected
    top = [r for k, r in report.nodes.items() if "/" not in k and not r.weights_shared_with]
    assert sum(r.non_trainable_params for r in top) == expected[1]
    unfrozen = load_example(name)  # the cached sub-graph models were left as they were
    assert model_summary(unfrozen).non_trainable_params == keras_counts(build_model(unfrozen))[1]


def test_a_frozen_batch_normalization_runs_in_inference_mode():
    graph = parse_graph(
        {
            "nodes": [
                {"id": "in", "type": "Input", "params": {"shape": [4]}},
                {"id": "bn", "type": "BatchNormalization", "params": {}, "trainable": False},
                {"id": "out", "type": "Output", "params": {}},
            ],
            "edges": [{"source": "in", "target": "bn"}, {"source": "bn", "target": "out"}],
        }
    )
    model = build_model(graph)
    x = np.random.default_rng(0).normal(5.0, 3.0, size=(64, 4)).astype("float32")
    np.testing.assert_allclose(model(x, training=True), model(x, training=False), atol=1e-6)
