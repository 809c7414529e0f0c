"""How a training run stops as failed, the error events it emits on the way, and the
words for why: Keras's own message for an error raised in fit, `disk_full` for a
write that met a full disk."""

from __future__ import annotations

import re

from layerforge.events.types import ErrorEvent, RunError
from layerforge.graph.problems import Problem, clean_message
from layerforge.store.failures import write_failure
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


_TF_HEADER = re.compile(r"^(?:Graph execution error:|Detected at node .* defined at .*:)$")
_TF_FRAME = re.compile(r"^(?:<keras>.*|File .*|)$")
_TF_NODE = re.compile(r"\s*\[\[\{\{node [^}]*\}\}\]\]|\s*\[Op:[^\]]*\]")


def fit_error_message(exc: BaseException) -> str:
    """What Keras (or TensorFlow) said, without TensorFlow's graph-execution preamble,
    the Python frames it lists and its op names: e.g. `indices[28,0] = 6520 is not in
    [0, 1000)` for a token beyond an Embedding's input_dim."""
    raw = getattr(exc, "message", None)
    text = clean_message(raw if isinstance(raw, str) and raw else exc)
    lines, in_frames = [], False
    for line in text.splitlines():
        if _TF_HEADER.match(line):
            in_frames = line.startswith("Detected at node")
            continue
        if in_frames and _TF_FRAME.match(line):
            continue
        in_frames = False
        line = _TF_NODE.sub("", line).strip()
        if line:
            lines.append(line)
    return "\n".join(lines) or type(exc).__name__


def disk_full_error(exc: BaseException) -> RunError | None:
    """The run's error when `exc` is a write that met a full disk, else None."""
    if write_failure(exc) != "disk_full":
        return None
    where = getattr(exc, "filename", None)
    return RunError(
        code="disk_full",
        message="the disk is full: the run could not write "
        + (f"`{where}`" if where else "its files")
        + "; free space on the server and start it again",
    )
