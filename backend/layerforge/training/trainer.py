"""The trainer process: `python -m layerforge.training.trainer [--warm]`.

Protocol (binding, see the runs helper): one JSON spec line on stdin; events as JSON
lines on the ORIGINAL stdout (fd 1 is re-pointed to stderr at once, so prints from
TensorFlow/Keras cannot corrupt the stream); the line `cancel` on stdin stops after
the current batch. The last event is a terminal status, then exit code 0.
`"mode": "evaluate"|"predict"` runs one-shot on a finished run's `model.keras` and
prints one `result` event.

`run_training(spec, emit, cancel)` is the process-independent core; `layerforge
train` calls it in-process.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from layerforge.graph.errors import GraphError, Problem
from layerforge.graph.schema import Graph, parse_graph
from layerforge.graph.structure import input_name, output_name
from layerforge.training.datasets import (
    DataPlan,
    DatasetError,
    adapt_target,
    load_dataset,
    plan_dataset,
)
from layerforge.training.settings import RunSettings, parse_settings

Emit = Callable[[dict[str, Any]], None]

OPTIMIZER_CLASSES = {
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "adamax": "Adamax",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "lion": "Lion",
    "ftrl": "Ftrl",
}


class TrainingFailed(Exception):
    """Stops a run as failed. With a `code`, the run emits an error event for it; without,
    its error events were emitted already."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class EventStream:
    """Writes events as JSON lines to a file object; thread-safe, one flush per line."""

    def __init__(self, out):
        self.out = out
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> None:
        event = {**event, "time": event.get("time", time.time())}
        line = json.dumps(event, default=_jsonable, allow_nan=False)
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _problem_events(emit: Emit, problems: list[Problem]) -> None:
    for p in problems:
        emit(
            {
                "type": "error",
                "code": p.code,
                "message": p.message,
                "node": p.node,
                "epoch": None,
                "batch": None,
                **({"param": p.param} if p.param else {}),
            }
        )


def _import_keras(backend: str):
    """Import Keras for the wanted backend; a warm process is bound to the one it started with."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = backend
    import keras

    if keras.backend.backend() != backend:
        raise TrainingFailed(
            f"this trainer runs Keras on {keras.backend.backend()!r}, the run wants {backend!r}",
            "backend_mismatch",
        )
    return keras


def _has_gpu(keras) -> bool:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return any(d.platform == "gpu" for d in jax.devices())
    import torch

    return torch.cuda.is_available()


def _stateful_batch(graph: Graph) -> int | None:
    """The fixed batch size of a graph with stateful layers (None: not stateful)."""

    def stateful(layer) -> bool:
        return layer is not None and (bool(layer.params.get("stateful")) or stateful(layer.inner))

    if not any(stateful(n) for n in graph.nodes) and not any(
        stateful(n) for sub in graph.subgraphs.values() for n in sub.nodes
    ):
        return None
    sizes = {n.params.get("batch_size") for n in graph.nodes if n.type == "Input"}
    if len(sizes) != 1 or None in sizes:
        raise TrainingFailed(
            "a graph with stateful layers needs the same fixed batch_size on every Input node",
            "stateful_batch_size",
        )
    return int(sizes.pop())


def _node_shapes(graph: Graph, model) -> dict[str, list]:
    """Input and Output node id -> [shape] from the built model."""
    shapes: dict[str, list] = {}
    ins = [n for n in graph.nodes if n.type == "Input"]
    outs = [n for n in graph.nodes if n.type == "Output"]
    for node, tensor in zip(ins, model.inputs, strict=False):
        shapes[node.id] = [list(tensor.shape)]
    for node, tensor in zip(outs, model.outputs, strict=False):
        shapes[node.id] = [list(tensor.shape)]
    return shapes


def _feed(graph: Graph, plan: DataPlan, arrays: dict[str, np.ndarray]) -> tuple[Any, Any]:
    """x and y in the form the model takes (an array for one input/output, else a dict)."""
    ins = [input_name(n) for n in graph.nodes if n.type == "Input"]
    outs = [output_name(n) for n in graph.nodes if n.type == "Output"]
    x = {name: arrays[plan.inputs[name]] for name in ins}
    y = {}
    for name in outs:
        conversion, units = plan.conversions.get(name, (None, None))
        y[name] = adapt_target(arrays[plan.targets[name]], conversion, units)
    return (x[ins[0]] if len(ins) == 1 else x), (y[outs[0]] if len(outs) == 1 else y)


def _slice(data: Any, part: slice) -> Any:
    if isinstance(data, dict):
        return {k: v[part] for k, v in data.items()}
    return data[part]


def _count(data: Any) -> int:
    return len(next(iter(data.values()))) if isinstance(data, dict) else len(data)


def _build_training_state(model, x: Any, y: Any, batch_size: int) -> None:
    """Create the optimizer's and the metrics' variables before `fit`.

    On TensorFlow, Keras otherwise creates them while tracing its train step, and
    tf.function then traces the step a second time (variables may only be created on a
    first call): a good part of the time to the first batch. Keras itself does this
    symbolic build first under a distribution strategy and on the other backends."""
    symbolic_build = getattr(model, "_symbolic_build", None)  # private in Keras 3.15
    if symbolic_build is None:  # a Keras without it: fit simply traces twice
        return
    part = slice(0, batch_size)
    symbolic_build(data_batch=(_slice(x, part), _slice(y, part)))


class Run:
    """One training run: prepares data and model, fits, writes artifacts."""

    def __init__(self, spec: dict[str, Any], emit: Emit, cancel: threading.Event):
        self.spec = spec
        self.emit = emit
        self.cancel = cancel
        self.run_dir = Path(spec["run_dir"])
        self.data_dir = Path(spec["data_dir"]) if spec.get("data_dir") else None
        self.settings: RunSettings = parse_settings(spec.get("settings"))
        self.graph = parse_graph(spec["graph"])
        self.history: dict[str, list] = {}
        self.fit_seconds: float | None = None

    def log(self, message: str, level: str = "info", **extra: Any) -> None:
        self.emit({"type": "log", "level": level, "message": message, **extra})

    def artifact(self, path: Path) -> None:
        self.emit(
            {
                "type": "artifact",
                "name": path.relative_to(self.run_dir).as_posix(),
                "size": path.stat().st_size,
            }
        )

    # -- preparation ----------------------------------------------------------------------
    def _data(self, ref: dict[str, Any], model, losses: dict[str, str]) -> tuple[Any, Any]:
        try:
            info, arrays = load_dataset(ref, self.data_dir)
        except DatasetError as exc:
            _problem_events(
                self.emit, [Problem(param="dataset", code="dataset_unavailable", message=str(exc))]
            )
            raise TrainingFailed(str(exc)) from exc
        plan = plan_dataset(self.graph, info, _node_shapes(self.graph, model), losses)
        if plan.problems:
            _problem_events(self.emit, plan.problems)
            raise TrainingFailed(f"data set {info.name!r} does not fit the graph")
        for name, (conversion, units) in plan.conversions.items():
            what = f"one-hot rows of {units}" if conversion == "one_hot" else "class labels"
            self.log(f"targets of output `{name}` converted to {what} to suit its loss")
        mapped = {**plan.inputs, **plan.targets}
        if any(k != v for k, v in mapped.items()):
            self.log(
                "data set arrays used: " + ", ".join(f"{k} <- `{v}`" for k, v in mapped.items())
            )
        return _feed(self.graph, plan, arrays)

    def _build(self, keras):
        from layerforge.graph.build import build_model, compile_spec
        from layerforge.training.errors import layer_node_map, name_layers_after_nodes

        named = name_layers_after_nodes(self.graph)
        self.layer_nodes = layer_node_map(named)
        problems = self.settings.check_against(
            [output_name(n) for n in self.graph.nodes if n.type == "Output"]
        )
        if problems:
            _problem_events(self.emit, problems)
            raise TrainingFailed("run settings do not fit the graph")
        try:
            model = build_model(named)
        except GraphError as exc:
            _problem_events(self.emit, exc.problems)
            raise TrainingFailed("the graph does not build") from exc
        args = self.settings.compile_args(compile_spec(named))
        opt = self.settings.optimizer
        optimizer = getattr(keras.optimizers, OPTIMIZER_CLASSES[opt.name])(**opt.keras_config())
        model.compile(optimizer=optimizer, **args)
        losses = {k: v for k, v in args["loss"].items() if isinstance(v, str)}
        return model, losses

    def _callbacks(self, keras, stateful: bool) -> list:
        from layerforge.training.callbacks import (
            BestCheckpoint,
            EpochTensorBoard,
            EventCallback,
            ResetStatefulLayers,
        )

        s = self.settings
        self.events = EventCallback(self.emit, self.cancel)
        callbacks: list = [self.events]
        if stateful:
            callbacks.append(ResetStatefulLayers(ResetStatefulLayers.find(self.model)))
        if s.early_stopping:
            e = s.early_stopping
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor=e.monitor,
                    patience=e.patience,
                    min_delta=e.min_delta,
                    restore_best_weights=e.restore_best_weights,
                )
            )
        if s.reduce_lr_on_plateau:
            r = s.reduce_lr_on_plateau
            callbacks.append(
                keras.callbacks.ReduceLROnPlateau(
                    monitor=r.monitor, factor=r.factor, patience=r.patience, min_lr=r.min_lr
                )
            )
        if s.keep_best_checkpoint:
            self.best = BestCheckpoint(str(self.run_dir / "best.keras"), s.checkpoint_monitor)
            callbacks.append(self.best)
        if s.tensorboard:
            callbacks.append(EpochTensorBoard(str(self.run_dir / "tensorboard")))
        return callbacks

    # -- the run --------------------------------------------------------------------------
    def execute(self) -> str:
        s = self.settings
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._write_json("run.json", self.spec)
        keras = _import_keras(self.spec.get("backend") or s.backend)
        seed = s.seed if s.seed is not None else int.from_bytes(os.urandom(3), "little")
        keras.utils.set_random_seed(seed)
        self.log(f"Keras {keras.__version__} on {keras.backend.backend()}, seed {seed}")
        if s.mixed_precision:
            if _has_gpu(keras):
                keras.mixed_precision.set_global_policy("mixed_float16")
                self.log("mixed precision: float16 compute, float32 weights")
            else:
                self.log(
                    "mixed precision asked for, but there is no GPU: training in float32", "warning"
                )
        self.model, losses = self._build(keras)
        x, y = self._data(self.spec["dataset"], self.model, losses)
        val = None
        if s.validation_dataset is not None:
            val = self._data(s.validation_dataset, self.model, losses)
        batch_size, shuffle = s.batch_size, s.shuffle
        fixed = _stateful_batch(self.graph)
        n = _count(x)
        if fixed is not None:
            batch_size, shuffle = fixed, False
            x, y, val = self._trim_stateful(x, y, val, fixed)
        elif s.validation_split:
            cut = int(n * (1 - s.validation_split))
            val = (_slice(x, slice(cut, None)), _slice(y, slice(cut, None)))
            x, y = _slice(x, slice(0, cut)), _slice(y, slice(0, cut))
        if self.cancel.is_set():
            return self._finish("cancelled")
        self.emit({"type": "status", "status": "running"})
        callbacks = self._callbacks(keras, fixed is not None)
        start = time.perf_counter()
        try:
            _build_training_state(self.model, x, y, batch_size)
            history = self.model.fit(
                x,
                y,
                batch_size=batch_size,
                epochs=s.epochs,
                shuffle=shuffle,
                validation_data=val,
                callbacks=callbacks,
                verbose=0,
            )
            self.history = history.history
        except Exception as exc:  # an error raised by a layer (or Keras) while training
            from layerforge.graph.keras_errors import clean_message
            from layerforge.training.errors import node_of_exception

            self.history = getattr(getattr(self.model, "history", None), "history", {}) or {}
            node = node_of_exception(exc, self.layer_nodes)
            self.emit(
                {
                    "type": "error",
                    "code": "training_error",
                    "message": clean_message(exc),
                    "node": node,
                    "epoch": self.events.epoch,
                    "batch": None,
                }
            )
            traceback.print_exc()
            return self._finish(
                "failed", save_model=False, error={"code": "training_error", "node": node}
            )
        self.fit_seconds = time.perf_counter() - start
        samples = _count(x) * self.events.epochs_done
        self.log(
            f"fit took {self.fit_seconds:.2f} s ({samples / max(self.fit_seconds, 1e-9):.0f} samples/s)",
            fit_seconds=self.fit_seconds,
            samples=samples,
        )
        if self.events.nan_at is not None:
            epoch, batch = self.events.nan_at
            return self._finish(
                "failed",
                save_model=False,
                error={"code": "nan_loss", "epoch": epoch, "batch": batch},
            )
        return self._finish("cancelled" if self.events.cancelled else "succeeded")

    def _trim_stateful(self, x, y, val, fixed: int):
        s = self.settings
        n = _count(x)
        if val is None and s.validation_split:
            n_val = int(n * s.validation_split) // fixed * fixed
            n_train = (n - n_val) // fixed * fixed
            val = (
                _slice(x, slice(n_train, n_train + n_val)),
                _slice(y, slice(n_train, n_train + n_val)),
            )
            val = val if n_val else None
        else:
            n_train = n // fixed * fixed
            if val is not None:
                m = _count(val[0]) // fixed * fixed
                val = (_slice(val[0], slice(0, m)), _slice(val[1], slice(0, m)))
        x, y = _slice(x, slice(0, n_train)), _slice(y, slice(0, n_train))
        if n_train == 0:
            raise TrainingFailed(
                f"fewer training samples ({n}) than the stateful batch size {fixed}",
                "dataset_too_small",
            )
        self.log(
            f"stateful graph: batch size {fixed} from its Input, no shuffling; "
            f"{n_train} training and {_count(val[0]) if val else 0} validation samples "
            f"(trimmed to multiples of {fixed} from {n})"
        )
        return x, y, val

    def _write_json(self, name: str, data: Any) -> None:
        path = self.run_dir / name
        path.write_text(json.dumps(data, indent=1, default=_jsonable))
        self.artifact(path)

    def _finish(self, status: str, save_model: bool = True, error: dict | None = None) -> str:
        """Write the artifacts (what exists so far) and emit the terminal status."""
        if save_model and getattr(self, "model", None) is not None:
            self.model.save(self.run_dir / "model.keras")
            self.artifact(self.run_dir / "model.keras")
        best = getattr(self, "best", None)
        if best is not None:
            best.flush()
        history = {
            k: [None if v is None or not np.isfinite(v) else float(v) for v in vals]
            for k, vals in self.history.items()
        }
        self._write_json(
            "history.json",
            {
                "history": history,
                "status": status,
                "fit_seconds": self.fit_seconds,
                "best": {"monitor": best.monitor, "value": best.best, "epoch": best.best_epoch}
                if best
                else None,
            },
        )
        self._write_code()
        if (self.run_dir / "best.keras").exists():
            self.artifact(self.run_dir / "best.keras")
        board = self.run_dir / "tensorboard"
        if board.exists():
            for path in sorted(p for p in board.rglob("*") if p.is_file()):
                self.artifact(path)
        self.emit({"type": "status", "status": status, **({"error": error} if error else {})})
        return status

    def _write_code(self) -> None:
        try:
            from layerforge.graph.codegen import to_python
        except ImportError:
            self.log("model.py not written: code generation is not available", "warning")
            return
        path = self.run_dir / "model.py"
        path.write_text(to_python(self.graph))
        self.artifact(path)


def run_training(spec: dict[str, Any], emit: Emit, cancel: threading.Event) -> str:
    """Train per the spec, emitting events; returns the terminal status (never raises)."""
    emit({"type": "status", "status": "starting"})
    try:
        return Run(spec, emit, cancel).execute()
    except ValidationError as exc:  # settings or graph that the API should have refused
        message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        emit(
            {
                "type": "error",
                "code": "bad_spec",
                "message": message,
                "node": None,
                "epoch": None,
                "batch": None,
            }
        )
        emit({"type": "status", "status": "failed", "error": {"message": message}})
    except TrainingFailed as exc:
        if exc.code:
            emit(
                {
                    "type": "error",
                    "code": exc.code,
                    "message": str(exc),
                    "node": None,
                    "epoch": None,
                    "batch": None,
                }
            )
        emit({"type": "status", "status": "failed", "error": {"message": str(exc)}})
    except Exception as exc:  # noqa: BLE001 - anything else still ends in a terminal status
        traceback.print_exc()
        from layerforge.graph.keras_errors import clean_message

        message = f"{type(exc).__name__}: {clean_message(exc)}"
        emit(
            {
                "type": "error",
                "code": "internal_error",
                "message": message,
                "node": None,
                "epoch": None,
                "batch": None,
            }
        )
        emit({"type": "status", "status": "failed", "error": {"message": message}})
    return "failed"


# ---- one-shot evaluate / predict ------------------------------------------------------------


def run_oneshot(spec: dict[str, Any], emit: Emit) -> None:
    """Evaluate or predict with a finished run's model.keras; emits exactly one result event."""
    mode = spec["mode"]
    try:
        settings = parse_settings(spec.get("settings"))
        keras = _import_keras(spec.get("backend") or settings.backend)
        path = Path(spec["run_dir"]) / "model.keras"
        if not path.exists():
            raise TrainingFailed(f"the run has no trained model ({path.name} is missing)")
        from layerforge.graph.build import compile_spec

        graph = parse_graph(spec["graph"])
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
        # .keras does not keep output_names, and the compiled losses are keyed by them
        model.output_names = [output_name(n) for n in graph.nodes if n.type == "Output"]
        model.compile(**settings.compile_args(compile_spec(graph)))
        if mode == "predict":
            result = _predict(graph, model, spec.get("inputs") or {})
        elif mode == "evaluate":
            result = _evaluate(graph, model, spec, settings)
        else:
            raise TrainingFailed(f"unknown mode {mode!r}: use train, evaluate or predict")
        emit({"type": "result", "mode": mode, **result})
    except Exception as exc:  # noqa: BLE001 - the caller gets the reason in the result
        from layerforge.graph.keras_errors import clean_message

        traceback.print_exc()
        emit({"type": "result", "mode": mode, "error": {"message": clean_message(exc)}})


def _predict(graph: Graph, model, inputs: dict[str, Any]) -> dict[str, Any]:
    ins = [n for n in graph.nodes if n.type == "Input"]
    names = [input_name(n) for n in ins]
    missing = [n for n in names if n not in inputs]
    extra = [k for k in inputs if k not in names]
    if missing or extra:
        raise TrainingFailed(
            f"predict needs inputs {', '.join(names)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(extra)}" if extra else "")
        )
    arrays = {}
    for node, tensor in zip(ins, model.inputs, strict=False):
        name = input_name(node)
        a = np.asarray(inputs[name], dtype=str(tensor.dtype))
        if a.ndim != len(tensor.shape) or any(
            e is not None and e != d for e, d in zip(tensor.shape[1:], a.shape[1:], strict=False)
        ):
            raise TrainingFailed(
                f"input `{name}` expects {tuple(tensor.shape)}, got shape {a.shape}"
            )
        arrays[name] = a
    preds = model.predict(arrays[names[0]] if len(names) == 1 else arrays, verbose=0)
    outs = [output_name(n) for n in graph.nodes if n.type == "Output"]
    if not isinstance(preds, (list, tuple, dict)):
        preds = [preds]
    if isinstance(preds, dict):
        preds = [preds[k] for k in outs]
    return {"outputs": {name: np.asarray(p).tolist() for name, p in zip(outs, preds, strict=False)}}


def _evaluate(graph: Graph, model, spec: dict[str, Any], settings: RunSettings) -> dict[str, Any]:
    data_dir = Path(spec["data_dir"]) if spec.get("data_dir") else None
    info, arrays = load_dataset(spec["dataset"], data_dir)
    losses = {name: o.loss for name, o in settings.outputs.items() if o.loss}
    plan = plan_dataset(graph, info, _node_shapes(graph, model), losses)
    if plan.problems:
        raise TrainingFailed("; ".join(p.message for p in plan.problems))
    x, y = _feed(graph, plan, arrays)
    batch = _stateful_batch(graph)
    if batch is not None:
        keep = _count(x) // batch * batch
        x, y = _slice(x, slice(0, keep)), _slice(y, slice(0, keep))
    metrics = model.evaluate(
        x, y, batch_size=batch or settings.batch_size, verbose=0, return_dict=True
    )
    from layerforge.training.callbacks import clean_metrics

    return {"metrics": clean_metrics(metrics), "samples": _count(x), "dataset": info.name}


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


def _warm_up() -> None:
    """What a `--warm` trainer does while it waits for its run: import everything a run
    uses, build a one-layer graph and train it for one batch, so that the lazy set-up of
    TensorFlow and Keras (autograph's conversion of the train step, the optimizer, loss,
    metrics and tf.data input pipeline) is done before the run arrives, not after."""
    import sklearn.datasets  # noqa: F401 - the built-in data sets

    import layerforge.graph.codegen  # model.py of a run
    import layerforge.training.callbacks  # noqa: F401
    from layerforge.graph.build import build_model, compile_spec

    graph = parse_graph(WARM_UP_GRAPH)
    model = build_model(graph)
    model.compile(optimizer="adam", **compile_spec(graph))
    x, y = np.zeros((2, 4), "float32"), np.zeros(2, "int32")
    _build_training_state(model, x, y, 2)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)


def _watch_stdin(cancel: threading.Event) -> None:
    for line in sys.stdin:
        if line.strip() == "cancel":
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
        emit({"type": "status", "status": "failed", "error": {"message": f"bad spec line: {exc}"}})
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
