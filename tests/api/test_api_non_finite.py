"""NaN, Infinity and numbers beyond a float are refused in every JSON body (Python's json
reads them; stored, they came back as null, and a NaN loss weight validated): a 422
naming the field, before anything is checked or stored. Every JSON-body route of the
OpenAPI document is walked, so a new one is covered by itself."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from helpers import iris_graph
from layerforge.api.app import create_app
from layerforge.settings import Settings


def json_body_routes() -> list[tuple[str, str]]:
    paths = create_app(Settings()).openapi()["paths"]
    return sorted(
        (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    )


def post_text(client, method: str, path: str, text: str) -> Any:
    return client.request(
        method, path, content=text.encode(), headers={"content-type": "application/json"}
    )


def test_the_walk_finds_the_json_routes():
    routes = json_body_routes()
    assert ("POST", "/api/graphs/validate") in routes and (
        "PUT",
        "/api/graphs/{graph_id}",
    ) in routes
    assert len(routes) >= 10


@pytest.mark.parametrize("route", json_body_routes(), ids=" ".join)
def test_every_json_body_refuses_numbers_that_are_not_finite(client, route):
    method, template = route
    path = re.sub(r"\{[^}]+\}", "abc", template)
    text = '{"a": NaN, "b": [1.5, -Infinity], "c": {"d": 1e999}, "e": "NaN is text", "f": 1e308}'
    answer = post_text(client, method, path, text)
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert [(e["code"], e["param"]) for e in errors] == [
        ("non_finite_number", "a"),
        ("non_finite_number", "b[1]"),
        ("non_finite_number", "c.d"),
    ]
    assert "NaN is not a finite number" in errors[0]["message"]
    assert "-Infinity" in errors[1]["message"] and "1e999" in errors[2]["message"]


def graph_with(weight: str) -> str:
    """The iris graph as JSON text with its Output's loss_weight spelled `weight`."""
    graph = iris_graph()
    graph["nodes"][3]["params"]["loss_weight"] = 0.5
    return json.dumps({"graph": graph}).replace("0.5", weight)


@pytest.mark.parametrize("weight", ["NaN", "Infinity", "-Infinity", "2e400", "9" * 400 + ".0"])
def test_a_loss_weight_that_is_no_finite_number_is_named_on_its_node(client, weight):
    answer = post_text(client, "POST", "/api/graphs/validate", graph_with(weight))
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert (error["code"], error["node"], error["param"]) == (
        "non_finite_number",
        "species",
        "graph.nodes[3].params.loss_weight",
    )
    saved = post_text(client, "POST", "/api/graphs", graph_with(weight))
    assert saved.status_code == 422
    assert client.get("/api/graphs").json()["total"] == 0


def test_finite_numbers_and_the_words_in_text_still_pass(client):
    answer = post_text(client, "POST", "/api/graphs/validate", graph_with("1e-300"))
    assert answer.status_code == 200 and answer.json()["valid"], answer.text
    named = iris_graph()
    named["name"] = "NaN Infinity 1e999"
    saved = post_text(client, "POST", "/api/graphs", json.dumps({"graph": named}))
    assert saved.status_code == 201, saved.text
    assert saved.json()["graph"]["name"] == "NaN Infinity 1e999"
