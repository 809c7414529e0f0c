"""Bring a database to the newest schema with the package's Alembic migrations.

Alembic is configured here, from the installed package (no alembic.ini): every process
that opens the store (the API, a worker, `layerforge users`) upgrades first. A database
made before migrations existed (tables, no alembic_version) is stamped as the first
revision, whose schema it has, and upgraded from there. On PostgreSQL an advisory lock
makes processes starting together upgrade one after another.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
FIRST_REVISION = "0001_initial"
_PG_LOCK_KEY = 0x4C46_4D49  # "LFMI": any constant shared by every Layerforge process


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to `revision` (tests pass an older one to make old schemas)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        config = alembic_config(connection)
        names = set(inspect(connection).get_table_names())
        if "alembic_version" not in names and "graphs" in names:
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, revision)
