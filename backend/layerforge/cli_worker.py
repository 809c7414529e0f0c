"""`layerforge worker`: train queued runs from a team server's queue (Dramatiq on Redis),
one run at a time per device slot. Point it at the server's PostgreSQL and Redis with
`LAYERFORGE_DATABASE_URL` and `LAYERFORGE_REDIS_URL`, and at the shared artifacts
volume with `LAYERFORGE_ARTIFACTS_DIR`; any number of workers on any machine may serve
one server. `layerforge worker --check` is the container's health check: it exits 0
while a worker of this host (or `--id`) has a fresh heartbeat in the store."""

from __future__ import annotations

import logging
import shutil
import socket

import typer

from layerforge.settings import Settings, get_settings


def worker_cmd(
    gpus: str | None = typer.Option(
        None, "--gpus", help="GPUs to train on: `all` or indices like `0,1` (one slot each)."
    ),
    cpu: bool = typer.Option(False, "--cpu", help="Train on the CPU (one slot)."),
    worker_id: str | None = typer.Option(
        None, "--id", help="A name for this worker (default: host:pid:random)."
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Exit 0 when a worker of this host (or --id) beat its heartbeat lately, else 1.",
    ),
) -> None:
    """Train runs from the team server's queue."""
    from layerforge.jobs.devices import choose_slots, nvidia_gpus

    if check:
        raise typer.Exit(0 if heartbeat_is_fresh(get_settings(), worker_id) else 1)
    if cpu and gpus:
        raise typer.BadParameter("choose --cpu or --gpus, not both")
    if gpus == "all" and not nvidia_gpus():
        why = "lists none" if shutil.which("nvidia-smi") else "is not installed"
        typer.echo(
            f"error: --gpus all found no GPU: nvidia-smi {why}. Give the worker a GPU "
            "(the NVIDIA driver, and in a container the NVIDIA container toolkit), or "
            "train on the CPU with --cpu.",
            err=True,
        )
        raise typer.Exit(2)
    try:
        slots = choose_slots(gpus, cpu)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--gpus") from exc
    from layerforge.jobs.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings().model_copy(update={"queue": "dramatiq", "events": "redis"})
    run_worker(settings, slots, worker_id)


def heartbeat_is_fresh(settings: Settings, worker_id: str | None) -> bool:
    """True when the worker named `worker_id` (else any worker of this host) wrote its
    heartbeat within `worker_lost_s`: the reaper's own test of a live worker."""
    from layerforge.store.db import database_url, sessions_for
    from layerforge.store.workers import WorkerStore

    workers = WorkerStore(sessions_for(database_url(settings))).list_workers(settings.worker_lost_s)
    host = socket.gethostname()
    fresh = [w for w in workers if (w["id"] == worker_id if worker_id else w["host"] == host)]
    typer.echo(f"{len(fresh)} worker(s) of {worker_id or host} beating", err=not fresh)
    return bool(fresh)
