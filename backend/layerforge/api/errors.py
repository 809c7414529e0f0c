"""Every error a client gets has the validation shape: `{"errors": [Problem, ...]}`.

Routes raise one type, `ApiError(status, problems)`; a `GraphError` is a 422 and a
`DatasetError` carries its own status. Malformed JSON, wrong types, a graph that is not
a graph, an unknown route: each is a 4xx naming the field (and the node, when the field
lies inside one). Nothing becomes a 500 with a traceback: an unexpected exception is
logged here and answered with a plain message. A write that did not reach the disk is
the server's trouble: 507 for a full disk, 503 for a lost database, neither with an id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

from layerforge.graph.problems import GraphError, Problem, clean_message
from layerforge.store.failures import write_failure
from layerforge.training.datasets.errors import DatasetError

log = logging.getLogger("layerforge.api")

MAX_PATH = 200


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx answer."""

    errors: list[Problem]


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ErrorBody,
        "description": "The body could not be parsed (not JSON, a bad form).",
    },
    401: {"model": ErrorBody, "description": "No token or session (when the server has one)."},
    403: {"model": ErrorBody, "description": "The token's person may not do this."},
    503: {"model": ErrorBody, "description": "The database is unreachable; nothing was stored."},
    507: {"model": ErrorBody, "description": "The server's disk is full; nothing was stored."},
}
"""Answers any route may give, declared once for all of them (FastAPI's `responses`)."""


class ApiError(Exception):
    """An answer other than 2xx: its status and every problem, each naming its field."""

    def __init__(
        self, status: int, problems: Sequence[Problem], headers: dict[str, str] | None = None
    ):
        super().__init__("; ".join(p.message for p in problems))
        self.status = status
        self.problems = list(problems)
        self.headers = headers

    @classmethod
    def one(
        cls, status: int, code: str, message: str, node: str | None = None, param: str | None = None
    ) -> ApiError:
        return cls(status, [problem(code, message, node=node, param=param)])


def problems_body(problems: Sequence[Problem]) -> dict[str, Any]:
    return {"errors": [p.model_dump() for p in problems]}


def error_response(
    status: int, problems: Sequence[Problem], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(problems_body(problems), status_code=status, headers=headers)


def problem(code: str, message: str, node: str | None = None, param: str | None = None) -> Problem:
    return Problem(node=node, param=param, code=code, message=message)


_LOCATIONS = ("body", "query", "path", "header")


def _field_parts(loc: Sequence[Any]) -> list[Any]:
    return list(loc[1:] if loc and loc[0] in _LOCATIONS else loc)


def field_path(loc: Sequence[Any]) -> str:
    """`("body", "graph", "nodes", 3, "type")` -> `graph.nodes[3].type`."""
    out = ""
    for part in _field_parts(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    # a recursion error deep inside nested sub-graphs has a very long path
    return out if len(out) <= MAX_PATH else out[:90] + "…" + out[-(MAX_PATH - 91) :]


def _node_at(body: Any, loc: Sequence[Any]) -> str | None:
    """The id of the innermost node the error location lies in, when the body names one."""
    found = None
    value, previous = body, None
    for part in _field_parts(loc):
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            break
        if previous == "nodes" and isinstance(part, int) and isinstance(value, dict):
            node_id = value.get("id")
            if isinstance(node_id, str):
                found = node_id
        previous = part
    return found


def validation_problems(errors: Sequence[Mapping[str, Any]], body: Any) -> list[Problem]:
    problems = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        path = field_path(loc)
        if err.get("type") == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "")
            at = f" (at character {loc[-1]})" if loc and isinstance(loc[-1], int) else ""
            message = "The request body is not valid JSON" + (f": {detail}" if detail else "") + at
            problems.append(problem("json_invalid", message))
            continue
        if not path and isinstance(err.get("input"), (bytes, str)):
            message = "The request body must be a JSON object sent as application/json."
        else:
            where = f" (at {path})" if path else ""
            message = clean_message(str(err.get("msg", "invalid value"))) + where
        problems.append(
            problem(str(err.get("type", "invalid")), message, _node_at(body, loc), path or None)
        )
    return problems


async def _on_request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, validation_problems(exc.errors(), exc.body))


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.problems, exc.headers)
    if isinstance(exc, GraphError):
        return error_response(422, exc.problems)
    assert isinstance(exc, DatasetError)
    return error_response(exc.status, [exc.problem()])


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (an unknown route, a method not allowed), and an
    HTTPException raised with an `ErrorBody` as its detail (prefer ApiError)."""
    assert isinstance(exc, HTTPException)
    detail = exc.detail
    if isinstance(detail, dict) and "errors" in detail:
        return JSONResponse(detail, status_code=exc.status_code, headers=exc.headers)
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = "HTTP error"
    code = re.sub(r"\W+", "_", phrase.lower())
    message = detail if isinstance(detail, str) else phrase
    return error_response(exc.status_code, [problem(code, message)], exc.headers)


STORAGE_ERRORS: dict[str, tuple[int, str]] = {
    "disk_full": (
        507,
        "The server's disk is full: nothing was stored. Free space on the server and try again.",
    ),
    "database_unavailable": (
        503,
        "The server could not reach its database: nothing was stored. Try again.",
    ),
}


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A 500, unless the disk or the database failed (an OSError or a database error,
    in a route or in a middleware such as authentication): then 507 or 503, and the
    session rolled back, so nothing of the request is stored."""
    failure = write_failure(exc)
    if failure is not None:
        log.error("%s on %s %s: %s", failure, request.method, request.url.path, exc)
        status, message = STORAGE_ERRORS[failure]
        headers = {"Retry-After": "5"} if status == 503 else None
        return error_response(status, [problem(failure, message)], headers)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        500, [problem("internal_error", "The server failed on this request; see its log.")]
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    for kind in (ApiError, GraphError, DatasetError):
        app.add_exception_handler(kind, _on_api_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    for storage in (OSError, SQLAlchemyError):
        app.add_exception_handler(storage, _on_unexpected)  # handled here, not re-raised
    app.add_exception_handler(Exception, _on_unexpected)
