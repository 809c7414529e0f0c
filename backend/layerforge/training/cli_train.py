"""`layerforge train FILE --dataset digits ...`: train a graph without the server.

Runs the trainer's core in this process, shows a rich progress bar and a table of
metrics per epoch, and writes the same artifacts as a run (model.keras, history.json,
model.py, tensorboard/, run.json) into --out. Ctrl-C cancels after the current batch
(a second Ctrl-C aborts)."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from layerforge.events.types import (
    ArtifactEvent,
    BatchEvent,
    EpochEvent,
    ErrorEvent,
    LogEvent,
    RunEvent,
    StatusEvent,
)
from layerforge.store.models import TERMINAL_STATUSES, RunStatus
from layerforge.training.settings import parse_settings

WIDE_TABLE_METRICS = 6
TALL_TABLE_EPOCHS = 8
EPOCH_COLUMN_WIDTH = 11  # "epoch 12" or "0.1234" plus borders


class ConsoleView:
    """Turns trainer events into a progress bar, log lines and an epoch table."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[metrics]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self.task: TaskID | None = None
        self.epochs: list[EpochEvent] = []
        self.status: RunStatus = "starting"
        self.errors: list[ErrorEvent] = []
        self.artifacts: list[str] = []

    def __call__(self, event: RunEvent) -> None:
        if isinstance(event, BatchEvent):
            self._batch(event)
        elif isinstance(event, EpochEvent):
            self.epochs.append(event)
            epochs = f"/{event.epochs}" if event.epochs else ""
            self.console.print(
                f"epoch {event.epoch + 1}{epochs}  {_fmt(event.metrics)}"
                f"  ({event.duration or 0:.1f} s)"
            )
        elif isinstance(event, StatusEvent):
            self.status = event.status
            if self.status == "running":
                self.progress.start()
            elif self.status in TERMINAL_STATUSES:
                self.progress.stop()
        elif isinstance(event, ErrorEvent):
            self.errors.append(event)
            where = f" (node {event.node})" if event.node else ""
            self.console.print(f"[red]error {event.code}{where}: {event.message}[/red]")
        elif isinstance(event, LogEvent):
            style = "yellow" if event.level == "warning" else "dim"
            self.console.print(f"[{style}]{event.message}[/{style}]")
        elif isinstance(event, ArtifactEvent):
            self.artifacts.append(event.name)

    def _batch(self, event: BatchEvent) -> None:
        label = f"{event.epoch + 1}/{event.epochs}"
        if self.task is None:
            self.task = self.progress.add_task(
                "train", total=event.batches, epoch=label, metrics=""
            )
        self.progress.update(
            self.task,
            completed=event.batch + 1,
            total=event.batches,
            epoch=label,
            metrics=_fmt(event.metrics),
        )

    def table(self) -> Table:
        """Epochs as rows; with many metrics (several outputs), metrics as rows and as
        many of the last epochs as columns as the terminal fits."""
        names = sorted(
            {k for e in self.epochs for k in e.metrics}, key=lambda k: (k.startswith("val_"), k)
        )
        table = Table(title="metrics per epoch")
        if len(names) <= WIDE_TABLE_METRICS:
            table.add_column("epoch", justify="right")
            for name in names:
                table.add_column(name, justify="right")
            table.add_column("seconds", justify="right")
            for e in self.epochs:
                cells = [_num(e.metrics.get(n)) for n in names]
                table.add_row(str(e.epoch + 1), *cells, f"{e.duration or 0:.1f}")
            return table
        name_width = max(len(n) for n in names)
        fit = max(1, (self.console.width - name_width - 4) // EPOCH_COLUMN_WIDTH)
        shown = self.epochs[-min(fit, TALL_TABLE_EPOCHS) :]
        table.add_column("metric", no_wrap=True)
        for e in shown:
            table.add_column(f"epoch {e.epoch + 1}", justify="right")
        for name in names:
            table.add_row(name, *[_num(e.metrics.get(name)) for e in shown])
        table.add_row("seconds", *[f"{e.duration or 0:.1f}" for e in shown])
        return table


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def _fmt(metrics: dict[str, float | None]) -> str:
    return "  ".join(f"{k} {_num(v)}" for k, v in metrics.items())


def _load_graph(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"{file} is not a readable graph JSON file ({exc})") from exc
    graph: dict[str, Any] = (
        data["graph"]
        if isinstance(data, dict) and "graph" in data and "nodes" not in data
        else data
    )
    return graph


def train_cmd(
    file: Path = typer.Argument(..., help="A graph JSON file (as the editor saves it)."),
    dataset: str = typer.Option(
        "digits", "--dataset", "-d", help="A built-in, generated or uploaded data set."
    ),
    epochs: int = typer.Option(5, "--epochs", "-e", min=1),
    batch_size: int = typer.Option(32, "--batch-size", "-b", min=1),
    lr: float | None = typer.Option(
        None, "--lr", help="Learning rate (the optimizer's default when unset)."
    ),
    optimizer: str = typer.Option("adam", "--optimizer", help="adam, adamw, sgd, rmsprop, ..."),
    validation_split: float = typer.Option(0.2, "--validation-split", min=0.0, max=0.99),
    seed: int | None = typer.Option(None, "--seed"),
    settings_file: Path | None = typer.Option(
        None, "--settings", help="JSON file with more run settings."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Artifact folder (default runs/<file>-<time>)."
    ),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Where uploaded data sets live."),
) -> None:
    """Train a graph on a data set in this process and write the artifacts."""
    from layerforge.settings import get_settings
    from layerforge.training.training_run import run_training

    console = Console()
    if not file.exists():
        raise typer.BadParameter(f"{file} does not exist")
    graph = _load_graph(file)
    settings: dict[str, Any] = json.loads(settings_file.read_text()) if settings_file else {}
    settings.update(epochs=epochs, batch_size=batch_size, validation_split=validation_split)
    settings["optimizer"] = {**settings.get("optimizer", {}), "name": optimizer}
    if lr is not None:
        settings["optimizer"]["learning_rate"] = lr
    if seed is not None:
        settings["seed"] = seed
    try:
        parsed = parse_settings(settings)
    except ValidationError as exc:
        raise typer.BadParameter(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from None
    out = out or Path("runs") / f"{file.stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    spec = {
        "run_id": out.name,
        "run_dir": str(out.resolve()),
        "graph": graph,
        "dataset": {"name": dataset},
        "settings": parsed.model_dump(exclude_none=True),
        "data_dir": str(data_dir or get_settings().data_dir),
        "backend": parsed.backend,
    }
    view = ConsoleView(console)
    cancel = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        console.print("[yellow]cancelling after the current batch (Ctrl-C again to abort)[/yellow]")
        cancel.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        status = run_training(spec, view, cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
    if view.epochs:
        console.print(view.table())
    console.print(
        f"[bold]{status}[/bold]: artifacts in {out}: {', '.join(a for a in view.artifacts if '/' not in a)}"
    )
    if status == "failed":
        raise typer.Exit(code=1)
