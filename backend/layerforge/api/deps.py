"""What routes share: the app's settings and database, and the lock around Keras."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request
from sqlalchemy.orm import Session, sessionmaker

from layerforge.api.limits import graph_size_problems
from layerforge.graph.errors import GraphError
from layerforge.graph.schema import Graph
from layerforge.settings import Settings
from layerforge.store.db import database_url, session_scope, sessions_for

# Keras builds layers in process-wide state (name scopes, the validation cache), so the
# API lets one request at a time validate, build, import or export.
keras_lock = threading.Lock()


def app_settings(request: Request) -> Settings:
    return request.app.state.settings


def _sessions(app: FastAPI) -> sessionmaker[Session]:
    """The app's session factory, made on first use (so `layerforge openapi` and an app
    that never touches the store open no database)."""
    sessions = getattr(app.state, "sessions", None)
    if sessions is None:
        sessions = app.state.sessions = sessions_for(database_url(app.state.settings))
    return sessions


@contextmanager
def db_session(request: Request) -> Iterator[Session]:
    """A session on the app's database that commits when the block succeeds."""
    with session_scope(_sessions(request.app)) as session:
        yield session


def check_graph_size(graph: Graph, settings: Settings) -> None:
    """Raise a 422 naming the cap when the graph has too many nodes or nests too deep."""
    problems = graph_size_problems(graph, settings.limits)
    if problems:
        raise GraphError(problems)
