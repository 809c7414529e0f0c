"""A full disk (a real one: a small tmpfs as the data directory) answers 507 saying so,
stores nothing half, leaves no `.part` file, and the server goes on; freeing space is
enough. On SQLite the database is on that disk; on PostgreSQL it is elsewhere, so only
the files (uploads) meet the full disk."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from disks import SmallDisk, small_disk
from helpers import chain
from layerforge.api.app import create_app
from layerforge.settings import Settings


def big_graph(layers: int = 400) -> dict:
    """A graph whose JSON (~40 kB) cannot fit in what a full disk has left."""
    dense = [{"id": f"dense_{i}", "type": "Dense", "params": {"units": 8}} for i in range(layers)]
    return chain(*dense, input_shape=[4], loss="mse")


def npz_upload(rows: int = 20000) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, x=np.ones((rows, 8), "float32"), y=np.arange(rows))
    return buf.getvalue()


def leftovers(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.rglob("*.part"))


def assert_disk_full(answer, what: str) -> None:
    assert answer.status_code == 507, (what, answer.status_code, answer.text)
    body = answer.json()
    assert "id" not in body, body
    assert body["errors"][0]["code"] == "disk_full", body
    assert "disk is full" in body["errors"][0]["message"], body


def upload(client: TestClient, name: str):
    return client.post(
        "/api/datasets", files={"file": (f"{name}.npz", npz_upload())}, data={"name": name}
    )


@pytest.fixture
def disk(tmp_path: Path):
    with small_disk(tmp_path / "data", size_mb=8) as disk:
        yield disk


def make_client(disk: SmallDisk, database_url: str | None = None) -> TestClient:
    settings = Settings(data_dir=disk.path, database_url=database_url)
    return TestClient(create_app(settings), base_url="http://127.0.0.1:8000")


def test_sqlite_full_disk_answers_507_and_stores_nothing(disk: SmallDisk) -> None:
    client = make_client(disk)
    first = client.post("/api/graphs", json={"graph": big_graph(3)})
    assert first.status_code == 201, first.text
    graph_id = first.json()["id"]

    disk.fill()
    assert_disk_full(client.post("/api/graphs", json={"graph": big_graph()}), "POST")
    assert_disk_full(client.put(f"/api/graphs/{graph_id}", json={"graph": big_graph()}), "PUT")
    assert_disk_full(upload(client, "big"), "upload")
    assert leftovers(disk.path) == []

    # the server goes on answering, and nothing half-stored shows
    assert client.get("/api/health").status_code == 200
    listed = client.get("/api/graphs").json()
    assert listed["total"] == 1 and listed["graphs"][0]["latest_version"] == 1
    assert client.get(f"/api/graphs/{graph_id}").json()["latest_version"] == 1
    assert client.get("/api/datasets/big").status_code == 404

    disk.free()
    saved = client.post("/api/graphs", json={"graph": big_graph()})
    assert saved.status_code == 201, saved.text
    assert client.get(f"/api/graphs/{saved.json()['id']}").status_code == 200
    again = client.put(f"/api/graphs/{graph_id}", json={"graph": big_graph()})
    assert again.status_code == 200 and again.json()["latest_version"] == 2
    assert upload(client, "big").status_code == 201
    assert client.get("/api/datasets/big").status_code == 200


def test_sqlite_upload_whose_record_cannot_be_committed_leaves_no_file(disk: SmallDisk) -> None:
    """Room for the uploaded file but not for the database's commit: 507, and the file
    written under its server-chosen name is removed again."""
    client = make_client(disk)
    assert upload(client, "first").status_code == 201
    sets = disk.path / "datasets"
    before = sorted(p.name for p in sets.iterdir())
    size = len(npz_upload())
    disk.fill(leave=-(-size // 4096) * 4096)
    assert_disk_full(upload(client, "second"), "upload")
    assert sorted(p.name for p in sets.iterdir()) == before
    assert leftovers(disk.path) == []
    disk.free()
    assert upload(client, "second").status_code == 201


def test_postgres_full_upload_disk_answers_507_and_leaves_no_file(
    disk: SmallDisk, postgres_url: str
) -> None:
    client = make_client(disk, postgres_url)
    assert upload(client, "first").status_code == 201
    uploads = disk.path / "datasets"
    before = sorted(p.name for p in uploads.iterdir())
    disk.fill()
    # the database is elsewhere: graphs are still stored
    saved = client.post("/api/graphs", json={"graph": big_graph()})
    assert saved.status_code == 201, saved.text
    assert client.get(f"/api/graphs/{saved.json()['id']}").status_code == 200

    assert_disk_full(upload(client, "big"), "upload")
    assert sorted(p.name for p in uploads.iterdir()) == before  # no .part, no half a set
    assert client.get("/api/datasets/big").status_code == 404

    disk.free()
    assert upload(client, "big").status_code == 201
    assert client.get("/api/datasets/big").status_code == 200
