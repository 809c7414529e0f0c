"""Health, the layer catalogue and the graph's JSON Schema: what the editor loads first."""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from layerforge import __version__
from layerforge.graph.catalogue.specs import LayerCatalogue
from layerforge.graph.schema import graph_json_schema

router = APIRouter(tags=["meta"])


class Health(BaseModel):
    status: str
    version: str


@router.get("/health", response_model=Health)
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@lru_cache(maxsize=1)
def _catalogue_body() -> tuple[bytes, bytes, str]:
    """The catalogue serialised and gzipped once per process, and its ETag."""
    from layerforge.graph.catalogue.specs import get_catalogue  # imports Keras

    body = get_catalogue().model_dump_json().encode()
    return body, gzip.compress(body, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@router.get(
    "/layers",
    response_model=LayerCatalogue,
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
