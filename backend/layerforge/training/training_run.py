"""One training run, independent of the process it runs in: prepare the data and the
model, fit with the event callbacks, write the artifacts, end with a terminal status.

`run_training(spec, emit, cancel)` never raises; the trainer process and `layerforge
train` both call it.
"""

from __future__ import annotations

import json
import os
import threading
import time
import traceback
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from layerforge.events.types import (
    ArtifactEvent,
    ErrorEvent,
    LogEvent,
    LogLevel,
    RunError,
    StatusEvent,
)
from layerforge.graph.problems import GraphError, Problem, clean_message
from layerforge.graph.schema import parse_graph
from layerforge.graph.topology import output_name
from layerforge.store.models import RunStatus
from layerforge.training.artifacts import save_model, write_text
from layerforge.training.datasets.catalogue import image_folder, load_dataset
from layerforge.training.datasets.errors import DatasetError
from layerforge.training.datasets.fitting import plan_dataset
from layerforge.training.datasets.image_stream import Stream, image_stream
from layerforge.training.datasets.models import DatasetInfo
from layerforge.training.failures import (
    TrainingFailed,
    disk_full_error,
    emit_problems,
    fit_error_message,
)
from layerforge.training.feeding import (
    Data,
    Pair,
    build_training_state,
    count,
    feed,
    node_shapes,
    split_validation,
    stateful_batch,
    trim_stateful,
)
from layerforge.training.keras_setup import (
    THREADS_ENV,
    cpu_threads,
    distribution_strategy,
    has_gpu,
    import_keras,
    make_optimizer,
)
from layerforge.training.optimizers import OPTIMIZERS
from layerforge.training.protocol import Emit
from layerforge.training.settings import RunSettings, parse_settings
from layerforge.training.system_metrics import SystemSampler


def jsonable(value: Any) -> Any:
    """`json.dumps` default for NumPy values in run.json and history.json."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


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
        self.history: dict[str, list[Any]] = {}
        self.fit_seconds: float | None = None
        self.model: Any = None
        self.compiled = self.graph  # the graph as compiled: Output nodes per the settings
        self.compile_args: dict[str, Any] = {}
        self.strategy: Any = None
        self.best: Any = None
        self.info: DatasetInfo | None = None  # the run's data set, once read
        self.stream: Stream | None = None  # an image set's batches from disk

    def log(self, message: str, level: LogLevel = "info", **extra: Any) -> None:
        self.emit(LogEvent(level=level, message=message, **extra))

    def artifact(self, path: Path) -> None:
        name = path.relative_to(self.run_dir).as_posix()
        self.emit(ArtifactEvent(name=name, size=path.stat().st_size))

    # -- preparation ----------------------------------------------------------------------
    def _data(self, ref: dict[str, Any], losses: dict[str, str | None]) -> Pair | Stream:
        try:
            info, arrays = load_dataset(ref, self.data_dir, self.spec.get("uploads"))
        except DatasetError as exc:
            problem = Problem(param="dataset", code="dataset_unavailable", message=str(exc))
            emit_problems(self.emit, [problem])
            raise TrainingFailed(str(exc)) from exc
        plan = plan_dataset(self.graph, info, node_shapes(self.graph, self.model), losses)
        if plan.problems:
            emit_problems(self.emit, plan.problems)
            raise TrainingFailed(f"data set {info.name!r} does not fit the graph")
        for name, (conversion, units) in plan.conversions.items():
            what = f"one-hot rows of {units}" if conversion == "one_hot" else "class labels"
            self.log(f"targets of output `{name}` converted to {what} to suit its loss")
        mapped = {**plan.inputs, **plan.targets}
        if any(k != v for k, v in mapped.items()):
            self.log(
                "data set arrays used: " + ", ".join(f"{k} <- `{v}`" for k, v in mapped.items())
            )
        self.info = self.info or info
        folder = image_folder(ref, self.spec.get("uploads"))
        if folder is not None:  # an image set: no arrays, batches read from its folder
            return image_stream(*folder, info, plan, self.settings.batch_size)
        return feed(self.graph, plan, arrays)

    def _pair(self, ref: dict[str, Any], losses: dict[str, str | None]) -> Pair:
        data = self._data(ref, losses)
        if isinstance(data, Stream):
            raise TrainingFailed("an image set cannot be the validation_dataset of a run")
        return data

    def _build(self, keras: Any) -> dict[str, str | None]:
        """Build and compile the model (under the run's distribution strategy); returns the
        string losses by output name."""
        from layerforge.graph import build_model, compile_spec
        from layerforge.training.errors import layer_node_map, name_layers_after_nodes

        named = name_layers_after_nodes(self.graph)
        self.layer_nodes = layer_node_map(named)
        problems = self.settings.check_against(
            [output_name(n) for n in self.graph.nodes if n.type == "Output"]
        )
        if problems:
            emit_problems(self.emit, problems)
            raise TrainingFailed("run settings do not fit the graph")
        self.compiled = self.settings.resolve_graph(named)
        with self._scope():
            try:
                self.model = build_model(self.compiled)
            except GraphError as exc:
                emit_problems(self.emit, exc.problems)
                raise TrainingFailed("the graph does not build") from exc
            if self.settings.initial_weights is not None:
                from layerforge.training.initial_weights import load_initial_weights

                start, nodes = self.settings.initial_weights, self.layer_nodes
                load_initial_weights(
                    self.model, start, self.data_dir, self.run_dir, nodes, self.emit
                )
            self.compile_args = compile_spec(self.compiled)
            optimizer = make_optimizer(keras, self.settings.optimizer)
            self.model.compile(optimizer=optimizer, **self.compile_args)
        return {k: v for k, v in self.compile_args["loss"].items() if isinstance(v, str)}

    def _callbacks(
        self, keras: Any, batch_size: int, stateful: bool, x: Data, y: Data
    ) -> list[Any]:
        from layerforge.training.callbacks import (
            BestCheckpoint,
            EpochTensorBoard,
            EventCallback,
            ResetStatefulLayers,
        )

        s = self.settings
        self.events = EventCallback(self.emit, self.cancel)
        callbacks: list[Any] = [self.events]
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
        if s.layer_stats:  # last: it reads the stop EarlyStopping may have set
            from layerforge.training.layer_stats import LayerStats

            probe = {"probe_samples": batch_size} if stateful else {}
            callbacks.append(
                LayerStats(
                    self.emit,
                    self.compiled,
                    self.layer_nodes,
                    self.compile_args,
                    x,
                    y,
                    cancel=self.cancel,
                    **probe,
                )
            )
        return callbacks

    # -- the run --------------------------------------------------------------------------
    def _scope(self) -> AbstractContextManager[Any]:
        """Where variables are made: the distribution strategy's scope, if the run has one."""
        return self.strategy.scope() if self.strategy is not None else nullcontext()

    def _set_up_keras(self) -> Any:
        s = self.settings
        keras = import_keras(self.spec.get("backend") or s.backend)
        self.strategy = distribution_strategy(keras, s.gpus)
        if self.strategy is not None:
            self.log(f"MirroredStrategy over {', '.join(self.strategy.extended.worker_devices)}")
        seed = s.seed if s.seed is not None else int.from_bytes(os.urandom(3), "little")
        keras.utils.set_random_seed(seed)
        self.log(f"Keras {keras.__version__} on {keras.backend.backend()}, seed {seed}")
        threads = cpu_threads(keras)
        if threads:
            self.log(f"TensorFlow uses {threads} CPU thread(s) per pool ({THREADS_ENV})")
        if s.mixed_precision:
            if has_gpu(keras):
                keras.mixed_precision.set_global_policy("mixed_float16")
                self.log("mixed precision: float16 compute, float32 weights")
            else:
                self.log(
                    "mixed precision asked for, but there is no GPU: training in float32", "warning"
                )
        return keras

    def _training_data(
        self, losses: dict[str, str | None]
    ) -> tuple[Data, Data, Pair | None, int | None]:
        s = self.settings
        data = self._data(self.spec["dataset"], losses)
        if isinstance(data, Stream):
            if s.validation_dataset:
                raise TrainingFailed(
                    "an image set brings its own validation split (chosen when it was made): "
                    "set validation_dataset to null"
                )
            self.stream = data
            split = f"{self.info.validation_split:g}" if self.info else "its"
            self.log(
                f"images streamed from disk: {data.samples} for training, "
                f"{len(data.val_files)} for validation (the set's split {split})"
            )
            return data.train, None, data.val, None
        x, y = data
        val = self._pair(s.validation_dataset, losses) if s.validation_dataset else None
        fixed = stateful_batch(self.graph)
        if fixed is not None:
            x, y, val, note = trim_stateful(x, y, val, fixed, s.validation_split)
            self.log(note)
        elif s.validation_split:
            x, y, val = split_validation(x, y, s.validation_split)
        return x, y, val, fixed

    def execute(self) -> RunStatus:
        s = self.settings
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._write_json("run.json", self.spec)
        keras = self._set_up_keras()
        losses = self._build(keras)
        x, y, val, fixed = self._training_data(losses)
        batch_size, shuffle = (fixed, False) if fixed is not None else (s.batch_size, s.shuffle)
        if self.cancel.is_set():
            return self._finish("cancelled")
        self.emit(StatusEvent(status="running"))
        self._adapt(x, batch_size)
        probe = self.stream.sample if self.stream else (x, y)  # arrays, never the stream
        callbacks = self._callbacks(keras, batch_size, fixed is not None, *probe)
        start, cpu_start = time.perf_counter(), time.process_time()
        try:
            with self._scope():
                build_training_state(self.model, probe[0], probe[1], batch_size)
            with SystemSampler(self.emit):
                history = self.model.fit(
                    x,
                    y,
                    batch_size=batch_size,
                    epochs=s.epochs,
                    shuffle=shuffle and self.stream is None,
                    validation_data=val,
                    callbacks=callbacks,
                    verbose=0,
                )
            self.history = history.history
        except Exception as exc:  # an error raised by a layer (or Keras) while training
            from layerforge.training.errors import node_of_exception

            if disk_full_error(exc) is not None:
                raise  # a checkpoint or log met a full disk: the run ends `disk_full`
            self.history = getattr(getattr(self.model, "history", None), "history", {}) or {}
            node = node_of_exception(exc, self.layer_nodes)
            message, epoch = fit_error_message(exc), self.events.epoch
            self.emit(ErrorEvent(code="training_error", message=message, node=node, epoch=epoch))
            traceback.print_exc()
            error = RunError(code="training_error", message=message, node=node, epoch=epoch)
            return self._finish("failed", with_model=False, error=error)
        self.fit_seconds = time.perf_counter() - start
        fit_cpu_seconds = time.process_time() - cpu_start
        samples = (self.stream.samples if self.stream else count(x)) * self.events.epochs_done
        rate = samples / max(self.fit_seconds, 1e-9)
        self.log(
            f"fit took {self.fit_seconds:.2f} s ({rate:.0f} samples/s)",
            fit_seconds=self.fit_seconds,
            fit_cpu_seconds=fit_cpu_seconds,
            samples=samples,
        )
        if self.events.nan_at is not None:
            epoch, batch = self.events.nan_at
            error = RunError(code="nan_loss", epoch=epoch, batch=batch)
            return self._finish("failed", with_model=False, error=error)
        if val is not None and not self.events.cancelled:
            self._evaluate(losses, val, batch_size)
        return self._finish("cancelled" if self.events.cancelled else "succeeded")

    def _adapt(self, x: Data, batch_size: int) -> None:
        """Preprocessing layers adapted to the training split (adapted.json: what each learned)."""
        from layerforge.training.adapt import adapt_preprocessing

        with self._scope():
            adapted = adapt_preprocessing(self.model, self.layer_nodes, x, batch_size, self.emit)
        if adapted:
            self._write_json("adapted.json", adapted)

    def _evaluate(self, losses: dict[str, str | None], val: Any, batch_size: int) -> None:
        """evaluation.json: where the trained model goes wrong on the validation data."""
        from layerforge.training.evaluation import describer, evaluate

        stream, info = self.stream, self.info
        x_val, y_val = (val, None) if stream else val
        try:
            report = evaluate(
                self.model,
                self.compiled,
                losses,
                x_val,
                y_val,
                batch_size=batch_size,
                dataset=info.name if info else "",
                part="validation",
                classes=info.classes if info else None,
                describe=describer(
                    x_val,
                    stream.val_files if stream else None,
                    stream.folders if stream else None,
                    info.classes if info else None,
                ),
            )
        except Exception as exc:  # noqa: BLE001 - the run trained; only its report is lost
            if disk_full_error(exc) is not None:
                raise
            traceback.print_exc()
            self.log(f"no evaluation of the validation data: {clean_message(exc)}", "warning")
            return
        self._write_json("evaluation.json", report.model_dump(mode="json"))

    def _write_json(self, name: str, data: Any) -> None:
        path = self.run_dir / name
        write_text(path, json.dumps(data, indent=1, default=jsonable))
        self.artifact(path)

    def _finish(
        self, status: RunStatus, with_model: bool = True, error: RunError | None = None
    ) -> RunStatus:
        """Write the artifacts (what exists so far) and emit the terminal status."""
        if with_model and self.model is not None:
            save_model(self.model, self.run_dir / "model.keras")
            self.artifact(self.run_dir / "model.keras")
        best = self.best
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
        self.emit(StatusEvent(status=status, error=error))
        return status

    def _write_code(self) -> None:
        from layerforge.graph import to_python

        path = self.run_dir / "model.py"
        o = self.settings.optimizer
        optimizer = (OPTIMIZERS[o.name].keras_class, o.keras_config())
        write_text(path, to_python(self.compiled, optimizer))
        self.artifact(path)


def _fail(emit: Emit, code: str | None, message: str) -> RunStatus:
    if code:
        emit(ErrorEvent(code=code, message=message))
    emit(StatusEvent(status="failed", error=RunError(code=code, message=message)))
    return "failed"


def run_training(spec: dict[str, Any], emit: Emit, cancel: threading.Event) -> RunStatus:
    """Train per the spec, emitting events; returns the terminal status (never raises)."""
    emit(StatusEvent(status="starting"))
    try:
        return Run(spec, emit, cancel).execute()
    except ValidationError as exc:  # settings or graph that the API should have refused
        message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return _fail(emit, "bad_spec", message)
    except TrainingFailed as exc:
        return _fail(emit, exc.code, str(exc))
    except Exception as exc:  # noqa: BLE001 - anything else still ends in a terminal status
        traceback.print_exc()
        disk_full = disk_full_error(exc)
        if disk_full is not None:
            assert disk_full.code is not None and disk_full.message is not None
            return _fail(emit, disk_full.code, disk_full.message)
        return _fail(emit, "internal_error", f"{type(exc).__name__}: {clean_message(exc)}")
