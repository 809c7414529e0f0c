"""training.adapt: the preprocessing layers a run adapts before fit, on what reaches them,
in order, as Keras's own `layer.adapt` on those inputs gives; layers given their state are
left alone; what each learned is reported by node."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from graphs import chain, edge, graph, node
from layerforge.graph import build_model
from layerforge.graph.schema import Graph
from layerforge.training.adapt import adapt_preprocessing
from layerforge.training.errors import layer_node_map, name_layers_after_nodes
from layerforge.training.failures import TrainingFailed

RNG = np.random.default_rng(0)
X = RNG.normal(5.0, 2.0, (300, 3)).astype("float32")


def adapted(g: Graph, x, batch_size: int = 32):
    named = name_layers_after_nodes(g)
    model = build_model(named)
    events: list = []
    report = adapt_preprocessing(model, layer_node_map(named), x, batch_size, events.append)
    return model, report, events


def test_each_layer_learns_from_what_reaches_it_in_order():
    g = chain(
        [3],
        ("Dense", {"units": 2, "kernel_initializer": "ones"}),
        ("Normalization", {}),
        ("Discretization", {"num_bins": 4}),
    )
    model, report, events = adapted(g, X)
    assert [e.node for e in events] == ["n1", "n2"] and set(report) == {"n1", "n2"}
    dense = np.asarray(model.get_layer("n0")(X))
    reference = keras.layers.Normalization()
    reference.adapt(dense)
    np.testing.assert_allclose(report["n1"]["mean"], np.asarray(reference.mean).ravel(), rtol=1e-5)
    np.testing.assert_allclose(
        report["n1"]["variance"], np.asarray(reference.variance).ravel(), rtol=1e-4
    )
    # the Discretization saw the normalized features: its quartiles sit around 0
    bins = keras.layers.Discretization(num_bins=4)
    bins.adapt(reference(dense))
    np.testing.assert_allclose(report["n2"]["bin_boundaries"], bins.bin_boundaries, atol=0.05)
    assert abs(report["n2"]["bin_boundaries"][1]) < 0.1


def test_a_layer_given_its_state_is_not_adapted():
    given = chain([3], ("Normalization", {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 1.0, 1.0]}))
    model, report, events = adapted(given, X)
    assert report == {} and events == []
    np.testing.assert_allclose(np.asarray(model.layers[-1].mean).ravel(), [1, 2, 3])
    vocab = chain([1], ("StringLookup", {"vocabulary": ["a", "b"]}))
    vocab.nodes[0].params["dtype"] = "string"
    texts = np.array(["a", "c"] * 10, dtype=object)
    assert adapted(vocab, texts)[1] == {}


def test_a_vocabulary_from_text_with_its_top_tokens():
    g = chain([], ("TextVectorization", {"max_tokens": 30}))
    g.nodes[0].params["dtype"] = "string"
    texts = np.empty(35, dtype=object)
    texts[:] = ["Red red RED blue, green!"] * 10 + ["blue sky"] * 25
    model, report, (event,) = adapted(g, texts)
    assert event.node == "n0" and event.layer_type == "TextVectorization"
    assert event.top_tokens == ["blue", "red", "sky", "green"] and event.vocabulary_size == 6
    assert model.layers[-1].get_vocabulary()[2:] == event.top_tokens
    assert report["n0"]["top_tokens"] == event.top_tokens and "mean" not in report["n0"]


def test_several_inputs_and_a_nested_model():
    sub = graph(
        [
            node("s_in", "Input", shape=[3]),
            node("s_norm", "Normalization"),
            node("s_out", "Output"),
        ],
        [edge("s_in", "s_norm"), edge("s_norm", "s_out")],
    )
    g = graph(
        [
            node("a", "Input", shape=[3]),
            node("b", "Input", shape=[1], dtype="int64"),
            node("lookup", "IntegerLookup"),
            node("inner", "Model", subgraph="block"),
            node("o1", "Output", loss="mse"),
            node("o2", "Output", loss="mse"),
        ],
        [edge("a", "inner"), edge("inner", "o1"), edge("b", "lookup"), edge("lookup", "o2")],
        subgraphs={"block": sub},
    )
    ids = RNG.choice([7, 7, 7, 3, 9], size=(300, 1)).astype("int64")
    _, report, events = adapted(g, {"a": X, "b": ids})
    assert report["lookup"]["top_tokens"][0] == "7" and report["lookup"]["vocabulary_size"] == 4
    nested = next(e for e in events if e.layer_type == "Normalization")
    assert nested.node is None and nested.layer.startswith("block/")
    np.testing.assert_allclose(nested.mean, X.mean(axis=0), rtol=1e-4)


def test_an_image_stream_is_adapted_batch_by_batch():
    images = RNG.uniform(0, 255, (40, 4, 4, 3)).astype("float32")
    stream = tf.data.Dataset.from_tensor_slices((images, np.zeros(40))).batch(8)
    _, report, _ = adapted(chain([4, 4, 3], ("Normalization", {})), stream)
    np.testing.assert_allclose(report["n0"]["mean"], images.reshape(-1, 3).mean(0), rtol=1e-4)


def test_a_failed_adapt_names_the_node():
    g = chain([3], ("Discretization", {"num_bins": 4}))
    events: list = []
    named = name_layers_after_nodes(g)
    model = build_model(named)
    texts = np.array(["a b c"] * 4, dtype=object)
    with pytest.raises(TrainingFailed):
        adapt_preprocessing(model, layer_node_map(named), texts, 2, events.append)
    (error,) = events
    assert error.type == "error" and error.code == "adapt_error" and error.node == "n0"
