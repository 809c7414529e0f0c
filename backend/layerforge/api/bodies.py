"""Request bodies shared by the routers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
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
# What a JSON number that is not finite is spelled with: Python's json reads NaN,
# Infinity and -Infinity, and a float past 1.8e308 (1e999, or 309+ digits) as infinity.
_MAY_BE_NON_FINITE = re.compile(rb"NaN|Infinity|[eE]\+?\d{3}|\d{309}")


class NonFinite:
    """A number JSON text spells that is not finite, where a parse found it."""

    def __init__(self, text: str):
        self.text = text


def _number(text: str) -> float | NonFinite:
    value = float(text)
    return value if math.isfinite(value) else NonFinite(text)


def non_finite_numbers(
    value: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, how it was spelled) for every NonFinite in parsed JSON data."""
    if isinstance(value, NonFinite):
        yield path, value.text
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from non_finite_numbers(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from non_finite_numbers(item, (*path, i))


def _is_json(content_type: str) -> bool:
    """As FastAPI decides to parse a body as JSON: application/json or application/*+json
    (or no content type, which the import route reads as JSON)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return not kind or kind == "application/json" or kind.endswith("+json")


async def refuse_unstorable(conn: HTTPConnection) -> None:
    """Every route's first step: a path, query or JSON body value no store can keep (a
    NUL, a lone surrogate: layerforge.store.text; NaN, Infinity, or a number beyond a
    float, which Python's json reads as such and stores as null) is a 422 naming it,
    before anything is read or written, so SQLite and PostgreSQL accept and refuse the
    same requests. A body is parsed again only when its bytes could spell one of them."""
    found: list[dict[str, Any]] = []
    for name, value in conn.path_params.items():
        if isinstance(value, str) and (why := storable_problem(value)):
            found.append(_unstorable(("path", name), why))
    for name, value in conn.query_params.multi_items():
        if why := storable_problem(value) or storable_problem(name):
            found.append(_unstorable(("query", name), why))
    body: Any = None
    if (
        isinstance(conn, Request)
        and conn.method in WRITE_METHODS
        and _is_json(conn.headers.get("content-type", ""))
    ):
        raw = await conn.body()
        if may_hold_unstorable(raw) or _MAY_BE_NON_FINITE.search(raw):
            try:
                body = json.loads(raw, parse_constant=NonFinite, parse_float=_number)
            except (ValueError, RecursionError):  # not JSON: the route's own parse answers
                body = None
            found.extend(_unstorable(("body", *path), why) for path, why in unstorable_text(body))
            found.extend(
                {
                    "loc": ("body", *path),
                    "msg": f"{text[:40]} is not a finite number; only finite numbers are accepted",
                    "type": "non_finite_number",
                }
                for path, text in non_finite_numbers(body)
            )
    if found:
        raise ApiError(422, validation_problems(found, body))


def _unstorable(loc: tuple[str | int, ...], why: str) -> dict[str, Any]:
    return {"loc": loc, "msg": f"Text that {why} cannot be stored", "type": "unstorable_text"}
