"""Clients that push a real server hard, shared by tests/api/test_api_bounded.py (which
checks what the server answers) and bench/bench_hostile.py (which measures it): a head
of many megabytes on raw sockets, a large `.keras` upload, a burst of validations."""

from __future__ import annotations

import itertools
import select
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

CHUNK = 64 * 1024


def rss_tree(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total * 1024


@contextmanager
def peak_memory(pid: int) -> Iterator[dict[str, int]]:
    """Samples the server's tree every 10 ms; yields a dict that gets `peak` (bytes above
    the size before) when the block ends."""
    out = {"before": rss_tree(pid), "peak": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            out["peak"] = max(out["peak"], rss_tree(pid) - out["before"])
            stop.wait(0.01)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join()


def io_counters(pid: int) -> dict[str, int]:
    """The process's /proc/PID/io (write_bytes: what it sent to the storage layer)."""
    lines = Path(f"/proc/{pid}/io").read_text().splitlines()
    return {name: int(value) for name, value in (line.split(": ") for line in lines)}


def huge_head(port: int, header_bytes: int) -> tuple[int, int]:
    """A GET whose one header holds `header_bytes` bytes, sent 64 KiB at a time until the
    server answers; (the answer's status or 0 for none, bytes sent)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        sent, filler = 0, b"a" * CHUNK
        while sent < header_bytes:
            readable, _, _ = select.select([s], [], [], 0)
            if readable:
                break
            try:
                sent += s.send(filler[: header_bytes - sent])
            except (BrokenPipeError, ConnectionResetError):
                break
        else:
            s.sendall(b"\r\n\r\n")
        try:
            answer = s.recv(CHUNK)
        except (ConnectionResetError, TimeoutError):
            return 0, sent
    return (int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0), sent


def keras_file(path: Path, padding_bytes: int) -> Path:
    """A real `.keras` file (a tiny model) with an extra stored member of
    `padding_bytes` random bytes, as big weights would be."""
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.save(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as z:
        with z.open("assets/padding.bin", "w", force_zip64=True) as member:
            block = bytes(range(256)) * 4096  # 1 MiB
            for _ in range(padding_bytes // len(block)):
                member.write(block)
    return path


def chain_300(variant: int) -> dict[str, Any]:
    """A 300-node chain, Input -> 298 layers -> Output; each `variant` has other widths
    all along, so it is validated afresh (no node of it is cached)."""
    nodes: list[dict[str, Any]] = [{"id": "in", "type": "Input", "params": {"shape": [32]}}]
    for i in range(298):
        kind, params = [
            ("Dense", {"units": 16 + variant + i % 3, "activation": "relu"}),
            ("BatchNormalization", {}),
            ("Dense", {"units": 24 + variant + i % 5}),
            ("LayerNormalization", {}),
        ][i % 4]
        nodes.append({"id": f"n{i}", "type": kind, "params": params})
    nodes.append({"id": "out", "type": "Output", "params": {"loss": "mse"}})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    return {"nodes": nodes, "edges": edges}


@dataclass
class Burst:
    """What a burst of validations saw: their statuses (and Retry-After headers), and
    for each health check sent while some were in flight, its latency and how many
    validations finished while it waited."""

    statuses: list[int] = field(default_factory=list)
    retry_after: list[str | None] = field(default_factory=list)
    health: list[tuple[float, int]] = field(default_factory=list)


def validation_burst(url: str, count: int = 20, first_variant: int = 0) -> Burst:
    """`count` validations of distinct 300-node graphs sent at once, while /api/health
    is asked every 20 ms on a connection of its own."""
    burst, finished = Burst(), [0]
    lock = threading.Lock()
    graphs = [chain_300(first_variant + i) for i in range(count)]

    def validate(graph: dict[str, Any]) -> httpx.Response:
        try:
            with httpx.Client(base_url=url, timeout=600) as client:
                return client.post("/api/graphs/validate", json={"graph": graph})
        finally:
            with lock:
                finished[0] += 1

    with httpx.Client(base_url=url, timeout=600) as health, ThreadPoolExecutor(count) as pool:
        health.get("/api/health")  # the connection is open before the burst
        futures = [pool.submit(validate, g) for g in graphs]
        while (before := finished[0]) < count:
            started = time.perf_counter()
            assert health.get("/api/health").status_code == 200
            burst.health.append((time.perf_counter() - started, finished[0] - before))
            time.sleep(0.02)
        answers = [f.result() for f in futures]
    burst.statuses = [a.status_code for a in answers]
    burst.retry_after = [a.headers.get("retry-after") for a in answers]
    return burst
