"""Image sets on /api/datasets: a .zip of class folders (JPEG, PNG, BMP, GIF) or a folder
under LAYERFORGE_DATASETS_DIR; thumbnails; the hostile archives (zip bombs, `..` and
absolute entries, files that are not images, 10^5 entries, empty classes), each a clear
4xx or a listed warning with nothing written outside the set's folder; and the data set
check's fixes for an Input that does not take the images."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import jsonpatch
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from helpers import chain
from image_sets import image_zip, png_bytes, write_folders, zip_bytes
from layerforge.api.app import create_app
from layerforge.settings import Limits, Settings


def _client(tmp_path: Path, **limits) -> TestClient:
    settings = Settings(
        data_dir=tmp_path / "data",
        datasets_dir=tmp_path / "shared",
        limits=Limits(**limits),
    )
    return TestClient(create_app(settings), base_url="http://127.0.0.1:8000")


@pytest.fixture
def client(tmp_path) -> TestClient:
    return _client(tmp_path)


def _upload(client: TestClient, content: bytes, name: str = "shapes", **form):
    data = {"name": name, "image_height": "12", "image_width": "10", **form}
    return client.post("/api/datasets", files={"file": ("shapes.zip", content)}, data=data)


def _files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_a_zip_of_class_folders_becomes_an_image_set_with_thumbnails(client, tmp_path):
    extra = {
        "shapes/left/notes.txt": b"not an image",
        "shapes/top/broken.png": b"\x89PNG but not really",
        "shapes/README": b"loose",
        "__MACOSX/shapes/left/._00000.png": b"resource fork",
    }
    up = _upload(client, image_zip(8, prefix="shapes/", extra=extra), color_mode="grayscale")
    assert up.status_code == 201, up.text
    body = up.json()
    assert body["kind"] == "images"
    assert body["classes"] == ["left", "right", "top"]
    assert body["counts"] == {"left": 8, "right": 8, "top": 8}
    assert body["image_size"] == [12, 10] and body["color_mode"] == "grayscale"
    assert body["arrays"]["x"]["shape"] == [24, 12, 10, 1]
    assert body["arrays"]["y"] == {**body["arrays"]["y"], "shape": [24], "min": 0, "max": 2}
    assert body["validation_split"] == 0.2 and body["samples"] == 24
    warned = "\n".join(body["warnings"])
    assert "left/notes.txt: not a JPEG, PNG, BMP or GIF image; skipped" in warned
    assert "top/broken.png: not a JPEG" in warned
    assert "shapes/README: not inside a class folder" in warned
    assert "MACOSX" not in warned
    # stored under server-chosen names only, one folder per class
    stored = tmp_path / "data" / "datasets"
    files = _files_under(stored)
    assert len(files) == 24 and all(f.split("/")[1] in {"c0000", "c0001", "c0002"} for f in files)
    assert {Path(f).suffix for f in files} == {".png", ".jpg", ".bmp", ".gif"}

    got = client.get("/api/datasets/shapes/samples", params={"class": "right", "n": 5, "size": 8})
    assert got.status_code == 200, got.text
    page = got.json()
    assert page["class"] == "right" and page["label"] == 1 and page["total"] == 8
    assert len(page["samples"]) == 5
    for sample in page["samples"]:
        assert sample["file"].startswith("right/") and (sample["width"], sample["height"]) == (
            16,
            16,
        )
        head, data = sample["thumbnail"].split(",", 1)
        assert head == "data:image/jpeg;base64"  # opaque: a JPEG, a fraction of a PNG
        with Image.open(io.BytesIO(base64.b64decode(data))) as thumb:
            assert thumb.format == "JPEG" and max(thumb.size) == 8
    rest = client.get("/api/datasets/shapes/samples", params={"class": "right", "offset": 5}).json()
    assert [s["file"] for s in rest["samples"]] == [
        f
        for f in (s["file"] for s in rest["samples"])
        if f not in {x["file"] for x in page["samples"]}
    ] and len(rest["samples"]) == 3

    assert client.get("/api/datasets/shapes").json()["counts"]["top"] == 8
    assert client.delete("/api/datasets/shapes").status_code == 204
    assert _files_under(stored) == set()


@pytest.mark.parametrize(
    ("params", "status", "param"),
    [
        ({"class": "middle"}, 422, "class"),
        ({"class": "left", "n": 65}, 422, "n"),
        ({"class": "left", "size": 4}, 422, "size"),
        ({}, 422, "class"),
    ],
)
def test_samples_refuses_what_it_cannot_show(client, params, status, param):
    assert _upload(client, image_zip(2)).status_code == 201
    answer = client.get("/api/datasets/shapes/samples", params=params)
    assert answer.status_code == status, answer.text
    assert any(e["param"] == param for e in answer.json()["errors"]), answer.json()


def test_samples_of_a_set_that_is_not_images(client):
    assert client.get("/api/datasets/digits/samples", params={"class": "1"}).status_code == 422
    assert client.get("/api/datasets/nothing/samples", params={"class": "1"}).status_code == 404


def _nothing_stored(tmp_path: Path) -> None:
    stored = tmp_path / "data" / "datasets"
    assert not stored.exists() or not list(stored.iterdir())


@pytest.mark.parametrize(
    "entry",
    ["../escaped.png", "left/../../escaped.png", "/tmp/escaped.png", "left\\..\\escaped.png"],
)
def test_entries_that_leave_the_folder_are_refused(client, tmp_path, entry):
    content = image_zip(2, extra={entry: png_bytes(np.zeros((4, 4, 3), "uint8"))})
    answer = _upload(client, content)
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert error["param"] == "file" and "escaped.png" in error["message"]
    _nothing_stored(tmp_path)
    assert not list(tmp_path.rglob("escaped.png")) and not Path("/tmp/escaped.png").exists()


def test_a_zip_bomb_is_refused_before_it_inflates(client, tmp_path):
    bomb = zip_bytes({"left/a.png": b"\0" * (64 * 1024 * 1024), "right/b.png": b"\0" * 10})
    assert len(bomb) < 200_000
    answer = _upload(client, bomb)
    assert answer.status_code == 422, answer.text
    assert "zip bomb" in answer.json()["errors"][0]["message"]
    _nothing_stored(tmp_path)


def test_the_bytes_a_zip_inflates_to_are_capped(tmp_path):
    client = _client(tmp_path, zip_inflated_bytes=10_000)
    answer = _upload(client, image_zip(30))
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert (
        error["code"] == "too_large" and "LAYERFORGE_LIMIT_ZIP_INFLATED_BYTES" in error["message"]
    )
    _nothing_stored(tmp_path)


def test_a_zip_of_ten_to_the_five_entries_is_refused(client, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i in range(100_000):
            z.writestr(f"c{i % 2}/{i}.png", b"")
    answer = _upload(client, buf.getvalue())
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert error["code"] == "too_large" and "LAYERFORGE_LIMIT_ZIP_FILES" in error["message"]
    assert "100,000 entries" in error["message"]
    _nothing_stored(tmp_path)


def test_empty_classes_are_left_out_with_a_warning(client):
    content = image_zip(3, extra={"empty/": b"", "junk/readme.txt": b"text"})
    answer = _upload(client, content)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["classes"] == ["left", "right", "top"]
    assert "class 'junk' has no images; left out" in body["warnings"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (image_zip(3, classes=("only",)), "at least two class folders"),
        (zip_bytes({"a/x.txt": b"1", "b/y.txt": b"2"}), "at least two class folders"),
        (b"PK\x03\x04 not really a zip", "not a readable .zip"),
    ],
)
def test_a_zip_that_makes_no_image_set(client, tmp_path, content, words):
    answer = _upload(client, content)
    assert answer.status_code == 422, answer.text
    assert words in answer.json()["errors"][0]["message"]
    _nothing_stored(tmp_path)


@pytest.mark.parametrize(
    ("form", "param"),
    [
        ({"image_height": "0"}, "image_height"),
        ({"image_width": "5000"}, "image_width"),
        ({"color_mode": "cmyk"}, "color_mode"),
        ({"validation_split": "1"}, "validation_split"),
    ],
)
def test_image_options_are_checked(client, tmp_path, form, param):
    answer = _upload(client, image_zip(2), **form)
    assert answer.status_code == 422, answer.text
    assert any(e["param"] == param for e in answer.json()["errors"]), answer.json()
    _nothing_stored(tmp_path)


def test_a_split_that_leaves_no_validation_images(client):
    answer = _upload(client, image_zip(1), validation_split="0.2")
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["param"] == "validation_split"


def test_a_folder_under_the_server_root_is_read_in_place(client, tmp_path):
    root = write_folders(tmp_path / "shared" / "pets", 4)
    (root / "left" / "notes.md").write_text("x")
    before = _files_under(tmp_path / "shared")
    made = client.post(
        "/api/datasets", data={"folder": "pets", "image_height": "16", "image_width": "16"}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["name"] == "pets" and body["folder"] == "pets" and body["kind"] == "images"
    assert body["counts"] == {"left": 4, "right": 4, "top": 4}
    assert any("notes.md" in w for w in body["warnings"])
    samples = client.get("/api/datasets/pets/samples", params={"class": "top", "n": 2}).json()
    assert [s["file"] for s in samples["samples"]] == ["top/00000.png", "top/00001.png"]
    assert client.delete("/api/datasets/pets").status_code == 204
    assert _files_under(tmp_path / "shared") == before  # read only: nothing written or removed
    assert not list((tmp_path / "data" / "datasets").glob("*"))


@pytest.mark.parametrize("folder", ["../data", "/etc", "pets/../../data", "missing", "."])
def test_folders_outside_the_root_or_missing_are_refused(client, tmp_path, folder):
    write_folders(tmp_path / "shared" / "pets", 2)
    answer = client.post("/api/datasets", data={"folder": folder})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["param"] == "folder"


def test_a_link_out_of_the_root_is_refused(client, tmp_path):
    write_folders(tmp_path / "outside", 2)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "sneaky").symlink_to(tmp_path / "outside")
    answer = client.post("/api/datasets", data={"folder": "sneaky"})
    assert answer.status_code == 422 and "not inside" in answer.json()["errors"][0]["message"]


def test_no_folders_without_a_server_root(tmp_path):
    client = TestClient(
        create_app(Settings(data_dir=tmp_path / "d")), base_url="http://127.0.0.1:8000"
    )
    answer = client.post("/api/datasets", data={"folder": "pets"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["code"] == "no_datasets_dir"
    both = client.post(
        "/api/datasets", files={"file": ("a.zip", image_zip(1))}, data={"folder": "pets"}
    )
    assert both.status_code == 422 and both.json()["errors"][0]["code"] == "file_or_folder"
    assert client.post("/api/datasets", data={}).status_code == 422


def _cnn(shape: list[int]) -> dict:
    return chain(
        {"id": "conv", "type": "Conv2D", "params": {"filters": 4, "kernel_size": 3}},
        {"id": "flat", "type": "Flatten", "params": {}},
        {"id": "probs", "type": "Dense", "params": {"units": 3, "activation": "softmax"}},
        input_shape=shape,
        loss="sparse_categorical_crossentropy",
    )


def _check(client: TestClient, graph: dict, name: str = "shapes") -> dict:
    answer = client.post("/api/datasets/check", json={"graph": graph, "dataset": {"name": name}})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _fixed_by(client: TestClient, graph: dict, label_part: str) -> dict:
    check = _check(client, graph)
    assert not check["fits"]
    fixes = [f for e in check["errors"] for f in e.get("fixes", [])]
    chosen = [f for f in fixes if label_part in f["label"]]
    assert chosen, [f["label"] for f in fixes]
    fixed = jsonpatch.apply_patch(graph, chosen[0]["patch"])
    assert _check(client, fixed)["fits"], _check(client, fixed)
    return fixed


def test_check_offers_fixes_for_an_input_that_does_not_take_the_images(client):
    assert _upload(client, image_zip(4), image_height="16", image_width="16").status_code == 201
    assert _check(client, _cnn([16, 16, 3]))["fits"]
    # another size: set the Input, or keep the size for the layers with a Resizing node
    fixed = _fixed_by(client, _cnn([32, 32, 3]), "resize them to 32x32")
    resizing = [n for n in fixed["nodes"] if n["type"] == "Resizing"]
    assert resizing and resizing[0]["params"] == {"height": 32, "width": 32}
    assert _fixed_by(client, _cnn([32, 32, 3]), "Set input")["nodes"][0]["params"]["shape"] == [
        16,
        16,
        3,
    ]
    # another channel count: only the Input's shape
    check = _check(client, _cnn([16, 16, 1]))
    labels = [f["label"] for e in check["errors"] for f in e.get("fixes", [])]
    assert labels == ["Set input 'in' to the set's images, 16x16x3"]
    # a flat MLP of as many values: Flatten after the Input
    mlp = chain(
        {"type": "Dense", "params": {"units": 3, "activation": "softmax"}},
        input_shape=[16 * 16 * 3],
        loss="sparse_categorical_crossentropy",
    )
    flat = _fixed_by(client, mlp, "flatten them")
    assert [n["type"] for n in flat["nodes"]].count("Flatten") == 1
