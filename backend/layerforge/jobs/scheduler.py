"""The scheduler interface: what the API needs from whatever runs the trainers.

`LocalScheduler` (jobs/local.py) runs trainer subprocesses on this machine;
`DramatiqScheduler` (jobs/dramatiq_queue.py) queues runs for `layerforge worker`s.
"""

from __future__ import annotations

from typing import Literal, Protocol

from layerforge.events.types import ResultEvent
from layerforge.jobs.spec import RunSpec
from layerforge.jobs.worker_info import WorkerInfo

CancelOutcome = Literal["cancelled", "cancelling", "finished", "unknown"]


class Scheduler(Protocol):
    async def start(self) -> None:
        """Take up what the last server left (its own way: local runs that died with it
        fail and its queue is rebuilt; workers' runs go on), then start the workers; runs
        submitted before start wait in first-come order."""

    async def stop(self) -> None:
        """Stop the workers; runs still active are stopped and marked failed."""

    def submit(self, run_id: str) -> None:
        """Queue a run that is stored with status `queued` (first come, first served)."""

    async def cancel(self, run_id: str) -> CancelOutcome:
        """Cancel a queued run at once, or ask an active one to stop after its current
        batch (`cancelling`; killed if it has not stopped within the grace time)."""

    async def wait_idle(self, run_id: str, timeout: float) -> bool:
        """Wait until the run is not active on this scheduler; False on timeout."""

    def trainer_pid(self, run_id: str) -> int | None:
        """The process id of the run's trainer while it is active here (None elsewhere)."""

    async def oneshot(self, spec: RunSpec, timeout: float) -> ResultEvent:
        """Evaluate or predict with a finished run's model (a `RunSpec` with its mode),
        never in this process. Raises `OneshotError` (training/client.py) with the
        trainer's reason, TimeoutError after `timeout` seconds."""

    async def workers(self) -> list[WorkerInfo]:
        """Who trains runs for this scheduler, with their devices and current runs."""
