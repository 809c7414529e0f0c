"""Session-wide test environment (quiet TensorFlow, a throwaway data directory, no warm
trainer process unless a test asks for one: each imports TensorFlow), and the stores
that unit and API tests share: a run store on SQLite, a PostgreSQL schema."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("LAYERFORGE_DATA_DIR", tempfile.mkdtemp(prefix="layerforge-test-"))
os.environ.setdefault("LAYERFORGE_WARM_TRAINER", "false")
os.environ.setdefault("LAYERFORGE_ALLOW_TEST_HOST", "true")  # TestClient's Host: testserver

from layerforge.store.db import engine_for, sessions_for  # noqa: E402 - after the environment
from layerforge.store.runs import RunStore  # noqa: E402
from needs import postgres_admin  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def run_store(tmp_path: Path) -> RunStore:
    return RunStore(sessions_for(f"sqlite:///{tmp_path / 'runs.db'}"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL on a fresh schema of the `test` database, dropped afterwards;
    skips the test when the server cannot be reached (fails it in CI)."""
    admin = postgres_admin()
    schema = f"lf_test_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield url
        finally:
            engine_for(url).dispose()
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
