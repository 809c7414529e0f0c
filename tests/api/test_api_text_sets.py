"""Text sets on /api/datasets: a .csv with a text column and a label column (named, or the
text column found by itself) answers `kind: "text"` with its classes and counts; every
bad form is a 422 naming its field; the texts are stored as bytes, not a fixed-width
array; and the data set check knows a string Input."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from helpers import chain
from text_sets import text_csv


def _upload(client: TestClient, content: bytes, name: str = "topics", **form):
    return client.post(
        "/api/datasets", files={"file": (f"{name}.csv", content)}, data={"name": name, **form}
    )


def _csv(*rows: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _text_graph(shape: list, dtype: str = "string") -> dict:
    return chain(
        {"id": "vec", "type": "TextVectorization", "params": {"output_sequence_length": 8}},
        {"id": "emb", "type": "Embedding", "params": {"input_dim": 50, "output_dim": 4}},
        {"id": "pool", "type": "GlobalAveragePooling1D", "params": {}},
        {"id": "probs", "type": "Dense", "params": {"units": 3, "activation": "softmax"}},
        input_shape=shape,
        input_params={"dtype": dtype},
        loss="sparse_categorical_crossentropy",
    )


def test_a_text_csv_is_a_text_set_with_classes_and_counts(client):
    up = _upload(client, text_csv(300), text_column="text", label_column="topic")
    assert up.status_code == 201, up.text
    info = up.json()
    assert info["kind"] == "text" and info["text_column"] == "text" and info["target"] == "topic"
    assert info["classes"] == ["food", "space", "sport"]
    assert set(info["counts"]) == set(info["classes"]) and sum(info["counts"].values()) == 300
    assert info["arrays"]["x"] == {
        "shape": [300],
        "dtype": "string",
        "min": None,
        "max": None,
        "integral": False,
    }
    assert info["arrays"]["y"]["shape"] == [300] and info["samples"] == 300
    assert client.get("/api/datasets/topics").json() == info


def test_the_text_column_is_found_when_the_label_is_named(client):
    rows = [["id", "review", "stars"]] + [
        [str(i), f"good film number {i}" if i % 2 else "dull and long", str(i % 2)]
        for i in range(40)
    ]
    up = _upload(client, _csv(*rows), target="stars")
    assert up.status_code == 201, up.text
    assert up.json()["kind"] == "text" and up.json()["text_column"] == "review"
    assert up.json()["classes"] is None and up.json()["counts"] == {"0": 20, "1": 20}
    # a table of numbers stays one
    numbers = _upload(client, _csv(["a", "b"], ["1", "2"], ["3", "4"]), name="nums", target="b")
    assert numbers.status_code == 201 and numbers.json()["kind"] == "csv"


@pytest.mark.parametrize(
    ("rows", "form", "field", "words"),
    [
        (
            [["t1", "t2", "y"], ["some words", "more words", "a"]],
            {"target": "y"},
            "text_column",
            "columns t1, t2 hold text",
        ),
        ([["text", "y"], ["a b", "1"]], {"text_column": "body"}, "text_column", "'body'"),
        (
            [["text", "y", "z"], ["a b", "1", "2"]],
            {"text_column": "text"},
            "label_column",
            "choose the label column",
        ),
        (
            [["text", "y"], ["a b", "1"]],
            {"text_column": "text", "label_column": "w"},
            "label_column",
            "'w'",
        ),
        (
            [["text", "y"], ["a b", "1"]],
            {"text_column": "text", "label_column": "text"},
            "label_column",
            "both",
        ),
        ([["text", "y"]], {"text_column": "text"}, "file", "at least one data row"),
    ],
)
def test_bad_text_forms_name_their_field(client, rows, form, field, words):
    up = _upload(client, _csv(*rows), **form)
    assert up.status_code == 422, up.text
    (error,) = up.json()["errors"]
    assert error["param"] == field and words in error["message"], error
    assert client.get("/api/datasets/topics").status_code == 404  # nothing stored


def test_texts_are_stored_as_bytes_not_a_fixed_width_array(client, settings):
    long = "word " * 20_000  # 100,000 characters: fixed width would make every row as wide
    rows = [["text", "y"]] + [
        [long if i == 0 else f"short text {i}", str(i % 2)] for i in range(2000)
    ]
    up = _upload(client, _csv(*rows), text_column="text", label_column="y")
    assert up.status_code == 201, up.text
    assert up.json()["size"] < 200_000  # a <U100000 array of 2,000 rows: 800 MB
    files = list((settings.data_dir / "datasets").glob("*.npz"))
    assert len(files) == 1
    assert client.delete("/api/datasets/topics").status_code == 204
    assert not files[0].exists()


def test_the_data_set_check_knows_a_string_input(client):
    assert (
        _upload(client, text_csv(60), text_column="text", label_column="topic").status_code == 201
    )

    def check(graph: dict, name: str = "topics") -> dict:
        answer = client.post(
            "/api/datasets/check", json={"graph": graph, "dataset": {"name": name}}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    for shape in ([1], []):
        assert check(_text_graph(shape))["fits"], shape
    numbers = _text_graph([1])
    numbers["nodes"][1:2] = []  # the Input straight into an Embedding
    numbers["edges"] = [e for e in numbers["edges"] if "vec" not in (e["source"], e["target"])]
    numbers["edges"].append({"source": "in", "source_port": 0, "target": "emb", "target_port": 0})
    numbers["nodes"][0]["params"]["dtype"] = "int32"
    (error,) = check(numbers)["errors"]
    assert error["node"] == "in" and error["code"] == "dataset_dtype_mismatch"
    assert "the array holds text" in error["message"]
    wide = check(_text_graph([2]))["errors"]
    assert [(e["node"], e["code"]) for e in wide] == [("in", "dataset_shape_mismatch")]
    # a string Input on a set of numbers
    iris = _text_graph([4])
    (error,) = [e for e in check(iris, "iris")["errors"] if e["code"] == "dataset_dtype_mismatch"]
    assert error["node"] == "in" and "expects text" in error["message"]
