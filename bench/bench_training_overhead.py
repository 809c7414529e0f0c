"""Overhead of training through a run versus plain `model.fit(verbose=0)`.

The same graph, data, seed, batch size and epochs are trained (1) in this process with
plain `model.fit(verbose=0)` (the baseline) and (2) through the real trainer
subprocess (`python -m layerforge.training.trainer`, events on its stdout, timing the
fit portion the trainer reports in its `fit took` log event). Reps alternate; the
best (minimum) times are compared, as the least disturbed by other load on a shared
machine; medians are printed too. Two run configurations are measured: `lean` (events only: no
checkpoint, no TensorBoard) and `default` (keep-best checkpoint and TensorBoard on).

Prints throughput ratio (run / baseline; aim >= 0.97) and absolute samples/s, for a
small MLP (per-batch overhead shows most) and a small CNN.

    .venv/bin/python bench/bench_training_overhead.py [--reps 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from helpers import Trainer, chain, train_spec  # noqa: E402

MLP = chain(
    {"type": "Dense", "params": {"units": 64, "activation": "relu"}},
    {"type": "Dense", "params": {"units": 10, "activation": "softmax"}},
    input_shape=[64],
    loss="sparse_categorical_crossentropy",
)
CNN = chain(
    {
        "type": "Conv2D",
        "params": {"filters": 16, "kernel_size": [3, 3], "activation": "relu", "padding": "same"},
    },
    {"type": "MaxPooling2D", "params": {"pool_size": [2, 2]}},
    {"type": "Flatten"},
    {"type": "Dense", "params": {"units": 10, "activation": "softmax"}},
    input_shape=[8, 8, 1],
    loss="sparse_categorical_crossentropy",
)
CASES = [("small MLP", MLP, "digits_flat", 20, 32), ("small CNN", CNN, "digits", 10, 32)]
SEED = 3


def settings(epochs: int, batch_size: int, extras: bool) -> dict:
    return {
        "epochs": epochs,
        "batch_size": batch_size,
        "validation_split": 0,
        "seed": SEED,
        "shuffle": True,
        "optimizer": {"name": "adam", "learning_rate": 0.001},
        "keep_best_checkpoint": extras,
        "tensorboard": extras,
    }


def plain_fit(graph: dict, dataset: str, epochs: int, batch_size: int) -> tuple[float, int]:
    """Seconds of a plain model.fit(verbose=0), built and compiled as the trainer does."""
    import keras

    from layerforge.graph import build_model, compile_spec
    from layerforge.graph.schema import parse_graph
    from layerforge.training.datasets import load_dataset
    from layerforge.training.errors import name_layers_after_nodes
    from layerforge.training.settings import parse_settings

    _, arrays = load_dataset(dataset)
    x, y = arrays["x"], arrays["y"]
    keras.utils.set_random_seed(SEED)
    named = name_layers_after_nodes(parse_graph(graph))
    model = build_model(named)
    run_settings = parse_settings(settings(epochs, batch_size, False))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.001),
        **run_settings.compile_args(compile_spec(named)),
    )
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
    return time.perf_counter() - start, len(x) * epochs


def run_fit(
    graph: dict, dataset: str, epochs: int, batch_size: int, extras: bool
) -> tuple[float, int]:
    """Fit seconds and samples reported by a real trainer subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = train_spec(
            Path(tmp), graph, {"name": dataset}, **settings(epochs, batch_size, extras)
        )
        t = Trainer(spec)
        t.finish()
        status = t.of("status")[-1]["status"]
        if status != "succeeded":
            raise RuntimeError(f"run {status}: {t.events[-4:]}\n{t.stderr[-2000:]}")
        fit = next(e for e in t.of("log") if "fit_seconds" in e)
        return fit["fit_seconds"], fit["samples"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--epochs-scale", type=float, default=1.0, help="Multiply the epochs (shorter runs)."
    )
    args = parser.parse_args()
    print(
        f"baseline: plain model.fit(verbose=0) in this process; {args.reps} alternating reps; "
        f"ratio = baseline time / run time, best of reps (median in brackets); load {os.getloadavg()[0]:.1f}"
    )
    for label, graph, dataset, epochs, batch_size in CASES:
        epochs = max(1, round(epochs * args.epochs_scale))
        times: dict[str, list[float]] = {"plain": [], "lean": [], "default": []}
        samples = 0
        for _ in range(args.reps):
            seconds, samples = plain_fit(graph, dataset, epochs, batch_size)
            times["plain"].append(seconds)
            times["lean"].append(run_fit(graph, dataset, epochs, batch_size, extras=False)[0])
            times["default"].append(run_fit(graph, dataset, epochs, batch_size, extras=True)[0])
        best = {k: min(v) for k, v in times.items()}
        med = {k: statistics.median(v) for k, v in times.items()}
        print(
            f"\n{label}: {dataset}, {epochs} epochs, batch {batch_size}, {samples} samples per fit"
        )
        print(
            f"  plain fit        {samples / best['plain']:8.0f} samples/s  "
            f"(reps: {', '.join(f'{s:.2f}s' for s in times['plain'])})"
        )
        for kind in ("lean", "default"):
            print(
                f"  run ({kind:7s})    {samples / best[kind]:8.0f} samples/s  "
                f"ratio {best['plain'] / best[kind]:.3f} [{med['plain'] / med[kind]:.3f}] vs plain fit "
                f"(reps: {', '.join(f'{s:.2f}s' for s in times[kind])})"
            )


if __name__ == "__main__":
    main()
