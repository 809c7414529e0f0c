"""Keras callbacks of the trainer: events, cancel, NaN detection, stateful resets.

`EventCallback` is `async_safe`: Keras 3 then runs `on_train_batch_end` in its
thread pool, so turning the batch's tensors into floats and writing events never
blocks the training loop (that is what keeps the overhead next to plain
`model.fit(verbose=0)` small). Calls may finish out of order, so a lock and the
last emitted (epoch, batch) keep batch events in order.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import keras

from layerforge.events.types import BatchEvent, EpochEvent, ErrorEvent, LogEvent
from layerforge.training.artifacts import save_model
from layerforge.training.protocol import Emit, Logs


def clean_metrics(logs: dict[str, Any] | None) -> dict[str, float | None]:
    """Logs as JSON-safe floats (NaN and infinity become None)."""
    out: dict[str, float | None] = {}
    for k, v in (logs or {}).items():
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        out[k] = f if math.isfinite(f) else None
    return out


class EventCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Emits batch (throttled) and epoch events; stops on cancel or a non-finite loss."""

    async_safe = True

    def __init__(self, emit: Emit, cancel: threading.Event, min_interval: float = 0.1):
        super().__init__()
        self.emit = emit
        self.cancel = cancel
        self.min_interval = min_interval
        self.nan_at: tuple[int, int] | None = None
        self.cancelled = False
        self.epochs_done = 0
        self._lock = threading.Lock()
        self._epoch = 0
        self._epoch_start = 0.0
        self._last_time = 0.0
        self._last_emitted = (-1, -1)

    @property
    def epoch(self) -> int:
        """The epoch being trained (0-based)."""
        return self._epoch

    def _stop_if_cancelled(self) -> None:
        if self.cancel.is_set() and not self.cancelled:
            self.cancelled = True
            self.emit(LogEvent(message="cancel requested: stopping after this batch"))
        if self.cancelled:
            self.model.stop_training = True

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._epoch = epoch
        self._epoch_start = time.perf_counter()
        self._stop_if_cancelled()

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._stop_if_cancelled()
        epoch = self._epoch
        steps = self.params.get("steps")
        loss = (logs or {}).get("loss")
        finite = loss is None or math.isfinite(float(loss))
        with self._lock:
            if not finite and self.nan_at is None:
                self.nan_at = (epoch, batch)
                self.model.stop_training = True
                self.emit(
                    ErrorEvent(
                        code="nan_loss",
                        epoch=epoch,
                        batch=batch,
                        message=f"the loss became {loss} at epoch {epoch + 1}, batch {batch + 1}",
                    )
                )
            now = time.monotonic()
            last = steps is not None and batch == steps - 1
            if (epoch, batch) <= self._last_emitted or not (
                last or now - self._last_time >= self.min_interval
            ):
                return
            self._last_emitted = (epoch, batch)
            self._last_time = now
            self.emit(
                BatchEvent(
                    epoch=epoch,
                    epochs=self.params.get("epochs"),
                    batch=batch,
                    batches=steps,
                    metrics=clean_metrics(logs),
                )
            )

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self.epochs_done = epoch + 1
        self.emit(
            EpochEvent(
                epoch=epoch,
                epochs=self.params.get("epochs"),
                metrics=clean_metrics(logs),
                duration=time.perf_counter() - self._epoch_start,
            )
        )


class ResetStatefulLayers(keras.callbacks.Callback):  # type: ignore[misc]
    """Resets RNN state at the start of every epoch and before validation.

    Keras 3's Model has no `reset_states`; each stateful layer is reset instead."""

    def __init__(self, layers: list[keras.layers.Layer]):
        super().__init__()
        self.layers = layers

    @classmethod
    def find(cls, model: keras.Model) -> list[keras.layers.Layer]:
        found = []
        for layer in model._flatten_layers(include_self=False, recursive=True):
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                found.append(layer)
        return found

    def _reset(self) -> None:
        for layer in self.layers:
            layer.reset_states()

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._reset()

    def on_test_begin(self, logs: Logs = None) -> None:
        self._reset()


def _higher_is_better(monitor: str) -> bool:
    """Keras's "auto" mode: accuracy-like metrics are maximised, everything else minimised."""
    return any(word in monitor for word in ("acc", "auc", "precision", "recall", "r2"))


class BestCheckpoint(keras.callbacks.Callback):  # type: ignore[misc]
    """Keeps the best weights (by `monitor`) in memory and writes them as a .keras file at
    most every `min_interval` seconds, and on `flush()` (the trainer's artifacts step).

    `ModelCheckpoint(save_best_only=True)` writes a file at every improvement, which costs
    small models a noticeable share of their training time; this keeps the file at most
    `min_interval` seconds behind the best epoch."""

    def __init__(self, path: str, monitor: str, min_interval: float = 30.0):
        super().__init__()
        self.path = path
        self.monitor = monitor
        self.min_interval = min_interval
        self.maximize = _higher_is_better(monitor)
        self.best: float | None = None
        self.best_epoch: int | None = None
        self._weights: list[Any] | None = None
        self._dirty = False
        self._written = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return
        value = float(value)
        if self.best is None or (value > self.best if self.maximize else value < self.best):
            self.best, self.best_epoch = value, epoch
            self._weights = self.model.get_weights()
            self._dirty = True
        if self._dirty and time.monotonic() - self._written >= self.min_interval:
            self.write()

    def flush(self) -> None:
        """Write the best weights if the file is behind (the trainer calls this after fit)."""
        if self._dirty:
            self.write()

    def write(self) -> None:
        current = self.model.get_weights()
        self.model.set_weights(self._weights)
        try:
            save_model(self.model, Path(self.path))
        finally:
            self.model.set_weights(current)
        self._dirty = False
        self._written = time.monotonic()


class EpochTensorBoard(keras.callbacks.TensorBoard):  # type: ignore[misc]
    """TensorBoard logs per epoch only, with no per-batch work.

    Keras's TensorBoard calls `summary.scalar` for every metric after every batch (a
    no-op without a batch-level writer, but still an op each) and, not being
    `async_safe`, makes Keras run every callback's batch end synchronously."""

    async_safe = True

    def __init__(self, log_dir: str):
        super().__init__(log_dir=log_dir, write_graph=False, update_freq="epoch", profile_batch=0)

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        pass

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        pass
