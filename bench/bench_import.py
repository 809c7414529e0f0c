"""Every `keras.applications` model through Layerforge, against Keras rebuilding it from
JSON, measured in the same run.

For each of the 40 models (built once with weights=None at its default input size, then
`to_json()`):
- baseline: `keras.models.model_from_json(text)` (Keras builds the model, weights
  allocated);
- import: `import_keras_json(text)` -> a graph (cold: the importer's per-class default
  cache is cleared first), then `build_model(graph)`; import+build against the baseline;
- checks: parameter count and layer structure (class, name, params per layer) of the
  rebuilt model against the original; the exported JSON (`export_keras_json`) rebuilt by
  Keras and the exported Python (`to_python`, executed) have the same parameter count;
  the rebuilt model trains one step (`train_on_batch`, batch 1, SGD) to a finite loss.

Prints absolute seconds (medians over --repeats), the ratio (import+build) / baseline
with its spread over the models, and a count of the models that pass each step.

    .venv/bin/python bench/bench_import.py [--repeats 1] [--only ResNet50,VGG16]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from layerforge.graph import GraphError, build_model, export_keras_json, to_python
from layerforge.graph.convert import importer, minimal_config

MODELS = sorted(n for n in dir(keras.applications) if n[0].isupper())
STEPS = ("params match", "structure match", "JSON export", "Python export", "trains")


def median_seconds(fn: Callable[[], object], repeats: int, before=None) -> float:
    times = []
    for _ in range(repeats):
        if before:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def structure(model: keras.Model) -> list:
    return [(type(layer).__name__, layer.name, layer.count_params()) for layer in model.layers]


def trains_one_step(model: keras.Model) -> bool:
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    # a model built for any image size (MobileNetV3) trains here at its default, 224
    x = rng.random((1, *(d or 224 for d in model.input_shape[1:])), dtype="float32")
    y = np.zeros((1, *model.output_shape[1:]), dtype="float32")
    return bool(np.isfinite(model.train_on_batch(x, y)))


def measure(name: str, repeats: int) -> dict:
    original = getattr(keras.applications, name)(weights=None)
    text, params = original.to_json(), original.count_params()
    expected = structure(original)
    del original
    keras_s = median_seconds(lambda: keras.models.model_from_json(text), repeats)
    row: dict = {"model": name, "params": params, "keras_s": keras_s}
    try:
        cold = minimal_config.cached_config.cache_clear
        row["import_s"] = median_seconds(lambda: importer.import_keras_json(text), repeats, cold)
        graph = importer.import_keras_json(text)
        start = time.perf_counter()
        rebuilt = build_model(graph)
        row["build_s"] = time.perf_counter() - start
        row["params match"] = rebuilt.count_params() == params
        row["structure match"] = structure(rebuilt) == expected
        row["trains"] = trains_one_step(rebuilt)
        del rebuilt
        keras.backend.clear_session()
        row["JSON export"] = (
            keras.models.model_from_json(export_keras_json(graph)).count_params() == params
        )
        keras.backend.clear_session()
        namespace: dict = {}
        exec(to_python(graph), namespace)
        row["Python export"] = namespace["model"].count_params() == params
    except GraphError as exc:
        row["error"] = str(exc)
    finally:
        keras.backend.clear_session()
        gc.collect()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated model names")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or MODELS
    rows = []
    with Progress() as progress:
        task = progress.add_task("models", total=len(names))
        for name in names:
            progress.update(task, description=name)
            rows.append(measure(name, args.repeats))
            progress.console.print(rows[-1])  # kept in a log even if a later model fails
            progress.advance(task)

    table = Table(title="keras.applications through Layerforge vs keras.models.model_from_json")
    columns = ["model", "params", "model_from_json s", "import s", "import+build s", "ratio"]
    for column in (*columns, *STEPS):
        table.add_column(column, justify="right")
    for row in rows:
        if "import_s" not in row:
            table.add_row(row["model"], f"{row['params']:,}", f"{row['keras_s']:.2f}", row["error"])
            continue
        both = row["import_s"] + row["build_s"]
        marks = ["yes" if row.get(step) else "NO" for step in STEPS]
        table.add_row(
            row["model"],
            f"{row['params']:,}",
            f"{row['keras_s']:.2f}",
            f"{row['import_s']:.2f}",
            f"{both:.2f}",
            f"{both / row['keras_s']:.2f}",
            *marks,
        )
    console = Console(width=170)
    console.print(table)
    ratios = [(r["import_s"] + r["build_s"]) / r["keras_s"] for r in rows if "build_s" in r]
    if ratios:
        q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
        console.print(
            f"(import+build) / model_from_json over {len(ratios)} models: median "
            f"{statistics.median(ratios):.2f} (quartiles {q[0]:.2f}..{q[2]:.2f}, "
            f"min {min(ratios):.2f}, max {max(ratios):.2f})"
        )
    for step in ("import", *STEPS):
        ok = sum(1 for r in rows if ("import_s" in r if step == "import" else r.get(step)))
        console.print(f"{step}: {ok} of {len(rows)}")
    for row in rows:
        if "error" in row:
            console.print(f"{row['model']}: {row['error']}")


if __name__ == "__main__":
    main()
