"""The team server against the one-machine mode, measured in one run (real processes:
`layerforge serve`, `layerforge worker --cpu`, PostgreSQL, Redis).

- Event latency from the trainer's batch end (the event's `time`) to a WebSocket client,
  through Redis (dramatiq+redis) and in the one-machine mode (local+memory): median, p99.
- Eight small runs on two workers: total wall time against the same eight trained one
  after another with plain Keras `model.fit` in one process (the baseline), for runs far
  shorter than a trainer process's start (each run has a fresh one; a warm one waits per
  worker) and for runs of several seconds each. Beside it, the floor: the same eight
  fits in two plain Keras processes at once (four each, as many CPU threads as a
  trainer), timed from when both are ready; no two-worker design beats it on this
  machine. Median and range over `--repeats`, the three measured in turn.
- 200 sockets on one run through Redis: each gets every event, in order.

    .venv/bin/python bench/bench_team.py [--sockets 200] [--runs 8] [--epochs 3,60]
        [--trainer-threads N] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
import psycopg  # noqa: E402
import websockets  # noqa: E402
from rich.progress import Progress  # noqa: E402

from contract.team import REDIS_URL, WorkerProcess, flush_redis, team_env  # noqa: E402
from helpers import run_body  # noqa: E402
from layerforge.settings import Settings  # noqa: E402
from serve_process import Server  # noqa: E402

BENCH_REDIS_DB = 11
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TERMINAL = {"succeeded", "failed", "cancelled"}


def wait_done(server: Server, run_id: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = httpx.get(f"{server.url}/api/runs/{run_id}", timeout=10).json()
        if run["status"] in TERMINAL:
            return run
        assert time.monotonic() < deadline, f"run {run_id} did not finish"
        time.sleep(0.2)


async def latencies(server: Server, run_id: str, samples: int) -> list[float]:
    """Seconds from each batch event's `time` to its arrival on a socket, for the first
    `samples` batch events (batch events are sent at most ten a second)."""
    out: list[float] = []
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/api/runs/{run_id}/stream") as ws:
        async for text in ws:
            now = time.time()
            event = json.loads(text)
            if event["type"] == "batch":
                out.append(now - event["time"])
                if len(out) == samples:
                    break
    return out


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered) * 1000, ordered[int(0.99 * (len(ordered) - 1))] * 1000


def latency_of(server: Server, samples: int) -> tuple[float, float, int]:
    """A run long enough for `samples` batch events, cancelled once they have arrived."""
    body = run_body(epochs=10_000, batch_size=4)
    run_id = httpx.post(f"{server.url}/api/runs", json=body, timeout=30).json()["id"]
    values = asyncio.run(latencies(server, run_id, samples))
    httpx.post(f"{server.url}/api/runs/{run_id}/cancel", timeout=30)
    wait_done(server, run_id)
    p50, p99 = percentiles(values)
    return p50, p99, len(values)


async def many_sockets(server: Server, run_id: str, count: int) -> list[list[int]]:
    async def one() -> list[int]:
        seqs = []
        url = f"ws://127.0.0.1:{server.port}/api/runs/{run_id}/stream"
        async with websockets.connect(url, open_timeout=60) as ws:
            async for text in ws:
                event = json.loads(text)
                if "seq" in event:
                    seqs.append(event["seq"])
        return seqs

    return await asyncio.gather(*(one() for _ in range(count)))


def plain_keras(runs: int, epochs: int) -> float:
    """The baseline: the same iris model and settings (the runs' default validation split
    of 0.2 included), `model.fit` one after another."""
    start = time.perf_counter()
    _fits(runs, epochs)
    return time.perf_counter() - start


def _fits(runs: int, epochs: int) -> None:
    import keras
    import numpy as np
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    x = x.astype("float32")
    for _ in range(runs):
        model = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(8, activation="relu"),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, np.asarray(y), epochs=epochs, batch_size=16, validation_split=0.2, verbose=0)


def _floor_process(runs: int, epochs: int, threads: int, ready: Any, done: Any) -> None:
    from layerforge.training.keras_setup import THREADS_ENV, set_up_tensorflow

    os.environ[THREADS_ENV] = str(threads)
    set_up_tensorflow()  # the threads a trainer is given, set the trainer's way
    import keras  # noqa: F401  (imported before the clock starts)

    ready.wait()
    _fits(runs, epochs)
    done.put(time.time())


def parallel_floor(runs: int, epochs: int, threads: int) -> float:
    """Seconds for `runs` plain fits split over two processes at once, from the moment
    both have imported Keras until the last ends."""
    context = multiprocessing.get_context("spawn")
    ready, done = context.Barrier(3), context.Queue()
    halves = (runs - runs // 2, runs // 2)
    procs = [
        context.Process(target=_floor_process, args=(n, epochs, threads, ready, done))
        for n in halves
    ]
    for proc in procs:
        proc.start()
    ready.wait()
    start = time.time()
    ends = [done.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
    return max(ends) - start


def ratios(values: list[float], baselines: list[float]) -> list[float]:
    return [v / b for v, b in zip(values, baselines, strict=True)]


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} (range {min(values):.2f}-{max(values):.2f})"


def runs_on_workers(team: Server, runs: int, epochs: int) -> float:
    """Seconds from posting `runs` runs to the last one ending; every one must succeed."""
    start = time.perf_counter()
    ids = [
        httpx.post(
            f"{team.url}/api/runs", json=run_body(epochs=epochs, batch_size=16), timeout=30
        ).json()["id"]
        for _ in range(runs)
    ]
    finished = [wait_done(team, run_id)["status"] for run_id in ids]
    assert finished.count("succeeded") == runs, finished
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument(
        "--epochs",
        default="3,60",
        help="epochs of each of the runs, one measurement per value (3: a run far shorter "
        "than a trainer's start; 60: several seconds of training each)",
    )
    parser.add_argument(
        "--trainer-threads",
        type=int,
        default=max(1, (os.cpu_count() or 2) // 2),
        help="LAYERFORGE_TRAINER_THREADS of the two workers (default cores / 2: two CPU "
        "workers share this machine, as the README says to configure them; 0: TensorFlow's)",
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-team-"))
    schema = f"lf_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    redis_url = REDIS_URL.format(db=BENCH_REDIS_DB)
    flush_redis(redis_url)
    settings = Settings(
        data_dir=tmp / "team",
        artifacts_dir=tmp / "artifacts",
        database_url=f"{PG}?options=-csearch_path%3D{schema}",
        redis_url=redis_url,
        queue="dramatiq",
        events="redis",
    )
    env = {**team_env(settings), "LAYERFORGE_QUEUE": "dramatiq", "LAYERFORGE_EVENTS": "redis"}
    threads = str(args.trainer_threads)
    worker_env = {**env, "LAYERFORGE_TRAINER_THREADS": threads}
    workers = [WorkerProcess(worker_env, tmp / f"w{i}.log", f"w{i}") for i in range(2)]
    (tmp / "team").mkdir()
    (tmp / "local").mkdir()
    team = Server(tmp / "team", env=env, log_name="team.log")
    local = Server(tmp / "local", log_name="local.log")
    try:
        redis_p50, redis_p99, n_redis = latency_of(team, args.latency_samples)
        local_p50, local_p99, n_local = latency_of(local, args.latency_samples)
        print(
            f"batch end -> socket, redis: p50 {redis_p50:.1f} ms, p99 {redis_p99:.1f} ms "
            f"({n_redis} batches); one machine: p50 {local_p50:.1f} ms, p99 {local_p99:.1f} ms "
            f"({n_local}); ratio p50 {redis_p50 / local_p50:.2f}"
        )

        for epochs in (int(e) for e in args.epochs.split(",")):
            ours, plain, floor = [], [], []
            with Progress(transient=True) as progress:
                task = progress.add_task(f"{epochs}-epoch runs", total=args.repeats)
                for _ in range(args.repeats):
                    ours.append(runs_on_workers(team, args.runs, epochs))
                    plain.append(plain_keras(args.runs, epochs))
                    floor.append(parallel_floor(args.runs, epochs, args.trainer_threads))
                    progress.advance(task)
            print(
                f"{args.runs} runs of {epochs} epochs, {args.repeats} repeats: on 2 workers "
                f"({threads} CPU thread(s) per trainer) {spread(ours)} s; plain Keras one "
                f"after another in one process {spread(plain)} s; two plain Keras processes "
                f"at once (the floor) {spread(floor)} s\n"
                f"  ratio to plain Keras {spread(ratios(ours, plain))}; "
                f"floor's ratio {spread(ratios(floor, plain))}; "
                f"ratio to the floor {spread(ratios(ours, floor))}"
            )

        body = run_body(epochs=4, batch_size=8)
        run_id = httpx.post(f"{team.url}/api/runs", json=body, timeout=30).json()["id"]
        got = asyncio.run(many_sockets(team, run_id, args.sockets))
        total = wait_done(team, run_id)["last_seq"]
        complete = sum(seqs == list(range(1, total + 1)) for seqs in got)
        print(f"{args.sockets} sockets on one run: {complete} got all {total} events in order")
    finally:
        team.stop()
        local.stop()
        for worker in workers:
            worker.stop()
        flush_redis(redis_url)
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
