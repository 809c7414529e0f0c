"""The trainer process: `python -m layerforge.training.trainer [--warm]`.

It speaks the protocol of `training/protocol.py`: fd 1 is re-pointed to stderr at once
(so prints from TensorFlow/Keras cannot corrupt the event stream, which keeps the
original stdout); a spec with `"mode": "evaluate"|"predict"` runs one-shot
(`training/oneshot.py`), any other trains (`training/training_run.py`), then exit 0.
"""

from __future__ import annotations

import json
import os
import sys
import threading

import numpy as np

from layerforge.events.types import RunError, StatusEvent
from layerforge.graph.schema import parse_graph
from layerforge.training.feeding import build_training_state
from layerforge.training.oneshot import run_oneshot
from layerforge.training.protocol import CANCEL_LINE, EventStream
from layerforge.training.training_run import run_training

# ---- process entry point --------------------------------------------------------------------

WARM_UP_GRAPH = {
    "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [4]}},
        {"id": "d", "type": "Dense", "params": {"units": 2, "activation": "softmax"}},
        {
            "id": "y",
            "type": "Output",
            "params": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
        },
    ],
    "edges": [{"source": "x", "target": "d"}, {"source": "d", "target": "y"}],
}


def preload() -> None:
    """Import what a run uses beyond this module (no device is touched): by a warm
    trainer, and once by the fork server for all the trainers it forks."""
    import keras  # noqa: F401
    import sklearn.datasets  # noqa: F401 - the built-in data sets

    import layerforge.graph.convert.codegen  # noqa: F401 - model.py of a run
    import layerforge.training.callbacks  # noqa: F401


def _warm_up() -> None:
    """What a `--warm` trainer does while it waits for its run: set up TensorFlow,
    import everything a run uses, then build and compile a one-layer graph and create
    its training state, so that Keras's lazy set-up of layers, optimizer, loss and
    metrics is done before the run arrives.

    It stops short of `fit`. A one-batch fit here saved the run's first fit about
    0.05 s, but cost half a second of CPU, spent by the replacement trainer while the
    run before it trains: on a 2-core machine, 3-epoch iris runs then took 1.0-1.75 s
    to fit instead of 0.6-0.8 s (the trainer's own `fit took` log line)."""
    from layerforge.training.keras_setup import set_up_tensorflow

    set_up_tensorflow()  # before anything initialises TensorFlow's devices
    preload()
    from layerforge.graph import build_model, compile_spec

    graph = parse_graph(WARM_UP_GRAPH)
    model = build_model(graph)
    model.compile(optimizer="adam", **compile_spec(graph))
    x, y = np.zeros((2, 4), "float32"), np.zeros(2, "int32")
    build_training_state(model, x, y, 2)


def _watch_stdin(cancel: threading.Event) -> None:
    for line in sys.stdin:
        if line.strip() == CANCEL_LINE:
            cancel.set()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    events_fd = os.dup(1)
    os.dup2(2, 1)  # stray prints go to stderr; events keep the original stdout
    sys.stdout = sys.stderr
    emit = EventStream(os.fdopen(events_fd, "w", buffering=1, encoding="utf-8"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "--warm" in argv:  # the KERAS_BACKEND of the launch decides
        _warm_up()

    line = sys.stdin.readline()
    try:
        spec = json.loads(line)
        if not isinstance(spec, dict):
            raise ValueError("the spec must be a JSON object")
    except ValueError as exc:
        emit(StatusEvent(status="failed", error=RunError(message=f"bad spec line: {exc}")))
        return 0
    if spec.get("mode", "train") != "train":
        run_oneshot(spec, emit)
        return 0
    cancel = threading.Event()
    threading.Thread(target=_watch_stdin, args=(cancel,), daemon=True).start()
    run_training(spec, emit, cancel)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)  # do not wait for TensorFlow's threads or the stdin reader
