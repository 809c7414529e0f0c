"""Alembic migrations: a new database, one of the first revision, and one made before
migrations existed (create_all, no alembic_version) all end at head with their rows,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Engine

from layerforge.store import graphs
from layerforge.store.db import engine_for, make_engine, sessions_for
from layerforge.store.migrate import FIRST_REVISION, current_revision, head_revision, upgrade
from layerforge.store.models import Base
from layerforge.store.runs import RunStore


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'layerforge.db'}"


@pytest.fixture
def raw_engine(db_url: str) -> Iterator[Engine]:
    """An engine of its own (not the app's cached one) to make an old database with."""
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def schema_differences(engine: Engine) -> list[tuple[str, str]]:
    """What differs between the database and the models: (operation, table) pairs."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    flat = [d for diff in diffs for d in (diff if isinstance(diff, list) else [diff])]
    return sorted((op[0], op[2] if op[0] == "add_column" else op[1].name) for op in flat)


def put_old_rows(engine: Engine) -> None:
    """A saved graph with a version, and a run with an event, in the first schema."""
    now = "2025-01-02 03:04:05+00:00"
    graph = json.dumps({"nodes": [{"id": "in", "type": "Input", "params": {"shape": [4]}}]})
    with engine.begin() as c:
        c.execute(
            text("INSERT INTO graphs VALUES ('g1', 'old graph', 1, :now, :now)"), {"now": now}
        )
        c.execute(
            text(
                "INSERT INTO graph_versions (graph_id, version, graph, message, created_at)"
                " VALUES ('g1', 1, :graph, 'first', :now)"
            ),
            {"graph": graph, "now": now},
        )
        c.execute(
            text(
                "INSERT INTO runs (id, status, graph, dataset, settings, metrics, last_seq,"
                " created_at) VALUES ('r1', 'succeeded', :graph, '{\"name\": \"iris\"}',"
                " '{\"epochs\": 1}', '{\"loss\": 0.5}', 1, :now)"
            ),
            {"graph": graph, "now": now},
        )
        c.execute(
            text(
                "INSERT INTO run_events VALUES ('r1', 1, 'status',"
                ' \'{"type": "status", "status": "succeeded"}\', :now)'
            ),
            {"now": now},
        )


def assert_old_rows_readable(url: str) -> None:
    store = RunStore(sessions_for(url))
    run = store.get_run("r1")
    assert run is not None
    assert (run["status"], run["metrics"], run["owner"]) == ("succeeded", {"loss": 0.5}, None)
    assert run["graph"]["nodes"][0]["id"] == "in"
    assert store.read_events("r1") == [{"type": "status", "status": "succeeded"}]
    with sessions_for(url)() as session:
        saved = graphs.get_graph(session, "g1")
        assert saved is not None and (saved.name, saved.owner) == ("old graph", None)
        version = graphs.get_version(session, "g1", 1)
        assert version is not None and (version.message, version.saved_by) == ("first", None)


def test_a_new_database_gets_the_schema_of_the_models(db_url):
    engine = engine_for(db_url)
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    assert schema_differences(engine) == []


def test_the_first_revision_is_the_schema_before_people(raw_engine):
    upgrade(raw_engine, FIRST_REVISION)
    assert schema_differences(raw_engine) == [
        ("add_column", "datasets"),
        ("add_column", "graph_versions"),
        ("add_column", "graphs"),
        ("add_column", "runs"),
        ("add_column", "runs"),
        ("add_index", "ix_socket_tickets_expires_at"),
        ("add_index", "ix_workers_last_seen"),
        ("add_table", "socket_tickets"),
        ("add_table", "users"),
        ("add_table", "weight_sets"),
        ("add_table", "workers"),
    ]


def test_a_database_of_the_first_revision_is_upgraded_keeping_its_rows(db_url, raw_engine):
    upgrade(raw_engine, FIRST_REVISION)
    put_old_rows(raw_engine)
    engine_for(db_url)  # what every process does when it opens the store
    with raw_engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    assert_old_rows_readable(db_url)


def test_a_database_made_before_migrations_is_stamped_and_upgraded(db_url, raw_engine):
    upgrade(raw_engine, FIRST_REVISION)
    with raw_engine.begin() as c:  # as the old code's create_all left it
        c.execute(text("DROP TABLE alembic_version"))
    put_old_rows(raw_engine)
    engine_for(db_url)
    with raw_engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    assert schema_differences(raw_engine) == []
    assert_old_rows_readable(db_url)
