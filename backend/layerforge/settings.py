"""Settings read from `LAYERFORGE_*` environment variables (pydantic-settings)."""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from layerforge.graph.limits import GraphLimits


class Limits(GraphLimits, BaseSettings):
    """Caps on what a client may send (`GraphLimits`, the one list of them), read from
    `LAYERFORGE_LIMIT_*`; each breach is a 4xx naming the cap."""

    model_config = SettingsConfigDict(env_prefix="LAYERFORGE_LIMIT_")

    header_bytes: int = Field(
        default=64 * 1024,
        ge=8 * 1024,
        description="Bytes of a request's line and headers under `layerforge serve`; more is a 431.",
    )
    keras_queue: int = Field(
        default=64,
        ge=0,
        description="Requests that may wait for Keras work (validate, build, ...); more get a 503.",
    )
    # data set uploads (training/datasets); the graph caps are GraphLimits'
    csv_columns: int = Field(default=10_000, ge=1, description="Columns of an uploaded .csv.")
    csv_rows: int = Field(default=1_000_000, ge=1, description="Data rows of an uploaded .csv.")
    npz_inflated_bytes: int = Field(
        default=1024**3, ge=1, description="Bytes the arrays of an uploaded .npz inflate to."
    )
    zip_files: int = Field(
        default=60_000, ge=1, description="Entries of an uploaded .zip of image folders."
    )
    zip_inflated_bytes: int = Field(
        default=2 * 1024**3, ge=1, description="Bytes the files of an uploaded .zip inflate to."
    )
    # `.keras` export (a subprocess: api/export_process.py)
    export_bytes: int = Field(
        default=2 * 1024**3,
        ge=1,
        description="Estimated size of an exported .keras file (parameters x 4 bytes).",
    )
    export_memory_bytes: int = Field(
        default=8 * 1024**3,
        ge=64 * 1024**2,
        description="Resident memory the process that writes a .keras file may use.",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAYERFORGE_")

    queue: Literal["local", "dramatiq"] = Field(
        default="local",
        description="What runs the trainers: `local` (subprocesses here) or `dramatiq` "
        "(`layerforge worker` processes fed through Redis).",
    )
    events: Literal["memory", "redis"] = Field(
        default="memory",
        description="The run event log: `memory` (in-process) or `redis` (Redis Streams); "
        "both backed by the store.",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0", description="Redis for the queue and the events."
    )
    artifacts_dir: Path | None = Field(
        default=None,
        description="Run folders, on a volume shared by the API and the workers; "
        "runs_dir (else data_dir/runs) when unset.",
    )
    heartbeat_s: float = Field(
        default=3.0, gt=0, description="How often a worker writes its heartbeat."
    )
    worker_lost_s: float = Field(
        default=15.0, gt=0, description="A worker silent this long is gone; its run is lost."
    )
    stream_maxlen: int = Field(
        default=10_000,
        ge=100,
        description="Events kept in a run's Redis stream (the store has all).",
    )
    oneshot_slots: int = Field(
        default=2, ge=1, description="Evaluate/predict requests run at once per API process."
    )
    oneshot_timeout_s: float = Field(
        default=300.0, gt=0, description="Evaluate/predict give up after this long."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    datasets_dir: Path | None = Field(
        default=None,
        description="A server-side root of image folders (read only) that data sets may "
        "be made from in place (`folder` on POST /api/datasets); unset: none.",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; a SQLite file under data_dir when unset."
    )
    token: str | None = Field(
        default=None, description="Bearer token required when binding beyond loopback."
    )
    allowed_origins: list[str] = Field(default_factory=list)
    ticket_ttl_s: float = Field(
        default=60.0, gt=0, description="How long a WebSocket ticket stays valid (single use)."
    )
    allow_test_host: bool = Field(
        default=False, description="Accept Host 'testserver' (Starlette's TestClient): tests only."
    )
    limits: Limits = Field(default_factory=Limits)
    runs_dir: Path | None = Field(
        default=None, description="Run folders (artifacts); data_dir/runs when unset."
    )
    slots: int | None = Field(
        default=None,
        ge=1,
        description="Concurrent runs; one per GPU (one without GPUs) when unset.",
    )
    warm_trainer: bool = Field(
        default=True,
        description="Keep a trainer started ahead, TensorFlow imported, for the next run.",
    )
    trainer_threads: int = Field(
        default=0,
        ge=0,
        description="CPU threads each trainer's TensorFlow uses (intra- and inter-op); 0: "
        "TensorFlow's choice, every core. Set it to cores / runs when several CPU slots or "
        "workers share one machine, so their runs do not fight over the cores.",
    )
    cancel_grace_s: float = Field(
        default=10.0, description="Kill a trainer this long after cancel."
    )
    shutdown_grace_s: float = Field(
        default=10.0,
        gt=0,
        description="On shutdown, how long open requests may finish before they are cut.",
    )
    keras_backend: Literal["tensorflow", "jax", "torch"] | None = Field(
        default=None,
        description="The Keras backend of the server's own validation, build and export "
        "(runs choose theirs in their settings); unset: KERAS_BACKEND, else tensorflow.",
    )
    ws_ping_s: float = Field(default=15.0, description="WebSocket ping interval when idle.")
    ws_queue: int = Field(
        default=2000, description="Events a socket may fall behind before it is closed."
    )

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'layerforge.db').resolve()}"

    @property
    def run_root(self) -> Path:
        if self.artifacts_dir is not None:
            return (self.artifacts_dir / "runs").resolve()
        return (self.runs_dir or self.data_dir / "runs").resolve()


@lru_cache
def get_settings() -> Settings:
    return Settings()


def use_keras_backend(settings: Settings) -> None:
    """Point this process's Keras at `settings.keras_backend` (the server's and the CLI's
    entry points call it). Keras reads KERAS_BACKEND once, when first imported, so this
    must run before anything imports Keras; a Keras already on another backend is an
    error, not a silent mismatch."""
    if settings.keras_backend is None:
        return
    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != settings.keras_backend:
            raise RuntimeError(
                f"Keras is already imported on {keras.backend.backend()!r}, "
                f"LAYERFORGE_KERAS_BACKEND asks for {settings.keras_backend!r}"
            )
        return
    os.environ["KERAS_BACKEND"] = settings.keras_backend
