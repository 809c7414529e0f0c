"""Shared by the runs tests: a store in a temporary database, the protocol stand-in
trainer for supervision units, and helpers for the real server stack."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from layerforge.jobs.supervisor import TrainerProcess
from layerforge.store.db import sessions_for
from layerforge.store.runs import RunStore

PROTOCOL_TRAINER = Path(__file__).resolve().parent / "runs_protocol_trainer.py"


@pytest.fixture
def run_store(tmp_path: Path) -> RunStore:
    return RunStore(sessions_for(f"sqlite:///{tmp_path / 'runs.db'}"))


def new_run(store: RunStore, **settings: Any) -> str:
    return store.create_run(graph={"nodes": []}, dataset={"name": "digits"}, settings=settings)["id"]


async def protocol_trainer(mode: str) -> TrainerProcess:
    """A started stand-in trainer (see tests/runs_protocol_trainer.py)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(PROTOCOL_TRAINER), mode,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    return TrainerProcess(proc, "tensorflow")


def assert_whole(events: list[dict[str, Any]], start: int = 1) -> None:
    """Seqs are start, start+1, ... with no gap and no duplicate."""
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(start, start + len(seqs))), seqs
