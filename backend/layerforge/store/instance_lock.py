"""One server per data directory and per database.

`layerforge serve` recovers runs at start (a run the last server left `running` is
marked failed), so a second server on the same data would fail the first one's live
runs and interleave its event log. The lock is taken before anything else touches the
data: an exclusive `flock` on `DATA_DIR/layerforge.lock` (released by the kernel when
the process dies, kill -9 included) and, for PostgreSQL, a session advisory lock keyed
by the database and schema, held on a connection of its own.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from layerforge.settings import Settings
from layerforge.store.db import make_engine

LOCK_FILE = "layerforge.lock"
ADVISORY_KEY = "hashtext('layerforge:' || current_database() || ':' || current_schema())"


class InstanceLocked(RuntimeError):
    """Another server holds this data directory or database."""


class InstanceLock:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.path = Path(settings.data_dir).resolve() / LOCK_FILE
        self._file: IO[str] | None = None
        self._engine: Engine | None = None
        self._conn: Connection | None = None

    def acquire(self) -> None:
        """Take both locks or neither; raises InstanceLocked naming what is held."""
        self._lock_file()
        try:
            if self.settings.database_url and not self.settings.database_url.startswith("sqlite"):
                self._lock_database(self.settings.database_url)
        except BaseException:
            self.release()
            raise

    def _lock_file(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("a+")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "another process"
            file.close()
            raise InstanceLocked(
                f"another Layerforge server (pid {holder}) is serving the data directory "
                f"{self.path.parent}; stop it first, or give this one another "
                "LAYERFORGE_DATA_DIR"
            ) from None
        file.truncate(0)
        file.write(str(os.getpid()))
        file.flush()
        self._file = file

    def _lock_database(self, url: str) -> None:
        self._engine = make_engine(url)
        self._conn = self._engine.connect()
        taken = self._conn.execute(text(f"SELECT pg_try_advisory_lock({ADVISORY_KEY})")).scalar()
        self._conn.commit()
        if not taken:
            raise InstanceLocked(
                "another Layerforge server is serving this database (its PostgreSQL "
                "advisory lock is held); stop it first, or use another database or schema"
            )

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()  # a session advisory lock ends with its session
            self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._file is not None:
            self._file.close()  # closing the file drops the flock
            self._file = None
