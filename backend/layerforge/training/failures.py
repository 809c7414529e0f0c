"""How a training run stops as failed, and the error events it emits on the way."""

from __future__ import annotations

from layerforge.events.types import ErrorEvent
from layerforge.graph.problems import Problem
from layerforge.training.protocol import Emit


class TrainingFailed(Exception):
    """Stops a run as failed. With a `code`, the run emits an error event for it; without,
    its error events were emitted already."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


def emit_problems(emit: Emit, problems: list[Problem]) -> None:
    for p in problems:
        emit(ErrorEvent(code=p.code, message=p.message, node=p.node, param=p.param))
