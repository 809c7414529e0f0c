"""The epoch table of `layerforge train` stays readable with many metrics."""

from __future__ import annotations

from rich.console import Console

from layerforge.events.types import EpochEvent
from layerforge.training.cli_train import TALL_TABLE_EPOCHS, ConsoleView


def _view(metric_names: list[str], epochs: int) -> ConsoleView:
    view = ConsoleView(Console(width=80, record=True))
    for epoch in range(epochs):
        metrics = {name: 1.0 / (epoch + 1) for name in metric_names}
        view.epochs.append(EpochEvent(epoch=epoch, epochs=epochs, metrics=metrics, duration=0.5))
    return view


def test_few_metrics_are_columns():
    table = _view(["loss", "accuracy", "val_loss"], 3).table()
    assert [c.header for c in table.columns] == ["epoch", "accuracy", "loss", "val_loss", "seconds"]
    assert table.row_count == 3


def test_many_metrics_are_rows_with_the_last_epochs_as_columns():
    names = [f"{out}_{m}" for out in ("main_output", "aux_output") for m in ("loss", "accuracy")]
    names += ["loss"] + [f"val_{n}" for n in names]
    table = _view(names, TALL_TABLE_EPOCHS + 3).table()
    headers = [c.header for c in table.columns]
    assert headers[0] == "metric" and headers[-1] == f"epoch {TALL_TABLE_EPOCHS + 3}"
    assert 2 <= len(headers) - 1 <= TALL_TABLE_EPOCHS  # the last epochs that fit in 80 columns
    assert table.row_count == len(names) + 1  # one per metric, plus seconds
    console = Console(width=80, record=True)
    console.print(table)
    text = console.export_text()
    assert "val_main_output_accuracy" in text and "0.0909" in text  # names and values not cut
