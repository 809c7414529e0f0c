"""The FastAPI application: REST routers, the WebSocket hub and the built editor."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from layerforge import __version__
from layerforge.api.bodies import refuse_unstorable
from layerforge.api.docs import install_docs
from layerforge.api.errors import COMMON_ERRORS, install_error_handlers
from layerforge.api.first_admin import ensure_first_admin
from layerforge.api.hub import Hub
from layerforge.api.routers import (
    auth,
    datasets,
    diffs,
    estimate,
    examples,
    graphs,
    meta,
    models,
    run_outputs,
    runs,
    serving,
    stream,
    training,
    weights,
    workers,
)
from layerforge.api.routers import sweeps as sweeps_router
from layerforge.api.security import install_security
from layerforge.jobs.runtime import Runtime
from layerforge.settings import Settings, get_settings, use_keras_backend
from layerforge.store.instance_lock import InstanceLock

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def _not_for_the_editor(raw_path: str) -> bool:
    """A path the editor's index.html must never answer: one under /api in any case
    (`/API/runs`), before or after `..` is resolved, or one with a `..` segment at all."""
    segments = [s.lower() for s in raw_path.split("/") if s]
    return (bool(segments) and segments[0] == "api") or ".." in segments


def _methods_of(scope: Scope) -> set[str]:
    """The methods the OpenAPI document lists at this path, for its most specific
    template (`/api/datasets/check` before `/api/datasets/{name}`); none: no route has it."""
    path = scope["path"]
    matches = [
        (template.count("{"), operations)
        for template, operations in scope["app"].openapi()["paths"].items()
        if re.fullmatch(re.sub(r"\{[^}/]+\}", "[^/]+", template), path)
    ]
    if not matches:
        return set()
    return {method.upper() for method in min(matches, key=lambda m: m[0])[1]}


class EditorFiles(StaticFiles):
    """The built editor; an unknown client route (no file extension) gets index.html,
    but nothing under /api ever does: an unknown API path stays a 404 (JSON), and a
    known one asked with a method it does not take is a 405 naming those it does."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        raw_path = scope.get("raw_path", b"").decode("latin-1")
        if any(_not_for_the_editor(p) for p in (raw_path, scope["path"], path)):
            allowed = _methods_of(scope)
            if allowed:
                raise HTTPException(
                    405,
                    f"{scope['method']} is not allowed here; use {', '.join(sorted(allowed))}",
                    headers={"Allow": ", ".join(sorted(allowed))},
                )
            raise HTTPException(404, f"No such path: {scope['path'][:200]}")
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or "." in path.rsplit("/", 1)[-1]:
                raise
            return await super().get_response("index.html", scope)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    ensure_first_admin(settings)
    use_keras_backend(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        lock = InstanceLock(settings)  # before recovery touches another server's runs
        if settings.queue == "local":  # team-server replicas share one store by design
            lock.acquire()
        try:
            runtime = Runtime(settings)
            app.state.runtime = runtime
            await runtime.start()
            hub = app.state.hub = Hub(settings, runtime.events)
            hub.start()
            sweeps = sweeps_router.make_sweeps(app, runtime, settings)
            try:
                await sweeps.start()
                yield
            finally:
                await sweeps.stop()
                await hub.stop()
                await runtime.stop()
        finally:
            lock.release()

    app = FastAPI(
        title="Layerforge",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by install_docs, with local assets
        redoc_url=None,
        separate_input_output_schemas=False,
        responses=COMMON_ERRORS,
        dependencies=[Depends(refuse_unstorable)],
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_security(app, settings)
    install_docs(app)
    for module in (
        meta,
        models,
        graphs,
        runs,
        run_outputs,
        training,
        datasets,
        stream,
        examples,
        auth,
        estimate,
        workers,
        serving,
        weights,
        diffs,
        sweeps_router,
    ):
        app.include_router(module.router, prefix="/api")
    stream.publish_stream_schemas(app)
    if (STATIC_DIR / "index.html").exists():
        app.mount("/", EditorFiles(directory=STATIC_DIR, html=True), name="editor")
    return app
