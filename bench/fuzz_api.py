"""Schemathesis over every operation of a real server, with real ids.

Starts `layerforge serve` on a free port with a throwaway data directory, makes what
the id-taking routes need (a saved graph with two versions, an uploaded data set, a
trained run with its artifacts), then runs `st run --checks all` against the live
OpenAPI document with those ids fixed in the paths, so the generated requests reach
the handlers instead of stopping at 404. DELETE operations go last, in a pass of their
own with generated ids (a fixed id would be gone after the first case).

Prints the cases generated, the 5xx answers the server logged (the figure that must be
0), and the findings per check.

    .venv/bin/python bench/fuzz_api.py [--examples 150] [--delete-examples 40]
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from serve_process import Server  # noqa: E402  (the tests' real-server helper)

# operations that start a process per request: fewer cases, so the run stays in minutes
HEAVY = {
    ("POST", "/api/runs"): 20,
    ("POST", "/api/runs/{run_id}/predict"): 20,
    ("POST", "/api/runs/{run_id}/evaluate"): 20,
    ("POST", "/api/models/export"): 40,
}

MLP = {
    "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [64]}},
        {"id": "h", "type": "Dense", "params": {"units": 16, "activation": "relu"}},
        {"id": "p", "type": "Dense", "params": {"units": 10, "activation": "softmax"}},
        {"id": "y", "type": "Output", "params": {"loss": "sparse_categorical_crossentropy"}},
    ],
    "edges": [
        {"source": "x", "target": "h"},
        {"source": "h", "target": "p"},
        {"source": "p", "target": "y"},
    ],
}


def make_resources(url: str) -> dict[str, str]:
    """A saved graph (two versions), an uploaded data set and a finished run."""
    with httpx.Client(base_url=url, timeout=120) as c:
        saved = c.post("/api/graphs", json={"name": "fuzz", "graph": MLP}).raise_for_status()
        graph_id = saved.json()["id"]
        c.put(f"/api/graphs/{graph_id}", json={"name": "fuzz", "graph": MLP}).raise_for_status()
        csv = "a,b,label\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(40))
        upload = c.post(
            "/api/datasets",
            files={"file": ("fuzz.csv", io.BytesIO(csv.encode()), "text/csv")},
            data={"name": "fuzzset", "target": "label"},
        ).raise_for_status()
        dataset = upload.json()["name"]
        run = c.post(
            "/api/runs",
            json={
                "graph": MLP,
                "dataset": {"name": "digits_flat"},
                "settings": {"epochs": 1, "batch_size": 64},
            },
        ).raise_for_status()
        run_id = run.json()["id"]
        deadline = time.monotonic() + 300
        while c.get(f"/api/runs/{run_id}").json()["status"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, "the fixture run did not finish in 5 minutes"
            time.sleep(0.5)
        artifacts = c.get(f"/api/runs/{run_id}/artifacts").json()["artifacts"]
    return {
        "graph_id": graph_id,
        "run_id": run_id,
        "dataset": dataset,
        "artifact": artifacts[0]["name"] if artifacts else "model.keras",
    }


def write_config(folder: Path, url: str, ids: dict[str, str], examples: int) -> Path:
    """schemathesis.toml: the real ids in the paths, fewer cases for the heavy routes."""
    lines = [
        f'base-url = "{url}"',
        "[generation]",
        f"max-examples = {examples}",
        "[parameters]",
        f'"path.graph_id" = "{ids["graph_id"]}"',
        '"path.version" = 1',
        f'"path.run_id" = "{ids["run_id"]}"',
    ]
    named = {
        "/api/datasets/{name}": ids["dataset"],
        "/api/runs/{run_id}/artifacts/{name}": ids["artifact"],
        "/api/examples/{name}": "sequential_mlp_mnist",
    }
    for path, name in named.items():
        lines += [
            "[[operations]]",
            f'include-path = "{path}"',
            f'parameters = {{ "path.name" = "{name}" }}',
        ]
    for (method, path), n in HEAVY.items():
        lines += [
            "[[operations]]",
            f'include-method = "{method}"',
            f'include-path = "{path}"',
            f"generation.max-examples = {n}",
        ]
    config = folder / "schemathesis.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def schemathesis(config: Path, url: str, report: Path, *filters: str) -> dict[str, Any]:
    """One `st run`; returns its JSON run report."""
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(config),
        "run",
        f"{url}/api/openapi.json",
        "--checks",
        "all",
        "--workers",
        "1",
        "--generation-deterministic",
        "--suppress-health-check",
        "all",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
        *filters,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    report.with_suffix(".txt").write_text(done.stdout + done.stderr)
    summary = done.stdout[done.stdout.rfind("= SUMMARY =") :]
    print(summary or done.stdout[-3000:] + done.stderr[-3000:])
    return json.loads(report.read_text()) if report.exists() else {}


def server_errors(log: Path) -> list[str]:
    """Access-log lines of 5xx answers."""
    pattern = re.compile(r'" 5\d\d\b')
    return [line for line in log.read_text(errors="replace").splitlines() if pattern.search(line)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=150, help="cases per operation")
    parser.add_argument("--delete-examples", type=int, default=40)
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "results" / "fuzz", help="reports go here"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="layerforge-fuzz-") as tmp:
        folder = Path(tmp)
        server = Server(folder / "data")
        try:
            started = time.monotonic()
            ids = make_resources(server.url)
            print(f"resources: {ids}")
            config = write_config(folder, server.url, ids, args.examples)
            main_pass = schemathesis(
                config, server.url, args.out / "main.json", "--exclude-method", "DELETE"
            )
            delete_pass = schemathesis(
                config,
                server.url,
                args.out / "delete.json",
                "--include-method",
                "DELETE",
                "--max-examples",
                str(args.delete_examples),
            )
            wall = time.monotonic() - started
            errors = server_errors(server.log_path)
        finally:
            server.stop()
        print(f"wall time {wall:.0f} s")
        for name, report in (("main", main_pass), ("delete", delete_pass)):
            print(
                f"{name} pass: {len(report.get('failures', []))} findings, full output in "
                f"{args.out / name}.txt"
            )
        print(f"5xx answers in the server log: {len(errors)}")
        for line in errors[:20]:
            print("  " + line)


if __name__ == "__main__":
    main()
