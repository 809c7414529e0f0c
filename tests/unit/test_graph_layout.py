"""auto_layout: layered top to bottom, inputs next to their first consumer, nodes
in a row spaced apart, few crossings; it never changes what is built."""

from __future__ import annotations

import itertools

from graphs import load_example
from layerforge.graph.convert.layout import X_SPACING, Y_SPACING, auto_layout
from layerforge.graph.schema import parse_graph


def chain(n: int) -> dict:
    nodes = [{"id": f"n{i}", "type": "Dense", "params": {"units": 2}} for i in range(n)]
    edges = [{"source": f"n{i}", "target": f"n{i + 1}"} for i in range(n - 1)]
    return {"nodes": nodes, "edges": edges}


def crossings(graph, positions) -> int:
    edges = [(positions[e.source], positions[e.target]) for e in graph.edges]
    count = 0
    for i, (a, b) in enumerate(edges):
        for c, d in edges[i + 1 :]:
            same_rows = a["y"] == c["y"] and b["y"] == d["y"]
            if same_rows and (a["x"] - c["x"]) * (b["x"] - d["x"]) < 0:
                count += 1
    return count


def test_every_edge_points_down_and_rows_are_spaced():
    graph = auto_layout(load_example("functional_headline_two_inputs_two_outputs"))
    pos = graph.layout["positions"]
    assert set(pos) == {n.id for n in graph.nodes}
    for e in graph.edges:
        assert pos[e.target]["y"] > pos[e.source]["y"]
    rows: dict[float, list[float]] = {}
    for p in pos.values():
        rows.setdefault(p["y"], []).append(p["x"])
    for xs in rows.values():
        xs.sort()
        assert all(b - a >= X_SPACING for a, b in itertools.pairwise(xs))


def test_auxiliary_input_sits_just_above_its_consumer():
    pos = auto_layout(load_example("functional_headline_two_inputs_two_outputs")).layout[
        "positions"
    ]
    assert pos["aux_input"]["y"] == pos["concat"]["y"] - Y_SPACING


def test_a_chain_is_a_straight_column():
    pos = auto_layout(parse_graph(chain(5))).layout["positions"]
    assert {p["x"] for p in pos.values()} == {0.0}
    assert [pos[f"n{i}"]["y"] for i in range(5)] == [i * Y_SPACING for i in range(5)]


def test_barycentre_ordering_removes_crossings():
    # two parallel branches listed in crossing order
    graph = parse_graph(
        {
            "nodes": [
                {"id": "a", "type": "Input", "params": {"shape": [2]}},
                {"id": "b", "type": "Input", "params": {"shape": [2]}},
                {"id": "b2", "type": "Dense", "params": {"units": 2}},
                {"id": "a2", "type": "Dense", "params": {"units": 2}},
            ],
            "edges": [{"source": "a", "target": "a2"}, {"source": "b", "target": "b2"}],
        }
    )
    laid = auto_layout(graph)
    assert crossings(laid, laid.layout["positions"]) == 0


def test_layout_keeps_other_editor_state_and_lays_out_subgraphs():
    graph = load_example("functional_nested_model_twice")
    graph = graph.model_copy(update={"layout": {"viewport": {"zoom": 2}}})
    laid = auto_layout(graph)
    assert laid.layout["viewport"] == {"zoom": 2}
    sub = laid.subgraphs["vision_model"]
    assert set(sub.layout["positions"]) == {n.id for n in sub.nodes}
    assert laid.model_dump(exclude={"layout", "subgraphs"}) == graph.model_dump(
        exclude={"layout", "subgraphs"}
    )


def test_a_cycle_does_not_stop_the_layout():
    data = chain(3)
    data["edges"].append({"source": "n2", "target": "n0"})
    pos = auto_layout(parse_graph(data)).layout["positions"]
    assert set(pos) == {"n0", "n1", "n2"}
