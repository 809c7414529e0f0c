"""API test fixtures: an app on a throwaway data directory and an in-process client."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from layerforge.api.app import create_app
from layerforge.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def client(settings: Settings) -> TestClient:
    """An in-process client. The lifespan (training runtime) is not started: these
    tests need no scheduler."""
    return TestClient(create_app(settings), base_url="http://127.0.0.1:8000")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_client(request: pytest.FixtureRequest, tmp_path: Path) -> TestClient:
    """A client whose saved graphs live in SQLite, then in PostgreSQL."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=url))
    return TestClient(app, base_url="http://127.0.0.1:8000")
