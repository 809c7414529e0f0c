"""build_model / compile_spec against the same models written by hand in Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

from graphs import chain, edge, example, graph, node
from helpers import HEADLINE_PARAMS
from layerforge.graph import build_model, compile_spec


@pytest.fixture(scope="module")
def headline():
    return build_model(example("functional_headline_two_inputs_two_outputs.json"))


def hand_headline() -> keras.Model:
    main_input = keras.Input(shape=(100,), dtype="int32", name="main_input")
    x = layers.Embedding(input_dim=10000, output_dim=512)(main_input)
    lstm_out = layers.LSTM(32)(x)
    aux = layers.Dense(1, activation="sigmoid", name="aux_output")(lstm_out)
    aux_input = keras.Input(shape=(5,), name="aux_input")
    x = layers.concatenate([lstm_out, aux_input])
    for _ in range(3):
        x = layers.Dense(64, activation="relu")(x)
    main = layers.Dense(1, activation="sigmoid", name="main_output")(x)
    return keras.Model(inputs=[main_input, aux_input], outputs=[main, aux])


def test_headline_matches_hand_written(headline):
    hand = hand_headline()
    assert type(headline) is keras.Model or headline.__class__.__name__ == "Functional"
    assert headline.count_params() == hand.count_params() == HEADLINE_PARAMS
    assert sorted(headline.output_names) == sorted(hand.output_names)
    assert [t.name for t in headline.inputs] == ["main_input", "aux_input"]


def test_headline_history_keys_follow_output_nodes(headline):
    graph = example("functional_headline_two_inputs_two_outputs.json")
    spec = compile_spec(graph)
    assert spec["loss_weights"] == {"aux_output": 0.2, "main_output": 1.0}
    headline.compile(optimizer="rmsprop", **spec)
    xs = [np.random.randint(0, 10000, (8, 100)), np.random.rand(8, 5)]
    ys = {"main_output": np.ones((8, 1)), "aux_output": np.zeros((8, 1))}
    hist = headline.fit(xs, ys, epochs=1, verbose=0, validation_split=0.25, batch_size=4)
    for key in (
        "main_output_loss",
        "aux_output_loss",
        "val_main_output_accuracy",
        "loss",
    ):
        assert key in hist.history


def test_mlp_is_sequential_with_hand_written_count():
    g = chain(
        [784],
        ("Dense", {"units": 64, "activation": "relu"}),
        ("Dropout", {"rate": 0.5}),
        ("Dense", {"units": 10, "activation": "softmax"}),
        output={"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
    )
    model = build_model(g)
    hand = keras.Sequential(
        [
            keras.Input((784,)),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    assert isinstance(model, keras.Sequential)
    assert model.count_params() == hand.count_params()
    assert model.output_names == ["out"]


def test_model_type_functional_on_request():
    g = chain([4], ("Dense", {"units": 2}), model_type="functional")
    model = build_model(g)
    assert not isinstance(model, keras.Sequential)


def test_stateful_stacked_lstm_uses_fixed_batch_size():
    g = graph(
        [
            node("in", "Input", shape=[8, 16], batch_size=32),
            node("l1", "LSTM", units=32, return_sequences=True, stateful=True),
            node("l2", "LSTM", units=32, return_sequences=True, stateful=True),
            node("l3", "LSTM", units=32, stateful=True),
            node("d", "Dense", units=10, activation="softmax"),
            node("out", "Output", loss="categorical_crossentropy"),
        ],
        [
            edge("in", "l1"),
            edge("l1", "l2"),
            edge("l2", "l3"),
            edge("l3", "d"),
            edge("d", "out"),
        ],
    )
    model = build_model(g)
    hand = keras.Sequential(
        [
            keras.Input((8, 16), batch_size=32),
            layers.LSTM(32, return_sequences=True, stateful=True),
            layers.LSTM(32, return_sequences=True, stateful=True),
            layers.LSTM(32, stateful=True),
            layers.Dense(10, activation="softmax"),
        ]
    )
    assert isinstance(model, keras.Sequential)
    assert model.inputs[0].shape == (32, 8, 16)
    assert model.count_params() == hand.count_params()


def test_shared_lstm_tweet_model():
    g = graph(
        [
            node("a", "Input", shape=[280, 256]),
            node("b", "Input", shape=[280, 256]),
            node("lstm", "LSTM", units=64),
            {"id": "lstm_b", "type": "LSTM", "shared_with": "lstm"},
            node("cat", "Concatenate", axis=-1),
            node("pred", "Dense", units=1, activation="sigmoid"),
            node("out", "Output", loss="binary_crossentropy"),
        ],
        [
            edge("a", "lstm"),
            edge("b", "lstm_b"),
            edge("lstm", "cat", target_port=0),
            edge("lstm_b", "cat", target_port=1),
            edge("cat", "pred"),
            edge("pred", "out"),
        ],
    )
    model = build_model(g)
    a, b = keras.Input((280, 256)), keras.Input((280, 256))
    shared = layers.LSTM(64)
    x = layers.concatenate([shared(a), shared(b)], axis=-1)
    hand = keras.Model([a, b], layers.Dense(1, activation="sigmoid")(x))
    assert model.count_params() == hand.count_params()
    lstm_layers = [lyr for lyr in model.layers if isinstance(lyr, layers.LSTM)]
    assert len(lstm_layers) == 1 and len(lstm_layers[0]._inbound_nodes) == 2


def test_conv_called_on_two_input_shapes():
    g = graph(
        [
            node("a", "Input", shape=[32, 32, 3]),
            node("b", "Input", shape=[64, 64, 3]),
            node("conv", "Conv2D", filters=16, kernel_size=3),
            {"id": "conv_b", "type": "Conv2D", "shared_with": "conv"},
            node("oa", "Output"),
            node("ob", "Output"),
        ],
        [
            edge("a", "conv"),
            edge("b", "conv_b"),
            edge("conv", "oa"),
            edge("conv_b", "ob"),
        ],
    )
    model = build_model(g)
    assert model.count_params() == 3 * 3 * 3 * 16 + 16
    assert [tuple(o.shape) for o in model.outputs] == [
        (None, 30, 30, 16),
        (None, 62, 62, 16),
    ]
    assert model.output_names == ["oa", "ob"]


def _encoder_subgraph() -> dict:
    return {
        "nodes": [
            node("x", "Input", shape=[16]),
            node("h", "Dense", units=8, activation="relu"),
            node("y", "Output"),
        ],
        "edges": [edge("x", "h"), edge("h", "y")],
    }


def test_nested_model_used_twice_shares_weights():
    g = graph(
        [
            node("a", "Input", shape=[16]),
            node("b", "Input", shape=[16]),
            node("m1", "Model", subgraph="encoder"),
            node("m2", "Model", subgraph="encoder"),
            node("add", "Add"),
            node("out", "Output"),
        ],
        [
            edge("a", "m1"),
            edge("b", "m2"),
            edge("m1", "add", target_port=0),
            edge("m2", "add", target_port=1),
            edge("add", "out"),
        ],
        subgraphs={"encoder": _encoder_subgraph()},
    )
    model = build_model(g)
    inner = [lyr for lyr in model.layers if isinstance(lyr, keras.Model)]
    assert len(inner) == 1 and inner[0].name == "encoder"
    assert model.count_params() == 16 * 8 + 8


def test_image_model_in_time_distributed():
    sub = {
        "nodes": [
            node("img", "Input", shape=[28, 28, 1]),
            node("c", "Conv2D", filters=8, kernel_size=3, activation="relu"),
            node("p", "GlobalAveragePooling2D"),
            node("o", "Output"),
        ],
        "edges": [edge("img", "c"), edge("c", "p"), edge("p", "o")],
    }
    g = graph(
        [
            node("video", "Input", shape=[5, 28, 28, 1]),
            {
                "id": "td",
                "type": "TimeDistributed",
                "params": {},
                "inner": {"type": "Model", "params": {"subgraph": "vision"}},
            },
            node("lstm", "LSTM", units=4),
            node("d", "Dense", units=3),
            node("out", "Output"),
        ],
        [edge("video", "td"), edge("td", "lstm"), edge("lstm", "d"), edge("d", "out")],
        subgraphs={"vision": sub},
    )
    model = build_model(g)
    img = keras.Input((28, 28, 1))
    vision = keras.Model(
        img,
        layers.GlobalAveragePooling2D()(layers.Conv2D(8, 3, activation="relu")(img)),
    )
    video = keras.Input((5, 28, 28, 1))
    x = layers.LSTM(4)(layers.TimeDistributed(vision)(video))
    hand = keras.Model(video, layers.Dense(3)(x))
    assert model.count_params() == hand.count_params()


def test_lstm_return_state_ports_and_bidirectional():
    g = graph(
        [
            node("in", "Input", shape=[10, 4]),
            node("enc", "LSTM", units=6, return_state=True),
            node("cat", "Concatenate"),
            {
                "id": "bi",
                "type": "Bidirectional",
                "params": {"merge_mode": "concat"},
                "inner": {"type": "GRU", "params": {"units": 3}},
            },
            node("o1", "Output"),
            node("o2", "Output"),
        ],
        [
            edge("in", "enc"),
            edge("enc", "cat", 1, 0),
            edge("enc", "cat", 2, 1),
            edge("cat", "o1"),
            edge("in", "bi"),
            edge("bi", "o2"),
        ],
    )
    model = build_model(g)
    assert [tuple(o.shape) for o in model.outputs] == [(None, 12), (None, 6)]
    assert model.output_names == ["o1", "o2"]


def test_densely_connected_functional():
    g = graph(
        [
            node("in", "Input", shape=[784]),
            node("d1", "Dense", units=64, activation="relu"),
            node("d2", "Dense", units=64, activation="relu"),
            node("d3", "Dense", units=10),
            node("out", "Output"),
        ],
        [edge("in", "d1"), edge("d1", "d2"), edge("d2", "d3"), edge("d3", "out")],
        model_type="functional",
    )
    model = build_model(g)
    inp = keras.Input((784,))
    x = layers.Dense(64, activation="relu")(inp)
    x = layers.Dense(64, activation="relu")(x)
    hand = keras.Model(inp, layers.Dense(10)(x))
    assert model.count_params() == hand.count_params()
    assert model.output_names == ["out"]


def test_input_straight_to_output_is_functional():
    g = graph([node("in", "Input", shape=[4]), node("out", "Output")], [edge("in", "out")])
    model = build_model(g)
    assert not isinstance(model, keras.Sequential)
    assert model.count_params() == 0 and model.output_names == ["out"]


def test_model_summary_rows_per_call_site():
    from graphs import summarised

    g = graph(
        [
            node("a", "Input", shape=[4]),
            node("b", "Input", shape=[4]),
            node("d", "Dense", units=3),
            {"id": "d2", "type": "Dense", "shared_with": "d"},
            node("add", "Add"),
            node("bn", "BatchNormalization"),
            node("out", "Output", loss="mse"),
        ],
        [
            edge("a", "d"),
            edge("b", "d2"),
            edge("d", "add", target_port=0),
            edge("d2", "add", target_port=1),
            edge("add", "bn"),
            edge("bn", "out"),
        ],
    )
    summary = summarised(g)
    model = build_model(g)
    assert summary["model_type"] == "functional"
    assert summary["total_params"] == model.count_params() == 15 + 12
    assert summary["trainable_params"] == 15 + 6 and summary["non_trainable_params"] == 6
    rows = {r["node"]: r for r in summary["layers"]}
    assert rows["d"]["call_index"] == 0 and rows["d2"]["call_index"] == 1
    assert rows["d2"]["name"] == rows["d"]["name"] == "d" and rows["d2"]["params"] == 0
    assert rows["add"]["inbound"] == [
        {"node": "d", "port": 0, "target_port": 0},
        {"node": "d2", "port": 0, "target_port": 1},
    ]
    assert rows["bn"]["output_shapes"] == [[None, 3]]
    assert {lyr.name for lyr in model.layers} == {"a", "b", "d", "add", "out"}


def test_model_summary_raises_graph_error_with_node():
    from graphs import summarised
    from layerforge.graph import GraphError

    with pytest.raises(GraphError) as info:
        summarised(chain([4], ("Dense", {"units": "many"})))
    assert info.value.problems[0].node == "n0" and info.value.problems[0].param == "units"


def test_build_model_raises_graph_error_for_bad_graphs():
    from layerforge.graph import GraphError

    with pytest.raises(GraphError) as info:
        build_model(chain([4], ("Lambda", {})))
    assert info.value.problems[0].code == "refused_type"
    with pytest.raises(GraphError) as info:
        build_model(chain([4], ("Dense", {"units": 2}), ("Reshape", {"target_shape": [3]})))
    assert (info.value.problems[0].node, info.value.problems[0].code) == (
        "n1",
        "shape_mismatch",
    )


def test_compile_spec_from_logits_gives_a_loss_object():
    g = chain(
        [4],
        ("Dense", {"units": 3}),
        output={
            "loss": "sparse_categorical_crossentropy",
            "from_logits": True,
            "metrics": ["accuracy"],
        },
    )
    spec = compile_spec(g)
    loss = spec["loss"]["out"]
    assert (
        isinstance(loss, keras.losses.SparseCategoricalCrossentropy)
        and loss.get_config()["from_logits"]
    )
    assert spec["metrics"] == {"out": ["accuracy"]}


def test_output_names_follow_output_nodes_even_when_layers_are_named():
    g = graph(
        [
            node("in", "Input", shape=[6, 2]),
            node("enc", "LSTM", name="encoder", units=3, return_state=True),
            node("head", "Dense", name="head", units=1),
            node("prob", "Output", loss="mse"),
            node("state", "Output", loss="mse", loss_weight=0.5),
        ],
        [
            edge("in", "enc"),
            edge("enc", "head"),
            edge("head", "prob"),
            edge("enc", "state", source_port=2),
        ],
    )
    model = build_model(g)
    assert model.output_names == ["prob", "state"]
    model.compile(optimizer="sgd", **compile_spec(g))
    x = np.zeros((4, 6, 2))
    hist = model.fit(x, {"prob": np.zeros((4, 1)), "state": np.zeros((4, 3))}, epochs=1, verbose=0)
    assert {"prob_loss", "state_loss", "loss"} <= set(hist.history)


def test_sequential_layers_are_called_once_as_by_hand():
    model = build_model(example("sequential_mlp_mnist.json"))
    assert isinstance(model, keras.Sequential)
    assert all(len(layer._inbound_nodes) == 1 for layer in model.layers)


def test_sequential_error_still_names_the_node():
    from layerforge.graph import GraphError

    with pytest.raises(GraphError) as info:
        build_model(chain([4], ("Dense", {"units": 2}), ("Reshape", {"target_shape": [3]})))
    assert info.value.problems[0].node == "n1"
