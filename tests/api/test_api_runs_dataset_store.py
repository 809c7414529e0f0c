"""POST /api/runs and POST /api/sweeps look an uploaded set up in the app's own database
(the route's session), not in one made from the environment for the data directory."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from helpers import digits_mlp
from layerforge.api.app import create_app
from layerforge.settings import Settings


def _npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_run_and_sweep_checks_find_an_upload_in_a_database_outside_the_data_dir(tmp_path: Path):
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'elsewhere.sqlite'}",
        warm_trainer=False,
    )
    # labels up to 11 for a 10-way softmax: the check must read the set to say so
    content = _npz(x=np.zeros((5, 64), "float32"), label=np.array([0, 1, 2, 3, 11]))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        created = client.post("/api/datasets", files={"file": ("up.npz", content)})
        assert created.status_code == 201, created.text
        body = {"graph": digits_mlp(), "dataset": {"name": "up"}}
        run = client.post("/api/runs", json=body)
        sweep = client.post(
            "/api/sweeps",
            json={**body, "space": {"/settings/epochs": {"choices": [1, 2]}}, "trials": 2},
        )
        assert client.get("/api/runs").json()["runs"] == []
    for answer in (run, sweep):
        assert answer.status_code == 422, answer.text
        errors = answer.json()["errors"]
        assert [e["code"] for e in errors if e["code"] == "dataset_unknown"] == []
        assert any("integer class labels from 0 to 9" in e["message"] for e in errors), errors
