"""Plain helpers the tests share (graphs, run bodies, waiting on runs, a real trainer
subprocess). Fixtures live in the conftest.py of each folder."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from layerforge.events.log import EventLog, wire_dict
from layerforge.jobs.supervisor import TrainerProcess
from layerforge.store.runs import RunStore
from layerforge.training.protocol import TRAINER_MODULE

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
PROTOCOL_TRAINER = Path(__file__).resolve().parent / "runs_protocol_trainer.py"
TERMINAL = {"succeeded", "failed", "cancelled"}
HEADLINE_PARAMS = 5_200_610
"""Parameters of the headline example (Keras's functional API guide): Embedding 5,120,000
+ LSTM 69,760 + the Dense layers 10,850."""
BASE_URL = "http://127.0.0.1:8000"


# -- graphs ------------------------------------------------------------------------------
def example_graph(name: str = "functional_headline_two_inputs_two_outputs.json") -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def mlp_graph(units: int = 8) -> dict[str, Any]:
    """Input(4) -> Dense(units) -> Dense(1) -> Output: a valid Sequential model."""
    return {
        "name": "tiny mlp",
        "nodes": [
            {"id": "in", "type": "Input", "params": {"shape": [4]}},
            {"id": "d1", "type": "Dense", "params": {"units": units, "activation": "relu"}},
            {"id": "d2", "type": "Dense", "params": {"units": 1}},
            {"id": "out", "type": "Output", "params": {"loss": "mse"}},
        ],
        "edges": [
            {"source": "in", "target": "d1"},
            {"source": "d1", "target": "d2"},
            {"source": "d2", "target": "out"},
        ],
    }


def iris_graph(input_features: int = 4) -> dict[str, Any]:
    """Input -> Dense(8) -> Dense(3, softmax) -> Output: a tiny classifier for iris."""
    return {
        "nodes": [
            {"id": "features", "type": "Input", "params": {"shape": [input_features]}},
            {"id": "hidden", "type": "Dense", "params": {"units": 8, "activation": "relu"}},
            {"id": "probs", "type": "Dense", "params": {"units": 3, "activation": "softmax"}},
            {
                "id": "species",
                "type": "Output",
                "params": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
            },
        ],
        "edges": [
            {"source": "features", "target": "hidden"},
            {"source": "hidden", "target": "probs"},
            {"source": "probs", "target": "species"},
        ],
    }


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


# -- runs in a store and an event log -------------------------------------------------------
def new_run(store: RunStore, **settings: Any) -> str:
    return store.create_run(graph={"nodes": []}, dataset={"name": "digits"}, settings=settings)[
        "id"
    ]


async def protocol_trainer(mode: str) -> TrainerProcess:
    """A started stand-in trainer (see tests/runs_protocol_trainer.py)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROTOCOL_TRAINER),
        mode,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return TrainerProcess(proc, "tensorflow")


async def read_events(log: EventLog, run_id: str, after: int = 0, limit: int = 1000) -> list[dict]:
    """The run's events from the log, as the JSON objects the API sends."""
    return [wire_dict(e) for e in await log.read(run_id, after, limit)]


def assert_whole(events: list[dict[str, Any]], start: int = 1) -> None:
    """Seqs are start, start+1, ... with no gap and no duplicate."""
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(start, start + len(seqs))), seqs


# -- runs through the API ------------------------------------------------------------------
def run_body(epochs: int = 2, batch_size: int = 16, **settings: Any) -> dict[str, Any]:
    return {
        "graph": iris_graph(),
        "dataset": {"name": "iris"},
        "settings": {
            "epochs": epochs,
            "batch_size": batch_size,
            "seed": 1,
            "tensorboard": False,
            **settings,
        },
    }


def wait_status(client, run_id: str, statuses: set[str], timeout: float = 120.0) -> dict[str, Any]:
    """Poll GET /api/runs/{id} until its status is one of `statuses`."""
    end = time.monotonic() + timeout
    while True:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in statuses:
            return run
        if time.monotonic() > end:
            raise AssertionError(f"run {run_id} still {run['status']!r} after {timeout} s")
        time.sleep(0.1)


def wait_event(client, run_id: str, kind: str, timeout: float = 120.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for event in client.get(f"/api/runs/{run_id}/events").json()["events"]:
            if event["type"] == kind:
                return event
        time.sleep(0.1)
    raise AssertionError(f"run {run_id}: no {kind!r} event within {timeout} s")


def receive_until_end(ws, limit: int = 100000) -> list[dict[str, Any]]:
    """Messages of a run's socket until it closes (the terminal status is the last)."""
    from starlette.websockets import WebSocketDisconnect

    events = []
    try:
        while len(events) < limit:
            message = ws.receive_json()
            if message.get("type") != "ping":
                events.append(message)
    except WebSocketDisconnect as exc:
        assert exc.code == 1000, exc
    return events


# -- a real trainer subprocess --------------------------------------------------------------
class Trainer:
    """A real trainer subprocess speaking the protocol; collects its events."""

    def __init__(self, spec: dict[str, Any], warm: bool = False):
        env = {
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "KERAS_BACKEND": spec.get("backend", "tensorflow"),
        }
        cmd = [sys.executable, "-m", TRAINER_MODULE] + (["--warm"] if warm else [])
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
