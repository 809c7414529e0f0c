"""The FastAPI application: REST routers, the WebSocket hub and the built editor."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from layerforge import __version__
from layerforge.api.routers import datasets, graphs, meta, models, runs, stream
from layerforge.jobs.runtime import Runtime
from layerforge.settings import Settings, get_settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runtime = Runtime(settings)
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title="Layerforge", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    for module in (meta, models, graphs, runs, datasets, stream):
        app.include_router(module.router, prefix="/api")
    if (STATIC_DIR / "index.html").exists():
        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="editor")
    return app
