"""Images per second through Layerforge's input pipeline against plain Keras, and peak RSS.

Generates N class-folder PNGs (32x32 RGB, 4 classes; `--images`, default 2,000; `--large`
for 50,000), then per repeat, in alternating order:
  plain  a fresh Python process: `keras.utils.image_dataset_from_directory` (batch 64,
         validation split 0.2, the same seed) + `model.fit` of the same model (built from
         the same graph), verbose 0; images/s = training images x epochs / fit seconds;
         peak RSS = the process's ru_maxrss.
  run    `layerforge serve` (LAYERFORGE_DATASETS_DIR = the generated root), the folder made
         a data set in place (POST /api/datasets folder=...), a run by REST with the same
         graph, batch size, epochs and seed (layer statistics, checkpoint and TensorBoard
         off); images/s from the run's own `fit took` log (samples / fit seconds); the
         trainer's peak RSS is the largest VmHWM among the server's child processes while
         the run goes (polled every 0.2 s), the server's its own VmHWM, printed against
         its RSS before the set was made, once a check of the graph imported Keras there
         (flat: the images are never loaded whole).
Printed: the run / plain ratio of images per second per repeat (median, range), the
absolute figures of each side, and the memory.

    .venv/bin/python bench/bench_data.py [--images 2000] [--large] [--repeats 3] [--epochs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from helpers import chain  # noqa: E402
from image_sets import write_folders  # noqa: E402
from serve_process import Server  # noqa: E402

CLASSES = ("a", "b", "c", "d")
SIZE = 32
BATCH = 64
SPLIT = 0.2
SEED = 1337  # image_stream.SPLIT_SEED: both sides split and shuffle alike
GRAPH = chain(
    {"type": "Rescaling", "params": {"scale": 1 / 255}},
    {"type": "Conv2D", "params": {"filters": 16, "kernel_size": 3, "activation": "relu"}},
    {"type": "MaxPooling2D", "params": {}},
    {"type": "Conv2D", "params": {"filters": 32, "kernel_size": 3, "activation": "relu"}},
    {"type": "GlobalAveragePooling2D", "params": {}},
    {"type": "Dense", "params": {"units": len(CLASSES), "activation": "softmax"}},
    input_shape=[SIZE, SIZE, 3],
    loss="sparse_categorical_crossentropy",
)

PLAIN = """
import json, resource, sys, time
import keras
from layerforge.graph import build_model
from layerforge.graph.schema import parse_graph
folder, epochs, batch, split, seed, size = sys.argv[1:7]
keras.utils.set_random_seed(int(seed))
train, val = keras.utils.image_dataset_from_directory(
    folder, image_size=(int(size), int(size)), batch_size=int(batch),
    validation_split=float(split), subset="both", seed=int(seed), verbose=False)
model = build_model(parse_graph(json.loads(sys.stdin.read())))
model.compile(optimizer=keras.optimizers.Adam(0.001),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
start = time.perf_counter()
model.fit(train, validation_data=val, epochs=int(epochs), verbose=0)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "images": len(train.file_paths) * int(epochs),
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def plain(folder: Path, epochs: int) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PLAIN,
            str(folder),
            str(epochs),
            str(BATCH),
            str(SPLIT),
            str(SEED),
            str(SIZE),
        ],
        input=json.dumps(GRAPH),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def vm_hwm(pid: int, field: str = "VmHWM") -> int:
    """A process's peak (or, with field VmRSS, current) resident memory; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def through_layerforge(server: Server, epochs: int) -> dict:
    body = {
        "graph": GRAPH,
        "dataset": {"name": "bench_images"},
        "settings": {
            "epochs": epochs,
            "batch_size": BATCH,
            "seed": SEED,
            "layer_stats": False,
            "keep_best_checkpoint": False,
            "tensorboard": False,
        },
    }
    with httpx.Client(base_url=server.url, timeout=60) as client:
        created = client.post("/api/runs", json=body)
        created.raise_for_status()
        run_id = created.json()["id"]
        peak = 0
        while (run := client.get(f"/api/runs/{run_id}").json())["status"] not in {
            "succeeded",
            "failed",
            "cancelled",
        }:
            peak = max([peak, *(vm_hwm(c.pid) for c in children(server.proc.pid))])
            time.sleep(0.2)
        if run["status"] != "succeeded":
            raise SystemExit(f"the run ended {run['status']}: {run.get('error')}")
        events = client.get(f"/api/runs/{run_id}/events").json()["events"]
    fit = next(e for e in events if e["type"] == "log" and "fit_seconds" in e)
    return {
        "seconds": fit["fit_seconds"],
        "images": fit["samples"],
        "peak_rss": peak,
    }


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--large", action="store_true", help="50,000 images")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    n = 50_000 if args.large else args.images
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "shared"
        start = time.perf_counter()
        write_folders(root / "bench", n // len(CLASSES), CLASSES, SIZE)
        print(f"{n:,} {SIZE}x{SIZE} PNGs written in {time.perf_counter() - start:.0f} s")
        server = Server(Path(tmp) / "data", env={"LAYERFORGE_DATASETS_DIR": str(root)})
        # the server warmed up: Keras imported by a check of the graph
        httpx.post(f"{server.url}/api/graphs/validate", json={"graph": GRAPH}, timeout=120)
        server_before = vm_hwm(server.proc.pid, "VmRSS")
        try:
            made = httpx.post(
                f"{server.url}/api/datasets",
                data={
                    "folder": "bench",
                    "name": "bench_images",
                    "image_height": SIZE,
                    "image_width": SIZE,
                },
                timeout=600,
            )
            made.raise_for_status()
            sides: dict[str, list[dict]] = {"plain": [], "run": []}
            for i in range(args.repeats):
                order = ("plain", "run") if i % 2 == 0 else ("run", "plain")
                for side in order:
                    got = (
                        plain(root / "bench", args.epochs)
                        if side == "plain"
                        else through_layerforge(server, args.epochs)
                    )
                    got["rate"] = got["images"] / got["seconds"]
                    sides[side].append(got)
                    print(
                        f"  repeat {i + 1} {side:5}: {got['rate']:7.0f} images/s ({got['images']:,} in {got['seconds']:.1f} s)"
                    )
            server_peak = vm_hwm(server.proc.pid)
        except BaseException:
            print(server.stop()[-4000:], file=sys.stderr)  # the server's side of it
            raise
        server.stop()
    ratios = [r["rate"] / p["rate"] for r, p in zip(sides["run"], sides["plain"], strict=True)]
    print(f"\n{n:,} images, {args.epochs} epochs, batch {BATCH}, {args.repeats} repeats")
    print(
        f"run / plain images per second: median {statistics.median(ratios):.2f} "
        f"(range {min(ratios):.2f}-{max(ratios):.2f})"
    )
    for side in ("plain", "run"):
        rates = [s["rate"] for s in sides[side]]
        print(
            f"  {side:5} images/s: median {statistics.median(rates):.0f} (range {min(rates):.0f}-{max(rates):.0f})"
        )
    print(
        f"peak RSS: plain fit process {mib(max(s['peak_rss'] for s in sides['plain']))}, "
        f"trainer {mib(max(s['peak_rss'] for s in sides['run']))}, "
        f"server {mib(server_peak)} (RSS {mib(server_before)} before the set was made)"
    )


if __name__ == "__main__":
    main()
