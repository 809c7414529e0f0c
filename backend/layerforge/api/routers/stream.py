"""WebSockets: `/api/runs/stream` (status of all runs) and `/api/runs/{id}/stream`.

A run's socket sends the run's events (the objects of `GET /api/runs/{id}/events`),
replaying those after `?after=SEQ` first. The all-runs socket sends
`{"type": "status", "run_id", "status", "seq", "time"}` per status change (with
`error` and `metrics` once a run ended) and `{"type": "deleted", "run_id", "time"}`.
Both send `{"type": "ping", "time"}` when idle; close codes are `CloseCode`
(api/close_codes.py).
The all-runs route is declared first so `stream` is never taken for a run id.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket
from pydantic import TypeAdapter

from layerforge.api.close_codes import CLOSE_CODE_SCHEMAS
from layerforge.api.deps import HubDep, RuntimeDep
from layerforge.api.routers.runs import full_run_id
from layerforge.events.types import STREAM_SCHEMAS

router = APIRouter()


def publish_stream_schemas(app: FastAPI) -> None:
    """Add the WebSocket messages (`RunStreamMessage`, `FeedMessage`) and close codes
    (`CloseCode`, `FinalCloseCode`) to the OpenAPI document's schemas: OpenAPI has no
    WebSocket routes, and the editor generates its types from that document."""
    make_document = app.openapi

    def openapi() -> dict[str, Any]:
        document = make_document()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        if "FeedMessage" not in schemas:
            for name, kind in {**STREAM_SCHEMAS, **CLOSE_CODE_SCHEMAS}.items():
                schema = TypeAdapter(kind).json_schema(
                    ref_template="#/components/schemas/{model}", mode="serialization"
                )
                schemas.update(schema.pop("$defs", {}))
                schemas[name] = schema
        return document

    app.openapi = openapi  # type: ignore[method-assign]


@router.websocket("/runs/stream")
async def all_runs_stream(websocket: WebSocket, hub: HubDep) -> None:
    await hub.stream_status(websocket)


@router.websocket("/runs/{run_id}/stream")
async def run_stream(websocket: WebSocket, run_id: str, hub: HubDep, runtime: RuntimeDep) -> None:
    """`run_id` may be a short id, as on the REST routes (4404: none, 4409: several)."""
    after = websocket.query_params.get("after")
    await hub.stream_run(websocket, run_id, after, partial(full_run_id, runtime))
