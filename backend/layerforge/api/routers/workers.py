"""`GET /api/workers`: who trains runs, on which devices, and what each trains now."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from layerforge.api.deps import RuntimeDep
from layerforge.jobs.worker_info import WorkerInfo

router = APIRouter(tags=["workers"])


class WorkerList(BaseModel):
    workers: list[WorkerInfo]


@router.get("/workers", response_model=WorkerList)
async def list_workers(runtime: RuntimeDep) -> WorkerList:
    """Workers heard from recently (`layerforge worker`), or this server's own slots
    with the one-machine scheduler."""
    return WorkerList(workers=await runtime.scheduler.workers())
