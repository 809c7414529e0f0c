"""Health, the layer catalogue and the graph's JSON Schema: what the editor loads first."""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from layerforge import __version__
from layerforge.graph.schema import graph_json_schema

router = APIRouter(tags=["meta"])


class Health(BaseModel):
    status: str
    version: str


class LayerParam(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    kind: str
    default: Any = None
    required: bool
    choices: list[Any] | None = None
    min: float | None = None
    max: float | None = None
    nullable: bool = False
    description: str | None = None


class LayerSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    category: str
    description: str
    inputs: int | str
    outputs: int
    multi_output_param: str | None = None
    key_params: list[str] = []
    params: list[LayerParam]


class Catalogue(BaseModel):
    layers: list[LayerSpec]


@router.get("/health", response_model=Health)
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@lru_cache(maxsize=1)
def _catalogue_body() -> tuple[bytes, bytes, str]:
    """The catalogue serialised and gzipped once per process, and its ETag."""
    from layerforge.graph.catalogue import get_catalogue  # imports Keras

    body = json.dumps(get_catalogue(), separators=(",", ":")).encode()
    return body, gzip.compress(body, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@router.get(
    "/layers",
    response_model=Catalogue,
    responses={304: {"description": "Unchanged since the ETag sent in If-None-Match."}},
)
def layers(request: Request) -> Response:
    """Every layer type the editor may draw. Cached: send `If-None-Match` to get a 304."""
    body, zipped, etag = _catalogue_body()
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        body = zipped
    return Response(body, media_type="application/json", headers=headers)


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return graph_json_schema()


@router.get("/schema/graph")
def graph_schema() -> dict[str, Any]:
    """The JSON Schema of a graph (the body field `graph` of the model calls)."""
    return _schema()
