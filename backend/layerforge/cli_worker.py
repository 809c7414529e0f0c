"""`layerforge worker`: train queued runs from a team server's queue (Dramatiq on Redis),
one run at a time per device slot. Point it at the server's PostgreSQL and Redis with
`LAYERFORGE_DATABASE_URL` and `LAYERFORGE_REDIS_URL`, and at the shared artifacts
volume with `LAYERFORGE_ARTIFACTS_DIR`; any number of workers on any machine may serve
one server."""

from __future__ import annotations

import logging

import typer

from layerforge.settings import get_settings


def worker_cmd(
    gpus: str | None = typer.Option(
        None, "--gpus", help="GPUs to train on: `all` or indices like `0,1` (one slot each)."
    ),
    cpu: bool = typer.Option(False, "--cpu", help="Train on the CPU (one slot)."),
    worker_id: str | None = typer.Option(
        None, "--id", help="A name for this worker (default: host:pid:random)."
    ),
) -> None:
    """Train runs from the team server's queue."""
    from layerforge.jobs.devices import choose_slots
    from layerforge.jobs.worker import run_worker

    if cpu and gpus:
        raise typer.BadParameter("choose --cpu or --gpus, not both")
    try:
        slots = choose_slots(gpus, cpu)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--gpus") from exc
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings().model_copy(update={"queue": "dramatiq", "events": "redis"})
    run_worker(settings, slots, worker_id)
