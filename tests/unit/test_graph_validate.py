"""validate_graph: structure, params and Keras shape errors, each on its node."""

from __future__ import annotations

import json
import re

import pytest

from graphs import chain, edge, example, graph, node, validated
from helpers import HEADLINE_PARAMS
from layerforge.graph import GraphLimits, validate_graph
from layerforge.graph.checks import cache
from layerforge.graph.schema import parse_graph


def codes(report: dict) -> set[tuple[str | None, str]]:
    return {(e["node"], e["code"]) for e in report["errors"]}


def test_headline_is_valid_with_shapes_and_params():
    report = validated(example("functional_headline_two_inputs_two_outputs.json"))
    assert report["valid"] and report["errors"] == []
    assert report["model_type"] == "functional"
    assert report["total_params"] == HEADLINE_PARAMS
    assert report["nodes"]["embedding"]["output_shapes"] == [[None, 100, 512]]
    assert report["nodes"]["concat"]["output_shapes"] == [[None, 37]]
    assert report["nodes"]["lstm"]["params"] == 69_760
    assert sum(n["params"] for n in report["nodes"].values()) == report["total_params"]


def test_sequential_chain_reports_sequential():
    report = validated(chain([8], ("Dense", {"units": 4})))
    assert report["valid"] and report["model_type"] == "sequential"
    assert report["total_params"] == 36


def _two_inputs(a_shape, b_shape, merge="Concatenate", **params):
    return graph(
        [
            node("a", "Input", shape=a_shape),
            node("b", "Input", shape=b_shape),
            node("m", merge, **params),
            node("d", "Dense", units=2),
            node("out", "Output", loss="mse"),
        ],
        [
            edge("a", "m", target_port=0),
            edge("b", "m", target_port=1),
            edge("m", "d"),
            edge("d", "out"),
        ],
    )


def test_concatenate_mismatched_shapes_lands_on_the_merge_and_skips_downstream():
    report = validated(_two_inputs([4, 3], [5, 3], axis=-1))
    assert codes(report) == {("m", "shape_mismatch")}
    message = report["errors"][0]["message"]
    assert "shape" in message.lower()
    assert not re.search(r"\x1b\[|/site-packages/|\.py\b", message)
    assert report["nodes"]["d"]["status"] == "skipped"
    assert report["nodes"]["m"]["status"] == "error"
    assert report["nodes"]["m"]["errors"][0]["code"] == "shape_mismatch"
    assert report["valid"] is False and report["total_params"] is None


def test_dense_on_undefined_last_axis():
    report = validated(chain([None], ("Dense", {"units": 3})))
    assert [(e["node"], e["code"]) for e in report["errors"]] == [("n0", "shape_mismatch")]


def test_reshape_sizes_that_do_not_match():
    report = validated(chain([12], ("Reshape", {"target_shape": [5, 3]})))
    assert codes(report) == {("n0", "shape_mismatch")}


def test_cycle_is_named():
    g = graph(
        [
            node("in", "Input", shape=[4]),
            node("add", "Add"),
            node("d", "Dense", units=4),
            node("out", "Output", loss="mse"),
        ],
        [
            edge("in", "add", target_port=0),
            edge("d", "add", target_port=1),
            edge("add", "d"),
            edge("d", "out"),
        ],
    )
    report = validated(g)
    cycle = [e for e in report["errors"] if e["code"] == "cycle"]
    assert cycle and cycle[0]["node"] in {"add", "d"} and "add" in cycle[0]["message"]


def test_missing_input_port():
    g = graph(
        [
            node("a", "Input", shape=[4]),
            node("sub", "Subtract"),
            node("out", "Output", loss="mse"),
        ],
        [edge("a", "sub", target_port=0), edge("sub", "out")],
    )
    assert ("sub", "missing_input") in codes(validated(g))


def test_unknown_param_bad_activation_and_range():
    report = validated(
        chain(
            [4],
            ("Dense", {"units": 3, "activaton": "relu"}),
            ("Dense", {"units": 0, "activation": "relux"}),
        )
    )
    errors = {(e["node"], e["param"], e["code"]) for e in report["errors"]}
    assert ("n0", "activaton", "unknown_param") in errors
    assert ("n1", "activation", "bad_param") in errors
    assert ("n1", "units", "bad_param") in errors
    assert "did you mean 'activation'" in next(
        e["message"] for e in report["errors"] if e["param"] == "activaton"
    )


@pytest.mark.parametrize(
    "refused", ["Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"]
)
def test_code_running_layers_are_refused(refused):
    report = validated(chain([4], (refused, {"function": "lambda x: x"})))
    assert codes(report) == {("n0", "refused_type")}


def test_unknown_type_and_wrapped_refused_type():
    g = graph(
        [
            node("in", "Input", shape=[3, 4]),
            node("x", "Dense2", units=3),
            {
                "id": "td",
                "type": "TimeDistributed",
                "inner": {"type": "Lambda", "params": {}},
            },
            node("o1", "Output", loss="mse"),
            node("o2", "Output", loss="mse"),
        ],
        [edge("in", "x"), edge("x", "o1"), edge("in", "td"), edge("td", "o2")],
    )
    report = validated(g)
    assert {("x", "unknown_type"), ("td", "refused_type")} <= codes(report)


def test_deserialized_params_cannot_name_arbitrary_objects():
    bad = {"module": "os", "class_name": "system", "config": {}}
    report = validated(chain([4], ("Dense", {"units": 2, "kernel_initializer": bad})))
    assert codes(report) == {("n0", "bad_param")}
    ok = {"class_name": "RandomNormal", "config": {"stddev": 0.1}}
    assert validated(chain([4], ("Dense", {"units": 2, "kernel_initializer": ok})))["valid"]


def test_unreachable_output_and_duplicate_ids():
    g = graph(
        [
            node("in", "Input", shape=[4]),
            node("d", "Dense", units=2),
            node("c", "Dense", units=2),
            node("c", "Dense", units=2),
            node("out", "Output", loss="mse"),
            node("dangling", "Output", loss="mse"),
        ],
        [edge("in", "d"), edge("d", "out")],
    )
    found = codes(validated(g))
    assert ("c", "duplicate_id") in found
    assert ("dangling", "missing_input") in found


def test_output_fed_without_input_is_unreachable():
    g = graph(
        [
            node("in", "Input", shape=[4]),
            node("d", "Dense", units=2),
            node("out", "Output", loss="mse"),
            node("rv", "RepeatVector", n=2),
            node("o2", "Output", loss="mse"),
        ],
        [edge("in", "d"), edge("d", "out"), edge("rv", "o2")],
    )
    found = codes(validated(g))
    assert ("o2", "unreachable_output") in found and ("rv", "missing_input") in found


def test_shared_with_must_name_same_type():
    g = graph(
        [
            node("a", "Input", shape=[4]),
            node("d", "Dense", units=2),
            {"id": "c", "type": "Conv1D", "shared_with": "d"},
            node("out", "Output", loss="mse"),
            node("o2", "Output", loss="mse"),
        ],
        [edge("a", "d"), edge("d", "out"), edge("a", "c"), edge("c", "o2")],
    )
    assert ("c", "bad_shared") in codes(validated(g))


def test_shared_layer_counts_weights_once():
    g = graph(
        [
            node("a", "Input", shape=[4]),
            node("b", "Input", shape=[4]),
            node("d", "Dense", units=2),
            {"id": "d2", "type": "Dense", "shared_with": "d"},
            node("add", "Add"),
            node("out", "Output", loss="mse"),
        ],
        [
            edge("a", "d"),
            edge("b", "d2"),
            edge("d", "add", target_port=0),
            edge("d2", "add", target_port=1),
            edge("add", "out"),
        ],
    )
    report = validated(g)
    assert report["valid"] and report["total_params"] == 10
    assert report["nodes"]["d2"]["weights_shared_with"] == "d"


def test_shared_layer_called_on_incompatible_input():
    g = graph(
        [
            node("a", "Input", shape=[4]),
            node("b", "Input", shape=[5]),
            node("d", "Dense", units=2),
            {"id": "d2", "type": "Dense", "shared_with": "d"},
            node("o1", "Output", loss="mse"),
            node("o2", "Output", loss="mse"),
        ],
        [edge("a", "d"), edge("b", "d2"), edge("d", "o1"), edge("d2", "o2")],
    )
    assert codes(validated(g)) == {("d2", "shape_mismatch")}


def test_warnings_unused_node_and_softmax_before_logits_loss():
    g = graph(
        [
            node("in", "Input", shape=[4]),
            node("d", "Dense", units=3, activation="softmax"),
            node("spare", "Dense", units=3),
            node("out", "Output", loss="categorical_crossentropy", from_logits=True),
        ],
        [edge("in", "d"), edge("d", "out"), edge("in", "spare")],
    )
    report = validated(g)
    assert report["valid"]
    warned = {(w["node"], w["code"]) for w in report["warnings"]}
    assert ("spare", "unused_node") in warned and (
        "d",
        "activation_with_logits",
    ) in warned
    assert report["nodes"]["spare"]["warnings"][0]["code"] == "unused_node"
    assert report["total_params"] == 15  # the unused Dense is not in the model


def test_subgraph_errors_carry_prefixed_ids_and_block_uses():
    sub = {
        "nodes": [
            node("x", "Input", shape=[4]),
            node("h", "Dense", units=-1),
            node("y", "Output"),
        ],
        "edges": [edge("x", "h"), edge("h", "y")],
    }
    g = graph(
        [
            node("in", "Input", shape=[4]),
            node("m", "Model", subgraph="enc"),
            node("out", "Output", loss="mse"),
        ],
        [edge("in", "m"), edge("m", "out")],
        subgraphs={"enc": sub},
    )
    found = codes(validated(g))
    assert ("enc/h", "bad_param") in found and ("m", "subgraph_error") in found


def test_unknown_and_recursive_subgraphs():
    g = graph(
        [
            node("in", "Input", shape=[4]),
            node("m", "Model", subgraph="nope"),
            node("out", "Output", loss="mse"),
        ],
        [edge("in", "m"), edge("m", "out")],
    )
    assert ("m", "unknown_subgraph") in codes(validated(g))
    loop = {
        "nodes": [
            node("x", "Input", shape=[4]),
            node("self", "Model", subgraph="loop"),
            node("y", "Output"),
        ],
        "edges": [edge("x", "self"), edge("self", "y")],
    }
    g = graph(
        [
            node("in", "Input", shape=[4]),
            node("m", "Model", subgraph="loop"),
            node("out", "Output", loss="mse"),
        ],
        [edge("in", "m"), edge("m", "out")],
        subgraphs={"loop": loop},
    )
    assert ("loop/self", "cycle") in codes(validated(g))


def test_padding_pairs_and_subgraph_outputs_without_loss():
    sub = {
        "nodes": [
            node("x", "Input", shape=[8, 8, 3]),
            node("p", "ZeroPadding2D", padding=[[0, 1], [0, 1]]),
            node("y", "Output"),
        ],
        "edges": [edge("x", "p"), edge("p", "y")],
    }
    g = graph(
        [
            node("in", "Input", shape=[8, 8, 3]),
            node("m", "Model", subgraph="pad"),
            node("out", "Output", loss="mse"),
        ],
        [edge("in", "m"), edge("m", "out")],
        subgraphs={"pad": sub},
    )
    report = validated(g)
    assert report["valid"], report["errors"]
    assert report["nodes"]["m"]["output_shapes"] == [[None, 9, 9, 3]]
    assert not [w for w in report["warnings"] if w["code"] == "no_loss"]


def test_caps_on_nodes_and_params():
    report = validated(
        chain([4], ("Dense", {"units": 2}), ("Dense", {"units": 2})), GraphLimits(nodes=3)
    )
    assert [e["code"] for e in report["errors"]] == ["too_large"]
    report = validated(
        chain([100], ("Dense", {"units": 2}), ("Dense", {"units": 1})), GraphLimits(params=100)
    )
    assert codes(report) == {("n0", "too_large")}


def test_one_node_edit_rechecks_only_downstream():
    layers = [("Dense", {"units": 8 + i % 5}) for i in range(30)]
    validated(chain([4], *layers))
    edited = list(layers)
    edited[25] = ("Dense", {"units": 40})
    before = cache.NODE_OUTCOMES.misses
    report = validated(chain([4], *edited))
    assert report["valid"]
    # n25 changes, and n26 sees a new input shape; n27.. see the same specs as before
    assert cache.NODE_OUTCOMES.misses - before == 2


def test_the_report_of_a_graph_just_checked_is_reused(monkeypatch):
    """The editor asks for a validation, a data set check (no fixes) and an estimate of
    the same graph: one check answers all three; another graph or limits is checked."""
    from layerforge.graph.checks import validate

    cache.clear()
    checks = []
    real = validate._check
    monkeypatch.setattr(
        validate, "_check", lambda g, limits, *memo: checks.append(g) or real(g, limits, *memo)
    )
    g = chain([4], ("Dense", {"units": 7}), ("Dense", {"units": 3}))
    first = validate_graph(g, fixes=False)
    assert len(checks) == 1 and first.valid
    assert validate_graph(g, fixes=False) is first and len(checks) == 1
    with_fixes = validate_graph(g)  # fixes were not computed yet: checked again
    assert len(checks) == 2 and with_fixes.nodes["n1"].output_shapes == [[None, 3]]
    assert validate_graph(g, fixes=False) is with_fixes and len(checks) == 2
    assert validate_graph(parse_graph(g.model_dump())) is with_fixes  # equal graph, same key
    validate_graph(g, GraphLimits(params=10))
    assert len(checks) == 3
    assert not validate_graph(g, GraphLimits(params=10)).valid
    validate_graph(chain([4], ("Dense", {"units": 8}), ("Dense", {"units": 3})))
    assert len(checks) == 4


def test_the_kept_report_is_keyed_by_everything_but_the_layout():
    """Moving nodes reuses the report; a change of any other part of the graph is
    checked afresh."""
    base = {
        "name": "m",
        "nodes": [
            node("in", "Input", shape=[4, 3]),
            {
                "id": "r",
                "type": "Bidirectional",
                "params": {},
                "inner": {"type": "LSTM", "params": {"units": 2}},
            },
            node("a", "Dense", units=2),
            {"id": "b", "type": "Dense", "shared_with": "a"},
            {"id": "s", "type": "Model", "params": {"subgraph": "sub"}},
            node("out", "Output", loss="mse"),
            node("out2", "Output", loss="mse"),
        ],
        "edges": [
            edge("in", "r"),
            edge("r", "a"),
            edge("a", "b"),
            edge("b", "s"),
            edge("s", "out"),
            edge("a", "out2"),
        ],
        "subgraphs": {
            "sub": {
                "nodes": [
                    node("i", "Input", shape=[2]),
                    node("d", "Dense", units=2),
                    node("o", "Output"),
                ],
                "edges": [edge("i", "d"), edge("d", "o")],
            }
        },
        "layout": {"positions": {"a": {"x": 0, "y": 0}}},
    }

    def variant(change):
        data = json.loads(json.dumps(base))
        change(data)
        return parse_graph(data)

    def at(path, value):
        def change(data):
            target = data
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value

        return change

    first = validate_graph(variant(lambda d: None))
    assert validate_graph(variant(at(["layout", "positions", "a", "x"], 50))) is first
    changes = [
        at(["name"], "other"),
        at(["model_type"], "functional"),
        at(["nodes", 2, "params", "units"], 3),
        at(["nodes", 2, "name"], "dense"),
        at(["nodes", 2, "trainable"], False),
        at(["nodes", 1, "inner", "params", "units"], 3),
        at(["nodes", 3, "call_params"], {"training": True}),
        at(["nodes", 3, "shared_with"], "r"),
        at(["edges", 5, "source_port"], 1),
        at(["edges", 5, "id"], "e5"),
        at(["subgraphs", "sub", "nodes", 1, "params", "units"], 3),
    ]
    for change in changes:
        assert validate_graph(variant(change)) is not first


def test_messages_are_clean_of_ansi_and_paths():
    report = validated(chain([3, 4], ("Conv2D", {"filters": 2, "kernel_size": 3})))
    assert report["errors"] and report["errors"][0]["node"] == "n0"
    for e in report["errors"]:
        assert "\x1b" not in e["message"] and "site-packages" not in e["message"]


def test_input_shape_must_be_positive_sizes():
    report = validated(chain([-1, 3], ("Flatten", {})))
    assert {(e["node"], e["param"], e["code"]) for e in report["errors"]} == {
        ("in", "shape", "bad_param")
    }


def test_frozen_node_reports_non_trainable_params():
    g = chain([4], ("Dense", {"units": 2}), ("BatchNormalization", {}))
    data = g.model_dump()
    data["nodes"][1]["trainable"] = False
    from layerforge.graph.schema import parse_graph

    report = validated(parse_graph(data))
    assert report["nodes"]["n0"]["trainable_params"] == 0
    assert report["nodes"]["n0"]["non_trainable_params"] == 10
    assert report["nodes"]["n1"]["trainable_params"] == 4
    assert report["nodes"]["n1"]["non_trainable_params"] == 4


def test_sequential_requested_for_a_non_chain():
    g = _two_inputs([4], [4], merge="Add")
    data = g.model_dump()
    data["model_type"] = "sequential"
    from layerforge.graph.schema import parse_graph

    report = validated(parse_graph(data))
    assert any(e["code"] == "not_sequential" for e in report["errors"])


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {
                "nodes": [node("i", "Input", shape="abc"), node("o", "Output")],
                "edges": [edge("i", "o")],
            },
            ("i", "bad_param"),
        ),
        (
            {
                "nodes": [
                    node("i", "Input", shape=[3]),
                    node("c", "Concatenate"),
                    node("o", "Output"),
                ],
                "edges": [edge("i", "c", target_port=1000), edge("c", "o")],
            },
            ("c", "missing_input"),
        ),
        ({"nodes": [node("o", "Output")], "edges": []}, (None, "no_input")),
        ({"nodes": [], "edges": []}, (None, "no_output")),
        (
            {
                "nodes": [
                    node("i", "Input", shape=[3]),
                    node("d", "Dense", units=2),
                    node("o", "Output"),
                ],
                "edges": [edge("i", "d", source_port=3), edge("d", "o")],
            },
            ("i", "bad_port"),
        ),
        (
            {
                "nodes": [
                    node("i", "Input", shape=[3]),
                    node("o", "Output"),
                    node("d", "Dense", units=2),
                ],
                "edges": [edge("i", "o"), edge("o", "d")],
            },
            ("o", "bad_port"),
        ),
    ],
)
def test_malformed_graphs_get_errors_not_exceptions(data, expected):
    from layerforge.graph.schema import parse_graph

    report = validated(parse_graph(data))
    assert not report["valid"]
    assert expected in codes(report)
    assert all(len(e["message"]) < 700 for e in report["errors"])


def test_every_node_reports_its_ports():
    g = graph(
        [
            node("seq", "Input", shape=[6, 3]),
            node("lstm", "LSTM", units=4, return_state=True),
            node("cat", "Concatenate"),
            node("bad", "Dense", units=-1),
            node("att", "MultiHeadAttention", num_heads=2, key_dim=2),
            node("out", "Output", loss="mse"),
        ],
        [
            edge("seq", "lstm"),
            edge("lstm", "cat", 1, 0),
            edge("lstm", "cat", 2, 1),
            edge("cat", "bad"),
            edge("seq", "att", 0, 0),
            edge("seq", "att", 0, 1),
            edge("bad", "out"),
        ],
    )
    nodes = validated(g)["nodes"]
    assert nodes["lstm"]["output_ports"] == ["output", "state_h", "state_c"]
    # positional ports first, then one per tensor argument of the layer's call
    lstm_ports = ["input", "initial_state_h", "initial_state_c", "mask"]
    assert nodes["lstm"]["input_ports"] == lstm_ports and not nodes["lstm"]["variadic_inputs"]
    assert nodes["cat"]["input_ports"] == ["input_0", "input_1"]
    assert nodes["cat"]["variadic_inputs"] is True
    masks = ["query_mask", "value_mask", "key_mask", "attention_mask"]
    assert nodes["att"]["input_ports"] == ["query", "value", "key", *masks]
    assert nodes["bad"]["status"] == "error" and nodes["bad"]["output_ports"] == ["output"]
    assert nodes["out"]["input_ports"] == ["input"] and nodes["out"]["output_ports"] == []
    assert nodes["seq"]["input_ports"] == [] and nodes["seq"]["output_ports"] == ["output"]


def test_model_nodes_report_their_subgraph_ports():
    report = validated(example("functional_nested_model_twice.json"))
    uses = [n for n in example("functional_nested_model_twice.json").nodes if n.type == "Model"]
    sub = example("functional_nested_model_twice.json").subgraphs["vision_model"]
    ins = [n.name or n.id for n in sub.nodes if n.type == "Input"]
    outs = [n.name or n.id for n in sub.nodes if n.type == "Output"]
    for use in uses:
        assert report["nodes"][use.id]["input_ports"] == ins
        assert report["nodes"][use.id]["output_ports"] == outs


def _structural(g):
    """Structural findings of a graph computed afresh (no cached answer)."""
    from layerforge.graph.checks.findings import Findings
    from layerforge.graph.checks.level import Level
    from layerforge.graph.checks.topology_checks import check_structure, structure_key

    cache.clear()
    f = Findings()
    level = Level.of(g, [g], "", f)
    check_structure(level)
    return structure_key(level), [p.model_dump() for p in f.errors + f.warnings]


def test_structure_cache_key_covers_what_the_structure_checks_read():
    """Equal keys must mean equal structural findings; every structural edit changes
    the key. A new structural check reading something the key leaves out fails here."""
    base = {
        "nodes": [
            node("in", "Input", shape=[4]),
            node("a", "Dense", units=2),
            node("b", "Dense", units=2),
            node("lstm", "LSTM", units=2),
            node("out", "Output", loss="mse"),
        ],
        "edges": [edge("in", "a"), edge("a", "b"), edge("b", "out")],
    }

    def variant(change):
        data = json.loads(json.dumps(base))
        change(data)
        return parse_graph(data)

    def set_(path, value):
        def change(data):
            target = data
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return change

    same_structure = [
        set_(["nodes", 1, "params", "units"], 7),
        set_(["nodes", 1, "params", "activation"], "relu"),
        set_(["nodes", 0, "params", "shape"], [9]),
        set_(["layout"], {"positions": {"a": {"x": 1, "y": 2}}}),
    ]
    structural = [
        set_(["nodes", 1, "id"], "a2"),
        set_(["nodes", 2, "type"], "Dropout"),
        set_(["nodes", 1, "name"], "out"),
        set_(["nodes", 2, "shared_with"], "a"),
        set_(["nodes", 3, "params", "return_state"], True),
        set_(["edges", 1, "source_port"], 1),
        set_(["edges", 1, "target_port"], 1),
        set_(["edges"], [edge("in", "a"), edge("a", "out")]),
        set_(["model_type"], "sequential"),
    ]
    key0, found0 = _structural(parse_graph(base))
    for change in same_structure:
        key, found = _structural(variant(change))
        assert key == key0 and found == found0
    for change in structural:
        key, found = _structural(variant(change))
        assert key != key0


def test_output_metrics_are_a_choice_of_the_published_names():
    """The catalogue offers an Output's metrics as a multi_choice of the one metric list;
    a name outside it is an error on that node and field."""
    from layerforge.graph.catalogue.losses_metrics import METRICS
    from layerforge.graph.catalogue.specs import param_specs

    spec = param_specs("Output")["metrics"]
    assert spec.kind == "multi_choice" and spec.choices == sorted(METRICS)
    assert spec.default == []
    g = chain([4], ("Dense", {"units": 2}), output={"loss": "mse", "metrics": ["mae", "maee"]})
    (problem,) = [e for e in validated(g)["errors"] if e["param"] == "metrics"]
    assert problem["node"] == "out" and "'maee'" in problem["message"]
    assert "'mae'" not in problem["message"]


def test_keras_messages_name_the_users_node_not_the_throwaway_layer():
    """Validation builds layers Keras names itself (conv2d_89); the message says the
    user's node, the shape that arrived and the rank the layer needs."""
    g = graph(
        [
            node("in", "Input", shape=[64]),
            node("dense_2", "Conv2D", filters=4, kernel_size=3),
            node("out", "Output", loss="mse"),
        ],
        [edge("in", "dense_2"), edge("dense_2", "out")],
    )
    (problem,) = validated(g)["errors"]
    assert problem["node"] == "dense_2" and problem["code"] == "shape_mismatch"
    assert problem["message"] == (
        "dense_2 (Conv2D) needs input 0 with at least 4 axes (batch included) "
        "but got (None, 64), with 2"
    )
    assert "conv2d" not in problem["message"]


def test_identical_nodes_keep_their_own_problems():
    """Identical layers on identical inputs share one entry (so an edit builds entries
    only for the nodes it changed); a warning or an error found for one of them, or a
    weight count moved to a shared owner, stays on that node, in this report and the
    next, and the reports already answered do not change."""
    layers = [node("in", "Input", shape=[4]), node("a", "Dense", units=2)]
    layers += [node("b", "Dense", units=2), node("out", "Output", loss="mse")]
    one_unused = validate_graph(graph(layers, [edge("in", "a"), edge("in", "b"), edge("a", "out")]))
    both_used = validate_graph(
        graph(
            [*layers, node("out2", "Output", loss="mse")],
            [edge("in", "a"), edge("in", "b"), edge("a", "out"), edge("b", "out2")],
        )
    )
    shared = validate_graph(
        graph(
            [*layers[:2], {"id": "b", "type": "Dense", "shared_with": "a"}, layers[3]],
            [edge("in", "a"), edge("in", "b"), edge("b", "out")],
        )
    )
    assert [w.code for w in one_unused.nodes["b"].warnings] == ["unused_node"]
    assert one_unused.nodes["a"].warnings == []
    assert both_used.nodes["a"].warnings == both_used.nodes["b"].warnings == []
    assert shared.nodes["b"].weights_shared_with == "a" and shared.nodes["b"].params == 0
    assert shared.nodes["a"].params == 10 and shared.nodes["a"].weights_shared_with is None
    again = validate_graph(graph(layers, [edge("in", "a"), edge("in", "b"), edge("a", "out")]))
    assert [w.code for w in again.nodes["b"].warnings] == ["unused_node"]
    assert again.nodes["a"].warnings == [] and again.nodes["a"].params == 10
    assert [w.code for w in one_unused.nodes["b"].warnings] == ["unused_node"]
