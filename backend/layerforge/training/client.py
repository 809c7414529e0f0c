"""Run the trainer one-shot (evaluate or predict on a finished run) in a subprocess.

Blocking: the one-machine scheduler (jobs/local.py) calls `run_oneshot` in a thread, a
team server's worker (jobs/worker.py) in a Dramatiq thread. TensorFlow is imported only
in the subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from layerforge.events.types import TRAINER_EVENT, ResultEvent
from layerforge.training.protocol import TRAINER_MODULE


class OneshotError(Exception):
    """The trainer could not evaluate or predict; the message says why."""


def run_oneshot(spec: dict[str, Any], timeout: float = 120) -> ResultEvent:
    """Start `python -m TRAINER_MODULE`, send the spec (with `mode`
    "evaluate" or "predict"), and return its result.

    Raises OneshotError with the trainer's reason, TimeoutError after `timeout` seconds."""
    if spec.get("mode") not in ("evaluate", "predict"):
        raise OneshotError(f"mode must be 'evaluate' or 'predict', got {spec.get('mode')!r}")
    env = {**os.environ, "KERAS_BACKEND": spec.get("backend") or "tensorflow"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    proc = subprocess.Popen(
        [sys.executable, "-m", TRAINER_MODULE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        out, err = proc.communicate(json.dumps(spec).encode() + b"\n", timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise TimeoutError(f"{spec['mode']} took longer than {timeout:g} s") from None
    for line in out.decode().splitlines():
        event = TRAINER_EVENT.validate_json(line)
        if isinstance(event, ResultEvent):
            if event.error is not None:
                raise OneshotError(event.error.message or "unknown error")
            return event
    tail = err.decode(errors="replace").strip().splitlines()[-3:]
    raise OneshotError(
        f"the trainer exited with code {proc.returncode} without a result: {' '.join(tail)}"
    )
