"""Integration fixtures: the real app with its runtime started."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from helpers import BASE_URL
from layerforge.api.app import create_app
from layerforge.settings import Settings


@pytest.fixture(scope="module")
def runs_client(tmp_path_factory) -> Iterator[TestClient]:
    """The real app (runtime started: scheduler, warm trainer, hub) on a throwaway data dir."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("runs-data"), cancel_grace_s=10, warm_trainer=True
    )
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        yield client
