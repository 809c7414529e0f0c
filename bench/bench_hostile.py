"""Hostile input against a real server, on SQLite and on PostgreSQL: each case's answer,
time and the server's peak extra memory (its process and children, sampled every 10 ms
above the resident size before the request).

The "before" column quotes what issue 8 (and, for the first rows, issue 19) measured on
the server before the fixes; the figures after are measured here, in the same run, on
both stores. Issue 19's rows: ten raw connections each sending a 50 MB header, a large
`.keras` upload (bytes the server wrote, from /proc/PID/io write_bytes, per byte of the
file), and `/api/health` asked every 20 ms while 20 validations of distinct 300-node
graphs run at once, first on a cold server, then warm.

    .venv/bin/python bench/bench_hostile.py [--skip-postgres] [--export-params 25000000]
        [--keras-mb 1024] [--only-bounded | --skip-bounded]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from hostile_clients import (  # noqa: E402  (the tests' clients, measured here)
    huge_head,
    io_counters,
    keras_file,
    peak_memory,
    rss_tree,
    validation_burst,
)
from serve_process import Server  # noqa: E402  (the tests' real-server helper)

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SURROGATE, NUL = "\\ud800", "\\u0000"  # as JSON text spells them
MB = 2**20

GRAPH = {
    "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "d", "type": "Dense", "params": {"units": 3, "activation": "softmax"}},
        {"id": "y", "type": "Output", "params": {"loss": "sparse_categorical_crossentropy"}},
    ],
    "edges": [{"source": "x", "target": "d"}, {"source": "d", "target": "y"}],
}


def wide(units: int, width: int) -> dict:
    """Input(width) -> Dense(units) -> Output: units x width parameters."""
    graph = json.loads(json.dumps(GRAPH))
    graph["nodes"][0]["params"]["shape"] = [width]
    graph["nodes"][1]["params"] = {"units": units}
    graph["nodes"][2]["params"] = {}
    return graph


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def npz_bomb() -> bytes:
    """About 1 MiB that inflates to 1 GiB of zeros (array `x`), written without the GiB."""
    header = np.lib.format
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("x.npy", "w", force_zip64=True) as f:
            head = io.BytesIO()
            header.write_array_header_1_0(
                head, {"descr": "<f4", "fortran_order": False, "shape": (2**28,)}
            )
            f.write(head.getvalue())
            chunk = bytes(2**24)
            for _ in range(2**30 // len(chunk)):
                f.write(chunk)
    return buf.getvalue()


def upload(c: httpx.Client, filename: str, content: bytes, **data: str) -> httpx.Response:
    return c.post("/api/datasets", files={"file": (filename, content)}, data=data)


def raw(c: httpx.Client, path: str, text: str, method: str = "POST") -> httpx.Response:
    return c.request(
        method, path, content=text.encode(), headers={"content-type": "application/json"}
    )


HEADS = "10 connections x 50 MB of header"
KERAS_UPLOAD = ".keras upload (--keras-mb)"
COLD_BURST = "20 validations of 300-node graphs, cold (Keras imported by the first)"
WARM_BURST = "20 validations of 300-node graphs, warm"
BEFORE_19 = {  # as issue 19 measured them
    HEADS: "+480 MB before any auth",
    KERAS_UPLOAD: "1 GiB: ~2 GiB written, 18.6 s",
    COLD_BURST: "health > 1 s p99",
    WARM_BURST: "health > 1 s p99",
}


def cases(
    args: argparse.Namespace,
) -> list[tuple[str, str, Callable[[httpx.Client], httpx.Response]]]:
    """(case, before as issue 8 measured it, request)."""
    million = ",".join(f"c{i}" for i in range(10**6))
    ones = ",".join("1" for _ in range(10**6))
    csv_wide = f"{million}\n{ones}\n{ones}\n".encode()
    csv_long = b"a,b\n" + b"x" * 200_000 + b",1\n"
    bomb = npz_bomb()
    graph_text = json.dumps({**GRAPH, "layout": {"d": {"label": "@"}}})
    tfsm = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "x",
                    "config": {"batch_shape": [None, 3], "dtype": "float32", "name": "x"},
                    "inbound_nodes": [],
                },
                {
                    "class_name": "Dense",
                    "name": "d",
                    "config": {
                        "name": "d",
                        "units": 2,
                        "kernel_initializer": {
                            "module": "keras.layers",
                            "class_name": "TFSMLayer",
                            "config": {"filepath": "/tmp/x", "call_endpoint": "serve"},
                        },
                    },
                    "inbound_nodes": [
                        {
                            "args": [
                                {
                                    "class_name": "__keras_tensor__",
                                    "config": {"keras_history": ["x", 0, 0]},
                                }
                            ],
                            "kwargs": {},
                        }
                    ],
                },
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [["d", 0, 0]],
        },
    }
    big = wide(20_000, 20_000)  # 4x10^8 parameters: under the parameter cap; compiled
    big["nodes"][2]["params"] = {"loss": "mse"}
    export_body = {"graph": wide(args.export_params // 1000, 1000), "format": "keras"}
    return [
        (
            "CSV, 10^6 columns, 2 rows (12 MB)",
            "hours at full CPU; SIGTERM hangs",
            lambda c: upload(c, "wide.csv", csv_wide),
        ),
        (
            "CSV field of 200,000 characters",
            "500",
            lambda c: upload(c, "long.csv", csv_long, target="b"),
        ),
        (
            ".npz of 1 MiB inflating to 1 GiB",
            "201, 12 s, 2.3 GB",
            lambda c: upload(c, "bomb.npz", bomb),
        ),
        (
            ".npz with a complex array",
            "500",
            lambda c: upload(c, "cx.npz", npz_bytes(x=np.zeros((4, 2), "complex64"))),
        ),
        (
            ".keras export, 4x10^8 parameters",
            "10 GB of memory, a 4.8 GB file",
            lambda c: c.post("/api/models/export", json={"graph": big, "format": "keras"}),
        ),
        (
            f".keras export, {args.export_params:.0e} parameters (then RSS held)",
            "6 GB held after",
            lambda c: c.post("/api/models/export", json=export_body),
        ),
        (
            "lone surrogate in a graph's layout",
            "stored, then every GET 500",
            lambda c: raw(
                c,
                "/api/graphs",
                f'{{"name": "g", "graph": {graph_text.replace(chr(34) + "@" + chr(34), chr(34) + SURROGATE + chr(34))}}}',
            ),
        ),
        (
            "NUL in a graph name",
            "500 on PostgreSQL",
            lambda c: raw(c, "/api/graphs", f'{{"name": "a{NUL}b", "graph": {json.dumps(GRAPH)}}}'),
        ),
        (
            "NUL in an artifact name",
            "500 on SQLite",
            lambda c: c.get("/api/runs/abc/artifacts/a%00b"),
        ),
        (
            '"epochs": "5"',
            "accepted as 5",
            lambda c: c.post(
                "/api/runs",
                json={"graph": GRAPH, "dataset": {"name": "iris"}, "settings": {"epochs": "5"}},
            ),
        ),
        ("GET /API/runs", "the editor page (200)", lambda c: c.get("/API/runs")),
        (
            "import with a TFSMLayer initializer",
            "accepted",
            lambda c: c.post("/api/models/import", json={"keras_json": json.dumps(tfsm)}),
        ),
        (
            "Host: testserver on a real server",
            "accepted",
            lambda c: c.get("/api/health", headers={"host": "testserver"}),
        ),
        (
            "data set named ..",
            "accepted",
            lambda c: upload(c, "x.npz", npz_bytes(x=np.zeros((4, 2)), y=np.zeros(4)), name=".."),
        ),
    ]


@contextmanager
def postgres_schema() -> Iterator[str]:
    import psycopg

    schema = f"lf_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{PG_URL}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def bounded(server: Server, folder: Path, args: argparse.Namespace) -> dict[str, str]:
    """Issue 19's bounded cases: heads, bursts of validations (the first imports Keras),
    a .keras upload."""
    out: dict[str, str] = {}
    with peak_memory(server.proc.pid) as mem, ThreadPoolExecutor(10) as pool:
        started = time.perf_counter()
        statuses = sorted(
            {s for s, _ in pool.map(lambda _: huge_head(server.port, 50 * MB), range(10))}
        )
        seconds = time.perf_counter() - started
    out[HEADS] = f"{statuses}, {seconds:.2f} s, +{mem['peak'] / MB:.0f} MB"
    for label, variant in ((COLD_BURST, 0), (WARM_BURST, 1000)):
        started = time.perf_counter()
        burst = validation_burst(server.url, 20, first_variant=variant)
        seconds = time.perf_counter() - started
        waits = sorted(s for s, _ in burst.health)
        p99 = waits[min(len(waits) - 1, round(0.99 * (len(waits) - 1)))]
        out[label] = (
            f"{sorted(set(burst.statuses))} in {seconds:.1f} s; health p50 "
            f"{waits[len(waits) // 2] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max "
            f"{waits[-1] * 1000:.0f} ms ({len(waits)} checks)"
        )
    path = keras_file(folder / "big.keras", args.keras_mb * MB)
    before = io_counters(server.proc.pid)["write_bytes"]
    with peak_memory(server.proc.pid) as mem, path.open("rb") as f:
        started = time.perf_counter()
        status = httpx.post(
            f"{server.url}/api/models/import", files={"file": (path.name, f)}, timeout=600
        ).status_code
        seconds = time.perf_counter() - started
    written = io_counters(server.proc.pid)["write_bytes"] - before
    out[KERAS_UPLOAD] = (
        f"{status}, {seconds:.2f} s, {written / path.stat().st_size:.2f}x the file written, "
        f"+{mem['peak'] / MB:.0f} MB"
    )
    path.unlink()
    return out


def measure(
    store: str, env: dict[str, str], todo: list, folder: Path, args: argparse.Namespace
) -> dict[str, str]:
    """Every case on one server; then a second server on the same store must refuse."""
    out: dict[str, str] = {}
    (folder / store).mkdir(parents=True)
    server = Server(folder / store / "data", env=env, log_name=f"{store}.log")
    try:
        if not args.skip_bounded:
            for name, result in bounded(server, folder / store, args).items():
                out[name] = result
                print(f"  {store:10} {name}: {result}", flush=True)
            if args.only_bounded:
                return out
        with httpx.Client(base_url=server.url, timeout=600) as c:
            for name, _before, request in todo:
                with peak_memory(server.proc.pid) as mem:
                    started = time.perf_counter()
                    status = request(c).status_code
                    seconds = time.perf_counter() - started
                time.sleep(0.5)
                held = rss_tree(server.proc.pid) - mem["before"]
                out[name] = f"{status}, {seconds:.2f} s, +{mem['peak'] / 2**20:.0f} MB" + (
                    f" (held +{held / 2**20:.0f} MB)" if "held" in name else ""
                )
                print(f"  {store:10} {name}: {out[name]}", flush=True)
        started = time.perf_counter()
        second = Server(folder / store / "data", env=env, wait=False, log_name=f"{store}-2.log")
        code = second.proc.wait(timeout=120)
        alive = httpx.get(f"{server.url}/api/health").status_code
        out["a second serve on the same store"] = (
            f"exit {code} in {time.perf_counter() - started:.1f} s; first still answers {alive}"
        )
    finally:
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--export-params", type=int, default=25_000_000)
    parser.add_argument("--keras-mb", type=int, default=1024, help="the .keras upload's size")
    parser.add_argument("--skip-bounded", action="store_true", help="no issue 19 cases")
    parser.add_argument("--only-bounded", action="store_true", help="only issue 19's cases")
    args = parser.parse_args()
    todo = cases(args)
    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="layerforge-hostile-") as tmp:
        folder = Path(tmp)
        results["SQLite"] = measure("sqlite", {}, todo, folder, args)
        if not args.skip_postgres:
            with postgres_schema() as url:
                results["PostgreSQL"] = measure(
                    "postgresql", {"LAYERFORGE_DATABASE_URL": url}, todo, folder, args
                )
    befores = {name: before for name, before, _ in todo}
    befores.update(BEFORE_19)
    befores["a second serve on the same store"] = "marked the live server's runs failed"
    stores = list(results)
    print("\n| case | before (issue 8) | " + " | ".join(f"after, {s}" for s in stores) + " |")
    print("|---|---|" + "---|" * len(stores))
    for name, before in befores.items():
        cells = " | ".join(results[s].get(name, "-") for s in stores)
        print(f"| {name} | {before} | {cells} |")


if __name__ == "__main__":
    main()
