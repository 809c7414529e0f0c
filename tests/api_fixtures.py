"""Fixtures for the API tests: an app on a throwaway data directory and an in-process client.

Import the fixtures into a test module: `from tests.api_fixtures import client, settings`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from layerforge.api.app import create_app
from layerforge.settings import Settings
from layerforge.store.db import engine_for

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def example_graph(name: str = "functional_headline_two_inputs_two_outputs.json") -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def mlp_graph(units: int = 8) -> dict[str, Any]:
    """Input(4) -> Dense(units) -> Dense(1) -> Output: a valid Sequential model."""
    return {
        "name": "tiny mlp",
        "nodes": [
            {"id": "in", "type": "Input", "params": {"shape": [4]}},
            {"id": "d1", "type": "Dense", "params": {"units": units, "activation": "relu"}},
            {"id": "d2", "type": "Dense", "params": {"units": 1}},
            {"id": "out", "type": "Output", "params": {"loss": "mse"}},
        ],
        "edges": [
            {"source": "in", "target": "d1"},
            {"source": "d1", "target": "d2"},
            {"source": "d2", "target": "out"},
        ],
    }


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def client(settings: Settings) -> TestClient:
    """An in-process client. The lifespan (training runtime) is not started: these
    tests need no scheduler."""
    return TestClient(create_app(settings), base_url="http://127.0.0.1:8000")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL on a fresh schema of the `test` database, dropped afterwards;
    skips the test when the server cannot be reached."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(ADMIN_DSN, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432/test is unreachable: {exc}")
    schema = f"lf_test_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield url
        finally:
            engine_for(url).dispose()
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_client(request: pytest.FixtureRequest, tmp_path: Path) -> TestClient:
    """A client whose saved graphs live in SQLite, then in PostgreSQL."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=url))
    return TestClient(app, base_url="http://127.0.0.1:8000")
