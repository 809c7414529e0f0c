"""/api/datasets: listing with shapes, uploads (npz, csv) with clear 4xx, delete, check."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from helpers import EXAMPLES, digits_mlp
from layerforge.api.app import create_app
from layerforge.settings import Limits, Settings

HEADLINE = json.loads((EXAMPLES / "functional_headline_two_inputs_two_outputs.json").read_text())


@pytest.fixture
def client(tmp_path) -> TestClient:
    settings = Settings(data_dir=tmp_path / "data", limits=Limits(upload_bytes=4096))
    return TestClient(create_app(settings), base_url="http://127.0.0.1:8000")


def _npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_list_has_builtin_sets_with_shapes(client):
    body = client.get("/api/datasets").json()
    by_name = {d["name"]: d for d in body["datasets"]}
    assert {
        "digits",
        "digits_flat",
        "iris",
        "wine",
        "breast_cancer",
        "diabetes",
        "mnist",
        "sequences",
        "headline",
        "tweets",
        "videos",
    } <= set(by_name)
    assert by_name["digits"]["arrays"]["x"]["shape"] == [1797, 8, 8, 1]
    assert by_name["headline"]["inputs"] == ["main_input", "aux_input"]
    assert by_name["iris"]["samples"] == 150
    assert client.get("/api/datasets/wine").json()["arrays"]["x"]["shape"] == [178, 13]


def test_upload_list_get_delete_npz(client, tmp_path):
    content = _npz_bytes(x=np.zeros((6, 2), "float32"), y=np.arange(6))
    created = client.post(
        "/api/datasets", files={"file": ("mine.npz", content)}, data={"name": "small"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "small" and created.json()["arrays"]["x"]["shape"] == [6, 2]
    assert "small" in [d["name"] for d in client.get("/api/datasets").json()["datasets"]]
    stored = list((tmp_path / "data" / "datasets").glob("*.npz"))
    assert len(stored) == 1 and stored[0].name != "mine.npz"
    assert client.get("/api/datasets/small").json()["kind"] == "npz"
    assert client.delete("/api/datasets/small").status_code == 204
    assert client.get("/api/datasets/small").status_code == 404
    assert not list((tmp_path / "data" / "datasets").glob("*.npz"))


def test_csv_upload_with_target_and_features(client):
    csv = b"f1,f2,f3,label\n1,2,3,0\n4,5,6,1\n"
    r = client.post(
        "/api/datasets",
        files={"file": ("t.csv", csv)},
        data={"target": "label", "features": "f1, f3"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["arrays"]["x"]["shape"] == [2, 2] and body["arrays"]["y"]["shape"] == [2]
    assert body["features"] == ["f1", "f3"] and body["target"] == "label"


@pytest.mark.parametrize(
    ("files", "data", "status", "words"),
    [
        ({"file": ("a.csv", b"f,g\n1,2\n")}, {}, 422, "choose the target column"),
        ({"file": ("a.exe", b"MZ")}, {}, 422, "unsupported file type '.exe'"),
        ({"file": ("a.npz", b"junk")}, {}, 422, "not a readable .npz file"),
        ({"file": ("big.npz", b"0" * 5000)}, {}, 413, "larger than the 4096-byte limit"),
        ({"file": ("iris.npz", b"")}, {}, 422, "taken by a built-in set"),
    ],
)
def test_bad_uploads_are_clear_4xx(client, files, data, status, words):
    r = client.post("/api/datasets", files=files, data=data)
    assert r.status_code == status, r.text
    assert words in r.json()["errors"][0]["message"]


def test_duplicate_upload_is_a_conflict(client):
    content = _npz_bytes(x=np.zeros((2, 1)), y=np.zeros(2))
    assert client.post("/api/datasets", files={"file": ("d.npz", content)}).status_code == 201
    r = client.post("/api/datasets", files={"file": ("d.npz", content)})
    assert r.status_code == 409 and "exists already" in r.json()["errors"][0]["message"]


def test_builtin_sets_cannot_be_deleted_and_unknown_is_404(client):
    assert client.delete("/api/datasets/digits").status_code == 409
    r = client.delete("/api/datasets/nothing")
    assert (
        r.status_code == 404 and "no data set named 'nothing'" in r.json()["errors"][0]["message"]
    )


def test_check_a_fitting_and_a_misfitting_set(client):
    ok = client.post(
        "/api/datasets/check", json={"graph": HEADLINE, "dataset": {"name": "headline"}}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["fits"] is True and ok.json()["errors"] == []
    bad = client.post(
        "/api/datasets/check", json={"graph": digits_mlp(), "dataset": {"name": "digits"}}
    ).json()
    assert bad["fits"] is False
    assert bad["errors"][0]["node"] == "in"
    assert (
        bad["errors"][0]["message"]
        == "input `x` expects (None, 64), array `x` has shape (1797, 8, 8, 1)"
    )


def test_check_an_uploaded_set_with_loss_override(client):
    content = _npz_bytes(x=np.zeros((5, 64), "float32"), label=np.array([0, 1, 2, 3, 11]))
    client.post("/api/datasets", files={"file": ("up.npz", content)})
    r = client.post(
        "/api/datasets/check", json={"graph": digits_mlp(), "dataset": {"name": "up"}}
    ).json()
    assert r["fits"] is False and "integer class labels from 0 to 9" in r["errors"][0]["message"]
    assert r["errors"][0]["node"] == "out"
    r = client.post(
        "/api/datasets/check",
        json={
            "graph": digits_mlp(),
            "dataset": {"name": "up"},
            "settings": {"outputs": {"label": {"loss": "nope"}}},
        },
    )
    assert r.status_code == 422 and "unknown loss 'nope'" in r.json()["errors"][0]["message"]
