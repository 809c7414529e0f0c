"""Request caps and access rules: body size, graph size, host, origin and token."""

from __future__ import annotations

import json

import keras
import pytest
from fastapi import WebSocket
from fastapi.testclient import TestClient
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from helpers import mlp_graph
from layerforge.api.app import create_app
from layerforge.settings import Limits, Settings

LOCAL = "http://127.0.0.1:8000"


def make_client(tmp_path, **overrides) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path / "data", **overrides)), base_url=LOCAL)


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


# --- body size -------------------------------------------------------------------------


def test_json_body_over_the_cap_is_413(tmp_path):
    small = make_client(tmp_path, limits=Limits(request_bytes=2000, upload_bytes=50_000))
    graph = mlp_graph()
    graph["name"] = "x" * 3000
    response = small.post("/api/graphs", json={"graph": graph})
    assert response.status_code == 413
    assert codes(response) == ["too_large"]
    assert "2000-byte" in response.json()["errors"][0]["message"]
    assert small.get("/api/graphs").json()["total"] == 0


def test_streamed_body_without_length_is_cut_at_the_cap(tmp_path):
    small = make_client(tmp_path, limits=Limits(request_bytes=2000, upload_bytes=50_000))
    payload = json.dumps({"graph": mlp_graph(), "message": "y" * 5000}).encode()

    def chunks():
        for i in range(0, len(payload), 500):
            yield payload[i : i + 500]

    response = small.post(
        "/api/graphs", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert codes(response) == ["too_large"]


def test_uploads_have_their_own_larger_cap(tmp_path):
    limits = Limits(request_bytes=2000, upload_bytes=50_000, keras_file_bytes=50_000)
    small = make_client(tmp_path, limits=limits)
    blob = b"not a zip" * 500  # 4.5 kB: over the JSON cap, under the upload cap
    response = small.post("/api/models/import", files={"file": ("m.keras", blob)})
    assert response.status_code == 422  # it reached the importer, which refuses it
    too_big = small.post("/api/models/import", files={"file": ("m.keras", blob * 20)})
    assert too_big.status_code == 413


def test_a_keras_file_larger_than_the_upload_cap_imports(tmp_path):
    """Only config.json is read: VGG16's 528 MB of weights do not count."""
    small = make_client(tmp_path, limits=Limits(upload_bytes=20_000))
    path = tmp_path / "wide.keras"
    x = keras.Input((64,))
    keras.Model(x, keras.layers.Dense(128)(x)).save(path)  # 8k weights: ~40 kB
    assert path.stat().st_size > 20_000
    response = small.post("/api/models/import", files={"file": ("m.keras", path.read_bytes())})
    assert response.status_code == 200, response.text
    assert any(n["type"] == "Dense" for n in response.json()["graph"]["nodes"])


# --- graph size ------------------------------------------------------------------------


def test_node_cap_names_the_limit(tmp_path):
    capped = make_client(tmp_path, limits=Limits(nodes=3))
    for path in ("/api/graphs/validate", "/api/graphs", "/api/models/build"):
        response = capped.post(path, json={"graph": mlp_graph()})
        assert response.status_code == 422, path
        [error] = response.json()["errors"]
        assert error["code"] == "too_large"
        assert "4 nodes" in error["message"] and "limit is 3" in error["message"]


def test_a_run_or_sweep_over_the_node_cap_is_refused_naming_it(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", limits=Limits(nodes=3), warm_trainer=False)
    body = {"graph": mlp_graph(), "dataset": {"name": "iris"}}
    sweep = {**body, "space": {"/settings/epochs": {"choices": [1, 2]}}}
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        for path, json_body in (("/api/runs", body), ("/api/sweeps", sweep)):
            response = client.post(path, json=json_body)
            assert response.status_code == 422, path
            assert "too_large" in codes(response) and "limit is 3" in response.text
        assert client.get("/api/runs").json()["runs"] == []


def test_nesting_cap_counts_subgraph_levels(tmp_path):
    capped = make_client(tmp_path, limits=Limits(nesting_depth=2))
    nested = mlp_graph()
    level = nested
    for i in range(2):
        child = mlp_graph()
        level["subgraphs"] = {f"s{i}": child}
        level = child
    for path in ("/api/graphs", "/api/graphs/validate"):
        response = capped.post(path, json={"graph": nested})
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert error["code"] == "too_deep"
        assert "nest 3 deep; the limit is 2" in error["message"]
    del nested["subgraphs"]["s0"]["subgraphs"]
    assert capped.post("/api/graphs", json={"graph": nested}).status_code == 201


def test_absurdly_deep_json_is_a_4xx_not_a_crash(client):
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post(
        "/api/graphs/validate",
        content=f'{{"graph": {{"nodes": [], "layout": {deep}}}}}',
        headers={"content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert "Traceback" not in response.text

    inner: dict = {"type": "Dense"}
    for _ in range(400):
        inner = {"type": "TimeDistributed", "inner": inner}
    graph = {"nodes": [{"id": "a", "type": "TimeDistributed", "inner": inner}]}
    response = client.post("/api/graphs", json={"graph": graph})
    assert response.status_code == 422
    assert len(response.json()["errors"][0]["param"]) <= 200


# --- host, origin, token ---------------------------------------------------------------


def test_loopback_server_refuses_foreign_host_header(client):
    """A page that rebinds its own name to 127.0.0.1 still sends its name as Host."""
    response = client.get("/api/graphs", headers={"host": "attacker.example:8000"})
    assert response.status_code == 403
    assert codes(response) == ["host_not_allowed"]
    assert client.get("/api/graphs", headers={"host": "localhost:8000"}).status_code == 200
    assert client.get("/api/graphs", headers={"host": "[::1]:8000"}).status_code == 200


def test_loopback_server_refuses_cross_site_origins(client):
    post = lambda origin: client.post(  # noqa: E731
        "/api/graphs", json={"graph": mlp_graph()}, headers={"origin": origin}
    )
    refused = post("https://attacker.example")
    assert refused.status_code == 403
    assert codes(refused) == ["origin_not_allowed"]
    assert post("null").status_code == 403
    assert post("http://localhost:5173").status_code == 201  # the editor's dev server
    assert post("http://127.0.0.1:8000").status_code == 201


def test_allowed_origins_get_cors_headers(tmp_path):
    cors = make_client(tmp_path, allowed_origins=["https://lab.example"])
    preflight = cors.options(
        "/api/graphs",
        headers={"origin": "https://lab.example", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://lab.example"
    response = cors.get("/api/graphs", headers={"origin": "https://lab.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://lab.example"


def test_token_mode_requires_bearer_on_api_calls(tmp_path):
    secured = make_client(tmp_path, host="0.0.0.0", token="s3cret-token")
    missing = secured.get("/api/graphs", headers={"host": "lab.example:8000"})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert codes(missing) == ["unauthorized"]
    wrong = secured.get("/api/graphs", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = secured.get(
        "/api/graphs",
        headers={"authorization": "Bearer s3cret-token", "host": "lab.example:8000"},
    )
    assert right.status_code == 200
    assert secured.get("/api/health").status_code == 200  # health checks need no token


def test_token_mode_allows_same_origin_pages_only(tmp_path):
    secured = make_client(tmp_path, host="0.0.0.0", token="t")
    headers = {"authorization": "Bearer t", "host": "lab.example:8000"}
    same = secured.get("/api/graphs", headers={**headers, "origin": "http://lab.example:8000"})
    assert same.status_code == 200
    other = secured.get("/api/graphs", headers={**headers, "origin": "http://localhost:3000"})
    assert other.status_code == 403


def test_websocket_opens_with_a_ticket_never_a_token_in_the_url(tmp_path):
    app = create_app(Settings(data_dir=tmp_path, host="0.0.0.0", token="ws-token"))

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    app.router.routes.insert(0, WebSocketRoute("/api/test-echo", echo))  # before the editor mount
    ws_client = TestClient(app, base_url=LOCAL)
    with pytest.raises(WebSocketDisconnect) as refused:
        with ws_client.websocket_connect("/api/test-echo"):
            pass
    assert refused.value.code == 1008
    with pytest.raises(WebSocketDisconnect) as in_url:
        with ws_client.websocket_connect("/api/test-echo?token=ws-token"):
            pass
    assert in_url.value.code == 1008
    bearer = {"authorization": "Bearer ws-token"}
    ticket = ws_client.post("/api/auth/ticket", headers=bearer).json()["ticket"]
    with ws_client.websocket_connect(f"/api/test-echo?ticket={ticket}") as ws:
        assert ws.receive_text() == "hello"
    with pytest.raises(WebSocketDisconnect) as used:
        with ws_client.websocket_connect(f"/api/test-echo?ticket={ticket}"):
            pass
    assert used.value.code == 1008
    with ws_client.websocket_connect(
        "/api/test-echo", headers={"authorization": "Bearer ws-token"}
    ) as ws:
        assert ws.receive_text() == "hello"


# --- malformed requests and unexpected failures ----------------------------------------


def test_malformed_json_wrong_types_and_non_graphs_are_422(client):
    broken = client.post(
        "/api/graphs/validate", content=b'{"graph": {', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422
    assert codes(broken) == ["json_invalid"]
    assert "not valid JSON" in broken.json()["errors"][0]["message"]

    untyped = client.post("/api/graphs/validate", content=b'{"graph": {}}')  # no content type
    assert untyped.status_code == 422
    assert "application/json" in untyped.json()["errors"][0]["message"]

    for body in ({"graph": 5}, {"graph": []}, {"graph": {"nodes": {}}}, {"nodes": []}, []):
        response = client.post("/api/graphs/validate", json=body)
        assert response.status_code == 422, body
        error = response.json()["errors"][0]
        assert set(error) == {"node", "param", "code", "message"}

    wrong_version = client.post("/api/graphs/validate", json={"graph": {"schema_version": 99}})
    assert wrong_version.status_code == 422
    assert "schema_version 99" in wrong_version.json()["errors"][0]["message"]


def test_an_unexpected_failure_is_a_500_without_traceback(settings):
    app = create_app(settings)

    async def boom(request):
        raise RuntimeError("secret detail at /srv/layerforge/internal.py line 3")

    app.router.routes.insert(0, Route("/api/test-boom", boom))
    response = TestClient(app, base_url=LOCAL, raise_server_exceptions=False).get("/api/test-boom")
    assert response.status_code == 500
    assert codes(response) == ["internal_error"]
    assert "secret" not in response.text and "Traceback" not in response.text


def test_opening_the_editor_with_the_token_sets_a_strict_cookie(tmp_path):
    secured = make_client(tmp_path, host="0.0.0.0", token="cookie-token")
    secured.follow_redirects = False
    assert secured.get("/api/graphs").status_code == 401

    wrong = secured.get("/runs?token=nope")
    assert wrong.status_code != 303 and "set-cookie" not in wrong.headers
    login = secured.get("/runs?tab=2&token=cookie-token")
    assert login.status_code == 303
    assert login.headers["location"] == "/runs?tab=2"
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie

    assert secured.get("/api/graphs").status_code == 200  # the client kept the cookie
    assert (
        secured.get("/api/graphs?token=cookie-token", cookies={"layerforge_token": "x"}).status_code
        == 401
    )
