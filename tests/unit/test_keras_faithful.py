"""Models written with Keras's own API (call arguments, implicit masks, keras.ops,
wrappers as Keras saves them, Constant initializers) import, validate, build, export
to Python and JSON with Keras's parameter count, and compute the same outputs as the
original once its weights are loaded by layer name."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable

import keras
import numpy as np
import pytest
from keras import layers, ops

from graphs import EXAMPLE_NAMES, load_example, validated
from layerforge.graph import (
    GraphError,
    build_model,
    import_keras_file,
    import_keras_json,
    to_python,
    validate_graph,
)
from layerforge.graph.build.symbolic import no_weights
from layerforge.graph.convert.export import export_keras_json
from layerforge.graph.schema import Graph


def sample_inputs(model: keras.Model, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = (tensor.shape[0] or 2, *[d or 5 for d in tensor.shape[1:]])
        dtype = str(tensor.dtype)
        if "int" in dtype or dtype == "bool":
            arrays.append(rng.integers(0, 3, shape).astype(dtype))
        else:
            arrays.append(rng.normal(size=shape).astype("float32"))
    return arrays


def outputs_of(model: keras.Model, xs: list[np.ndarray]) -> list[np.ndarray]:
    out = model(xs if len(xs) > 1 else xs[0])
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def assert_same_outputs(original: keras.Model, rebuilt: keras.Model, atol: float = 1e-5) -> None:
    """Weights of the original loaded into the rebuilt model by layer name; outputs agree."""
    for layer in original.layers:
        if layer.weights:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    xs = sample_inputs(original)
    for a, b in zip(outputs_of(original, xs), outputs_of(rebuilt, xs), strict=True):
        np.testing.assert_allclose(b, a, atol=atol, rtol=1e-5)


def assert_faithful(model: keras.Model, graph: Graph) -> keras.Model:
    """Same parameter count through validate, build, Python and JSON export; same outputs."""
    report = validate_graph(graph)
    assert report.valid, report.errors
    built = build_model(graph)
    namespace: dict = {}
    exec(to_python(graph), namespace)
    again = build_model(import_keras_json(export_keras_json(graph)))
    expected = model.count_params()
    counts = [report.total_params, built.count_params(), namespace["model"].count_params()]
    assert counts + [again.count_params()] == [expected] * 4
    assert_same_outputs(model, built)
    return built


def seq2seq(latent: int = 256) -> keras.Model:
    """The keras.io character-level seq2seq model (71 input, 93 target tokens)."""
    enc_in, dec_in = keras.Input((None, 71)), keras.Input((None, 93))
    _, h, c = layers.LSTM(latent, return_state=True, name="encoder")(enc_in)
    decoder = layers.LSTM(latent, return_sequences=True, name="decoder")
    dec = decoder(dec_in, initial_state=[h, c])
    return keras.Model([enc_in, dec_in], layers.Dense(93, activation="softmax")(dec))


def test_seq2seq_initial_state_becomes_ports_and_keeps_the_encoder():
    model = seq2seq()
    graph = import_keras_json(model.to_json())
    assert validate_graph(graph).total_params == 718_173 == model.count_params()
    nodes = validated(graph)["nodes"]
    assert nodes["decoder"]["input_ports"][:3] == ["input", "initial_state_h", "initial_state_c"]
    states = {
        (e.source, e.source_port, e.target_port) for e in graph.edges if e.target == "decoder"
    }
    assert states >= {("encoder", 1, 1), ("encoder", 2, 2)}
    assert "initial_state=[encoder[1], encoder[2]]" in to_python(graph)


def test_seq2seq_is_faithful():
    model = seq2seq(latent=8)
    assert_faithful(model, import_keras_json(model.to_json()))


def test_state_ports_are_shape_checked():
    model = seq2seq(latent=8)
    graph = import_keras_json(model.to_json())
    data = graph.model_dump()
    for node in data["nodes"]:
        if node["id"] == "encoder":
            node["params"]["units"] = 5  # states of 5 into an LSTM of 8
    report = validated(Graph.model_validate(data))
    assert not report["valid"]
    assert {e["node"] for e in report["errors"]} == {"decoder"}


def test_partial_initial_state_is_an_error_on_the_node():
    model = seq2seq(latent=4)
    data = import_keras_json(model.to_json()).model_dump()
    data["edges"] = [
        e for e in data["edges"] if not (e["target"] == "decoder" and e["target_port"] == 2)
    ]
    report = validated(Graph.model_validate(data))
    assert [e["node"] for e in report["errors"]] == ["decoder"]
    assert "initial_state_c" in report["errors"][0]["message"]


def bidirectional_states() -> keras.Model:
    x = keras.Input((5, 3))
    out, *states = layers.Bidirectional(layers.LSTM(4, return_state=True))(x)
    again = layers.Bidirectional(layers.GRU(4))(x, initial_state=[states[0], states[2]])
    return keras.Model(x, [out, again])


def test_bidirectional_takes_forward_and_backward_states():
    model = bidirectional_states()
    graph = import_keras_json(model.to_json())
    nodes = validated(graph)["nodes"]
    gru = next(n.id for n in graph.nodes if n.type == "Bidirectional" and n.inner.type == "GRU")
    assert nodes[gru]["input_ports"] == [
        "input",
        "initial_forward_state",
        "initial_backward_state",
        "mask",
    ]
    assert_faithful(model, graph)


def gru_with_frame_mask() -> keras.Model:
    frames, mask = keras.Input((6, 3)), keras.Input((6,), dtype="bool")
    return keras.Model([frames, mask], layers.GRU(3)(frames, mask=mask))


def attention_with_masks() -> keras.Model:
    q = keras.Input((5, 8))
    attention_mask = keras.Input((5, 5), dtype="bool")
    mha = layers.MultiHeadAttention(2, 4)(q, q, attention_mask=attention_mask, use_causal_mask=True)
    q_mask, v_mask = keras.Input((5,), dtype="bool"), keras.Input((5,), dtype="bool")
    att = layers.Attention()([q, q], mask=[q_mask, v_mask])
    return keras.Model([q, attention_mask, q_mask, v_mask], [mha, att])


def test_mask_arguments_and_call_flags_are_ports_and_call_params():
    model = attention_with_masks()
    graph = import_keras_json(model.to_json())
    mha = next(n for n in graph.nodes if n.type == "MultiHeadAttention")
    assert mha.call_params == {"use_causal_mask": True}
    nodes = validated(graph)["nodes"]
    assert nodes[mha.id]["input_ports"][6] == "attention_mask"
    att = next(n for n in graph.nodes if n.type == "Attention")
    assert nodes[att.id]["input_ports"][3:] == ["query_mask", "value_mask"]
    code = to_python(graph)
    assert "attention_mask=" in code and "use_causal_mask=True" in code
    assert_faithful(model, graph)
    gru = gru_with_frame_mask()
    assert_faithful(gru, import_keras_json(gru.to_json()))


def test_unknown_call_flag_is_an_error_naming_it():
    model = attention_with_masks()
    data = import_keras_json(model.to_json()).model_dump()
    for node in data["nodes"]:
        if node["type"] == "MultiHeadAttention":
            node["call_params"] = {"use_casual_mask": True}
    report = validated(Graph.model_validate(data))
    assert [e["param"] for e in report["errors"]] == ["call_params.use_casual_mask"]


def embedding_lstm() -> keras.Model:
    x = keras.Input((6,), dtype="int32")
    e = layers.Embedding(10, 4, mask_zero=True, name="embedding")(x)
    seq = layers.LSTM(3, name="lstm")(layers.Dropout(0.1, name="dropout")(e))
    return keras.Model(x, layers.Dense(1)(seq))


def masking_lstm() -> keras.Model:
    x = keras.Input((6, 3))
    return keras.Model(x, layers.Bidirectional(layers.LSTM(3))(layers.Masking()(x)))


@pytest.mark.parametrize("make", [embedding_lstm, masking_lstm])
def test_implicit_masks_import_as_drawn_and_compute_the_same(make: Callable[[], keras.Model]):
    model = make()
    graph = import_keras_json(model.to_json())
    assert not [n for n in graph.nodes if n.type == "Op"]  # NotEqual/Any left implicit
    assert all(e.target_port == 0 for e in graph.edges)
    assert_faithful(model, graph)
    xs = sample_inputs(model)
    xs[0][:, 3:] = 0  # padded steps: the mask must change the result
    built = build_model(graph)
    for layer in model.layers:
        if layer.weights:
            built.get_layer(layer.name).set_weights(layer.get_weights())
    np.testing.assert_allclose(outputs_of(built, xs)[0], outputs_of(model, xs)[0], atol=1e-5)


def test_validation_reports_masks_on_output_ports():
    graph = import_keras_json(embedding_lstm().to_json())
    nodes = validated(graph)["nodes"]
    masked = {nid for nid, n in nodes.items() if n.get("masked_outputs")}
    assert {"embedding", "dropout"} <= masked
    assert "lstm" not in masked  # an LSTM returning its last step drops the mask


def test_an_explicit_mask_that_is_not_implicit_stays_an_edge():
    x = keras.Input((6,), dtype="int32")
    e = layers.Embedding(10, 4)(x)  # no mask_zero: the mask is the model's own
    model = keras.Model(x, layers.LSTM(3)(e, mask=ops.not_equal(x, 0)))
    graph = import_keras_json(model.to_json())
    op = next(n for n in graph.nodes if n.type == "Op")
    assert op.params == {"function": "not_equal", "x2": 0}
    assert any(e.source == op.id and e.target_port == 3 for e in graph.edges)  # the mask port
    assert_faithful(model, graph)


def ops_model() -> keras.Model:
    x = keras.Input((4, 6))
    y = layers.Dense(6)(x)
    z = ops.nn.relu(y * 0.5 + x) - 1.0
    flat = ops.reshape(z[:, 0], (-1, 2, 3))
    picked = x[..., ::-1]
    joined = ops.concatenate([y, z], axis=-1)
    return keras.Model(
        x,
        [
            ops.mean(z, axis=1),
            flat,
            joined,
            1.0 - z,
            ops.matmul(z, ops.transpose(y, (0, 2, 1))),
            picked,
        ],
    )


def test_ops_are_op_nodes_with_args_as_params_and_tensors_as_ports():
    model = ops_model()
    graph = import_keras_json(model.to_json())
    functions = [n.params["function"] for n in graph.nodes if n.type == "Op"]
    assert {
        "multiply",
        "add",
        "relu",
        "subtract",
        "reshape",
        "get_item",
        "mean",
        "concatenate",
        "matmul",
        "transpose",
    } <= set(functions)
    rsub = next(n for n in graph.nodes if n.type == "Op" and n.params.get("x1") == 1.0)
    assert rsub.params == {"function": "subtract", "x1": 1.0}
    assert any(e.target == rsub.id and e.target_port == 1 for e in graph.edges)
    code = to_python(graph)
    assert "keras.ops.relu(" in code and "keras.ops.get_item(" in code
    assert "slice(None, None, -1)" in code
    built = assert_faithful(model, graph)
    assert len(built.operations) == len(model.operations)


def test_op_nodes_are_checked_before_keras_runs():
    model = ops_model()
    data = import_keras_json(model.to_json()).model_dump()
    ops_nodes = [n for n in data["nodes"] if n["type"] == "Op"]
    ops_nodes[0]["params"]["function"] = "eval"
    ops_nodes[1]["params"]["bogus"] = 1
    report = validated(Graph.model_validate(data))
    found = {(e["node"], e["param"], e["code"]) for e in report["errors"]}
    assert (ops_nodes[0]["id"], "function", "bad_param") in found
    assert (ops_nodes[1]["id"], "bogus", "unknown_param") in found


def constant_initializers() -> keras.Model:
    x = keras.Input((3,))
    eye = keras.initializers.Constant(np.eye(3).flatten())
    dense = layers.Dense(
        9, kernel_initializer=keras.initializers.Constant(0.5), bias_initializer=eye
    )
    return keras.Model(x, dense(x))


def bidirectional_sequences() -> keras.Model:
    x = keras.Input((5, 3))
    seq = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(x)
    return keras.Model(x, layers.Bidirectional(layers.GRU(2))(seq))


@pytest.mark.parametrize("make", [constant_initializers, bidirectional_sequences, embedding_lstm])
def test_keras_files_import_faithfully(tmp_path, make: Callable[[], keras.Model]):
    model = make()
    path = tmp_path / "model.keras"
    model.save(path)
    graph = import_keras_file(path)
    built = assert_faithful(model, graph)
    if make is constant_initializers:  # the initial values themselves, not only shapes
        np.testing.assert_allclose(build_model(graph).layers[-1].bias.numpy(), np.eye(3).flatten())
        assert built.count_params() == 36


def test_import_refuses_what_build_refuses_naming_layer_and_field():
    x = keras.Input((3,))
    data = json.loads(keras.Model(x, layers.Dense(2, name="d")(x)).to_json())
    dense = data["config"]["layers"][1]["config"]
    dense["kernel_initializer"] = {
        "module": "keras.layers",
        "class_name": "TFSMLayer",
        "config": {"filepath": "/tmp/x", "call_endpoint": "serve"},
    }
    with pytest.raises(GraphError) as exc:
        import_keras_json(json.dumps(data))
    problem = exc.value.problems[0]
    assert (problem.node, problem.param) == ("d", "kernel_initializer")
    dense["kernel_initializer"] = "glorot_uniform"
    dense["activation"] = {
        "module": "builtins",
        "class_name": "function",
        "config": {"code": "...", "defaults": None, "closure": None},
        "registered_name": "function",
    }
    dense["activation"]["class_name"] = "__lambda__"
    dense["activation"]["module"] = "keras"
    with pytest.raises(GraphError) as exc:
        import_keras_json(json.dumps(data))
    problem = exc.value.problems[0]
    assert (problem.node, problem.param) == ("d", "activation")


def test_a_real_backward_layer_is_still_refused_naming_the_layer(tmp_path):
    x = keras.Input((5, 3))
    bi = layers.Bidirectional(layers.LSTM(4), backward_layer=layers.LSTM(3, go_backwards=True))
    path = tmp_path / "m.keras"
    keras.Model(x, bi(x)).save(path)
    with zipfile.ZipFile(path) as archive:
        assert "backward_layer" in archive.read("config.json").decode()
    with pytest.raises(GraphError) as exc:
        import_keras_file(path)
    assert exc.value.problems[0].node == bi.name


# --- every example and keras.applications --------------------------------------------

APPLICATION_NAMES = sorted(n for n in dir(keras.applications) if n[0].isupper())
SMALL = {"input_shape": (75, 75, 3)}  # the smallest size every application takes


def test_there_are_forty_applications():
    assert len(APPLICATION_NAMES) == 40


@pytest.mark.slow
@pytest.mark.parametrize("name", APPLICATION_NAMES)
def test_every_application_imports_and_validates_with_keras_count(name):
    with no_weights():  # the config and the count need no weights
        model = getattr(keras.applications, name)(weights=None, **SMALL)
        text, count = model.to_json(), model.count_params()
    report = validate_graph(import_keras_json(text))
    assert report.valid, report.errors[:3]
    assert report.total_params == count


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_computes_the_same_after_import(name):
    original = build_model(load_example(name))
    imported = build_model(import_keras_json(original.to_json()))
    assert_same_outputs(original, imported)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("MobileNetV3Small", (32, 32, 3)),  # keras.ops hard-swish: Op nodes
        ("EfficientNetV2B0", (32, 32, 3)),  # a Constant bias initializer
        ("ConvNeXtTiny", (32, 32, 3)),  # Keras's internal LayerScale
    ],
)
def test_applications_compute_the_same_after_import(name, shape):
    original = getattr(keras.applications, name)(weights=None, input_shape=shape)
    graph = import_keras_json(original.to_json())
    assert_same_outputs(original, build_model(graph))
    namespace: dict = {}
    exec(to_python(graph), namespace)  # internal layers imported from their modules
    assert namespace["model"].count_params() == original.count_params()


def test_a_graph_with_an_implicit_mask_trains():
    model = embedding_lstm()
    built = build_model(import_keras_json(model.to_json()))
    built.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).integers(0, 10, (8, 6)).astype("int32")
    x[:, 4:] = 0
    history = built.fit(x, np.zeros((8, 1)), epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
