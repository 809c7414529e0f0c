"""The training memory estimate (`POST /api/graphs/estimate`) against the peak memory of
real training on the CPU, for an MLP, a CNN and an LSTM.

How it is measured: each model trains in a fresh subprocess. The subprocess imports
TensorFlow, makes its data and fits a tiny unrelated model for one step (so the runtime's
own start-up, thread pools and first tracing are in the baseline), then resets the
kernel's peak-RSS mark (`/proc/self/clear_refs` 5) and reads the baseline RSS; it then
builds the graph's model with Layerforge, compiles it and fits a few steps. The measured
figure is VmHWM (peak resident set) minus the baseline: weights, gradients, optimizer
slots, activations and the traced training function of this model.

    .venv/bin/python bench/bench_memory_estimate.py [--only mlp]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from layerforge.api.app import create_app
from layerforge.settings import Settings

TOLERANCE = 0.25
REPO = Path(__file__).resolve().parents[1]


def _chain(shape: list[int], layers: list[tuple[str, dict[str, Any]]], loss: str) -> dict:
    nodes = [{"id": "in", "type": "Input", "params": {"shape": shape}}]
    nodes += [{"id": f"n{i}", "type": t, "params": p} for i, (t, p) in enumerate(layers)]
    nodes.append({"id": "out", "type": "Output", "params": {"loss": loss}})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    return {"nodes": nodes, "edges": edges}


MODELS: dict[str, tuple[dict, dict[str, Any]]] = {
    "mlp": (
        _chain(
            [2048],
            [("Dense", {"units": 4096, "activation": "relu"})] * 3 + [("Dense", {"units": 10})],
            "mse",
        ),
        {"batch_size": 256, "optimizer": {"name": "adam"}},
    ),
    "cnn": (
        _chain(
            [96, 96, 3],
            [
                (
                    "Conv2D",
                    {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"},
                ),
                (
                    "Conv2D",
                    {"filters": 64, "kernel_size": 3, "padding": "same", "activation": "relu"},
                ),
                ("MaxPooling2D", {}),
                (
                    "Conv2D",
                    {"filters": 128, "kernel_size": 3, "padding": "same", "activation": "relu"},
                ),
                ("GlobalAveragePooling2D", {}),
                ("Dense", {"units": 10}),
            ],
            "mse",
        ),
        {"batch_size": 64, "optimizer": {"name": "sgd", "momentum": 0.9}},
    ),
    "lstm": (
        _chain(
            [100, 64],
            [
                ("LSTM", {"units": 256, "return_sequences": True}),
                ("LSTM", {"units": 256}),
                ("Dense", {"units": 10}),
            ],
            "mse",
        ),
        {"batch_size": 128, "optimizer": {"name": "rmsprop"}},
    ),
}

CHILD = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, keras
from layerforge.graph import build_model, parse_graph
graph, settings = json.loads(sys.argv[1]), json.loads(sys.argv[2])
batch, steps = settings["batch_size"], 4
model_graph = parse_graph(graph)

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024

tiny = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
tiny.compile("adam", "mse")
tiny.fit(np.zeros((8, 4)), np.zeros((8, 1)), verbose=0)
shape = graph["nodes"][0]["params"]["shape"]
x = np.random.rand(batch * steps, *shape).astype("float32")
y = np.random.rand(batch * steps, 10).astype("float32")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = rss("VmRSS")
model = build_model(model_graph)
opt = dict(settings["optimizer"]); name = opt.pop("name")
model.compile(keras.optimizers.get({"class_name": name, "config": opt}), "mse")
model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
print(json.dumps({"peak_increase": rss("VmHWM") - base}))
"""


def measure(graph: dict, settings: dict[str, Any]) -> int:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(graph), json.dumps(settings)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=True,
    )
    return int(json.loads(done.stdout.strip().splitlines()[-1])["peak_increase"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=sorted(MODELS))
    only = parser.parse_args().only
    data = tempfile.mkdtemp(prefix="bench-memory-")
    client = TestClient(create_app(Settings(data_dir=Path(data))), base_url="http://127.0.0.1:8000")
    ok = True
    print(f"{'model':6} {'estimate MB':>12} {'measured MB':>12} {'ratio':>7}")
    for name, (graph, settings) in MODELS.items():
        if only and name != only:
            continue
        answer = client.post("/api/graphs/estimate", json={"graph": graph, "settings": settings})
        answer.raise_for_status()
        estimate = answer.json()["training"]["total_bytes"]
        measured = measure(graph, settings)
        ratio = estimate / measured
        ok &= abs(ratio - 1) <= TOLERANCE
        print(f"{name:6} {estimate / 2**20:12.1f} {measured / 2**20:12.1f} {ratio:7.2f}")
        print("       ", json.dumps(answer.json()["training"]))
    print(f"within {TOLERANCE:.0%}: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
