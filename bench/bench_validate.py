"""Validation speed against plain Keras building the same model, in the same run.

Models: a generated 300-layer chain (Dense widths, BatchNormalization, Dropout and
Activation mixed so few layers repeat), and ResNet50 / DenseNet121 imported from
`keras.applications` (weights=None) through `import_keras_json`.

For each: the plain Keras build (baseline; the model with its weights allocated), and
validate_graph cold (empty caches), warm (same graph again) and after one parameter
change near the end (a fresh value each time, so never a cache hit). Prints absolute
milliseconds (medians) and ratios against the baseline.

    .venv/bin/python bench/bench_validate.py [--repeats 5] [--only chain]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from layerforge.graph import clear_caches, validate_graph
from layerforge.graph.schema import Graph, parse_graph

console = Console(width=140)


def chain_layers(n: int = 300) -> list[tuple[str, dict[str, Any]]]:
    layers: list[tuple[str, dict[str, Any]]] = []
    for i in range(n):
        match i % 4:
            case 0 | 2:
                layers.append(("Dense", {"units": 32 + (i * 7) % 61, "activation": "relu"}))
            case 1:
                layers.append(("BatchNormalization", {}))
            case 3:
                layers.append(
                    ("Dropout", {"rate": 0.1})
                    if i % 8 == 3
                    else ("Activation", {"activation": "tanh"})
                )
    return layers


def chain_graph(layers: list[tuple[str, dict[str, Any]]]) -> Graph:
    nodes = [{"id": "in", "type": "Input", "params": {"shape": [64]}}]
    nodes += [{"id": f"n{i}", "type": t, "params": p} for i, (t, p) in enumerate(layers)]
    nodes.append({"id": "out", "type": "Output", "params": {"loss": "mse"}})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    return parse_graph({"nodes": nodes, "edges": edges})


def plain_chain(layers: list[tuple[str, dict[str, Any]]]) -> keras.Model:
    inputs = keras.Input((64,))
    x = inputs
    for type_name, params in layers:
        x = getattr(keras.layers, type_name)(**params)(x)
    return keras.Model(inputs, x)


def imported(app: Callable[..., keras.Model]) -> Graph:
    from layerforge.graph import import_keras_json

    return import_keras_json(app(weights=None).to_json())


def edited(graph: Graph, step: int) -> Graph:
    """The graph with one parameter near the end changed to a value not used before."""
    data = graph.model_dump()
    layers = [n for n in data["nodes"] if n["type"] in ("Dense", "Conv2D")]
    target = layers[-2] if len(layers) > 1 else layers[-1]
    key = "units" if target["type"] == "Dense" else "filters"
    target["params"][key] = int(target["params"][key]) + 1 + step
    return parse_graph(data)


def medians(
    fn: Callable[[], Any], repeats: int, progress: Progress, label: str
) -> tuple[float, float]:
    """Median wall-clock and median CPU (this process) milliseconds of `fn`.

    CPU time is printed too because the machine may be shared: wall time then
    includes waiting for a core, CPU time does not."""
    task = progress.add_task(label, total=repeats)
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        progress.advance(task)
    progress.remove_task(task)
    return statistics.median(wall), statistics.median(cpu)


def bench(
    name: str, graph: Graph, plain: Callable[[], keras.Model], repeats: int
) -> dict[str, Any]:
    with Progress(console=console, transient=True) as progress:
        keras_ms = medians(plain, max(1, repeats // 2), progress, f"{name}: plain Keras build")

        def cold() -> None:
            clear_caches()
            report = validate_graph(graph)
            assert report.valid, report.errors[:3]

        cold_ms = medians(cold, max(1, repeats // 2), progress, f"{name}: cold validate")
        warm_ms = medians(
            lambda: validate_graph(graph), repeats, progress, f"{name}: warm validate"
        )
        edits = iter([edited(graph, step) for step in range(repeats)])
        edit_ms = medians(
            lambda: validate_graph(next(edits)),
            repeats,
            progress,
            f"{name}: one-node edit",
        )
    return {
        "model": name,
        "nodes": len(graph.nodes),
        "keras": keras_ms,
        "cold": cold_ms,
        "warm": warm_ms,
        "edit": edit_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--only", choices=["chain", "resnet50", "densenet121"])
    args = parser.parse_args()

    # warm-up: Keras and TensorFlow pay one-off costs on their first layers
    validate_graph(chain_graph(chain_layers(8)))
    plain_chain(chain_layers(8))

    layers = chain_layers()
    cases = {
        "chain300": lambda: (chain_graph(layers), lambda: plain_chain(layers)),
        "resnet50": lambda: (
            imported(keras.applications.ResNet50),
            lambda: keras.applications.ResNet50(weights=None),
        ),
        "densenet121": lambda: (
            imported(keras.applications.DenseNet121),
            lambda: keras.applications.DenseNet121(weights=None),
        ),
    }
    rows = []
    for name, make in cases.items():
        if args.only and name != {"chain": "chain300"}.get(args.only, args.only):
            continue
        graph, plain = make()
        rows.append(bench(name, graph, plain, args.repeats))

    table = Table(title="validate_graph vs plain Keras build: median wall ms / CPU ms (same run)")
    for col in (
        "model",
        "nodes",
        "Keras build",
        "cold",
        "cold speed-up",
        "warm",
        "1-node edit",
        "edit speed-up",
    ):
        table.add_column(col, justify="right")
    for r in rows:
        (kw, kc), (cw, cc), (ww, wc), (ew, ec) = (
            r["keras"],
            r["cold"],
            r["warm"],
            r["edit"],
        )
        table.add_row(
            r["model"],
            str(r["nodes"]),
            f"{kw:.0f} / {kc:.0f}",
            f"{cw:.0f} / {cc:.0f}",
            f"{kw / cw:.1f}x / {kc / cc:.1f}x",
            f"{ww:.1f} / {wc:.1f}",
            f"{ew:.1f} / {ec:.1f}",
            f"{kw / ew:.0f}x / {kc / ec:.0f}x",
        )
    console.print(table)
    console.print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    console.print(
        "Aims: cold >= 5x faster than the plain build; a one-node edit on 300 nodes < 30 ms."
    )


if __name__ == "__main__":
    main()
