"""Every error a client gets has the validation shape: `{"errors": [Problem, ...]}`.

Malformed JSON, wrong types, a graph that is not a graph, an unknown route: each is a
4xx naming the field (and the node, when the field lies inside one). Nothing becomes a
500 with a traceback: an unexpected exception is logged here and answered with a plain
message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from layerforge.graph.errors import GraphError, Problem
from layerforge.graph.keras_errors import clean_message

log = logging.getLogger("layerforge.api")

MAX_PATH = 200


def problems_body(problems: Sequence[Problem]) -> dict[str, Any]:
    return {"errors": [p.model_dump() for p in problems]}


def error_response(
    status: int, problems: Sequence[Problem], headers: dict[str, str] | None = None
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


def validation_problems(errors: Sequence[dict[str, Any]], body: Any) -> list[Problem]:
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


async def _on_request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    return error_response(422, validation_problems(exc.errors(), exc.body))


async def _on_graph_error(request: Request, exc: GraphError) -> JSONResponse:
    return error_response(422, exc.problems)


async def _on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
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


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        500, [problem("internal_error", "The server failed on this request; see its log.")]
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(GraphError, _on_graph_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
