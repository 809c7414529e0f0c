"""Request bodies shared by the routers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from starlette.requests import HTTPConnection, Request

from layerforge.api.errors import ApiError, validation_problems
from layerforge.graph.schema import Graph, migrate
from layerforge.store.text import may_hold_unstorable, storable_problem, unstorable_text


def _migrated(value: Any) -> Any:
    """Upgrade an older `schema_version` before validating (a ValueError names the version)."""
    return migrate(dict(value)) if isinstance(value, dict) else value


GraphIn = Annotated[Graph, BeforeValidator(_migrated)]


class GraphRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph: GraphIn


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


async def refuse_unstorable(conn: HTTPConnection) -> None:
    """Every route's first step: a path, query or JSON body value no store can keep (a
    NUL, a lone surrogate: layerforge.store.text) is a 422 naming it, before anything is
    read or written, so SQLite and PostgreSQL accept and refuse the same requests."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    for name, value in conn.path_params.items():
        if isinstance(value, str) and (why := storable_problem(value)):
            found.append((("path", name), why))
    for name, value in conn.query_params.multi_items():
        if why := storable_problem(value) or storable_problem(name):
            found.append((("query", name), why))
    body: Any = None
    if isinstance(conn, Request) and conn.method in WRITE_METHODS:
        json_body = conn.headers.get("content-type", "").startswith("application/json")
        if json_body and may_hold_unstorable(await conn.body()):
            try:
                body = await conn.json()  # parsed once: the route's body reuses it
            except ValueError:  # not JSON: the route's own validation answers
                body = None
            found.extend((("body", *path), why) for path, why in unstorable_text(body))
    if found:
        errors = [
            {"loc": loc, "msg": f"Text that {why} cannot be stored", "type": "unstorable_text"}
            for loc, why in found
        ]
        raise ApiError(422, validation_problems(errors, body))
