"""The scheduler interface: what the API needs from whatever runs the trainers.

`LocalScheduler` (jobs/local.py) runs trainer subprocesses on this machine; a Dramatiq
implementation can stand behind the same calls.
"""

from __future__ import annotations

from typing import Literal, Protocol

CancelOutcome = Literal["cancelled", "cancelling", "finished", "unknown"]


class Scheduler(Protocol):
    async def start(self) -> None:
        """Start the workers; runs submitted before start wait in first-come order."""

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
