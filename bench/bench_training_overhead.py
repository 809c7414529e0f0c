"""Overhead of training through Layerforge's trainer process versus plain `model.fit`.

For each model (a small MLP, where per-batch overhead shows most, and a small CNN) it runs
interleaved pairs: (1) plain `model.fit(verbose=0)` in this process, built and compiled as
the trainer does, then (2) the same graph, data, seed, batch size and epochs through the
real trainer subprocess (`python -m layerforge.training.trainer`), once with `layer_stats`
off and once on (their order alternates between pairs). Checkpoint and TensorBoard are off
in both runs: this measures the event stream and the layer statistics (on by default,
held to a share of the fit time: the epochs they measured are printed).

Each side trains about `--seconds` seconds (epochs calibrated from plain fits of 1 and 4
epochs, so that each fit's own start-up is not taken for epoch time). The
ratio of a pair is plain fit seconds / run fit seconds (the run's own `fit took` log), so
1.0 is no overhead and the aim is >= 0.97. Printed: the median of the pairwise ratios with
their quartiles and range, wall and CPU seconds of the fit on each side, the statistics'
own cost (run off / run on, the two runs beside each other, and the time the run's closing
`layer statistics` log counts), and a verdict that says when the spread is too wide to
conclude.

    .venv/bin/python bench/bench_training_overhead.py [--pairs 7] [--seconds 10]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from helpers import Trainer, chain, train_spec  # noqa: E402

AIM = 0.97
SEED = 3
BATCH = 32
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
CASES = [("small MLP", MLP, "digits_flat"), ("small CNN", CNN, "digits")]


def settings(epochs: int, layer_stats: bool = False) -> dict:
    return {
        "epochs": epochs,
        "batch_size": BATCH,
        "validation_split": 0,
        "seed": SEED,
        "shuffle": True,
        "optimizer": {"name": "adam", "learning_rate": 0.001},
        "keep_best_checkpoint": False,
        "tensorboard": False,
        "layer_stats": layer_stats,
    }


@dataclass
class Fit:
    wall: float
    cpu: float
    stats_epochs: int = 0  # epochs with a layer_stats event
    stats_seconds: float = 0.0  # what the statistics took, as their closing log says


def plain_fit(graph: dict, dataset: str, epochs: int) -> Fit:
    """A plain model.fit(verbose=0) in this process, built and compiled as the trainer does."""
    import keras

    from layerforge.graph import build_model, compile_spec
    from layerforge.graph.schema import parse_graph
    from layerforge.training.datasets import load_dataset
    from layerforge.training.errors import name_layers_after_nodes
    from layerforge.training.settings import parse_settings

    _, arrays = load_dataset(dataset)
    x, y = arrays["x"], arrays["y"]
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    compiled = parse_settings(settings(epochs)).resolve_graph(
        name_layers_after_nodes(parse_graph(graph))
    )
    model = build_model(compiled)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), **compile_spec(compiled))
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0)
    return Fit(time.perf_counter() - wall, time.process_time() - cpu)


def run_fit(graph: dict, dataset: str, epochs: int, layer_stats: bool) -> Fit:
    """Fit wall and CPU seconds as a real trainer subprocess reports them."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = train_spec(Path(tmp), graph, {"name": dataset}, **settings(epochs, layer_stats))
        t = Trainer(spec)
        t.finish()
        status = t.of("status")[-1]["status"]
        if status != "succeeded":
            raise RuntimeError(f"run {status}: {t.events[-4:]}\n{t.stderr[-2000:]}")
        measured = [e["epoch"] for e in t.of("layer_stats")]
        if layer_stats and (measured[:1] != [0] or measured[-1:] != [epochs - 1]):
            raise RuntimeError(
                f"layer_stats at epochs {measured} of {epochs}: not the first and last"
            )
        fit = next(e for e in t.of("log") if "fit_seconds" in e)
        said = [re.search(r"([\d.]+) s in all", e["message"]) for e in t.of("log")]
        took = next((float(m.group(1)) for m in said if m), 0.0)
        return Fit(fit["fit_seconds"], fit["fit_cpu_seconds"], len(measured), took)


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def verdict(ratios: list[float]) -> str:
    """>= AIM, < AIM, or too wide to conclude (the quartiles straddle AIM)."""
    q1, median, q3 = quartiles(ratios)
    if q1 >= AIM:
        return f"meets the aim: median {median:.3f}, lower quartile {q1:.3f} >= {AIM}"
    if q3 < AIM:
        return f"misses the aim: median {median:.3f}, upper quartile {q3:.3f} < {AIM}"
    return (
        f"SPREAD TOO WIDE TO CONCLUDE: quartiles {q1:.3f}..{q3:.3f} straddle {AIM} "
        f"(median {median:.3f}); rerun on a quieter machine or with more pairs/seconds"
    )


@dataclass
class Side:
    fits: list[Fit] = field(default_factory=list)

    def line(self, label: str, samples: int) -> str:
        wall = statistics.median(f.wall for f in self.fits)
        cpu = statistics.median(f.cpu for f in self.fits)
        return (
            f"  {label:22s} fit wall median {wall:6.2f} s ({samples / wall:7.0f} samples/s), "
            f"CPU median {cpu:6.2f} s; walls {', '.join(f'{f.wall:.2f}' for f in self.fits)}"
        )


def ratio_line(label: str, ratios: list[float]) -> str:
    q1, median, q3 = quartiles(ratios)
    return (
        f"  {label:22s} median {median:.3f}  quartiles {q1:.3f}..{q3:.3f}  "
        f"range {min(ratios):.3f}..{max(ratios):.3f}  ({', '.join(f'{r:.3f}' for r in ratios)})"
    )


def calibrate(graph: dict, dataset: str, seconds: float) -> int:
    """Epochs for a plain fit of about `seconds`: the time of an epoch from fits of 1 and 4
    epochs (each builds, traces and starts afresh: that part is not epoch time)."""
    plain_fit(graph, dataset, 1)  # warm: imports and data loading in this process
    short, long = plain_fit(graph, dataset, 1).wall, plain_fit(graph, dataset, 4).wall
    per_epoch = max((long - short) / 3, 1e-3)
    return max(1, math.ceil((seconds - max(short - per_epoch, 0.0)) / per_epoch))


def bench_case(label: str, graph: dict, dataset: str, pairs: int, seconds: float) -> None:
    epochs = calibrate(graph, dataset, seconds)
    from layerforge.training.datasets import load_dataset

    samples = len(load_dataset(dataset)[1]["x"]) * epochs
    print(f"\n{label}: {dataset}, batch {BATCH}, {epochs} epochs ({samples} samples) per fit")
    plain, off, on = Side(), Side(), Side()
    for i in range(pairs):
        plain.fits.append(plain_fit(graph, dataset, epochs))
        order = [(False, off), (True, on)] if i % 2 == 0 else [(True, on), (False, off)]
        for stats, side in order:
            side.fits.append(run_fit(graph, dataset, epochs, stats))
        print(
            f"  pair {i + 1}: plain {plain.fits[-1].wall:.2f} s, stats off "
            f"{off.fits[-1].wall:.2f} s, stats on {on.fits[-1].wall:.2f} s",
            flush=True,
        )
    print(plain.line("plain model.fit", samples))
    print(off.line("run, layer_stats off", samples))
    print(on.line("run, layer_stats on", samples))
    wall_off = [p.wall / r.wall for p, r in zip(plain.fits, off.fits, strict=True)]
    wall_on = [p.wall / r.wall for p, r in zip(plain.fits, on.fits, strict=True)]
    cpu_off = [p.cpu / r.cpu for p, r in zip(plain.fits, off.fits, strict=True)]
    cpu_on = [p.cpu / r.cpu for p, r in zip(plain.fits, on.fits, strict=True)]
    print("  throughput ratio plain/run, pairwise (wall):")
    print(ratio_line("stats off", wall_off))
    print(ratio_line("stats on", wall_on))
    print("  CPU-time ratio plain/run, pairwise:")
    print(ratio_line("stats off", cpu_off))
    print(ratio_line("stats on", cpu_on))
    print("  cost of the statistics: run off / run on, pairwise:")
    print(ratio_line("wall", [f.wall / n.wall for f, n in zip(off.fits, on.fits, strict=True)]))
    print(ratio_line("CPU", [f.cpu / n.cpu for f, n in zip(off.fits, on.fits, strict=True)]))
    own = [f.stats_seconds / f.wall for f in on.fits]
    print(
        f"  the statistics' own time (their log): median {statistics.median(own):.2%} of the "
        f"run's fit ({', '.join(f'{f.stats_seconds:.3f}' for f in on.fits)} s)"
    )
    measured = sorted(f.stats_epochs for f in on.fits)
    print(f"  layer statistics measured at {measured} of {epochs} epochs (per run with them on)")
    print(f"  verdict, stats off: {verdict(wall_off)}")
    print(f"  verdict, stats on:  {verdict(wall_on)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=10.0, help="Training seconds per side.")
    args = parser.parse_args()
    if args.pairs < 7 or args.seconds < 5:
        print(f"note: {args.pairs} pairs of {args.seconds} s is below the 7 x >= 5 s minimum")
    print(
        f"baseline: plain model.fit(verbose=0) in this process; {args.pairs} interleaved pairs "
        f"of ~{args.seconds:g} s per side; ratio = plain fit seconds / run fit seconds (aim >= "
        f"{AIM}); load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs"
    )
    start = time.perf_counter()
    for label, graph, dataset in CASES:
        bench_case(label, graph, dataset, args.pairs, args.seconds)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
