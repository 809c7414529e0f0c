"""What `GET /api/workers` says about one worker (or, with the local scheduler, this
server's own slots)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DeviceInfo(BaseModel):
    id: str = Field(description='"cpu", or the GPU index as CUDA numbers it.')
    kind: str = Field(description='"cpu" or "gpu".')
    name: str
    memory_mb: int | None = None
    run_id: str | None = Field(
        default=None, description="The run training on it now (team workers; None: free)."
    )


class WorkerInfo(BaseModel):
    id: str
    host: str
    devices: list[DeviceInfo] = Field(description="One run at a time on each.")
    run_id: str | None = Field(description="The run it trains (the first, with several slots).")
    run_ids: list[str] = Field(description="Every run it trains, one per busy slot.")
    free_slots: int
    last_seen_s: float = Field(description="Seconds since its last heartbeat.")
