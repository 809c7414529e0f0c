"""build_model / compile_spec against the same models written by hand in Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

from layerforge.graph.build import build_model, compile_spec
from graph_fixtures import example


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
    assert headline.count_params() == hand.count_params() == 5_200_610
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
    for key in ("main_output_loss", "aux_output_loss", "val_main_output_accuracy", "loss"):
        assert key in hist.history
