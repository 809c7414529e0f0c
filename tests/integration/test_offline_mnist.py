"""The guide's first example with no network: the MNIST MLP template (784 inputs) fits and
trains on `digits_mnist_shaped`; `mnist` loads from Keras's cache when it is there and
otherwise says it needs a network (a trainer process with no route out)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from helpers import EXAMPLES, TERMINAL, wait_status

MLP = json.loads((EXAMPLES / "sequential_mlp_mnist.json").read_text())

LOAD = """
import sys
from layerforge.training.datasets.builtin import load_mnist
from layerforge.training.datasets.errors import DatasetError
try:
    loaded = load_mnist(None)
except DatasetError as exc:
    print("ERROR", exc.code, exc)
    sys.exit(0)
print("LOADED", loaded.arrays["x"].shape, loaded.arrays["y"][:3].tolist())
"""


def _load_mnist(keras_home) -> str:
    env = {
        **os.environ,
        "KERAS_HOME": str(keras_home),
        # no route out: every download goes to a closed port
        "https_proxy": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "no_proxy": "",
    }
    done = subprocess.run(
        [sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_mnist_needs_a_network_unless_keras_has_it_cached(tmp_path):
    line = _load_mnist(tmp_path)
    assert line.startswith("ERROR dataset_unavailable mnist needs a network"), line
    assert str(tmp_path / "datasets" / "mnist.npz") in line and "digits_mnist_shaped" in line

    (tmp_path / "datasets").mkdir(exist_ok=True)  # Keras made it for its download
    x = np.zeros((5, 28, 28), "uint8")
    np.savez(tmp_path / "datasets" / "mnist.npz", x_train=x, y_train=np.array([3, 1, 4, 1, 5]))
    assert _load_mnist(tmp_path) == "LOADED (5, 28, 28, 1) [3, 1, 4]"


def test_the_mnist_mlp_template_trains_offline_on_digits_mnist_shaped(runs_client):
    client = runs_client
    info = client.get("/api/datasets/digits_mnist_shaped").json()
    assert info["arrays"]["x"]["shape"] == [1797, 784] and info["arrays"]["x"]["max"] <= 1
    check = {"graph": MLP, "dataset": {"name": "digits_mnist_shaped"}}
    assert client.post("/api/datasets/check", json=check).json()["fits"]
    other = client.post("/api/datasets/check", json={**check, "dataset": {"name": "digits_flat"}})
    assert not other.json()["fits"]
    body = {**check, "settings": {"epochs": 8, "batch_size": 64, "seed": 1, "tensorboard": False}}
    created = client.post("/api/runs", json=body)
    assert created.status_code == 201, created.text
    run = wait_status(client, created.json()["id"], TERMINAL, timeout=300)
    assert run["status"] == "succeeded", run
    assert run["metrics"]["val_accuracy"] > 0.8, run["metrics"]
