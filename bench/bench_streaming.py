"""Live metrics: latency to a WebSocket client, time to the first metric, fan-out.

Runs uvicorn for real on a free port with a throwaway data directory and trains a
small MLP on digits_flat through `POST /api/runs`, as a client would.

1. Latency from the end of a batch in the trainer (the event's `time`) to a
   WebSocket client receiving it: median and p99 over every batch/epoch event of a run
   (aim: under 20 ms and 100 ms).
2. Time from `POST /api/runs` to the first batch metric on the socket: cold (a trainer
   started for the run, the baseline) and warm (a trainer started ahead, TensorFlow
   imported, waiting on stdin); ratio warm/cold (aim: warm under 1.5 s).
3. 200 WebSocket clients on one run: every client must get every event (seq 1..N,
   whole); the latency spread over all of them; ratio of the 200-client median to the
   1-client median of (1) as the baseline.

    .venv/bin/python bench/bench_streaming.py [--epochs 30] [--clients 200] [--repeats 3]

Client, server and trainer share this machine's CPUs, so the figures include their
competition (the 200 clients run in this one process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

TRAINING_MODULE = b"layerforge.training."  # the trainer and the fork server


def digits_mlp(units: int) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "x", "type": "Input", "params": {"shape": [64]}},
            {"id": "h", "type": "Dense", "params": {"units": units, "activation": "relu"}},
            {"id": "p", "type": "Dense", "params": {"units": 10, "activation": "softmax"}},
            {
                "id": "y",
                "type": "Output",
                "params": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
            },
        ],
        "edges": [
            {"source": "x", "target": "h"},
            {"source": "h", "target": "p"},
            {"source": "p", "target": "y"},
        ],
    }


def run_body(epochs: int, units: int) -> dict[str, Any]:
    # a different width per run, so no run profits from the validation cache of another
    return {
        "graph": digits_mlp(units),
        "dataset": {"name": "digits_flat"},
        "settings": {
            "epochs": epochs,
            "batch_size": 16,
            "seed": 1,
            "tensorboard": False,
            "keep_best_checkpoint": False,
        },
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Server:
    """uvicorn serving the app in a subprocess, on a free port."""

    def __init__(self, warm: bool):
        self.data_dir = tempfile.mkdtemp(prefix="lf-bench-stream-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {
            **os.environ,
            "LAYERFORGE_DATA_DIR": self.data_dir,
            "LAYERFORGE_WARM_TRAINER": "true" if warm else "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "layerforge.api.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_base = f"ws://127.0.0.1:{self.port}"
        self.http = httpx.Client(base_url=self.base, timeout=120)
        deadline = time.monotonic() + 120
        while True:
            try:
                if self.http.get("/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)

    def post_run(self, body: dict[str, Any]) -> str:
        answer = self.http.post("/api/runs", json=body)
        answer.raise_for_status()
        return answer.json()["id"]

    def wait_warm_trainer(self, timeout: float = 300) -> None:
        """Until the warm trainer is ready: the CPU time of the server's trainer processes
        (the fork server and the warm trainer it forked) stops growing."""
        deadline = time.monotonic() + timeout
        last, steady_since = None, None
        while time.monotonic() < deadline:
            cpu = self._trainers_cpu()
            now = time.monotonic()
            if cpu is not None and cpu == last:
                steady_since = steady_since or now
                if now - steady_since > 1.5:
                    return
            else:
                steady_since = None
            last = cpu
            time.sleep(0.25)
        raise RuntimeError("no warm trainer became ready")

    def _trainers_cpu(self) -> int | None:
        """utime + stime (clock ticks) of the server's descendants that run Layerforge's
        training code, once a warm trainer is among them (forked by the fork server, or
        started with `--warm` where there is none); None before."""
        procs: dict[int, tuple[int, int, bytes]] = {}  # pid -> (parent, ticks, cmdline)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            procs[int(entry.name)] = (int(stat[1]), int(stat[11]) + int(stat[12]), cmdline)

        def under_server(pid: int) -> bool:
            while pid in procs and pid != self.proc.pid:
                pid = procs[pid][0]
            return pid == self.proc.pid

        mine = {pid: p for pid, p in procs.items() if TRAINING_MODULE in p[2] and under_server(pid)}
        warm = any(p[0] in mine or b"--warm" in p[2] for p in mine.values())
        return sum(p[1] for p in mine.values()) if warm else None

    def close(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def follow(server: Server, run_id: str, *, first_metric: bool = False) -> dict[str, Any]:
    """One socket on a run until it closes: events, latencies of live batch/epoch events."""
    events, latencies = [], []
    async with connect(f"{server.ws_base}/api/runs/{run_id}/stream?after=0", max_queue=None) as ws:
        connected = time.time()  # events before this are replays, not live deliveries
        async for message in ws:
            received = time.time()
            event = json.loads(message)
            if event["type"] == "ping":
                continue
            events.append(event)
            if event["type"] in ("batch", "epoch") and event["time"] >= connected:
                latencies.append((received - event["time"]) * 1000)
            if first_metric and event["type"] == "batch":
                return {"first_metric_at": received}
    seqs = [e["seq"] for e in events]
    return {
        "events": events,
        "latencies": latencies,
        "whole": seqs == list(range(1, len(seqs) + 1)),
    }


async def time_to_first_metric(server: Server, units: int) -> float:
    start = time.time()
    run_id = await asyncio.to_thread(server.post_run, run_body(1, units))
    result = await follow(server, run_id, first_metric=True)
    await asyncio.to_thread(wait_done, server, run_id)
    if "first_metric_at" not in result:
        run = server.http.get(f"/api/runs/{run_id}").json()
        raise RuntimeError(
            f"run {run_id} ended {run['status']} without a batch metric: {run['error']}"
        )
    return result["first_metric_at"] - start


def wait_done(server: Server, run_id: str) -> None:
    while server.http.get(f"/api/runs/{run_id}").json()["status"] not in (
        "succeeded",
        "failed",
        "cancelled",
    ):
        time.sleep(0.2)


async def fan_out(server: Server, clients: int, epochs: int, units: int) -> list[dict[str, Any]]:
    run_id = await asyncio.to_thread(server.post_run, run_body(epochs, units))
    return await asyncio.gather(*(follow(server, run_id) for _ in range(clients)))


def report_latency(label: str, results: list[dict[str, Any]]) -> float:
    lat = [x for r in results for x in r["latencies"]]
    counts = {len(r["events"]) for r in results}
    whole = all(r["whole"] for r in results) and len(counts) == 1
    print(
        f"  {label}: {len(results)} client(s), {counts.pop() if len(counts) == 1 else counts} events each, "
        f"every client got every event in order: {whole}"
    )
    print(
        f"    latency over {len(lat)} live batch/epoch deliveries: median {statistics.median(lat):.1f} ms, "
        f"p99 {pct(lat, 0.99):.1f} ms, max {max(lat):.1f} ms"
    )
    if len(results) > 1:
        medians = [statistics.median(r["latencies"]) for r in results if r["latencies"]]
        print(
            f"    per-client medians: min {min(medians):.1f} ms, median {statistics.median(medians):.1f} ms, "
            f"max {max(medians):.1f} ms"
        )
    return statistics.median(lat)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"bench_streaming: digits_flat MLP, batch 16, {os.cpu_count()} CPUs")

    server = Server(warm=True)
    try:
        await time_to_first_metric(server, 30)  # warms the API process (Keras for validation)
        print("1. latency, trainer batch end -> WebSocket client (baseline: 1 client)")
        one = await fan_out(server, 1, args.epochs, 31)
        one_p50 = report_latency("one client", one)
        print(f"3. fan-out: {args.clients} clients on one run")
        many = await fan_out(server, args.clients, args.epochs, 32)
        many_p50 = report_latency(f"{args.clients} clients", many)
        print(f"    ratio {args.clients}-client median / 1-client median: {many_p50 / one_p50:.2f}")
        warm = []
        for i in range(args.repeats):
            await asyncio.to_thread(server.wait_warm_trainer)
            warm.append(await time_to_first_metric(server, 40 + i))
    finally:
        server.close()

    server = Server(warm=False)
    try:
        await time_to_first_metric(server, 30)
        cold = [await time_to_first_metric(server, 50 + i) for i in range(args.repeats)]
    finally:
        server.close()
    print("2. POST /api/runs -> first batch metric on the socket")
    print(
        f"  cold (baseline, trainer started per run): median {statistics.median(cold):.2f} s  "
        f"runs {', '.join(f'{x:.2f}' for x in cold)}"
    )
    print(
        f"  warm (trainer started ahead):             median {statistics.median(warm):.2f} s  "
        f"runs {', '.join(f'{x:.2f}' for x in warm)}"
    )
    print(f"  ratio warm / cold: {statistics.median(warm) / statistics.median(cold):.2f}")


if __name__ == "__main__":
    asyncio.run(main())
