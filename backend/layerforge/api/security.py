"""Who may talk to the server, and how much they may send.

- Loopback by default, no token: every call is the implicit local admin (`local`), and
  the Host header must name this machine (so a web page cannot reach the API through
  DNS rebinding) and a browser Origin must be a loopback page or one of
  `settings.allowed_origins`.
- With `LAYERFORGE_TOKEN` (an admin) or people of `layerforge users add`, every `/api`
  call but the public ones carries `Authorization: Bearer <token>`. Beyond loopback
  with neither, the first start adds an admin person and prints its token once with
  the editor link (api/first_admin.py). A person opens the editor once at
  `/?token=<token>`: the token moves into an HttpOnly, SameSite=Strict cookie that the
  editor's calls carry. Cross-origin pages must be listed in `allowed_origins`.
- WebSockets, which a browser cannot give headers, open with `?ticket=` from
  `POST /api/auth/ticket` (short-lived, single use) or an `Authorization` header; a
  token in a socket URL is refused. Origin is checked on every socket.
- Request bodies are capped: JSON at `limits.request_bytes`, multipart uploads at
  `limits.upload_bytes` (a `.keras` file to import at `limits.keras_file_bytes`: only
  its config.json is read); a larger body is a 413 before the route runs. A request's
  head is capped at `limits.header_bytes` (a 431) by the HTTP protocol `layerforge
  serve` runs (api/request_heads.py); Keras routes wait their turn in api/limits.py
  `KerasQueue`.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import anyio
from fastapi import FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from layerforge.api.auth import People, Person, is_loopback
from layerforge.api.close_codes import CloseCode
from layerforge.api.errors import error_response, problem, problems_body
from layerforge.api.limits import KerasQueue
from layerforge.settings import Settings

TOKEN_COOKIE = "layerforge_token"
PUBLIC_API_PATHS = frozenset({"/api/health", "/api/openapi.json", "/api/docs"})
PUBLIC_API_PREFIXES = ("/api/docs/",)  # the docs page's own assets
# Starlette's in-process TestClient (and schemathesis) call themselves "testserver".
TEST_HOST = "testserver"
_SECRET_IN_QUERY = re.compile(r"((?:^|[?&])(?:token|ticket)=)[^&\s\"]*", re.IGNORECASE)

Refusal = tuple[int, str, str]


def _query(scope: Scope, name: str) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[-1] if values else None


def presented_token(scope: Scope) -> str | None:
    """The token of a request: a bearer header, or (HTTP only) the editor's cookie."""
    headers = Headers(scope=scope)
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scope["type"] != "http":
        return None
    return cookie_parser(headers.get("cookie", "")).get(TOKEN_COOKIE)


def person_of(scope: Scope) -> Person | None:
    """The person the access guard attributed this request or socket to."""
    person = scope.get("state", {}).get("person")
    return person if isinstance(person, Person) else None


def token_matches(settings: Settings, presented: str | None) -> bool:
    """True when no token is configured, or `presented` is it. (The hub's own check on a
    socket served without the guard; behind the guard, `person_of` is the answer.)"""
    if not settings.token:
        return True
    return presented is not None and People(settings).by_token(presented) is not None


def socket_allowed(settings: Settings, scope: Scope) -> bool:
    """The hub's check: the guard attributed the socket, or no token is configured."""
    return person_of(scope) is not None or token_matches(settings, presented_token(scope))


def origin_allowed(settings: Settings, origin: str, host: str) -> bool:
    """A browser page may call us from a listed origin or our own host; a loopback page
    too while we serve only loopback with no token."""
    origin = origin.rstrip("/")
    if any(origin == listed.rstrip("/") for listed in settings.allowed_origins):
        return True
    parts = urlsplit(origin) if "://" in origin else None
    if parts is None:
        return False
    if parts.netloc == host:
        return True
    return not settings.token and is_loopback(settings.host) and is_loopback(parts.hostname)


def _hostname(netloc: str) -> str | None:
    try:
        return urlsplit("//" + netloc).hostname
    except ValueError:
        return None


def _unauthorized(message: str, code: str = "unauthorized") -> Refusal:
    return 401, code, message


class AccessGuard:
    """Checks Host and Origin, and attributes every `/api` request and socket to a
    person (`scope["state"]["person"]`), on every HTTP request and WebSocket handshake."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings
        self.people = People(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        refusal = self._host_or_origin_refusal(scope)
        if refusal is None and self._needs_person(scope):
            found = await anyio.to_thread.run_sync(self._authenticate, scope)
            if isinstance(found, Person):
                scope.setdefault("state", {})["person"] = found
            else:
                refusal = found
        if refusal is None:
            login = await self._editor_login(scope)
            if login is not None:
                return await login(scope, receive, send)
            return await self.app(scope, receive, send)
        status, code, message = refusal
        if scope["type"] == "websocket":
            await send(
                {"type": "websocket.close", "code": CloseCode.REFUSED, "reason": message[:120]}
            )
            return
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        await error_response(status, [problem(code, message)], headers)(scope, receive, send)

    def _host_or_origin_refusal(self, scope: Scope) -> Refusal | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        name = _hostname(host)
        local = is_loopback(name) or (self.settings.allow_test_host and name == TEST_HOST)
        if not self.settings.token and is_loopback(self.settings.host) and not local:
            return (
                403,
                "host_not_allowed",
                (
                    f"Host {host!r} is not this machine's loopback name; "
                    "serve with a token to accept other names."
                ),
            )
        origin = headers.get("origin")
        if origin is not None and not origin_allowed(self.settings, origin, host):
            return (
                403,
                "origin_not_allowed",
                (f"Origin {origin!r} may not call this API; add it to LAYERFORGE_ALLOWED_ORIGINS."),
            )
        return None

    @staticmethod
    def _needs_person(scope: Scope) -> bool:
        path = scope.get("path", "")
        preflight = (
            scope["type"] == "http"
            and scope.get("method") == "OPTIONS"
            and "access-control-request-method" in Headers(scope=scope)
        )
        public = path in PUBLIC_API_PATHS or path.startswith(PUBLIC_API_PREFIXES)
        return path.startswith("/api") and not public and not preflight

    def _authenticate(self, scope: Scope) -> Person | Refusal:
        """Runs in a thread: tokens and tickets are looked up in the store."""
        if scope["type"] == "websocket":
            if _query(scope, "token") is not None:
                return _unauthorized(
                    "A token in a socket URL is not accepted: open the socket with "
                    "?ticket= from POST /api/auth/ticket.",
                    "token_in_url",
                )
            ticket = _query(scope, "ticket")
            if ticket is not None:
                person = self.people.redeem_ticket(ticket)
                return person or _unauthorized(
                    "The ticket is unknown, used or expired: get a new one from "
                    "POST /api/auth/ticket.",
                    "bad_ticket",
                )
        token = presented_token(scope)
        if token is not None:
            return self.people.by_token(token) or _unauthorized(
                "The token is not valid (or was revoked)."
            )
        return self.people.anonymous() or _unauthorized(
            "A valid 'Authorization: Bearer <token>' is required."
        )

    async def _editor_login(self, scope: Scope) -> Response | None:
        """Opening the editor at `/?token=<token>` (as Jupyter does) stores the token in an
        HttpOnly, SameSite=Strict cookie and redirects to the same page without it, so the
        editor's own calls are authorised with no token in its code or its URL."""
        token = _query(scope, "token")
        if (
            scope["type"] != "http"
            or scope.get("method") != "GET"
            or scope.get("path", "").startswith("/api")
            or not token
            or await anyio.to_thread.run_sync(self.people.by_token, token) is None
        ):
            return None
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        query = [(key, value) for key, value in pairs if key != "token"]
        target = scope.get("path", "/") + ("?" + urlencode(query) if query else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            TOKEN_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=scope.get("scheme") == "https",
        )
        return response


KERAS_IMPORT_PATH = "/api/models/import"


class BodySizeLimit:
    """413 for a body over the cap: at once by Content-Length, else while it streams."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.request_bytes = settings.limits.request_bytes
        self.upload_bytes = settings.limits.upload_bytes
        self.keras_file_bytes = settings.limits.keras_file_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.upload_bytes if multipart else self.request_bytes
        if multipart and scope.get("path") == KERAS_IMPORT_PATH:
            limit = self.keras_file_bytes  # only its config.json is read (and capped)
        message = f"The request body is larger than the {limit}-byte limit."
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            length = 0
        if length > limit:
            await error_response(413, [problem("too_large", message)])(scope, receive, send)
            return
        seen = 0

        async def capped_receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, problems_body([problem("too_large", message)]))
            return msg

        await self.app(scope, capped_receive, send)


def redact_secrets(text: str) -> str:
    """`text` with the values of `token=` and `ticket=` query parameters blanked."""
    return _SECRET_IN_QUERY.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Keeps tokens and tickets out of uvicorn's access log (they ride in URLs: the
    editor link `/?token=`, a socket's `?ticket=`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_secrets(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_secrets(record.msg)
        return True


def install_log_redaction() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add the middleware; the last added runs first, so the access guard is outermost.
    CORS stays closed (no middleware) unless `allowed_origins` lists pages."""
    install_log_redaction()
    app.add_middleware(KerasQueue, settings=settings)  # inside the size cap and the guard
    app.add_middleware(BodySizeLimit, settings=settings)
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(AccessGuard, settings=settings)
