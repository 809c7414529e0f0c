"""Why a write did not reach the disk: the disk is full, or the database went away.

Both are the server's trouble, not the request's: the API answers 507 or 503 with no id,
the event log keeps the events to write them again, a trainer ends its run `disk_full`.
"""

from __future__ import annotations

import errno
import sqlite3
from typing import Literal

from sqlalchemy import exc as sa

WriteFailure = Literal["disk_full", "database_unavailable"]

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full
_SQLITE_FULL = 13  # sqlite3.SQLITE_FULL, named there from Python 3.11


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        return True
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code == _SQLITE_FULL or "database or disk is full" in str(exc)
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate == _POSTGRES_DISK_FULL


def _connection_lost(exc: BaseException) -> bool:
    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (sa.DisconnectionError, sa.TimeoutError)):
        return True
    # psycopg: the server closed the connection, or cannot be reached (no SQLSTATE, or
    # class 08 connection exception, 57P01..57P03 the server shutting down or starting)
    if isinstance(exc, sa.OperationalError) and not isinstance(exc.orig, sqlite3.Error):
        sqlstate = getattr(exc.orig, "sqlstate", None)
        return sqlstate is None or sqlstate.startswith(("08", "57P"))
    return False


def write_failure(exc: BaseException) -> WriteFailure | None:
    """`disk_full` (ENOSPC, SQLite's "database or disk is full", PostgreSQL's disk_full),
    `database_unavailable` (a lost or refused database connection), else None."""
    chain = _chain(exc)
    if any(_disk_full(e) for e in chain):
        return "disk_full"
    if any(_connection_lost(e) for e in chain):
        return "database_unavailable"
    return None
