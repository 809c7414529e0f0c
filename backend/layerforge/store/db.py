"""Engine and sessions: SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from layerforge.settings import Settings, get_settings
from layerforge.store.migrate import upgrade


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(
            conn: Any, _record: Any
        ) -> None:  # WAL lets readers run while a writer writes
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(url: str) -> Engine:
    """One engine per database URL, its schema upgraded to the newest on first use."""
    with _engines_lock:
        if url not in _engines:
            engine = make_engine(url)
            upgrade(engine)
            _engines[url] = engine
        return _engines[url]


def sessions_for(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(url), expire_on_commit=False)


def database_url(settings: Settings) -> str:
    """The settings' database URL, first making the data directory a SQLite file needs."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings.db_url


def _session_factory() -> sessionmaker[Session]:
    return sessions_for(database_url(get_settings()))


@contextmanager
def session_scope(sessions: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """A session (of `sessions`, else of the global settings' database) that commits on
    success and rolls back on error."""
    session = (sessions or _session_factory())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
