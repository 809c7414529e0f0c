"""A server several people share, tested on real `layerforge serve` processes: tokens of
their own, owners, single-use socket tickets, revocation, a token made at start beyond
loopback, and an access log that never shows a token or ticket. Also: the API docs page
works offline."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from layerforge.api.app import create_app
from layerforge.settings import Settings
from serve_process import Server

RUN_GRAPH = {
    "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "p", "type": "Dense", "params": {"units": 3, "activation": "softmax"}},
        {"id": "y", "type": "Output", "params": {"loss": "sparse_categorical_crossentropy"}},
    ],
    "edges": [{"source": "x", "target": "p"}, {"source": "p", "target": "y"}],
}
LONG_RUN = {"graph": RUN_GRAPH, "dataset": {"name": "iris"}, "settings": {"epochs": 500}}


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[type[Server]]:
    started: list[Server] = []

    def start(host: str) -> Server:
        server = Server(tmp_path / f"data{len(started)}", host)
        started.append(server)
        return server

    yield start  # type: ignore[misc]
    for server in started:
        if server.proc.poll() is None:
            server.stop()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def refused(server: Server, path: str, **kwargs: object) -> int:
    with pytest.raises(InvalidStatus) as caught:
        with server.ws(path, **kwargs):
            pass
    return caught.value.response.status_code


def test_one_machine_mode_tickets_host_and_a_log_without_secrets(serve):
    server = serve("127.0.0.1")
    api = httpx.Client(base_url=server.url, timeout=30)
    assert api.get("/api/auth/me").json() == {"name": "local", "admin": True}
    foreign = api.get("/api/health", headers={"host": "testserver"})
    assert foreign.status_code == 403
    assert foreign.json()["errors"][0]["code"] == "host_not_allowed"

    ticket = api.post("/api/auth/ticket").json()["ticket"]
    with server.ws(f"/api/runs/stream?ticket={ticket}") as ws:
        ws.ping().wait(5)
    assert refused(server, f"/api/runs/stream?ticket={ticket}") == 403  # used up
    api.get("/?token=leaky-secret-123")
    api.get("/api/health?after=1&token=leaky-secret-123")
    log = server.stop()
    assert "/api/runs/stream" in log and "/api/health?after=1&token=[redacted]" in log
    assert "leaky-secret-123" not in log
    assert ticket not in log


def test_people_owners_tickets_and_revocation_beyond_loopback(serve):
    server = serve("0.0.0.0")
    api = httpx.Client(base_url=server.url, timeout=120)
    made = re.search(r"/\?token=(\S+)", server.log_path.read_text())
    assert made, "no editor link with a token printed"
    admin = bearer(made.group(1))
    assert api.get("/api/graphs").status_code == 401
    assert api.get("/api/auth/me", headers=admin).json() == {"name": "admin", "admin": True}

    alice, bob = bearer(server.add_user("alice")), bearer(server.add_user("bob"))
    listed = server.cli("users", "list").stdout
    assert "alice" in listed and "bob" in listed

    graph = api.post("/api/graphs", json={"graph": RUN_GRAPH}, headers=alice).json()
    assert graph["owner"] == "alice"
    graph_url = f"/api/graphs/{graph['id']}"
    assert api.delete(graph_url).status_code == 401
    not_yours = api.delete(graph_url, headers=bob)
    assert not_yours.status_code == 403
    assert not_yours.json()["errors"][0]["code"] == "forbidden"
    assert "alice" in not_yours.json()["errors"][0]["message"]
    assert api.delete(graph_url, headers=alice).status_code == 204

    created = api.post("/api/runs", json=LONG_RUN, headers=alice)
    assert created.status_code == 201, created.text
    run = created.json()
    assert run["owner"] == "alice"
    assert run["id"] in [r["id"] for r in api.get("/api/runs", headers=bob).json()["runs"]]
    assert api.post(f"/api/runs/{run['id']}/cancel").status_code == 401
    assert api.post(f"/api/runs/{run['id']}/cancel", headers=bob).status_code == 403
    export = api.post(f"/api/runs/{run['id']}/export", json={"format": "onnx"}, headers=bob)
    assert export.status_code == 403, export.text  # it stores an artifact in alice's run
    assert api.post(f"/api/runs/{run['id']}/cancel", headers=alice).status_code == 200

    stream = f"/api/runs/{run['id']}/stream"
    assert refused(server, f"{stream}?token={bob['authorization'][7:]}") == 403
    ticket = api.post("/api/auth/ticket", headers=bob).json()["ticket"]
    assert refused(server, f"{stream}?ticket={ticket}", origin="https://evil.example") == 403
    with server.ws(f"{stream}?ticket={ticket}") as ws:
        assert json.loads(ws.recv(timeout=10))["seq"] == 1
    assert refused(server, f"{stream}?ticket={ticket}") == 403

    assert server.cli("users", "revoke", "bob").returncode == 0
    assert api.get("/api/runs", headers=bob).status_code == 401
    assert api.get("/api/runs", headers=alice).status_code == 200


def test_the_docs_page_loads_only_assets_the_server_serves(tmp_path):
    from fastapi.testclient import TestClient

    client = TestClient(create_app(Settings(data_dir=tmp_path)), base_url="http://127.0.0.1:8000")
    page = client.get("/api/docs")
    assert page.status_code == 200
    links = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
    assert len(links) >= 4, links  # script, stylesheet, icon, OpenAPI document
    assert "://" not in page.text  # no other host, by any scheme
    for link in links:
        asset = client.get(link)
        assert asset.status_code == 200, link
        assert len(asset.content) > 100, link
