"""Keras JSON and .keras files -> graphs: round trips keep the parameter count and the
layer structure; shared layers, nested models, multi-output layers and wrappers map
onto the graph contract; code and custom classes are refused naming the layer."""

from __future__ import annotations

import copy
import json
import zipfile

import keras
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keras import layers

from graphs import (
    APPLICATIONS,
    EXAMPLE_NAMES,
    layer_structure,
    load_example,
    validated,
)
from layerforge.graph import (
    GraphError,
    GraphLimits,
    build_model,
    import_keras_file,
    import_keras_json,
)


def round_trip(model: keras.Model) -> keras.Model:
    return build_model(import_keras_json(model.to_json()))


def assert_same_model(rebuilt: keras.Model, original: keras.Model) -> None:
    assert rebuilt.count_params() == original.count_params()
    assert type(rebuilt).__name__ == type(original).__name__
    assert layer_structure(rebuilt, names=True) == layer_structure(original, names=True)


def problem(exc: pytest.ExceptionInfo[GraphError]):
    (only,) = exc.value.problems
    return only


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_round_trip(name):
    original = build_model(load_example(name))
    assert_same_model(round_trip(original), original)


@pytest.mark.parametrize("name", APPLICATIONS)
def test_applications_round_trip(applications, name):
    original = applications(name)
    assert_same_model(round_trip(original), original)


@pytest.mark.parametrize("name", APPLICATIONS)
def test_imported_applications_validate(applications, name):
    report = validated(import_keras_json(applications(name).to_json()))
    assert report["errors"] == []
    assert report["total_params"] == applications(name).count_params()


def test_functional_model_becomes_nodes_and_port_edges():
    graph = import_keras_json(
        build_model(load_example("functional_headline_two_inputs_two_outputs")).to_json()
    )
    by_id = {n.id: n for n in graph.nodes}
    assert by_id["main_input"].params == {"shape": [100], "dtype": "int32"}
    assert by_id["aux_input"].params == {"shape": [5]}
    assert by_id["lstm"].params == {"units": 32}  # defaults left out
    outputs = [n for n in graph.nodes if n.type == "Output"]
    assert [n.name for n in outputs] == ["main_output", "aux_output"]
    (concat,) = [n.id for n in graph.nodes if n.type == "Concatenate"]
    concat = sorted((e.target_port, e.source) for e in graph.edges if e.target == concat)
    assert concat == [(0, "lstm"), (1, "aux_input")]


def test_shared_layer_is_one_owner_and_call_sites_in_node_index_order():
    a, b, c = (keras.Input((4, 3), name=n) for n in "abc")
    lstm = layers.LSTM(5, name="shared")
    merged = layers.Concatenate(name="merged")([lstm(a), lstm(b), lstm(c)])
    model = keras.Model([a, b, c], merged)
    graph = import_keras_json(model.to_json())
    calls = [n for n in graph.nodes if n.type == "LSTM"]
    assert [n.id for n in calls] == ["shared", "shared_call1", "shared_call2"]
    assert [n.shared_with for n in calls] == [None, "shared", "shared"]
    assert calls[0].params == {"units": 5} and calls[1].params == {}
    sources = {e.target: e.source for e in graph.edges if e.target.startswith("shared")}
    assert sources == {"shared": "a", "shared_call1": "b", "shared_call2": "c"}
    assert_same_model(build_model(graph), model)


def test_nested_model_used_twice_is_one_subgraph_with_two_uses():
    inner_in = keras.Input((6,), name="inner_in")
    encoder = keras.Model(inner_in, layers.Dense(3, name="code")(inner_in), name="encoder")
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    out = layers.Add(name="sum")([encoder(a), encoder(b)])
    model = keras.Model([a, b], out)
    graph = import_keras_json(model.to_json())
    assert list(graph.subgraphs) == ["encoder"]
    uses = [n for n in graph.nodes if n.type == "Model"]
    assert [u.params for u in uses] == [{"subgraph": "encoder"}] * 2
    sub = graph.subgraphs["encoder"]
    assert [n.type for n in sub.nodes] == ["Input", "Dense", "Output"]
    assert [n.name for n in sub.nodes if n.type == "Output"] == ["code"]
    assert_same_model(build_model(graph), model)


def test_multi_output_layer_gives_output_ports():
    x = keras.Input((7, 2), name="x")
    seq, h, c = layers.LSTM(4, return_state=True, return_sequences=True, name="lstm")(x)
    out = layers.Concatenate(name="states")([h, c])
    model = keras.Model(x, [out, seq])
    graph = import_keras_json(model.to_json())
    ports = sorted((e.source_port, e.target) for e in graph.edges if e.source == "lstm")
    assert ports == [(0, "lstm_out"), (1, "states"), (2, "states")]
    assert_same_model(build_model(graph), model)


def test_wrappers_keep_the_wrapped_layer_in_inner():
    frame = keras.Input((5,), name="frame")
    per_frame = keras.Model(frame, layers.Dense(2, name="d")(frame), name="per_frame")
    x = keras.Input((3, 5), name="x")
    td_model = layers.TimeDistributed(per_frame, name="td_model")(x)
    td_dense = layers.TimeDistributed(layers.Dense(4), name="td_dense")(x)
    bi = layers.Bidirectional(layers.GRU(3), merge_mode="sum", name="bi")(td_dense)
    model = keras.Model(x, [bi, td_model])
    graph = import_keras_json(model.to_json())
    by_id = {n.id: n for n in graph.nodes}
    assert by_id["td_model"].inner.type == "Model"
    assert by_id["td_model"].inner.params == {"subgraph": "per_frame"}
    assert by_id["td_dense"].inner.type == "Dense"
    assert by_id["td_dense"].inner.params == {"units": 4}
    assert by_id["bi"].inner.type == "GRU" and by_id["bi"].params == {"merge_mode": "sum"}
    assert_same_model(build_model(graph), model)


def test_input_batch_size_dtype_and_non_default_params():
    x = keras.Input((3,), batch_size=16, dtype="int32", name="ids")
    y = layers.Embedding(10, 4, embeddings_initializer="he_normal", name="emb")(x)
    y = layers.Dense(
        2,
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.5),
        kernel_regularizer=keras.regularizers.L2(0.001),
        use_bias=False,
        name="head",
    )(y)
    model = keras.Model(x, y)
    by_id = {n.id: n for n in import_keras_json(model.to_json()).nodes}
    assert by_id["ids"].params == {"shape": [3], "dtype": "int32", "batch_size": 16}
    assert by_id["emb"].params["embeddings_initializer"] == "he_normal"
    head = by_id["head"].params
    assert head["use_bias"] is False
    assert head["kernel_initializer"] == {
        "class_name": "RandomNormal",
        "config": {"mean": 0.0, "stddev": 0.5, "seed": None},
    }
    assert head["kernel_regularizer"]["class_name"] == "L2"
    assert "bias_initializer" not in head and "dtype" not in head


def test_sequential_import_and_frozen_layer():
    model = keras.Sequential(
        [
            keras.Input((4,), name="features"),
            layers.Dense(3, name="a"),
            layers.Dense(1, name="b"),
        ]
    )
    model.layers[0].trainable = False
    graph = import_keras_json(model.to_json())
    assert [n.type for n in graph.nodes] == ["Input", "Dense", "Dense", "Output"]
    assert graph.node("a").trainable is False
    rebuilt = build_model(graph)
    assert isinstance(rebuilt, keras.Sequential)
    assert rebuilt.count_params() == model.count_params()
    assert [w.shape for w in rebuilt.trainable_weights] == [(3, 1), (1,)]


def test_built_sequential_without_input_layer():
    model = keras.Sequential([layers.Dense(3, name="only")])
    model.build((None, 7))
    graph = import_keras_json(model.to_json())
    assert graph.nodes[0].params == {"shape": [7]}
    assert build_model(graph).count_params() == model.count_params()


def test_unbuilt_sequential_is_refused_with_a_reason():
    with pytest.raises(GraphError) as exc:
        import_keras_json(keras.Sequential([layers.Dense(3)], name="bare").to_json())
    assert problem(exc).code == "missing_input"
    assert "bare" in problem(exc).message


def test_lambda_is_refused_naming_the_layer():
    x = keras.Input((3,))
    model = keras.Model(x, layers.Lambda(lambda t: t * 2, name="double")(x))
    with pytest.raises(GraphError) as exc:
        import_keras_json(model.to_json())
    assert problem(exc).code == "refused_type"
    assert problem(exc).node == "double"
    assert "Lambda" in problem(exc).message


def test_custom_class_is_refused_naming_the_layer():
    x = keras.Input((3,))
    model = keras.Model(x, layers.Dense(2, name="mine")(x))
    data = json.loads(model.to_json())
    dense = data["config"]["layers"][1]
    dense.update(module="my_package.layers", class_name="Dense", registered_name="my>Dense")
    with pytest.raises(GraphError) as exc:
        import_keras_json(json.dumps(data))
    assert (problem(exc).code, problem(exc).node) == ("refused_type", "mine")


def test_ops_become_op_nodes_and_other_ops_are_refused():
    x = keras.Input((4,), name="x")
    y = layers.Dense(4, name="d")(x)
    z = (y + 3.0) * (1.0 / 6.0)
    model = keras.Model(x, z * y)
    graph = import_keras_json(model.to_json())
    ops_nodes = [n for n in graph.nodes if n.type == "Op"]
    assert [n.params for n in ops_nodes] == [
        {"function": "add", "x2": 3.0},
        {"function": "multiply", "x2": 1.0 / 6.0},
        {"function": "multiply"},
    ]
    rebuilt = build_model(graph)
    assert layer_structure(rebuilt) == layer_structure(model)  # no stand-in layers
    sample = keras.random.normal((2, 4))
    rebuilt.set_weights(model.get_weights())
    assert keras.ops.all(keras.ops.isclose(rebuilt(sample), model(sample), atol=1e-6))

    other = keras.Model(x, keras.ops.argsort(x))
    with pytest.raises(GraphError) as exc:
        import_keras_json(other.to_json())
    assert problem(exc).code == "refused_type" and "keras.ops" in problem(exc).message
    assert problem(exc).node == "argsort"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{not json", "bad_json"),
        ('{"class_name": "Dense", "config": {}}', "bad_model"),
        ('{"class_name": "Model", "config": {"name": "sub"}}', "bad_model"),
    ],
)
def test_bad_input_gets_a_clear_error(text, code):
    with pytest.raises(GraphError) as exc:
        import_keras_json(text)
    assert problem(exc).code == code


def test_keras_file_import_reads_config_and_compile_settings(tmp_path):
    model = build_model(load_example("functional_headline_two_inputs_two_outputs"))
    model.compile(
        optimizer="rmsprop",
        loss={"main_output": "binary_crossentropy", "aux_output": "mse"},
        loss_weights={"main_output": 1.0, "aux_output": 0.2},
        metrics={"main_output": ["accuracy"], "aux_output": ["mae"]},
    )
    path = tmp_path / "headline.keras"
    model.save(path)
    graph = import_keras_file(path)
    outputs = {n.name: n.params for n in graph.nodes if n.type == "Output"}
    assert outputs["main_output"] == {
        "loss": "binary_crossentropy",
        "loss_weight": 1.0,
        "metrics": ["accuracy"],
    }
    assert outputs["aux_output"] == {
        "loss": "mse",
        "loss_weight": 0.2,
        "metrics": ["mae"],
    }
    assert_same_model(build_model(graph), model)
    assert "positions" not in graph.layout  # the editor lays an import out


def test_keras_file_that_is_not_a_keras_file(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"not a zip")
    with pytest.raises(GraphError) as exc:
        import_keras_file(path)
    assert problem(exc).code == "bad_file"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
    with pytest.raises(GraphError) as exc:
        import_keras_file(path)
    assert problem(exc).code == "bad_file"


def test_keras_file_over_its_limit_but_not_the_upload_limit(tmp_path):
    model = build_model(load_example("functional_dense"))
    path = tmp_path / "dense.keras"
    model.save(path)
    with pytest.raises(GraphError) as exc:
        import_keras_file(path, GraphLimits(keras_file_bytes=1000))
    assert problem(exc).code == "too_large"
    # only config.json is read: a file larger than the upload cap imports
    assert import_keras_file(path, GraphLimits(upload_bytes=1000)).nodes
    with pytest.raises(GraphError) as exc:  # and config.json itself stays capped
        import_keras_file(path, GraphLimits(request_bytes=100))
    assert problem(exc).code == "too_large"


def test_older_keras_json_without_modules_imports():
    """tf.keras 2.x wrote no `module` and the list form of inbound nodes."""
    glorot = {"class_name": "GlorotUniform", "config": {"seed": None}}
    dense = {
        "name": "d",
        "trainable": True,
        "dtype": "float32",
        "units": 2,
        "activation": "relu",
        "use_bias": True,
        "kernel_initializer": glorot,
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.5}},
    }
    data = {
        "class_name": "Functional",
        "config": {
            "name": "old",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "x",
                    "config": {
                        "batch_input_shape": [None, 4],
                        "dtype": "float32",
                        "name": "x",
                    },
                    "inbound_nodes": [],
                },
                {
                    "class_name": "Dense",
                    "name": "d",
                    "config": dense,
                    "inbound_nodes": [[["x", 0, 0, {}]]],
                },
                {
                    "class_name": "Add",
                    "name": "sum",
                    "config": {"name": "sum", "trainable": True, "dtype": "float32"},
                    "inbound_nodes": [[["d", 0, 0, {}], ["d", 0, 0, {}]]],
                },
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [["sum", 0, 0]],
        },
        "keras_version": "2.13.1",
    }
    graph = import_keras_json(json.dumps(data))
    assert graph.node("x").params == {"shape": [4]}
    assert graph.node("d").params == {
        "units": 2,
        "activation": "relu",
        "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.5}},
    }
    assert sorted(e.target_port for e in graph.edges if e.target == "sum") == [0, 1]
    assert build_model(graph).count_params() == 10


def _paths(value, prefix=()):
    """Every (path, value) inside a JSON value."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


@pytest.fixture(scope="module")
def tweets_json() -> dict:
    return json.loads(build_model(load_example("functional_shared_lstm_tweets")).to_json())


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 300) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_model_json_never_crashes_the_importer(tweets_json, data):
    """Any change to a real model's JSON gives a graph or a GraphError, nothing else."""
    doc = copy.deepcopy(tweets_json)
    paths = [p for p in _paths(doc) if p]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        parent = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = data.draw(JSON_VALUES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    try:
        graph = import_keras_json(json.dumps(doc))
    except GraphError as exc:
        assert exc.problems and all(p.code and p.message for p in exc.problems)
    else:
        assert graph.nodes


def test_submodel_with_two_inputs_and_two_outputs():
    p, q = keras.Input((3,), name="p"), keras.Input((3,), name="q")
    total = layers.Add(name="total")([p, q])
    pair = keras.Model(
        [p, q],
        [layers.Dense(2, name="u")(total), layers.Dense(1, name="v")(total)],
        name="pair",
    )
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    u, v = pair([a, b])
    model = keras.Model([a, b], [layers.Concatenate(name="uv")([u, v]), v])
    graph = import_keras_json(model.to_json())
    into = sorted((e.target_port, e.source) for e in graph.edges if e.target == "pair")
    assert into == [(0, "a"), (1, "b")]
    out = sorted((e.source_port, e.target) for e in graph.edges if e.source == "pair")
    assert out == [(0, "uv"), (1, "pair_out"), (1, "uv")]
    assert [n.name for n in graph.subgraphs["pair"].nodes if n.type == "Output"] == [
        "u",
        "v",
    ]
    assert_same_model(build_model(graph), model)


def test_two_outputs_from_one_layer_get_distinct_output_names():
    x = keras.Input((5, 2), name="x")
    _, h, c = layers.LSTM(3, return_state=True, name="lstm")(x)
    graph = import_keras_json(keras.Model(x, [h, c]).to_json())
    names = [n.name for n in graph.nodes if n.type == "Output"]
    assert len(set(names)) == 2 and names[0] == "lstm"
    assert build_model(graph).count_params() == keras.Model(x, [h, c]).count_params()


def test_model_inputs_keep_their_order():
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    model = keras.Model([b, a], layers.Concatenate(name="ab")([a, b]))
    graph = import_keras_json(model.to_json())
    assert [n.id for n in graph.nodes if n.type == "Input"] == ["b", "a"]
    assert [t.name for t in build_model(graph).inputs] == ["b", "a"]


def test_keras_file_whose_config_is_over_the_request_limit(tmp_path):
    path = tmp_path / "dense.keras"
    build_model(load_example("functional_dense")).save(path)
    with pytest.raises(GraphError) as exc:
        import_keras_file(path, GraphLimits(request_bytes=100))
    assert problem(exc).code == "too_large" and "config.json" in problem(exc).message


def test_keras_file_keeps_a_from_logits_loss(tmp_path):
    model = build_model(load_example("functional_dense"))
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    path = tmp_path / "logits.keras"
    model.save(path)
    (output,) = [n for n in import_keras_file(path).nodes if n.type == "Output"]
    assert output.params == {
        "loss": "sparse_categorical_crossentropy",
        "from_logits": True,
        "metrics": ["accuracy"],
    }
