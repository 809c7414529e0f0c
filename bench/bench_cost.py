"""MAC counts of the validate answer against two references, for keras.applications
models at 224x224 (weights=None) imported through `import_keras_json`:
TensorFlow's profiler (float operations of the traced inference function, halved;
tests/tf_profile.py) and the multiply-add figures of the papers.

    .venv/bin/python bench/bench_cost.py [--only ResNet50]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import keras
from rich.console import Console
from rich.table import Table

from layerforge.graph import import_keras_json, validate_graph
from tf_profile import profiler_macs

PAPERS = {
    "ResNet50": 3.8e9,  # He et al. 2016, Table 1: 3.8 x 10^9 FLOPs (multiply-adds)
    "MobileNetV2": 300e6,  # Sandler et al. 2018, Table 4: 300 M multiply-adds
    "EfficientNetB0": 390e6,  # Tan & Le 2019, Table 2: 0.39 B FLOPs (multiply-adds)
}
PROFILER_TOLERANCE, PAPER_TOLERANCE = 0.02, 0.10


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=sorted(PAPERS))
    names = [parser.parse_args().only] if parser.parse_args().only else list(PAPERS)
    table = Table(
        "Model", "Layerforge MACs", "TF profiler / 2", "vs profiler", "paper", "vs paper", "ms"
    )
    ok = True
    for name in names:
        model = getattr(keras.applications, name)(weights=None, input_shape=(224, 224, 3))
        graph = import_keras_json(model.to_json())
        start = time.perf_counter()
        report = validate_graph(graph)
        elapsed = (time.perf_counter() - start) * 1000
        assert report.valid and report.total_macs is not None, report.errors
        ours, reference, paper = report.total_macs, profiler_macs(model), PAPERS[name]
        to_profiler, to_paper = ours / reference - 1, ours / paper - 1
        ok &= abs(to_profiler) < PROFILER_TOLERANCE and abs(to_paper) < PAPER_TOLERANCE
        uncounted = f" ({len(report.macs_uncounted)} uncounted)" if report.macs_uncounted else ""
        table.add_row(
            name,
            f"{ours / 1e6:,.1f} M{uncounted}",
            f"{reference / 1e6:,.1f} M",
            f"{to_profiler:+.2%}",
            f"{paper / 1e6:,.0f} M",
            f"{to_paper:+.2%}",
            f"{elapsed:.0f}",
        )
    Console(width=140).print(table)
    print(
        f"within {PROFILER_TOLERANCE:.0%} of the profiler and {PAPER_TOLERANCE:.0%} "
        f"of the papers: {'yes' if ok else 'NO'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
