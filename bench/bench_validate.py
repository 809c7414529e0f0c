"""Validation speed against plain Keras building the same model, in the same run.

Models:
- seq300: `keras.Sequential` of 300 `Dense(64)` imported through `import_keras_json`,
  the editor's edit loop on it: the layer before the Output changed, with no loss on the
  Output (as imported) and with one (`mse`);
- nasnetlarge: NASNetLarge (1,041 layers) from `keras.applications` (weights=None),
  imported, the layer before the Output changed;
- chain300: a generated 300-layer chain (Dense widths, BatchNormalization, Dropout and
  Activation mixed so few layers repeat), a parameter near the end changed;
- resnet50 / densenet121 (`--all`): imported from `keras.applications`.

For each: the plain Keras build (the baseline: the model with its weights allocated),
validate_graph cold (empty caches), warm (the same graph again) and after a one-node
edit (a fresh value each time, so never a cache hit), and the server time of that edit:
the graph parsed from JSON, validated and its report written as JSON, as
`POST /api/graphs/validate` does. The collector's permanent generation holds what the
warm-up made (gc.freeze), as the API does after its first Keras request.

Prints medians with their spread (min..max over the repeats) in wall milliseconds, the
CPU milliseconds of this process beside them (the machine may be shared: wall time then
includes waiting for a core), and each edit as a percentage of the plain build (wall,
with its spread, and CPU).

    .venv/bin/python bench/bench_validate.py [--repeats 9] [--only seq300] [--all]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from layerforge.graph import clear_caches, import_keras_json, validate_graph
from layerforge.graph.schema import Graph, parse_graph

console = Console(width=160)

AIM_EDIT_SHARE = 0.5  # % of the plain build, a one-node edit of seq300
AIM_SERVER_MS = 20.0  # server time of a one-node edit of NASNetLarge


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


def plain_sequential() -> keras.Model:
    return keras.Sequential([keras.Input((64,)), *(keras.layers.Dense(64) for _ in range(300))])


def imported(model: keras.Model, loss: str | None = None) -> Graph:
    graph = import_keras_json(model.to_json())
    if loss is None:
        return graph
    data = graph.model_dump()
    for node in data["nodes"]:
        if node["type"] == "Output":
            node["params"]["loss"] = loss
    return parse_graph(data)


def edited(graph: Graph, step: int) -> Graph:
    """The graph with one parameter near the end changed to a value not used before."""
    data = graph.model_dump()
    layers = [n for n in data["nodes"] if n["type"] in ("Dense", "Conv2D")]
    target = layers[-2] if len(layers) > 1 else layers[-1]
    key = "units" if target["type"] == "Dense" else "filters"
    target["params"][key] = int(target["params"][key]) + 1 + step
    return parse_graph(data)


def before_output(graph: Graph, step: int) -> Graph:
    """The graph with the layer feeding the (first) Output given a width not used before."""
    data = graph.model_dump()
    out = next(n["id"] for n in data["nodes"] if n["type"] == "Output")
    source = next(e["source"] for e in data["edges"] if e["target"] == out)
    target = next(n for n in data["nodes"] if n["id"] == source)
    key = "units" if target["type"] == "Dense" else "filters"
    target["params"][key] = int(target["params"][key]) + 1 + step
    return parse_graph(data)


@dataclass
class Timing:
    """Wall and CPU milliseconds of each repeat."""

    wall: list[float]
    cpu: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def text(self, digits: int = 1) -> str:
        return (
            f"{self.median:.{digits}f} ({min(self.wall):.{digits}f}..{max(self.wall):.{digits}f})"
            f" / {statistics.median(self.cpu):.{digits}f}"
        )


def timed(fn: Callable[[int], Any], repeats: int, progress: Progress, label: str) -> Timing:
    task = progress.add_task(label, total=repeats)
    wall, cpu = [], []
    for i in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn(i)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        progress.advance(task)
    progress.remove_task(task)
    return Timing(wall, cpu)


def bench(
    name: str,
    graph: Graph,
    plain: Callable[[], keras.Model],
    edit: Callable[[Graph, int], Graph],
    repeats: int,
) -> dict[str, Any]:
    with Progress(console=console, transient=True) as progress:
        keras_ms = timed(lambda _: plain(), max(3, repeats // 2), progress, f"{name}: plain build")

        def cold(_: int) -> None:
            clear_caches()
            assert validate_graph(graph).valid

        cold_ms = timed(cold, max(1, repeats // 3), progress, f"{name}: cold validate")
        warm_ms = timed(lambda _: validate_graph(graph), repeats, progress, f"{name}: warm")
        edits = [edit(graph, step) for step in range(3 * repeats)]
        validate_graph(edits[-1])  # the edited node's new layers built once before timing
        edit_ms = timed(
            lambda i: validate_graph(edits[i]), repeats, progress, f"{name}: one-node edit"
        )
        bodies = [g.model_dump_json() for g in edits[repeats : 2 * repeats]]

        def serve(i: int) -> None:
            report = validate_graph(Graph.model_validate_json(bodies[i]))
            report.model_dump_json()

        server_ms = timed(serve, repeats, progress, f"{name}: server time of an edit")
    return {
        "model": name,
        "nodes": len(graph.nodes),
        "keras": keras_ms,
        "cold": cold_ms,
        "warm": warm_ms,
        "edit": edit_ms,
        "server": server_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument(
        "--only", choices=["seq300", "nasnetlarge", "chain300", "resnet50", "densenet121"]
    )
    parser.add_argument("--all", action="store_true", help="ResNet50 and DenseNet121 as well")
    args = parser.parse_args()

    # warm-up: Keras and TensorFlow pay one-off costs on their first layers
    validate_graph(chain_graph(chain_layers(8)))
    plain_chain(chain_layers(8))
    gc.collect()
    gc.freeze()

    layers = chain_layers()
    nasnet = keras.applications.NASNetLarge
    cases: dict[str, Callable[[], tuple[Graph, Callable[[], keras.Model], Any]]] = {
        "seq300": lambda: (imported(plain_sequential()), plain_sequential, before_output),
        "seq300 + loss": lambda: (
            imported(plain_sequential(), "mse"),
            plain_sequential,
            before_output,
        ),
        "nasnetlarge": lambda: (
            imported(nasnet(weights=None)),
            lambda: nasnet(weights=None),
            before_output,
        ),
        "chain300": lambda: (chain_graph(layers), lambda: plain_chain(layers), edited),
    }
    for app in (keras.applications.ResNet50, keras.applications.DenseNet121):
        cases[app.__name__.lower()] = lambda app=app: (
            imported(app(weights=None)),
            lambda: app(weights=None),
            edited,
        )
    rows = []
    for name, make in cases.items():
        wanted = args.only is None or name.split(" ")[0] == args.only
        if not wanted or (name in ("resnet50", "densenet121") and not (args.all or args.only)):
            continue
        graph, plain, edit = make()
        rows.append(bench(name, graph, plain, edit, args.repeats))

    table = Table(
        title="validate_graph against the plain Keras build of the same model (same run): "
        "median wall ms (min..max) / median CPU ms"
    )
    for col in ("model", "nodes", "Keras build", "cold", "warm", "1-node edit", "edit / build"):
        table.add_column(col, justify="right")
    table.add_column("server time of the edit", justify="right")
    for r in rows:
        keras_ms, edit_ms = r["keras"].median, r["edit"]
        share = [100 * w / keras_ms for w in edit_ms.wall]
        table.add_row(
            r["model"],
            str(r["nodes"]),
            r["keras"].text(0),
            r["cold"].text(0),
            r["warm"].text(),
            edit_ms.text(),
            f"{statistics.median(share):.2f} % ({min(share):.2f}..{max(share):.2f})"
            f" / {100 * edit_ms.cpu_median / r['keras'].cpu_median:.2f} %",
            f"{r['server'].text()} ({100 * r['server'].median / keras_ms:.2f} % wall)",
        )
    console.print(table)
    console.print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    console.print(
        f"Aims: a one-node edit of seq300 <= {AIM_EDIT_SHARE} % of its plain build; "
        f"the server time of a one-node edit of NASNetLarge <= {AIM_SERVER_MS:.0f} ms."
    )


if __name__ == "__main__":
    main()
