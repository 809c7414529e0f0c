"""Serving exports measured in one process, against Keras on the same model and machine.

A small CNN for `digits` (Conv2D 32 and 64, Dense 128 and 10: about 0.55 M parameters)
is built with Layerforge's graph builder and saved as a run's `model.keras`; then, for
each format and quantization the export route offers (training/serving/export.py, the
code the route's child process runs, here in-process):
- export time (quantize, export, and for SavedModel the zip) and file size;
- CPU inference latency of the exported model in its own runtime, batch 1 and 32,
  against Keras `predict` and a direct Keras call `model(x)` (predict has a fixed
  per-call cost a serving loop would not pay);
- the parity report's max abs difference and top-1 agreement.
Latency: `--repeats` rounds of `--calls` calls each; the median call of each round, then
the median of those rounds with their min-max spread.

    .venv/bin/python bench/bench_export.py [--repeats 5] [--calls 50]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from layerforge.training.keras_setup import import_keras  # noqa: E402

keras = import_keras("tensorflow")

from layerforge.graph import build_model, parse_graph  # noqa: E402
from layerforge.training.errors import name_layers_after_nodes  # noqa: E402
from layerforge.training.serving.export import export_for_serving  # noqa: E402
from layerforge.training.serving.runtimes import RUNTIMES  # noqa: E402
from layerforge.training.serving.wire import QUANTIZERS, artifact_name  # noqa: E402

GRAPH = {
    "name": "bench cnn",
    "nodes": [
        {"id": "in", "type": "Input", "name": "x", "params": {"shape": [8, 8, 1]}},
        {
            "id": "c1",
            "type": "Conv2D",
            "params": {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"},
        },
        {
            "id": "c2",
            "type": "Conv2D",
            "params": {"filters": 64, "kernel_size": 3, "padding": "same", "activation": "relu"},
        },
        {"id": "flat", "type": "Flatten", "params": {}},
        {"id": "d1", "type": "Dense", "params": {"units": 128, "activation": "relu"}},
        {"id": "d2", "type": "Dense", "params": {"units": 10, "activation": "softmax"}},
        {
            "id": "out",
            "type": "Output",
            "name": "label",
            "params": {"loss": "sparse_categorical_crossentropy"},
        },
    ],
    "edges": [
        {"source": a, "target": b}
        for a, b in [
            ("in", "c1"),
            ("c1", "c2"),
            ("c2", "flat"),
            ("flat", "d1"),
            ("d1", "d2"),
            ("d2", "out"),
        ]
    ],
}


def rounds(call: Callable[[], Any], repeats: int, calls: int) -> list[float]:
    """The median milliseconds of `calls` calls, for each of `repeats` rounds."""
    call()  # warm-up: tracing, allocation
    medians = []
    for _ in range(repeats):
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
        medians.append(statistics.median(times))
    return medians


def spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):8.3f} ms [{min(values):.3f}-{max(values):.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()

    run_dir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    graph = parse_graph(GRAPH)
    model = build_model(name_layers_after_nodes(graph))
    model.save(run_dir / "model.keras")
    spec = {
        "run_id": "bench",
        "run_dir": str(run_dir),
        "graph": GRAPH,
        "dataset": {"name": "digits"},
        "settings": {"validation_split": 0.2},
        "data_dir": str(run_dir),
    }
    rng = np.random.default_rng(0)
    batches = {n: rng.random((n, 8, 8, 1), dtype=np.float32) for n in (1, 32)}
    print(f"model: {model.count_params():,} parameters; {args.repeats} rounds x {args.calls} calls")
    print("latency: median of round medians [min-max over rounds]\n")
    for n, x in batches.items():
        print(
            f"keras predict  batch {n:2d}: {spread(rounds(lambda x=x: model.predict(x, verbose=0), args.repeats, args.calls))}"
        )
        print(
            f"keras model(x) batch {n:2d}: {spread(rounds(lambda x=x: model(x, training=False), args.repeats, args.calls))}"
        )
    for format, offered in QUANTIZERS.items():
        for quantize in (None, *offered):
            out = run_dir / artifact_name(format, quantize)
            out.parent.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            report = export_for_serving(spec, format, quantize, out)
            total = time.perf_counter() - started
            loadable = out
            if format == "saved_model":  # the runtime loads the folder the zip holds
                loadable = run_dir / f"sm_{quantize}"
                shutil.unpack_archive(out, loadable)
            predict, runtime = RUNTIMES[format](loadable, ["x"])
            label = f"{format}{'/' + quantize if quantize else ''}"
            parity = report.outputs[0]
            print(
                f"\n{label:18s} {runtime}: export {report.export_s:.2f} s (with parity check "
                f"{total:.2f} s), {report.bytes:,} bytes; max abs diff {parity.max_abs_diff:.2e}, "
                f"top-1 agreement {parity.top1_agreement}"
            )
            for n, x in batches.items():
                print(
                    f"  batch {n:2d}: {spread(rounds(lambda x=x, predict=predict: predict([x]), args.repeats, args.calls))}"
                )


if __name__ == "__main__":
    main()
