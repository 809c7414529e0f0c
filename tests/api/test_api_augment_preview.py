"""Augmentation on the API: GET /api/layers marks the training-only layers, and
POST /api/datasets/{name}/augment-preview passes images of an image set through the
graph's augmentation nodes in training mode (PNG data: URLs beside the originals); sets
that are not images, graphs without augmentation and broken augmentation nodes are a 422
naming the field or node."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from helpers import chain
from image_sets import image_zip
from layerforge.graph.catalogue.kinds import LAYER_KINDS


def _pixels(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def _graph(*augmentation: dict) -> dict:
    return chain(
        *augmentation,
        {"id": "scale", "type": "Rescaling", "params": {"scale": 1 / 255}},
        {"id": "flat", "type": "Flatten", "params": {}},
        {"id": "probs", "type": "Dense", "params": {"units": 3, "activation": "softmax"}},
        input_shape=[16, 16, 3],
        loss="sparse_categorical_crossentropy",
    )


@pytest.fixture
def shapes(client: TestClient) -> TestClient:
    up = client.post(
        "/api/datasets",
        files={"file": ("shapes.zip", image_zip(4))},
        data={"name": "shapes", "image_height": "16", "image_width": "16"},
    )
    assert up.status_code == 201, up.text
    return client


def client_set_of_32(client: TestClient) -> list[int]:
    """A set of 32x40 images named `large`; its image size."""
    up = client.post(
        "/api/datasets",
        files={"file": ("large.zip", image_zip(2, size=48))},
        data={"name": "large", "image_height": "32", "image_width": "40"},
    )
    assert up.status_code == 201, up.text
    return up.json()["image_size"]


def _preview(client: TestClient, graph: dict, name: str = "shapes", **body):
    return client.post(f"/api/datasets/{name}/augment-preview", json={"graph": graph, **body})


def test_the_catalogue_marks_training_only_layers(client):
    layers = {e["type"]: e for e in client.get("/api/layers").json()["layers"]}
    marked = {t for t, e in layers.items() if e["training_only"]}
    assert marked == {k.type for k in LAYER_KINDS if k.training_only}
    assert {"RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast"} <= marked
    assert "AutoContrast" not in marked and not layers["Dense"]["training_only"]
    assert layers["TextVectorization"]["adapt_state"] == ["vocabulary"]


def test_eight_images_through_the_augmentation_nodes(shapes):
    flip = {"id": "flip", "type": "RandomFlip", "params": {"mode": "horizontal"}}
    invert = {"id": "invert", "type": "RandomInvert", "params": {"factor": [1.0, 1.0]}}
    got = _preview(shapes, _graph(flip, invert))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["dataset"] == "shapes" and body["layers"] == ["flip", "invert"]
    assert body["image_size"] == [16, 16] and len(body["samples"]) == 8
    assert [s["class"] for s in body["samples"]] == ["left", "right", "top"] * 2 + ["left", "right"]
    for sample in body["samples"]:
        original, augmented = _pixels(sample["original"]), _pixels(sample["augmented"])
        assert original.shape == augmented.shape == (16, 16, 3)
        assert sample["file"].split("/")[0] == sample["class"]
        # inverted always (factor (1, 1)), flipped left-right or not: one of the two
        inverted = 255 - original.astype(int)
        assert (
            min(np.abs(augmented - inverted).max(), np.abs(augmented - inverted[:, ::-1]).max())
            <= 1
        )
    # the rest of the graph (Rescaling) is not applied; n and size are the caller's
    small = _preview(shapes, _graph(flip), n=3, size=16).json()["samples"]
    assert len(small) == 3 and _pixels(small[0]["augmented"]).shape == (16, 16, 3)
    larger = client_set_of_32(shapes)
    thumbs = _preview(shapes, _graph(flip), name="large", n=1, size=20).json()["samples"]
    assert larger == [32, 40] and _pixels(thumbs[0]["augmented"]).shape == (16, 20, 3)


def test_what_cannot_be_previewed_is_a_422_naming_it(shapes):
    flip = {"id": "flip", "type": "RandomFlip", "params": {}}
    cases = [
        (_preview(shapes, _graph(flip), name="digits"), "name", "not_images"),
        (_preview(shapes, _graph()), "graph", "no_augmentation"),
        (
            _preview(shapes, _graph({"id": "rot", "type": "RandomRotation", "params": {}})),
            "factor",
            "missing_param",
        ),
        (
            _preview(shapes, _graph({**flip, "params": {"mode": "diagonal"}})),
            "mode",
            "bad_param",
        ),
        (_preview(shapes, _graph(flip), n=0), "n", None),
    ]
    for answer, param, code in cases:
        assert answer.status_code == 422, answer.text
        errors = answer.json()["errors"]
        assert any(e["param"] == param or (code and e["code"] == code) for e in errors), errors
        if code:
            assert errors[0]["code"] == code
    node_error = cases[2][0].json()["errors"][0]
    assert node_error["node"] == "rot"
    assert _preview(shapes, _graph(flip), name="nothing").status_code == 404


def test_a_graph_being_built_previews_and_an_empty_one_names_the_missing_augmentation(shapes):
    # the editor previews while a graph is drawn: no Input or Output yet is no reason to
    # refuse, and the answer for a graph without augmentation says so (it used to answer
    # the graph's own 'no Input node; no Output node' first)
    empty = _preview(shapes, {"nodes": [], "edges": []})
    assert empty.status_code == 422, empty.text
    assert [e["code"] for e in empty.json()["errors"]] == ["no_augmentation"]
    flip = {"id": "flip", "type": "RandomFlip", "params": {"mode": "horizontal"}}
    source = {"id": "in", "type": "Input", "params": {"shape": [16, 16, 3]}}
    unfinished = {"nodes": [source, flip], "edges": [{"source": "in", "target": "flip"}]}
    got = _preview(shapes, unfinished, n=2)
    assert got.status_code == 200, got.text
    assert got.json()["layers"] == ["flip"] and len(got.json()["samples"]) == 2
    # a set that is not images is refused before the graph is looked at
    digits = _preview(shapes, {"nodes": [], "edges": []}, name="digits")
    assert [e["code"] for e in digits.json()["errors"]] == ["not_images"]
