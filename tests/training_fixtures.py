"""Small graphs, trainer-subprocess helpers and an app client for the training tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def chain(
    *layers: dict,
    input_shape: list,
    loss: str,
    metrics=("accuracy",),
    input_params=None,
    output_name: str = "label",
) -> dict:
    """A Sequential-style graph: Input -> layers... -> Output."""
    nodes = [
        {
            "id": "in",
            "type": "Input",
            "name": "x",
            "params": {"shape": input_shape, **(input_params or {})},
        }
    ]
    for i, layer in enumerate(layers):
        nodes.append(
            {"id": layer.get("id", f"l{i}"), **{k: v for k, v in layer.items() if k != "id"}}
        )
    nodes.append(
        {
            "id": "out",
            "type": "Output",
            "name": output_name,
            "params": {"loss": loss, "metrics": list(metrics)},
        }
    )
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:], strict=False)]
    return {"nodes": nodes, "edges": edges}


def digits_mlp() -> dict:
    return chain(
        {"type": "Dense", "params": {"units": 64, "activation": "relu"}},
        {"type": "Dense", "params": {"units": 10, "activation": "softmax"}},
        input_shape=[64],
        loss="sparse_categorical_crossentropy",
    )


def example(name: str) -> dict | None:
    path = EXAMPLES / name
    return json.loads(path.read_text()) if path.exists() else None


class Trainer:
    """A real trainer subprocess speaking the protocol; collects its events."""

    def __init__(self, spec: dict[str, Any], warm: bool = False):
        env = {
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "KERAS_BACKEND": spec.get("backend", "tensorflow"),
        }
        cmd = [sys.executable, "-m", "layerforge.training.trainer"] + (["--warm"] if warm else [])
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        self.events: list[dict] = []
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._err = threading.Thread(target=self._read_err, daemon=True)
        self._err.start()
        self.proc.stdin.write(json.dumps(spec) + "\n")
        self.proc.stdin.flush()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.events.append(json.loads(line))

    def _read_err(self) -> None:
        self.stderr = self.proc.stderr.read()

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait_for(self, predicate, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in list(self.events):
                if predicate(e):
                    return e
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(
            f"no matching event; events: {self.events[-5:]}\nstderr: {self.stderr[-3000:]}"
        )

    def finish(self, timeout: float = 300) -> list[dict]:
        try:
            self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self._reader.join(5)
        self._err.join(5)
        return self.events

    def of(self, type_: str) -> list[dict]:
        return [e for e in self.events if e["type"] == type_]


def train_spec(tmp: Path, graph: dict, dataset: dict, **settings) -> dict:
    return {
        "run_id": tmp.name,
        "run_dir": str(tmp / "run"),
        "graph": graph,
        "dataset": dataset,
        "settings": settings,
        "data_dir": str(tmp / "data"),
        "backend": "tensorflow",
    }


def run_trainer(tmp: Path, graph: dict, dataset: dict, **settings) -> Trainer:
    t = Trainer(train_spec(tmp, graph, dataset, **settings))
    t.finish()
    return t
