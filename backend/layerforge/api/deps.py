"""What routes share, as FastAPI dependencies (as in the FastAPI full-stack template):
`SettingsDep` (the app's settings), `RuntimeDep` (the training runtime), `HubDep` (the
WebSocket hub), `SessionDep` (a database session that commits when the route succeeds,
before its answer is sent); and the lock around Keras."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from layerforge.api.hub import Hub
from layerforge.jobs.runtime import Runtime
from layerforge.settings import Settings
from layerforge.store.db import database_url, session_scope, sessions_for


class _KerasLock:
    """Keras builds layers in process-wide state (name scopes, the validation cache), so
    the API lets one request at a time validate, build, import or export.

    After the first such request Keras and TensorFlow are imported (about 480,000
    objects, imported on first use): they move to the collector's permanent generation,
    so a full collection scans only what requests make instead of pausing a check of a
    1,000-node graph for 100 to 300 ms now and then."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen = False

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        try:
            if not self._frozen and "keras" in sys.modules:
                self._frozen = True
                gc.collect()
                gc.freeze()
        finally:
            self._lock.release()


keras_lock = _KerasLock()


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def app_runtime(connection: HTTPConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


def app_hub(connection: HTTPConnection) -> Hub:
    """The app's WebSocket hub (made in the lifespan, over the runtime's event log)."""
    hub: Hub = connection.app.state.hub
    return hub


def app_sessions(app: FastAPI) -> sessionmaker[Session]:
    """The app's session factory, made on first use (so `layerforge openapi` and an app
    that never touches the store open no database)."""
    sessions: sessionmaker[Session] | None = getattr(app.state, "sessions", None)
    if sessions is None:
        sessions = app.state.sessions = sessions_for(database_url(app.state.settings))
    return sessions


def db_session(request: Request) -> Iterator[Session]:
    """A session on the app's database that commits when the route succeeds.

    Its scope is the route function (FastAPI's `scope="function"`), so the commit runs
    before the answer is sent: a commit that fails (a full disk, a lost connection)
    answers 507 or 503 instead of a 2xx whose id then 404s. With the default, request
    scope, the teardown runs after the response has gone out."""
    with session_scope(app_sessions(request.app)) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(app_settings)]
RuntimeDep = Annotated[Runtime, Depends(app_runtime)]
HubDep = Annotated[Hub, Depends(app_hub)]
SessionDep = Annotated[Session, Depends(db_session, scope="function")]
