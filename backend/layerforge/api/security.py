"""Who may talk to the server, and how much they may send.

- Loopback by default. Then the Host header must name this machine (so a web page
  cannot reach the API through DNS rebinding) and a browser Origin must be a loopback
  page or one of `settings.allowed_origins`.
- Binding beyond loopback needs `LAYERFORGE_TOKEN`: every `/api` call but the health
  check then carries `Authorization: Bearer <token>`; a WebSocket, which a browser
  cannot give headers, may pass `?token=<token>` instead. A person opens the editor
  once at `/?token=<token>`: the token moves into an HttpOnly, SameSite=Strict cookie
  that the editor's calls carry. Cross-origin pages must be listed in `allowed_origins`.
- Request bodies are capped: JSON at `limits.request_bytes`, multipart uploads at
  `limits.upload_bytes`; a larger body is a 413 before the route runs.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from layerforge.api.errors import error_response, problem, problems_body
from layerforge.settings import Settings

TOKEN_COOKIE = "layerforge_token"
PUBLIC_API_PATHS = frozenset({"/api/health", "/api/openapi.json", "/api/docs"})
# Starlette's in-process TestClient calls itself "testserver"; no resolver maps that
# name to this machine for a remote page, so accepting it opens nothing.
_LOCAL_NAMES = frozenset({"localhost", "testserver"})


class UnsafeBinding(ValueError):
    """Raised when asked to listen beyond loopback without a token."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_token_beyond_loopback(settings: Settings) -> None:
    if not is_loopback(settings.host) and not settings.token:
        raise UnsafeBinding(
            f"Refusing to serve on {settings.host}: binding beyond loopback needs a token. "
            "Set LAYERFORGE_TOKEN (clients then send 'Authorization: Bearer <token>')."
        )


def token_matches(settings: Settings, presented: str | None) -> bool:
    """True when no token is configured, or `presented` is it (compared in constant time)."""
    if not settings.token:
        return True
    return presented is not None and hmac.compare_digest(
        presented.encode(), settings.token.encode()
    )


def _query_token(scope: Scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return values[-1] if values else None


def presented_token(scope: Scope) -> str | None:
    """The token of a request: a bearer header, the editor's cookie, or (a WebSocket
    only) `?token=`."""
    headers = Headers(scope=scope)
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = cookie_parser(headers.get("cookie", "")).get(TOKEN_COOKIE)
    if cookie:
        return cookie
    return _query_token(scope) if scope["type"] == "websocket" else None


def _editor_login(scope: Scope, settings: Settings) -> Response | None:
    """Opening the editor at `/?token=<token>` (as Jupyter does) stores the token in an
    HttpOnly, SameSite=Strict cookie and redirects to the same page without it, so the
    editor's own calls are authorised with no token in its code or its URL."""
    token = _query_token(scope)
    if (
        scope["type"] != "http"
        or scope.get("method") != "GET"
        or scope.get("path", "").startswith("/api")
        or not settings.token
        or not token
        or not token_matches(settings, token)
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


def origin_allowed(settings: Settings, origin: str, host: str) -> bool:
    """A browser page may call us from a listed origin; else, with a token, only from
    our own host; without one, only from a loopback origin."""
    origin = origin.rstrip("/")
    if any(origin == listed.rstrip("/") for listed in settings.allowed_origins):
        return True
    parts = urlsplit(origin) if "://" in origin else None
    if parts is None:
        return False
    if settings.token:
        return parts.netloc == host
    return is_loopback(parts.hostname)


def _hostname(netloc: str) -> str | None:
    try:
        return urlsplit("//" + netloc).hostname
    except ValueError:
        return None


class AccessGuard:
    """Checks Host, Origin and token on every HTTP request and WebSocket handshake."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        refusal = self._refusal(scope)
        if refusal is None:
            login = _editor_login(scope, self.settings)
            if login is not None:
                return await login(scope, receive, send)
            return await self.app(scope, receive, send)
        status, code, message = refusal
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
            return
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        await error_response(status, [problem(code, message)], headers)(scope, receive, send)

    def _refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if not self.settings.token and not is_loopback(_hostname(host)):
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
        path = scope.get("path", "")
        preflight = (
            scope["type"] == "http"
            and scope.get("method") == "OPTIONS"
            and "access-control-request-method" in headers
        )
        if (
            path.startswith("/api")
            and path not in PUBLIC_API_PATHS
            and not preflight
            and not token_matches(self.settings, presented_token(scope))
        ):
            return 401, "unauthorized", "A valid 'Authorization: Bearer <token>' is required."
        return None


class BodySizeLimit:
    """413 for a body over the cap: at once by Content-Length, else while it streams."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.request_bytes = settings.limits.request_bytes
        self.upload_bytes = settings.limits.upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.upload_bytes if multipart else self.request_bytes
        message = f"The request body is larger than the {limit}-byte limit."
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            length = 0
        if length > limit:
            await error_response(413, [problem("too_large", message)])(scope, receive, send)
            return
        seen = 0

        async def capped_receive():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, problems_body([problem("too_large", message)]))
            return msg

        await self.app(scope, capped_receive, send)


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add the middleware; the last added runs first, so the access guard is outermost."""
    app.add_middleware(BodySizeLimit, settings=settings)
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(AccessGuard, settings=settings)
