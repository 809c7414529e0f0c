"""/api/datasets: listing with shapes, uploads (npz, csv) with clear 4xx, delete, check."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile

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


# ---- hostile uploads (issue 8): bounded cost, a 4xx naming the limit, never a 500 ----------


@pytest.fixture(params=["sqlite", "postgresql"])
def real_client(request: pytest.FixtureRequest, tmp_path) -> TestClient:
    """A server with the default limits on SQLite, then on PostgreSQL; a 500 is returned,
    not raised, as a real server would answer it."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=url))
    return TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False)


def _timed_upload(client: TestClient, files, data=None) -> tuple[float, dict, int]:
    started = time.perf_counter()
    r = client.post("/api/datasets", files=files, data=data or {})
    return time.perf_counter() - started, r.json(), r.status_code


def test_a_csv_with_a_million_columns_is_refused_within_a_second(real_client):
    """12 MB, 10^6 columns, two rows: column matching was quadratic (hours at full CPU)."""
    n = 10**6
    header = ",".join(f"c{i}" for i in range(n))
    content = (header + "\n" + ",".join(["0.5"] * n) + "\n").encode()
    assert len(content) > 10 * 2**20
    seconds, body, status = _timed_upload(
        real_client, {"file": ("wide.csv", content)}, {"target": f"c{n - 1}"}
    )
    assert status == 422 and seconds < 1.5, (status, seconds)
    assert body["errors"] == [
        {
            "node": None,
            "param": "file",
            "code": "too_large",
            "message": "the .csv file has 1,000,000 columns; the limit is 10,000 "
            "(LAYERFORGE_LIMIT_CSV_COLUMNS)",
        }
    ]


def test_a_csv_field_over_131072_characters_is_a_422_naming_row_and_column(real_client):
    content = b"a,b\n1,2\n3," + b"9" * 200_000 + b"\n"
    _, body, status = _timed_upload(real_client, {"file": ("f.csv", content)}, {"target": "a"})
    assert status == 422, body
    assert body["errors"][0]["message"] == (
        "row 3, column 2: a field is longer than the limit of 131,072 characters"
    )


def _npy_header(dtype: str, shape: tuple[int, ...]) -> bytes:
    buf = io.BytesIO()
    descr = np.lib.format.dtype_to_descr(np.dtype(dtype))
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buf.getvalue()


@pytest.fixture(scope="module")
def npz_bomb(tmp_path_factory) -> bytes:
    """A real .npz of about 1 MiB whose array `x` inflates to 1 GiB of zeros."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("x.npy", "w", force_zip64=True) as f:
            f.write(_npy_header("float32", (2**28,)))
            chunk = bytes(2**24)
            for _ in range(2**30 // len(chunk)):
                f.write(chunk)
    return path.read_bytes()


def test_an_npz_that_inflates_to_a_gibibyte_is_refused_before_reading(real_client, npz_bomb):
    """It was accepted, at 2.3 GB of memory for 12 s."""
    assert len(npz_bomb) < 2 * 2**20
    seconds, body, status = _timed_upload(real_client, {"file": ("bomb.npz", npz_bomb)})
    assert status == 422 and seconds < 1.5, (status, seconds)
    assert body["errors"][0]["code"] == "too_large"
    assert body["errors"][0]["message"] == (
        "array `x` inflates to 1,073,741,952 bytes, 1,073,741,952 with the arrays before it; "
        "the limit is 1,073,741,824 (LAYERFORGE_LIMIT_NPZ_INFLATED_BYTES)"
    )


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_an_npz_with_a_complex_array_is_a_422_naming_it(real_client, dtype):
    content = _npz_bytes(x=np.zeros((4, 2), dtype), y=np.zeros(4))
    _, body, status = _timed_upload(real_client, {"file": ("c.npz", content)})
    assert status == 422 and body["errors"][0]["message"] == (
        f"array `x` has dtype {dtype}; only bool, integer and float arrays can be used"
    )


@pytest.mark.parametrize("name", [".", "..", "a/b", "a\x00b", "%2e%2e"])
def test_data_set_names_that_resolve_or_cannot_be_stored_are_422(real_client, name):
    content = _npz_bytes(x=np.zeros((2, 1)), y=np.zeros(2))
    _, body, status = _timed_upload(real_client, {"file": ("d.npz", content)}, {"name": name})
    assert status == 422 and body["errors"][0]["param"] == "name", body
    assert "must be 1-64 letters" in body["errors"][0]["message"]
    assert [d["name"] for d in real_client.get("/api/datasets").json()["datasets"]].count(name) == 0


@pytest.mark.parametrize("path", ["%2E", "%2E%2E", "a%00b", "%ED%A0%80"])
def test_paths_naming_no_possible_set_are_422_naming_the_field(real_client, path):
    for method in ("GET", "DELETE"):
        r = real_client.request(method, f"/api/datasets/{path}")
        assert r.status_code == 422 and r.json()["errors"][0]["param"] == "name", r.text


@pytest.mark.parametrize("name", ["..", "a\x00b", "\ud800"])
def test_check_refuses_a_reference_that_names_no_possible_set(real_client, name):
    body = {"graph": digits_mlp(), "dataset": {"name": name}}
    r = real_client.post(
        "/api/datasets/check",
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["param"] == "dataset.name", r.text


def test_a_large_npz_is_described_without_holding_it_in_memory(tmp_path):
    """A legitimate 512 MiB array under the cap: read in chunks, so the server's peak
    memory grows by far less than the array (it grew by twice the inflated size)."""
    script = f"""
import io, json, resource, zipfile
import numpy as np
from fastapi.testclient import TestClient
from layerforge.api.app import create_app
from layerforge.settings import Settings

def header(dtype, shape):
    buf = io.BytesIO()
    descr = np.lib.format.dtype_to_descr(np.dtype(dtype))
    np.lib.format.write_array_header_1_0(buf, {{"descr": descr, "fortran_order": False, "shape": shape}})
    return buf.getvalue()

buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("x.npy", "w", force_zip64=True) as f:
        f.write(header("float32", (2**25, 4)))
        ones = np.ones(2**22, "float32").tobytes()
        for _ in range(2**29 // len(ones)):
            f.write(ones)
    z.writestr("y.npy", header("uint8", (2**25,)) + bytes(2**25))
content = buf.getvalue()
client = TestClient(create_app(Settings(data_dir={str(tmp_path / "data")!r})), base_url="http://127.0.0.1:8000")
client.get("/api/datasets")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = client.post("/api/datasets", files={{"file": ("big.npz", content)}})
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({{"status": r.status_code, "body": r.json(), "grown_kib": grown}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == 201, result
    assert result["body"]["arrays"]["x"] == {
        "shape": [2**25, 4],
        "dtype": "float32",
        "min": 1.0,
        "max": 1.0,
        "integral": True,
    }
    assert result["grown_kib"] < 128 * 1024, result["grown_kib"]
