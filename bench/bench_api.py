"""What the REST layer adds on top of the graph core, measured in one run (in-process client).

- `GET /api/layers`: a cached 200 and a 304 revalidation, against serialising the
  catalogue for every request (the baseline: `json.dumps(get_catalogue())`).
- `POST /api/graphs/validate` on the 300-layer chain after a one-node edit, against
  calling `validate_graph` directly on an already parsed edit (the baseline): the cost
  of the request (HTTP, JSON, pydantic, the size check) on the editor's hottest call.

    .venv/bin/python bench/bench_api.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fastapi.testclient import TestClient  # noqa: E402

from bench_validate import chain_graph, chain_layers, edited  # noqa: E402
from layerforge.api.app import create_app  # noqa: E402
from layerforge.graph import validate_graph  # noqa: E402
from layerforge.graph.catalogue.specs import get_catalogue  # noqa: E402
from layerforge.settings import Settings  # noqa: E402


def median_ms(fn: Callable[[int], Any], repeats: int) -> float:
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    repeats = parser.parse_args().repeats

    app = create_app(Settings(data_dir=Path(tempfile.mkdtemp(prefix="layerforge-bench-"))))
    client = TestClient(app, base_url="http://127.0.0.1:8000")

    start = time.perf_counter()
    first = client.get("/api/layers")
    cold = (time.perf_counter() - start) * 1000
    etag = first.headers["etag"]
    baseline = median_ms(lambda _: json.dumps(get_catalogue()).encode(), repeats)
    cached = median_ms(
        lambda _: client.get("/api/layers", headers={"accept-encoding": "gzip"}), repeats
    )
    revalidated = median_ms(
        lambda _: client.get("/api/layers", headers={"if-none-match": etag}), repeats
    )
    print(
        f"GET /api/layers ({len(first.content):,} bytes JSON, {len(get_catalogue()['layers'])} types)"
    )
    print(f"  first request (builds the catalogue): {cold:8.1f} ms")
    print(f"  baseline, serialise per request:      {baseline:8.2f} ms")
    print(
        f"  cached 200 (gzip):                    {cached:8.2f} ms  ({baseline / cached:.1f}x faster)"
    )
    print(
        f"  304 with If-None-Match:               {revalidated:8.2f} ms"
        f"  ({baseline / revalidated:.1f}x faster)"
    )

    graph = chain_graph(chain_layers(300))
    validate_graph(graph)  # warm the per-node cache
    edits = [edited(graph, i) for i in range(2 * repeats)]  # each a fresh value: no cache hit
    bodies = [json.dumps({"graph": g.model_dump(mode="json")}).encode() for g in edits[repeats:]]
    direct = median_ms(lambda i: validate_graph(edits[i]), repeats)
    over_api = median_ms(
        lambda i: client.post(
            "/api/graphs/validate", content=bodies[i], headers={"content-type": "application/json"}
        ),
        repeats,
    )
    print("POST /api/graphs/validate, 300-layer chain, one-node edit (median)")
    print(f"  baseline, validate_graph on a parsed graph: {direct:8.2f} ms")
    print(
        f"  through the API (JSON in, JSON out):        {over_api:8.2f} ms"
        f"  ({over_api / direct:.2f}x the baseline, +{over_api - direct:.1f} ms)"
    )


if __name__ == "__main__":
    main()
