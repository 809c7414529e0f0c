"""The trainer process protocol, both ends' shared part.

One JSON spec line on stdin; events (`layerforge.events.types`) as JSON lines on the
trainer's ORIGINAL stdout; the line `cancel` on stdin stops after the current batch. The
last event of a training run is a terminal status; a one-shot run (evaluate or predict)
prints one `ResultEvent`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import IO, Any

from layerforge.events.types import ResultEvent, RunEvent

TRAINER_MODULE = "layerforge.training.trainer"
"""The trainer's module: its process is `python -m TRAINER_MODULE [--warm]`."""
CANCEL_LINE = "cancel"
LINE_LIMIT = 16 * 1024 * 1024
"""The longest event line the supervising end reads (a result with many predictions)."""

Emit = Callable[[RunEvent], None]
Logs = dict[str, Any] | None
"""What Keras passes its callbacks as `logs`."""


class EventStream:
    """Writes events as JSON lines to a file object; thread-safe, one flush per line."""

    def __init__(self, out: IO[str]):
        self.out = out
        self._lock = threading.Lock()

    def __call__(self, event: RunEvent | ResultEvent) -> None:
        line = event.model_dump_json(exclude_unset=True)
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()
