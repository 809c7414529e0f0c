"""Alembic's entry point. The app passes an open connection (see store/migrate.py); the
`alembic` command line, used to write a new revision, gets the settings' database."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from layerforge.store.models import Base


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if _connection is not None:
    _migrate(_connection)
else:
    from layerforge.settings import get_settings
    from layerforge.store.db import database_url, make_engine

    with make_engine(database_url(get_settings())).begin() as _own:
        _migrate(_own)
