"""The backend matrix: Keras 3 on TensorFlow, JAX and PyTorch.

Every example in examples/ validates and builds with the same parameter count on each
backend (the server's own Keras, chosen with LAYERFORGE_KERAS_BACKEND, in a fresh
process); every example with a data set of its shape trains one epoch in a real trainer
process on each backend (`settings.backend`), with the same history keys and layer
statistics on the same nodes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from helpers import EXAMPLES, REPO, Trainer, example, train_spec

pytestmark = pytest.mark.slow

BACKENDS = ["tensorflow", "jax", "torch"]
EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.json"))
# examples with a built-in or generated data set of their shapes, cheap enough for
# three backends on two cores (tiny: one short epoch). The tweets and videos examples
# (280-step LSTMs, 64x64 video frames) took over 10 minutes across the three backends here.
TRAINED = {
    "functional_headline_two_inputs_two_outputs.json": {"name": "headline", "samples": 32},
    "sequential_stacked_lstm.json": {"name": "sequences", "samples": 64},
    "sequential_stateful_lstm.json": {"name": "sequences", "samples": 128},
}
# Keras 3.15 on PyTorch cannot train a stateful LSTM ("one of the variables needed for
# gradient computation has been modified by an inplace operation"), with or without
# Layerforge's callbacks: that pair is left out until Keras fixes it.
KERAS_CANNOT = {("torch", "sequential_stateful_lstm.json")}

BUILD_ALL = """
import json, sys
from pathlib import Path
from layerforge.settings import Settings, use_keras_backend
settings = Settings()
use_keras_backend(settings)  # LAYERFORGE_KERAS_BACKEND points Keras at the backend
import keras
from layerforge.graph import model_summary, validate_graph
from layerforge.graph.schema import parse_graph
out = {"backend": keras.backend.backend(), "examples": {}}
for path in sorted(Path(sys.argv[1]).glob("*.json")):
    graph = parse_graph(json.loads(path.read_text()))
    report = validate_graph(graph, settings.limits)
    summary = model_summary(graph, settings.limits)
    out["examples"][path.name] = {
        "errors": [e.code for e in report.errors],
        "validated": report.total_params,
        "built": summary.total_params,
    }
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def built() -> dict[str, dict]:
    """Per backend: each example's validation errors and parameter counts."""
    procs = {
        b: subprocess.Popen(
            [sys.executable, "-c", BUILD_ALL, str(EXAMPLES)],
            env={**os.environ, "LAYERFORGE_KERAS_BACKEND": b, "TF_CPP_MIN_LOG_LEVEL": "2"},
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for b in BACKENDS
    }
    results = {}
    for backend, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
        assert proc.returncode == 0 and line, err[-3000:]
        results[backend] = json.loads(line[len("RESULT ") :])
    return results


def test_the_server_backend_follows_layerforge_keras_backend(built):
    assert {b: r["backend"] for b, r in built.items()} == {b: b for b in BACKENDS}


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_every_example_builds_with_the_same_parameter_count(built, name):
    tf = built["tensorflow"]["examples"][name]
    assert tf["errors"] == [] and tf["built"] == tf["validated"] > 0
    for backend in ("jax", "torch"):
        other = built[backend]["examples"][name]
        assert other == tf, (backend, other, tf)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[tuple[str, str], Trainer]:
    """Every TRAINED example for one epoch on each backend; one backend's runs at a time."""
    runs: dict[tuple[str, str], Trainer] = {}
    for backend in BACKENDS:
        started = {}
        for name, dataset in TRAINED.items():
            if (backend, name) in KERAS_CANNOT:
                continue
            tmp = tmp_path_factory.mktemp(f"{backend}-{name.split('.')[0]}")
            spec = train_spec(
                tmp,
                example(name),
                dataset,
                epochs=1,
                batch_size=32 if "stateful" in name else 8,
                validation_split=0.25,
                seed=1,
                tensorboard=False,
                keep_best_checkpoint=False,
                layer_stats=True,
                backend=backend,
            )
            spec["backend"] = backend
            started[name] = Trainer(spec)
        for name, t in started.items():
            t.finish()
            runs[(backend, name)] = t
    return runs


@pytest.mark.parametrize("name", sorted(TRAINED))
def test_every_example_trains_one_epoch_on_every_backend_with_the_same_keys(trained, name):
    keys, stats = {}, {}
    backends = [b for b in BACKENDS if (b, name) not in KERAS_CANNOT]
    for backend in backends:
        t = trained[(backend, name)]
        status = t.of("status")[-1]
        assert status["status"] == "succeeded", (backend, t.events[-4:], t.stderr[-3000:])
        logs = [e["message"] for e in t.of("log")]
        assert any(f"on {backend}, seed 1" in m for m in logs), logs
        assert not [m for m in logs if "layer statistics stopped" in m], (backend, logs)
        epochs = t.of("epoch")
        assert len(epochs) == 1
        keys[backend] = sorted(epochs[0]["metrics"])
        (layer_stats,) = t.of("layer_stats")
        stats[backend] = {
            node: sorted(fields) for node, fields in sorted(layer_stats["nodes"].items())
        }
    assert len(backends) >= 2
    assert all(keys[b] == keys["tensorflow"] for b in backends), keys
    assert "val_loss" in keys["tensorflow"]
    assert all(stats[b] == stats["tensorflow"] for b in backends), stats
