"""WS /api/runs/{id}/stream takes a short id as the REST routes do; the close codes are
published in the OpenAPI document."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from helpers import receive_until_end
from layerforge.api.app import create_app
from layerforge.api.close_codes import CloseCode
from layerforge.events.types import StatusEvent
from layerforge.settings import Settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", warm_trainer=False)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        yield client


def _ended_run(client: TestClient) -> str:
    """A stored run that was queued, then cancelled (no trainer involved)."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    run_id: str = runtime.store.create_run(graph={}, dataset={"name": "iris"}, settings={})["id"]
    for status in ("queued", "cancelled"):
        client.portal.call(runtime.events.append, run_id, StatusEvent(status=status))  # type: ignore[union-attr]
    return run_id


def _close_code(client: TestClient, path: str) -> tuple[int, str]:
    with client.websocket_connect(path) as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    return closed.value.code, closed.value.reason


def test_a_short_id_streams_the_run_it_names(client: TestClient):
    run_id = _ended_run(client)
    with client.websocket_connect(f"/api/runs/{run_id[:6]}/stream?after=0") as ws:
        events = receive_until_end(ws)
    assert [e["status"] for e in events] == ["queued", "cancelled"]
    rest = client.get(f"/api/runs/{run_id[:6]}/events").json()["events"]
    assert events == rest


def test_an_unknown_or_ambiguous_short_id_closes_naming_why(client: TestClient):
    ids = [_ended_run(client) for _ in range(17)]  # 17 ids, 16 hex digits: two share one
    shared = next(c for c, n in Counter(i[0] for i in ids).items() if n > 1)
    code, reason = _close_code(client, f"/api/runs/{shared}/stream")
    assert code == CloseCode.AMBIGUOUS and "several runs" in reason
    assert len(reason.encode()) <= 123
    assert _close_code(client, "/api/runs/nosuchrun/stream")[0] == CloseCode.NOT_FOUND
    code, _ = _close_code(client, f"/api/runs/{ids[0]}/stream?after=-1")
    assert code == CloseCode.BAD_QUERY


def test_the_close_codes_are_published(client: TestClient):
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert schemas["CloseCode"]["enum"] == [code.value for code in CloseCode]
    final = schemas["FinalCloseCode"]["enum"]
    assert set(final) < set(schemas["CloseCode"]["enum"])
    assert CloseCode.TOO_SLOW not in final and CloseCode.SHUTDOWN not in final
