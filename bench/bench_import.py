"""Importing `keras.applications` models against Keras rebuilding them from JSON.

For each model (built once with weights=None, then `to_json()`), in the same run:
- baseline: `keras.models.model_from_json(text)` (Keras builds the model, weights
  allocated);
- import: `import_keras_json(text)` -> a graph (cold: the importer's per-class
  default cache is cleared first), and the same after rebuilding (`build_model`);
- checks: parameter count and layer structure (class, name, params per layer) of the
  rebuilt model against the original.

Prints absolute seconds (medians over --repeats) and the ratio import / baseline.

    .venv/bin/python bench/bench_import.py [--repeats 1] [--only ResNet50,VGG16]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
from rich.console import Console
from rich.table import Table

from layerforge.graph import GraphError, build_model
from layerforge.graph.convert import importer

MODELS = [
    "ResNet50",
    "ResNet101",
    "MobileNetV2",
    "MobileNetV3Small",
    "DenseNet121",
    "EfficientNetB0",
    "InceptionV3",
    "Xception",
    "NASNetMobile",
    "VGG16",
]


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


def measure(name: str, repeats: int) -> dict:
    original = getattr(keras.applications, name)(weights=None)
    text = original.to_json()
    keras_s = median_seconds(lambda: keras.models.model_from_json(text), repeats)
    row = {"model": name, "layers": len(original.layers), "keras_s": keras_s}
    try:
        cold = importer._cached_config.cache_clear
        row["import_s"] = median_seconds(lambda: importer.import_keras_json(text), repeats, cold)
        graph = importer.import_keras_json(text)
        start = time.perf_counter()
        rebuilt = build_model(graph)
        row["build_s"] = time.perf_counter() - start
    except GraphError as exc:
        row["error"] = str(exc)
        return row
    row["params_match"] = rebuilt.count_params() == original.count_params()
    row["structure_match"] = structure(rebuilt) == structure(original)
    row["params"] = original.count_params()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated model names")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or MODELS
    table = Table(title="import_keras_json vs keras.models.model_from_json (same run)")
    for column in (
        "model",
        "layers",
        "params",
        "model_from_json s",
        "import s",
        "import / keras",
        "import+build s",
        "params match",
        "structure match",
    ):
        table.add_column(column, justify="right")
    console = Console(width=150)
    for name in names:
        with console.status(f"{name} ..."):
            row = measure(name, args.repeats)
        if "error" in row:
            table.add_row(name, str(row["layers"]), "-", f"{row['keras_s']:.2f}", row["error"])
            continue
        table.add_row(
            name,
            str(row["layers"]),
            f"{row['params']:,}",
            f"{row['keras_s']:.2f}",
            f"{row['import_s']:.2f}",
            f"{row['import_s'] / row['keras_s']:.2f}",
            f"{row['import_s'] + row['build_s']:.2f}",
            "yes" if row["params_match"] else "NO",
            "yes" if row["structure_match"] else "no",
        )
    console.print(table)


if __name__ == "__main__":
    main()
