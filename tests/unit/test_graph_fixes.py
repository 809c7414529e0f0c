"""One-click fixes: for each common mistake, the broken graph is sent to
`POST /api/graphs/validate`, the offered patch is applied with jsonpatch as a client
would, and the fixed graph validates and builds in Keras."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
from fastapi.testclient import TestClient

from graphs import chain, edge, graph, node
from layerforge.api.app import create_app
from layerforge.graph import build_model, parse_graph, validate_graph
from layerforge.graph.schema import Graph
from layerforge.settings import Settings


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path)), base_url="http://127.0.0.1:8000")


def _sent(g: Graph) -> dict[str, Any]:
    """The graph as a client sends it: only the fields it set."""
    return g.model_dump(mode="json", exclude_unset=True)


def fix_through_api(client: TestClient, g: Graph, code: str, label_part: str) -> dict[str, Any]:
    """Validate, apply the fix whose label contains `label_part` for the problem `code`,
    validate again; return the second answer after checking the problem is gone."""
    data = _sent(g)
    answer = client.post("/api/graphs/validate", json={"graph": data}).json()
    problems = [p for p in answer["errors"] + answer["warnings"] if p["code"] == code]
    assert problems, answer
    fixes = [f for f in problems[0].get("fixes", []) if label_part in f["label"]]
    assert fixes, problems[0]
    fixed = jsonpatch.apply_patch(data, fixes[0]["patch"])
    again = client.post("/api/graphs/validate", json={"graph": fixed}).json()
    assert again["valid"], again["errors"]
    assert code not in [p["code"] for p in again["errors"] + again["warnings"]]
    build_model(parse_graph(fixed))
    return again


def test_conv_on_a_flat_input_gets_a_reshape(client):
    g = chain([784], ("Conv2D", {"filters": 4, "kernel_size": 3}), ("Flatten", {}))
    again = fix_through_api(client, g, "shape_mismatch", "Reshape to (28, 28, 1)")
    assert again["nodes"]["n0"]["output_shapes"] == [[None, 26, 26, 4]]


def test_recurrent_layer_on_feature_maps_gets_a_reshape(client):
    g = chain([8, 8, 3], ("Conv2D", {"filters": 4, "kernel_size": 3}), ("LSTM", {"units": 2}))
    fix_through_api(client, g, "shape_mismatch", "Reshape to (6, 24)")


def test_a_layer_that_needs_a_vector_after_feature_maps_gets_pooling_or_flatten(client):
    g = chain([6, 6, 3], ("Conv2D", {"filters": 4, "kernel_size": 3}), ("RepeatVector", {"n": 2}))
    again = fix_through_api(client, g, "shape_mismatch", "GlobalAveragePooling2D")
    assert again["nodes"]["n1"]["output_shapes"] == [[None, 2, 4]]
    fix_through_api(client, g, "shape_mismatch", "Flatten")


def _two_inputs(merge: str, a: list[int], b: list[int], **params: Any) -> Graph:
    return graph(
        [
            node("a", "Input", shape=a),
            node("b", "Input", shape=b),
            node("m", merge, **params),
            node("out", "Output", loss="mse"),
        ],
        [edge("a", "m", 0, 0), edge("b", "m", 0, 1), edge("m", "out")],
    )


def test_concatenate_on_the_axis_that_works(client):
    g = _two_inputs("Concatenate", [4, 3], [4, 5], axis=1)
    again = fix_through_api(client, g, "shape_mismatch", "axis -1")
    assert again["nodes"]["m"]["output_shapes"] == [[None, 4, 8]]


def test_add_of_mismatched_widths_gets_a_projection_dense(client):
    g = _two_inputs("Add", [4], [5])
    again = fix_through_api(client, g, "shape_mismatch", "Dense")
    assert again["nodes"]["m"]["output_shapes"] == [[None, 4]]


def test_add_of_mismatched_channels_gets_a_1x1_convolution(client):
    g = _two_inputs("Add", [8, 8, 16], [8, 8, 4])
    fixed = fix_through_api(client, g, "shape_mismatch", "1x1 Conv2D")
    assert any(n.startswith("conv2d_") for n in fixed["nodes"])


def test_softmax_before_a_from_logits_loss(client):
    g = chain(
        [4],
        ("Dense", {"units": 3, "activation": "softmax"}),
        output={"loss": "categorical_crossentropy", "from_logits": True},
    )
    fix_through_api(client, g, "activation_with_logits", "linear")
    fix_through_api(client, g, "activation_with_logits", "from_logits")


def test_an_output_without_a_loss(client):
    g = chain([4], ("Dense", {"units": 3, "activation": "softmax"}), output={"name": "y"})
    fix_through_api(client, g, "no_loss", "'categorical_crossentropy'")


def test_stateful_recurrent_layer_without_a_fixed_batch_size(client):
    g = chain([10, 4], ("LSTM", {"units": 3, "stateful": True}))
    again = fix_through_api(client, g, "shape_mismatch", "fixed batch size")
    assert again["nodes"]["in"]["output_shapes"] == [[32, 10, 4]]


def test_unused_node_is_removed(client):
    g = graph(
        [node("in", "Input", shape=[4]), node("x", "Dense", units=2), node("out", "Output")],
        [edge("in", "out"), edge("in", "x")],
    )
    data = _sent(g)
    data["nodes"][2]["params"] = {"loss": "mse"}
    again = fix_through_api(client, parse_graph(data), "unused_node", "Remove")
    assert "x" not in again["nodes"]


def test_offered_fixes_are_only_those_that_work():
    g = _two_inputs("Concatenate", [4], [5, 2])  # ranks differ: no fix makes it valid
    report = validate_graph(g)
    assert report.errors and all(p.fixes == [] for p in report.errors)
    assert "fixes" not in report.errors[0].model_dump()


def test_a_valid_graph_computes_no_fixes(monkeypatch):
    from layerforge.graph.checks import fixes

    calls = []
    monkeypatch.setattr(fixes, "_works", lambda *a: calls.append(a) or True)
    assert validate_graph(chain([4], ("Dense", {"units": 2}))).valid
    assert calls == []


# -- a loss that does not fit the labels of the chosen data set (POST /api/datasets/check) --
def fit_through_api(client: TestClient, g: Graph, label_part: str) -> dict[str, Any]:
    """Check `g` against iris (labels 0 to 2), apply the fix whose label contains
    `label_part`, and return the fixed graph after checking it fits, validates and builds."""
    data = _sent(g)
    body = {"graph": data, "dataset": {"name": "iris"}}
    answer = client.post("/api/datasets/check", json=body).json()
    mismatch = [p for p in answer["errors"] if p["code"] == "dataset_target_mismatch"]
    assert mismatch and mismatch[0]["node"] == "out", answer
    fixes = [f for f in mismatch[0].get("fixes", []) if label_part in f["label"]]
    assert fixes, mismatch[0]
    fixed = jsonpatch.apply_patch(data, fixes[0]["patch"])
    again = client.post("/api/datasets/check", json={**body, "graph": fixed}).json()
    assert again["fits"] and again["graph_valid"], again["errors"]
    build_model(parse_graph(fixed))
    return fixed


def test_a_regression_loss_on_class_labels_becomes_sparse_categorical(client):
    g = chain([4], ("Dense", {"units": 3, "activation": "softmax"}), output={"loss": "mse"})
    fixed = fit_through_api(client, g, "sparse_categorical_crossentropy")
    assert fixed["nodes"][-1]["params"]["loss"] == "sparse_categorical_crossentropy"


def test_an_output_with_fewer_units_than_classes_gets_one_per_class(client):
    g = chain(
        [4],
        ("Dense", {"units": 2, "activation": "softmax"}),
        output={"loss": "sparse_categorical_crossentropy"},
    )
    fixed = fit_through_api(client, g, "3 units")
    assert fixed["nodes"][1]["params"]["units"] == 3


def test_binary_crossentropy_on_three_classes_gets_a_softmax_over_three(client):
    g = chain(
        [4],
        ("Dense", {"units": 1, "activation": "sigmoid"}),
        output={"loss": "binary_crossentropy"},
    )
    answer = client.post(
        "/api/datasets/check", json={"graph": _sent(g), "dataset": {"name": "iris"}}
    ).json()
    labels = [f["label"] for f in answer["errors"][0].get("fixes", [])]
    # the loss alone would not do: one unit cannot hold three classes, so it is not offered
    assert not any(label.startswith("Use the loss") for label in labels), labels
    fixed = fit_through_api(client, g, "3 units")
    assert fixed["nodes"][1]["params"] == {"units": 3, "activation": "softmax"}
    assert fixed["nodes"][-1]["params"]["loss"] == "sparse_categorical_crossentropy"


def test_a_patch_is_applied_to_a_copy_of_what_it_touches():
    from layerforge.graph.checks.fixes import patched

    data = _sent(chain([4], ("Dense", {"units": 3})))
    before = json.dumps(data, sort_keys=True)
    patch = [
        {"op": "add", "path": "/nodes/1/params/units", "value": 5},
        {"op": "add", "path": "/edges/0/target_port", "value": 0},
        {"op": "remove", "path": "/edges/1"},
        {"op": "add", "path": "/nodes/-", "value": {"id": "x", "type": "Flatten", "params": {}}},
    ]
    fixed = patched(data, patch)
    assert fixed is not None and fixed.nodes[1].params["units"] == 5 and len(fixed.edges) == 1
    assert json.dumps(data, sort_keys=True) == before  # the checked graph is unchanged
    assert patched(data, [{"op": "remove", "path": "/nodes/9"}]) is None


def test_an_output_fix_is_judged_by_that_outputs_own_checks(monkeypatch):
    from layerforge.graph.checks import validate

    checks = []
    real = validate._check
    monkeypatch.setattr(
        validate, "_check", lambda g, limits, *memo: checks.append(g) or real(g, limits, *memo)
    )

    def fixes_of(units: int) -> list[str]:
        g = chain([4], ("Dense", {"units": units}), ("Dense", {"units": 3}), output={"name": "y"})
        report = validate_graph(g)
        no_loss = [w for w in report.warnings if w.code == "no_loss"]
        return [f.label for f in no_loss[0].fixes]

    first = fixes_of(8)
    assert first and len(checks) == 1  # the graph only: each loss offered needs no whole check
    assert fixes_of(16) == first


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "mse"},
        {"loss": "no_such_loss"},
        {"loss": "mse", "from_logits": True},
        {"loss": "categorical_crossentropy", "from_logits": True},
        {"loss": "mse", "metrics": ["no_such_metric"]},
        {"loss": "mse", "loss_weight": -1},
    ],
)
def test_an_outputs_own_checks_agree_with_the_whole_check(params):
    from layerforge.graph.checks.fixes import patched
    from layerforge.graph.checks.output_checks import output_findings

    g = chain([4], ("Dense", {"units": 3, "activation": "softmax"}), output={"name": "y"})
    data = _sent(g)
    out = len(data["nodes"]) - 1
    patch = [
        {"op": "add", "path": f"/nodes/{out}/params/{k}", "value": v} for k, v in params.items()
    ]
    fixed = patched(data, patch)
    assert fixed is not None
    whole = validate_graph(fixed, fixes=False)
    own = output_findings(fixed, fixed.nodes[out].id)
    keys = lambda problems: sorted((p.node, p.code, p.param) for p in problems)  # noqa: E731
    assert keys(own.errors) == keys(whole.errors)
    assert keys(own.warnings) == keys(whole.warnings)
