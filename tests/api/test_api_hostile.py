"""Hostile input on a real app, on SQLite and PostgreSQL alike: text no store can keep
(a NUL, a lone surrogate) is a 422 naming the field before anything is written; unknown
paths under /api are JSON 404s, never the editor page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient

from helpers import BASE_URL, iris_graph
from layerforge.api import app as app_module
from layerforge.api.app import create_app
from layerforge.settings import Settings

SURROGATE = "\\ud800"  # as JSON spells it: a lone surrogate, not Unicode text
NUL = "\\u0000"


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """The real app, runtime started, on SQLite and then on PostgreSQL."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    settings = Settings(data_dir=tmp_path / "data", database_url=url, warm_trainer=False)
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        yield client


def post_raw(client: TestClient, path: str, text: str, method: str = "POST"):
    """Send JSON text as is (a client library would refuse to encode a surrogate)."""
    return client.request(
        method, path, content=text.encode(), headers={"content-type": "application/json"}
    )


def graph_text(**overrides: str) -> str:
    """The iris graph as JSON text, with raw JSON spliced in for some fields."""
    text = json.dumps({**iris_graph(), "name": "@name", "layout": {"hidden": {"label": "@label"}}})
    for key, value in overrides.items():
        text = text.replace(f'"@{key}"', f'"{value}"')
    return text.replace('"@name"', '"iris"').replace('"@label"', '"ok"')


def assert_refused(response, param: str, node: str | None = None) -> None:
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert (error["code"], error["param"], error["node"]) == ("unstorable_text", param, node)
    assert "cannot be stored" in error["message"]


GRAPH_CASES = {
    "surrogate in layout": (graph_text(label=SURROGATE), "graph.layout.hidden.label"),
    "NUL in graph name": (graph_text(name=f"a{NUL}b"), "graph.name"),
    "surrogate in a node name": (
        graph_text().replace('"id": "hidden"', f'"id": "hidden", "name": "h{SURROGATE}"'),
        "graph.nodes[1].name",
    ),
}


@pytest.mark.parametrize("case", GRAPH_CASES)
def test_a_graph_with_unstorable_text_is_refused_before_it_is_saved(api, case):
    text, param = GRAPH_CASES[case]
    node = "hidden" if "nodes[1]" in param else None
    assert_refused(post_raw(api, "/api/graphs", f'{{"graph": {text}}}'), param, node)
    run = f'{{"graph": {text}, "dataset": {{"name": "iris"}}, "settings": {{"epochs": 1}}}}'
    assert_refused(post_raw(api, "/api/runs", run), param, node)
    assert_refused(post_raw(api, "/api/graphs/validate", f'{{"graph": {text}}}'), param, node)
    assert api.get("/api/graphs").json()["total"] == 0
    assert api.get("/api/runs").json()["runs"] == []


def test_nul_in_a_message_a_dataset_and_ids_is_refused(api):
    saved = api.post("/api/graphs", json={"graph": iris_graph(), "message": "first"})
    assert saved.status_code == 201, saved.text
    graph_id = saved.json()["id"]
    body = f'{{"graph": {json.dumps(iris_graph())}, "message": "x{NUL}"}}'
    assert_refused(post_raw(api, f"/api/graphs/{graph_id}", body, "PUT"), "message")
    assert api.get(f"/api/graphs/{graph_id}/versions").json()["versions"][-1]["version"] == 1
    run = {"graph": iris_graph(), "dataset": {"name": "iris"}, "settings": {"epochs": 1}}
    text = json.dumps(run).replace('"iris"}', f'"ir{NUL}is"}}')
    assert_refused(post_raw(api, "/api/runs", text), "dataset.name")
    assert api.get("/api/runs").json()["runs"] == []
    assert_refused(api.get("/api/graphs/a%00b"), "graph_id")
    assert_refused(api.get("/api/runs/a%00b"), "run_id")
    assert_refused(api.get("/api/runs/a%00b/events"), "run_id")
    assert_refused(api.get("/api/runs?status=a%00"), "status")
    assert_refused(api.get("/api/datasets/a%00b"), "name")


def test_a_nul_in_an_artifact_name_is_refused(api):
    run = api.post(
        "/api/runs",
        json={"graph": iris_graph(), "dataset": {"name": "iris"}, "settings": {"epochs": 1}},
    )
    assert run.status_code == 201, run.text
    run_id = run.json()["id"]
    assert_refused(api.get(f"/api/runs/{run_id}/artifacts/model%00.keras"), "name")
    api.post(f"/api/runs/{run_id}/cancel")


def test_any_other_unicode_is_kept_as_sent_on_both_stores(api):
    name = "模型 ✓ é \u2028 \U0001f600"
    graph = {**iris_graph(), "name": name, "layout": {"note": name}}
    saved = api.post("/api/graphs", json={"graph": graph, "message": name})
    assert saved.status_code == 201, saved.text
    back = api.get(f"/api/graphs/{saved.json()['id']}").json()
    assert (back["name"], back["message"], back["graph"]["layout"]) == (name, name, {"note": name})


# -- unknown paths ------------------------------------------------------------------------
@pytest.fixture
def editor_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """An app serving a built editor (a real directory with an index.html)."""
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<html>the editor</html>")
    monkeypatch.setattr(app_module, "STATIC_DIR", static)
    return TestClient(create_app(Settings(data_dir=tmp_path / "data")), base_url=BASE_URL)


def raw_get(app, raw_path: str) -> tuple[int, str, bytes]:
    """GET a path exactly as written (an HTTP client would resolve `..` before sending):
    the ASGI app called directly, as uvicorn calls it with a request line."""
    from urllib.parse import unquote

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    anyio.run(app, scope, receive, send)
    start = sent[0]
    headers = dict(start["headers"])
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], headers.get(b"content-type", b"").decode(), body


@pytest.mark.parametrize(
    "path",
    [
        "/api/nope",
        "/api",
        "/api/",
        "/API/runs",
        "/Api/graphs",
        "/api/../api/nope",
        "/api/%2e%2e/nope",
        "/api/runs/../../etc/passwd",
        "/x/../api/nope",
        "/editor/../../api/nope",
        "/editor/%2E%2E/API/x",
    ],
)
def test_unknown_api_paths_are_json_404s(editor_client, path):
    status, content_type, body = raw_get(editor_client.app, path)
    assert status == 404, (path, body[:100])
    assert content_type.startswith("application/json")
    assert json.loads(body)["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("TRACE", "/api/runs/abc", "DELETE, GET"),
        ("PATCH", "/api/graphs", "GET, POST"),
        ("PUT", "/api/health", "GET"),
        ("OPTIONS", "/api/datasets/check", "POST"),  # the literal route, not /datasets/{name}
    ],
)
def test_a_method_a_path_does_not_take_is_a_405_naming_those_it_does(
    editor_client, method, path, allowed
):
    response = editor_client.request(method, path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allowed
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


def test_client_routes_still_get_the_editor(editor_client):
    for path in ("/", "/graphs/abc", "/training"):
        response = editor_client.get(path)
        assert (response.status_code, response.text) == (200, "<html>the editor</html>")


# -- strict scalars -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings", "param"),
    [
        ({"epochs": "5"}, "settings.epochs"),
        ({"epochs": True}, "settings.epochs"),
        ({"epochs": 5.0}, "settings.epochs"),
        ({"batch_size": "32"}, "settings.batch_size"),
        ({"shuffle": "false"}, "settings.shuffle"),
        ({"shuffle": 0}, "settings.shuffle"),
        ({"validation_split": "0.2"}, "settings.validation_split"),
        (
            {"optimizer": {"name": "adam", "learning_rate": True}},
            "settings.optimizer.learning_rate",
        ),
    ],
)
def test_run_settings_scalars_are_strict(api, settings, param):
    body = {"graph": iris_graph(), "dataset": {"name": "iris"}, "settings": settings}
    response = api.post("/api/runs", json=body)
    assert response.status_code == 422, response.text
    assert param in [e["param"] for e in response.json()["errors"]]
    assert api.get("/api/runs").json()["runs"] == []


def test_an_int_is_still_a_float_and_graph_scalars_are_strict(api):
    body = {
        "graph": iris_graph(),
        "dataset": {"name": "iris"},
        "settings": {"epochs": 1, "validation_split": 0, "optimizer": {"learning_rate": 1}},
    }
    created = api.post("/api/runs", json=body)
    assert created.status_code == 201, created.text
    api.post(f"/api/runs/{created.json()['id']}/cancel")
    graph = iris_graph()
    graph["nodes"][1]["trainable"] = "no"
    response = api.post("/api/graphs/validate", json={"graph": graph})
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert (error["param"], error["node"]) == ("graph.nodes[1].trainable", "hidden")


# -- .keras export in a child process -------------------------------------------------------
def export_client(tmp_path: Path, **limits: int) -> TestClient:
    from layerforge.settings import Limits

    settings = Settings(data_dir=tmp_path / "data", limits=Limits(**limits))
    return TestClient(create_app(settings), base_url=BASE_URL)


def test_export_size_is_estimated_and_capped_before_anything_starts(tmp_path):
    client = export_client(tmp_path, export_bytes=100)
    response = client.post("/api/models/export", json={"graph": iris_graph(), "format": "keras"})
    assert response.status_code == 413, response.text
    (error,) = response.json()["errors"]
    assert error["code"] == "too_large" and "LAYERFORGE_LIMIT_EXPORT_BYTES" in error["message"]
    assert "about 804 bytes (67 parameters)" in error["message"]  # 67 x 4 bytes x 3 (Adam)


def test_export_past_its_memory_ceiling_is_killed_and_named(tmp_path):
    client = export_client(tmp_path, export_memory_bytes=64 * 1024**2)
    response = client.post("/api/models/export", json={"graph": iris_graph(), "format": "keras"})
    assert response.status_code == 413, response.text
    (error,) = response.json()["errors"]
    assert "LAYERFORGE_LIMIT_EXPORT_MEMORY_BYTES" in error["message"]


def test_export_streams_a_file_a_child_wrote_and_keeps_no_copy(tmp_path):
    import tempfile as tf

    before = set(Path(tf.gettempdir()).glob("layerforge-export-*"))
    client = export_client(tmp_path)
    with client.stream(
        "POST", "/api/models/export", json={"graph": iris_graph(), "format": "keras"}
    ) as response:
        assert response.status_code == 200
        assert "content-length" in response.headers  # a file on disk, sent as it is read
        data = b"".join(response.iter_bytes())
    assert data[:2] == b"PK" and len(data) == int(response.headers["content-length"])
    assert set(Path(tf.gettempdir()).glob("layerforge-export-*")) == before
