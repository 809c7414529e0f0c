"""Each example graph builds the model the Keras guides write by hand: same class
(Sequential or Functional), same layers, calls, output shapes and parameter count."""

from __future__ import annotations

import keras
import pytest
from keras import layers

from graphs import EXAMPLE_NAMES, EXAMPLES_DIR, layer_structure, load_example, validated
from layerforge.graph import build_model, compile_spec


def sequential_mlp_mnist() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def _lstm_stack(stateful: bool) -> keras.Model:
    batch_size = 32 if stateful else None
    return keras.Sequential(
        [
            keras.Input(shape=(8, 16), batch_size=batch_size),
            layers.LSTM(32, return_sequences=True, stateful=stateful),
            layers.LSTM(32, return_sequences=True, stateful=stateful),
            layers.LSTM(32, stateful=stateful),
            layers.Dense(10, activation="softmax"),
        ]
    )


def sequential_stacked_lstm() -> keras.Model:
    return _lstm_stack(stateful=False)


def sequential_stateful_lstm() -> keras.Model:
    return _lstm_stack(stateful=True)


def functional_dense() -> keras.Model:
    inputs = keras.Input(shape=(784,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    predictions = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=predictions)


def functional_video_timedistributed() -> keras.Model:
    frame = keras.Input(shape=(64, 64, 3))
    vision_model = keras.Sequential(
        [
            frame,
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.GlobalAveragePooling2D(),
        ]
    )
    video = keras.Input(shape=(None, 64, 64, 3))
    encoded_frames = layers.TimeDistributed(vision_model)(video)
    encoded_video = layers.LSTM(64)(encoded_frames)
    outputs = layers.Dense(5, activation="softmax")(encoded_video)
    return keras.Model(inputs=video, outputs=outputs)


def functional_headline_two_inputs_two_outputs() -> keras.Model:
    main_input = keras.Input(shape=(100,), dtype="int32", name="main_input")
    x = layers.Embedding(output_dim=512, input_dim=10000)(main_input)
    lstm_out = layers.LSTM(32)(x)
    auxiliary_output = layers.Dense(1, activation="sigmoid", name="aux_output")(lstm_out)
    auxiliary_input = keras.Input(shape=(5,), name="aux_input")
    x = layers.concatenate([lstm_out, auxiliary_input])
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(64, activation="relu")(x)
    main_output = layers.Dense(1, activation="sigmoid", name="main_output")(x)
    return keras.Model(
        inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output]
    )


def functional_shared_lstm_tweets() -> keras.Model:
    tweet_a = keras.Input(shape=(280, 256))
    tweet_b = keras.Input(shape=(280, 256))
    shared_lstm = layers.LSTM(64)
    encoded_a = shared_lstm(tweet_a)
    encoded_b = shared_lstm(tweet_b)
    merged_vector = layers.concatenate([encoded_a, encoded_b], axis=-1)
    predictions = layers.Dense(1, activation="sigmoid")(merged_vector)
    return keras.Model(inputs=[tweet_a, tweet_b], outputs=predictions)


def functional_shared_conv2d() -> keras.Model:
    a = keras.Input(shape=(32, 32, 3))
    b = keras.Input(shape=(64, 64, 3))
    conv = layers.Conv2D(16, (3, 3), padding="same")
    conved_a = conv(a)
    conved_b = conv(b)
    pooled_a = layers.GlobalAveragePooling2D()(conved_a)
    pooled_b = layers.GlobalAveragePooling2D()(conved_b)
    merged = layers.concatenate([pooled_a, pooled_b])
    predictions = layers.Dense(1, activation="sigmoid")(merged)
    return keras.Model(inputs=[a, b], outputs=predictions)


def functional_nested_model_twice() -> keras.Model:
    digit_input = keras.Input(shape=(27, 27, 1))
    vision_model = keras.Sequential(
        [
            digit_input,
            layers.Conv2D(64, (3, 3)),
            layers.Conv2D(64, (3, 3)),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
        ]
    )
    digit_a = keras.Input(shape=(27, 27, 1))
    digit_b = keras.Input(shape=(27, 27, 1))
    out_a = vision_model(digit_a)
    out_b = vision_model(digit_b)
    concatenated = layers.concatenate([out_a, out_b])
    out = layers.Dense(1, activation="sigmoid")(concatenated)
    return keras.Model([digit_a, digit_b], out)


HAND_WRITTEN = {
    f.__name__: f
    for f in [
        sequential_mlp_mnist,
        sequential_stacked_lstm,
        sequential_stateful_lstm,
        functional_dense,
        functional_video_timedistributed,
        functional_headline_two_inputs_two_outputs,
        functional_shared_lstm_tweets,
        functional_shared_conv2d,
        functional_nested_model_twice,
    ]
}


def test_every_example_file_is_checked():
    assert sorted(p.stem for p in EXAMPLES_DIR.glob("*.json")) == sorted(EXAMPLE_NAMES)
    assert sorted(HAND_WRITTEN) == sorted(EXAMPLE_NAMES)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_builds_the_hand_written_model(name):
    built = build_model(load_example(name))
    expected = HAND_WRITTEN[name]()
    assert built.count_params() == expected.count_params()
    assert type(built).__name__ == type(expected).__name__
    assert layer_structure(built) == layer_structure(expected)
    assert [tuple(t.shape) for t in built.inputs] == [tuple(t.shape) for t in expected.inputs]


def test_headline_outputs_follow_the_guide():
    graph = load_example("functional_headline_two_inputs_two_outputs")
    model = build_model(graph)
    assert model.output_names == ["main_output", "aux_output"]
    assert [t.name for t in model.inputs] == ["main_input", "aux_input"]
    assert compile_spec(graph)["loss_weights"] == {
        "main_output": 1.0,
        "aux_output": 0.2,
    }


def test_stateful_example_has_a_fixed_batch_size():
    model = build_model(load_example("sequential_stateful_lstm"))
    assert model.inputs[0].shape == (32, 8, 16)
    assert all(layer.stateful for layer in model.layers if isinstance(layer, layers.LSTM))


def test_shared_examples_share_one_layer():
    tweets = build_model(load_example("functional_shared_lstm_tweets"))
    (lstm,) = [layer for layer in tweets.layers if isinstance(layer, layers.LSTM)]
    assert len(lstm._inbound_nodes) == 2
    nested = build_model(load_example("functional_nested_model_twice"))
    (vision,) = [layer for layer in nested.layers if isinstance(layer, keras.Model)]
    assert len(vision._inbound_nodes) == 2


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_outputs_carry_loss_and_metrics(name):
    graph = load_example(name)
    spec = compile_spec(graph)
    outputs = [n.name for n in graph.nodes if n.type == "Output"]
    assert sorted(spec["loss"]) == sorted(outputs)
    assert all(spec["metrics"][o] == ["accuracy"] for o in outputs)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_has_a_position_for_every_node(name):
    graph = load_example(name)
    for g in [graph, *graph.subgraphs.values()]:
        positions = g.layout["positions"]
        assert set(positions) == {n.id for n in g.nodes}
        assert len({(p["x"], p["y"]) for p in positions.values()}) == len(positions)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_validate_cleanly(name):
    graph = load_example(name)
    report = validated(graph)
    assert report["valid"], report["errors"]
    assert report["errors"] == []
    assert report["warnings"] == []
    assert report["total_params"] == HAND_WRITTEN[name]().count_params()
