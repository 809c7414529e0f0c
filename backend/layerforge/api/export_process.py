"""`.keras` export in a child process, never in the API process.

Building and saving a large model takes memory Python does not give back (a 5x10^7
parameter model left gigabytes held in the server after its export ended), so the API
starts `python -m layerforge.api.export_process OUT`, sends `{"graph", "limits"}` on
stdin and streams the file the child wrote. The child's resident memory is watched and
it is killed past `LIMIT_EXPORT_MEMORY_BYTES`; one export runs at a time. This module
imports no Keras: only the child (`main`) does.

Why a `.keras` file is about 3x the float32 weights: a graph whose Output nodes name a
loss is exported compiled with Adam, and its optimizer is built so the file loads
without warnings, so it also holds Adam's two slots (m and v) per weight: weights + 2x.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layerforge.graph.problems import GraphError, Problem

_one_at_a_time = threading.Semaphore(1)
POLL_S = 0.05
EXIT_PROBLEMS = 3


class ExportTooLarge(Exception):
    """The child passed its memory ceiling (or its time) and was killed."""


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class ChildResult:
    returncode: int
    stdout: str
    stderr: str
    peak: int


def run_watched(
    module: str, args: list[str], payload: str, logs: Path, memory_bytes: int, timeout_s: float
) -> ChildResult:
    """Run `python -m module *args` with `payload` on stdin, one such child at a time,
    killed past `memory_bytes` of resident memory or `timeout_s` (ExportTooLarge, with the
    peak seen). Its output goes through files `logs`.out/.err, removed after."""
    said_path, err_path = logs.with_suffix(".out"), logs.with_suffix(".err")
    with _one_at_a_time, said_path.open("w+") as said, err_path.open("w+") as err:
        # files, not pipes: a child that logs a lot never blocks on a full pipe
        child = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdin=subprocess.PIPE,
            stdout=said,
            stderr=err,
            text=True,
        )
        assert child.stdin is not None
        child.stdin.write(payload)
        child.stdin.close()
        peak, deadline = 0, time.monotonic() + timeout_s
        while child.poll() is None:
            peak = max(peak, _rss_bytes(child.pid))
            if peak > memory_bytes or time.monotonic() > deadline:
                child.kill()
                child.wait()
                raise ExportTooLarge(peak)
            time.sleep(POLL_S)
        said.seek(0)
        err.seek(0)
        result = ChildResult(child.returncode, said.read(), err.read(), peak)
    said_path.unlink()
    err_path.unlink()
    return result


def export_in_child(
    graph: dict[str, Any],
    limits: dict[str, Any],
    out: Path,
    memory_bytes: int,
    timeout_s: float,
    weights: Path | None = None,
) -> int:
    """Write `graph` as a .keras file at `out` in a child process, with the weights of
    the weight set file `weights` if given; returns its peak RSS. Raises GraphError for
    problems the child found, ExportTooLarge past the ceiling."""
    request: dict[str, Any] = {"graph": graph, "limits": limits}
    if weights is not None:
        request["weights"] = str(weights)
    payload = json.dumps(request)
    child = run_watched(
        "layerforge.api.export_process", [str(out)], payload, out, memory_bytes, timeout_s
    )
    if child.returncode == EXIT_PROBLEMS:
        raise GraphError([Problem.model_validate(p) for p in json.loads(child.stdout)])
    if child.returncode != 0 or not out.exists():
        raise RuntimeError(f"export process failed ({child.returncode}): {child.stderr[-2000:]}")
    return child.peak


def main() -> int:
    from layerforge.graph import GraphLimits, export_keras_file, parse_graph

    request = json.loads(sys.stdin.read())
    try:
        data = export_keras_file(
            parse_graph(request["graph"]),
            GraphLimits.model_validate(request["limits"]),
            request.get("weights"),
        )
    except GraphError as exc:
        sys.stdout.write(json.dumps([p.model_dump() for p in exc.problems]))
        return EXIT_PROBLEMS
    Path(sys.argv[1]).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
