"""Shared by the runs tests: a store in a temporary database, the protocol stand-in
trainer for supervision units, and helpers for the real server stack."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from layerforge.api.app import create_app
from layerforge.jobs.supervisor import TrainerProcess
from layerforge.settings import Settings
from layerforge.store.db import sessions_for
from layerforge.store.runs import RunStore

PROTOCOL_TRAINER = Path(__file__).resolve().parent / "runs_protocol_trainer.py"


@pytest.fixture
def run_store(tmp_path: Path) -> RunStore:
    return RunStore(sessions_for(f"sqlite:///{tmp_path / 'runs.db'}"))


def new_run(store: RunStore, **settings: Any) -> str:
    return store.create_run(graph={"nodes": []}, dataset={"name": "digits"}, settings=settings)[
        "id"
    ]


async def protocol_trainer(mode: str) -> TrainerProcess:
    """A started stand-in trainer (see tests/runs_protocol_trainer.py)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROTOCOL_TRAINER),
        mode,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return TrainerProcess(proc, "tensorflow")


def assert_whole(events: list[dict[str, Any]], start: int = 1) -> None:
    """Seqs are start, start+1, ... with no gap and no duplicate."""
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(start, start + len(seqs))), seqs


# -- the real server stack ---------------------------------------------------------------

TERMINAL = {"succeeded", "failed", "cancelled"}
BASE_URL = "http://127.0.0.1:8000"


def iris_graph(input_features: int = 4) -> dict[str, Any]:
    """Input -> Dense(8) -> Dense(3, softmax) -> Output: a tiny classifier for iris."""
    return {
        "nodes": [
            {"id": "features", "type": "Input", "params": {"shape": [input_features]}},
            {"id": "hidden", "type": "Dense", "params": {"units": 8, "activation": "relu"}},
            {"id": "probs", "type": "Dense", "params": {"units": 3, "activation": "softmax"}},
            {
                "id": "species",
                "type": "Output",
                "params": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
            },
        ],
        "edges": [
            {"source": "features", "target": "hidden"},
            {"source": "hidden", "target": "probs"},
            {"source": "probs", "target": "species"},
        ],
    }


def run_body(epochs: int = 2, batch_size: int = 16, **settings: Any) -> dict[str, Any]:
    return {
        "graph": iris_graph(),
        "dataset": {"name": "iris"},
        "settings": {
            "epochs": epochs,
            "batch_size": batch_size,
            "seed": 1,
            "tensorboard": False,
            **settings,
        },
    }


def wait_status(client, run_id: str, statuses: set[str], timeout: float = 120.0) -> dict[str, Any]:
    """Poll GET /api/runs/{id} until its status is one of `statuses`."""
    end = time.monotonic() + timeout
    while True:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        if time.monotonic() > end:
            raise AssertionError(f"run {run_id} still {run['status']!r} after {timeout} s")
        time.sleep(0.1)


def wait_event(client, run_id: str, kind: str, timeout: float = 120.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for event in client.get(f"/api/runs/{run_id}/events").json()["events"]:
            if event["type"] == kind:
                return event
        time.sleep(0.1)
    raise AssertionError(f"run {run_id}: no {kind!r} event within {timeout} s")


def receive_until_end(ws, limit: int = 100000) -> list[dict[str, Any]]:
    """Messages of a run's socket until it closes (the terminal status is the last)."""
    from starlette.websockets import WebSocketDisconnect

    events = []
    try:
        while len(events) < limit:
            message = ws.receive_json()
            if message.get("type") != "ping":
                events.append(message)
    except WebSocketDisconnect as exc:
        assert exc.code == 1000, exc
    return events


@pytest.fixture(scope="module")
def runs_client(tmp_path_factory) -> Iterator[TestClient]:
    """The real app (runtime started: scheduler, warm trainer, hub) on a throwaway data dir."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("runs-data"), cancel_grace_s=10, warm_trainer=True
    )
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        yield client
