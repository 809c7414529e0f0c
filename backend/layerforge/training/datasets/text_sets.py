"""Text sets: a .csv with a text column and a label column, stored as a .npz of the texts'
UTF-8 bytes with their offsets (no fixed-width string array: one long text would widen
every row) and the labels, read back by the trainer as the object array of `str` that
Keras's `fit` and `layer.adapt` take.

The text column is the form's `text_column`, else (with the label column named) the one
column that holds words among the first rows; the labels are `label_column` (or
`target`), else the one other column of a two-column file."""

from __future__ import annotations

from collections import Counter
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from layerforge.settings import Limits
from layerforge.training.datasets.csv_reader import csv_rows, target_array
from layerforge.training.datasets.errors import DatasetError
from layerforge.training.datasets.models import ArrayInfo
from layerforge.training.datasets.names import shown

SNIFFED_ROWS = 100  # rows read to find the text column
MAX_CLASSES = 1000  # the most classes whose counts a text set lists


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def text_column_of(path: Path, limits: Limits, label: str) -> str | None:
    """The column of a .csv that holds text, if exactly one column but the label column
    does: among the first rows most of its cells are not numbers and some have several
    words (so a stray typo in a column of numbers does not make it text); None when none
    does (a table of numbers). Several: a DatasetError asking for `text_column`."""
    words: Counter[str] = Counter()
    filled: Counter[str] = Counter()
    sentences: set[str] = set()
    with csv_rows(path, limits) as (header, rows):
        for _, row in islice(rows, SNIFFED_ROWS):
            for name, cell in zip(header, row, strict=True):
                if name != label and cell.strip():
                    filled[name] += 1
                    words[name] += not _is_number(cell)
                    if len(cell.split()) > 1:
                        sentences.add(name)
    wordy = sorted(n for n, count in words.items() if 2 * count > filled[n] and n in sentences)
    if len(wordy) > 1:
        raise DatasetError(
            f"columns {shown(wordy)} hold text: name the one to learn from "
            "(form field `text_column`)",
            param="text_column",
        )
    return wordy[0] if wordy else None


def _columns(header: list[str], text: str, label: str | None) -> tuple[int, int]:
    if text not in header:
        raise DatasetError(
            f"text column {text!r} is not in the header ({shown(header)})", param="text_column"
        )
    others = [h for h in header if h != text]
    if label is None and len(others) == 1:
        label = others[0]
    if label is None:
        raise DatasetError(
            f"choose the label column (form field `label_column`); columns: {shown(header)}",
            param="label_column",
        )
    if label not in header:
        raise DatasetError(
            f"label column {label!r} is not in the header ({shown(header)})",
            param="label_column",
        )
    if label == text:
        raise DatasetError(
            f"column {text!r} cannot be both the text and the label", param="label_column"
        )
    return header.index(text), header.index(label)


def save_text_csv(
    data: Path, stored: Path, limits: Limits, text: str, label: str | None
) -> dict[str, Any]:
    """Read the .csv at `data` as a text set, write its .npz to `stored`; the store
    record's meta. Raises DatasetError naming the form field at fault."""
    with csv_rows(data, limits) as (header, rows):
        text_index, label_index = _columns(header, text, label)
        encoded: list[bytes] = []
        raw_labels: list[str] = []
        for _, row in rows:
            encoded.append(row[text_index].encode("utf-8"))
            raw_labels.append(row[label_index].strip())
    if not encoded:
        raise DatasetError("the .csv file needs a header row and at least one data row")
    label_name = header[label_index]
    y, classes = target_array(raw_labels, label_name)
    offsets = np.zeros(len(encoded) + 1, dtype="int64")
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    utf8 = np.frombuffer(b"".join(encoded), dtype="uint8")
    np.savez(stored, text_utf8=utf8, text_offsets=offsets, y=y)
    return {
        "arrays": {
            "x": ArrayInfo(shape=(len(encoded),), dtype="string").model_dump(mode="json"),
            "y": ArrayInfo.of(y).model_dump(mode="json"),
        },
        "inputs": ["x"],
        "targets": ["y"],
        "classes": classes,
        "counts": _class_counts(y, classes),
        "description": f"uploaded .csv: text `{header[text_index]}` -> {label_name}",
        "text_column": header[text_index],
        "target": label_name,
    }


def _class_counts(y: np.ndarray, classes: list[str] | None) -> dict[str, int] | None:
    """Samples per class (by name; whole-number labels by their value), or None for
    labels that are not classes (numbers with fractions, or more than MAX_CLASSES)."""
    if y.dtype.kind not in "iu":
        return None
    values, counts = np.unique(y, return_counts=True)
    if len(values) > MAX_CLASSES:
        return None
    names = [classes[v] if classes else str(v) for v in values.tolist()]
    return dict(zip(names, counts.tolist(), strict=True))


def load_text(path: Path) -> dict[str, np.ndarray]:
    """A stored text set's arrays: `x` the texts (an object array of str), `y` the labels."""
    with np.load(path, allow_pickle=False) as f:
        utf8, offsets, y = f["text_utf8"].tobytes(), f["text_offsets"], f["y"]
    bounds = offsets.tolist()
    texts = [utf8[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:], strict=False)]
    x = np.empty(len(texts), dtype=object)
    x[:] = texts
    return {"x": x, "y": y}
