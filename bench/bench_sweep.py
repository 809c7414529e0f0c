"""Sweeps against plain Keras, measured in one run (a real `layerforge serve` with two
trainer slots, real trainer processes, Optuna).

- 16 trials of the iris model (hidden width and learning rate searched), 2 at a time:
  wall time from `POST /api/sweeps` to the sweep's end, against the same 16 fits one
  after another in plain Keras in one process (the baseline), and against the floor:
  the 16 fits in two plain Keras processes at once, timed from when both are ready
  (`bench_team.py`'s floor; no two-slot design beats it on this machine).
- Pruning: 16 trials on a space where half the points are hopeless (a learning rate of
  1e-7), with the median pruner against no pruner: wall time and trials pruned.

Median and range over `--repeats`.

    .venv/bin/python bench/bench_sweep.py [--trials 16] [--epochs 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from rich.progress import Progress  # noqa: E402

from bench_team import parallel_floor, plain_keras, ratios, spread  # noqa: E402
from helpers import run_body  # noqa: E402
from serve_process import Server  # noqa: E402

THREADS = max(1, (os.cpu_count() or 2) // 2)


def sweep(server: Server, body: dict[str, Any], timeout: float = 1800) -> tuple[float, dict]:
    """Seconds from posting the sweep to its end, and the sweep as GET answers it."""
    start = time.perf_counter()
    answer = httpx.post(f"{server.url}/api/sweeps", json=body, timeout=120)
    assert answer.status_code == 201, answer.text
    sweep_id = answer.json()["id"]
    deadline = time.monotonic() + timeout
    while True:
        got = httpx.get(f"{server.url}/api/sweeps/{sweep_id}", timeout=30).json()
        if got["status"] != "running":
            return time.perf_counter() - start, got
        assert time.monotonic() < deadline, f"sweep {sweep_id} did not end"
        time.sleep(0.25)


def search(trials: int, epochs: int, seed: int) -> dict[str, Any]:
    return {
        **run_body(epochs=epochs, batch_size=16),
        "space": {
            "/graph/nodes/hidden/params/units": {"low": 4, "high": 16, "step": 4},
            "/settings/optimizer/learning_rate": {"low": 1e-3, "high": 3e-2, "log": True},
        },
        "trials": trials,
        "parallel": 2,
        "pruner": "none",
        "seed": seed,
    }


def hopeless_half(trials: int, epochs: int, pruner: str, seed: int) -> dict[str, Any]:
    return {
        **run_body(epochs=epochs, batch_size=16),
        "space": {"/settings/optimizer/learning_rate": {"choices": [0.02, 1e-7]}},
        "trials": trials,
        "parallel": 2,
        "sampler": "random",
        "pruner": pruner,
        "seed": seed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    (tmp / "data").mkdir()
    env = {"LAYERFORGE_SLOTS": "2", "LAYERFORGE_TRAINER_THREADS": str(THREADS)}
    server = Server(tmp / "data", env=env)
    try:
        sweep(server, search(2, 1, seed=99))  # warm: trainers started, Keras imported here
        plain_keras(1, 1)
        ours, plain, floor, pruned_s, unpruned_s, pruned_counts = [], [], [], [], [], []
        with Progress(transient=True) as progress:
            task = progress.add_task("repeats", total=args.repeats)
            for repeat in range(args.repeats):
                seconds, got = sweep(server, search(args.trials, args.epochs, repeat))
                states = [t["state"] for t in got["trials"]]
                assert states.count("complete") == args.trials, states
                ours.append(seconds)
                plain.append(plain_keras(args.trials, args.epochs))
                floor.append(parallel_floor(args.trials, args.epochs, THREADS))
                without, _ = sweep(server, hopeless_half(args.trials, args.epochs, "none", repeat))
                with_pruning, got = sweep(
                    server, hopeless_half(args.trials, args.epochs, "median", repeat)
                )
                unpruned_s.append(without)
                pruned_s.append(with_pruning)
                pruned_counts.append(sum(t["state"] == "pruned" for t in got["trials"]))
                progress.advance(task)
        print(
            f"{args.trials} trials of {args.epochs} epochs, 2 in parallel, {args.repeats} "
            f"repeats ({THREADS} CPU thread(s) per trainer):\n"
            f"  sweep {spread(ours)} s; plain Keras one after another {spread(plain)} s; "
            f"two plain Keras processes at once (the floor) {spread(floor)} s\n"
            f"  ratio to plain Keras {spread(ratios(ours, plain))}; floor's ratio "
            f"{spread(ratios(floor, plain))}; ratio to the floor {spread(ratios(ours, floor))}"
        )
        print(
            f"half the space hopeless: median pruner {spread(pruned_s)} s against no pruner "
            f"{spread(unpruned_s)} s, ratio {spread(ratios(pruned_s, unpruned_s))}; trials "
            f"pruned {pruned_counts} of {args.trials}"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
