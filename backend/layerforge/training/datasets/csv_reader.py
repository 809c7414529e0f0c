"""Reading an uploaded .csv into `x` (the feature columns, float32) and `y` (the target
column: numbers, or class names encoded as sorted indices).

The file is read as a stream, one record at a time, in time linear in its size; what it
may hold is capped by `Limits` (columns, data rows) and by the csv module's field size
(131,072 characters), and each breach names the limit, the row and the column.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, TextIO

import numpy as np

from layerforge.settings import Limits
from layerforge.store.text import storable_problem
from layerforge.training.datasets.errors import DatasetError, limit_exceeded
from layerforge.training.datasets.names import shown

BLOCK_CELLS = 1 << 20  # feature cells parsed to float32 at a time
QUOTED = re.compile(r'"(?:[^"]|"")*"?')


@dataclass
class CsvTable:
    x: np.ndarray
    y: np.ndarray
    features: list[str]
    target: str
    classes: list[str] | None


class _Records:
    """The file's lines, keeping those of the record being read (to find the column of a
    field that is too long: the csv module says only that one is)."""

    def __init__(self, f: TextIO):
        self.f = f
        self.current: list[str] = []

    def __iter__(self) -> Iterator[str]:
        for line in self.f:
            self.current.append(line)
            yield line


def _long_field_column(text: str, limit: int) -> int:
    """The index of the first field of the record `text` longer than `limit`."""
    pos, column = 0, 0
    while pos < len(text):
        quoted = QUOTED.match(text, pos) if text[pos] == '"' else None
        comma = text.find(",", quoted.end() if quoted else pos)
        end = len(text) if comma < 0 else comma
        if end - pos > limit:
            return column
        pos, column = end + 1, column + 1
    return column


def _rows(records: _Records) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each record that is not blank."""
    reader = csv.reader(records)
    while True:
        records.current = []
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            if "field larger than field limit" in str(exc):
                limit = csv.field_size_limit()
                column = _long_field_column("".join(records.current), limit)
                raise DatasetError(
                    f"row {line}, column {column + 1}: a field is longer than the limit of "
                    f"{limit:,} characters"
                ) from None
            raise DatasetError(f"row {line}: not a valid .csv record ({exc})") from None
        if any(cell.strip() for cell in row):
            yield reader.line_num, row


def _header(rows: Iterator[tuple[int, list[str]]], limits: Limits) -> list[str]:
    first = next(rows, None)
    if first is None:
        raise DatasetError("the .csv file needs a header row and at least one data row")
    if len(first[1]) > limits.csv_columns:
        raise limit_exceeded(
            f"the .csv file has {len(first[1]):,} columns", limits.csv_columns, "csv_columns"
        )
    header = [h.strip() for h in first[1]]
    seen: set[str] = set()
    for i, name in enumerate(header):
        problem = storable_problem(name)
        if problem:
            raise DatasetError(f"the name of column {i + 1} {problem}")
        if name in seen:
            raise DatasetError(f"column {name!r} appears twice in the header")
        seen.add(name)
    return header


def _columns(
    header: list[str], target: str | None, features: list[str] | None
) -> tuple[list[str], int, list[int]]:
    """The feature names, the target's column index and the features' column indices."""
    index = {h: i for i, h in enumerate(header)}
    if not target:
        raise DatasetError(
            f"choose the target column (form field `target`); columns: {shown(header)}",
            param="target",
        )
    if target not in index:
        raise DatasetError(
            f"target column {target!r} is not in the header ({shown(header)})", param="target"
        )
    features = features or [h for h in header if h != target]
    missing = [f for f in features if f not in index]
    if missing:
        raise DatasetError(
            f"feature column(s) {shown([repr(m) for m in missing])} not in the header "
            f"({shown(header)})",
            param="features",
        )
    if target in set(features):
        raise DatasetError(
            f"column {target!r} cannot be both a feature and the target", param="features"
        )
    if not features:
        raise DatasetError("no feature columns left besides the target", param="features")
    return features, index[target], [index[f] for f in features]


class _FeatureBlocks:
    """Feature cells collected row by row and parsed to float32 a block at a time."""

    def __init__(self, features: list[str], columns: list[int]):
        self.features, self.columns = features, columns
        self.cells: list[str] = []
        self.lines: list[int] = []
        self.blocks: list[np.ndarray] = []

    def add(self, line: int, row: list[str]) -> None:
        self.cells.extend(row[c] for c in self.columns)
        self.lines.append(line)
        if len(self.cells) >= BLOCK_CELLS:
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        try:
            block = np.array(self.cells, dtype="float32")
        except ValueError:
            self._raise_not_a_number()
        self.blocks.append(block.reshape(len(self.lines), len(self.columns)))
        self.cells, self.lines = [], []

    def _raise_not_a_number(self) -> NoReturn:
        width = len(self.columns)
        for i, cell in enumerate(self.cells):
            try:
                float(cell)
            except ValueError:
                raise DatasetError(
                    f"row {self.lines[i // width]}, column {self.features[i % width]!r}: "
                    f"{cell[:80]!r} is not a number"
                ) from None
        raise AssertionError("numpy refused a block that float() accepts")

    def array(self) -> np.ndarray:
        self.flush()
        return np.concatenate(self.blocks) if self.blocks else np.empty((0, len(self.columns)))


def target_array(raw: list[str], target: str) -> tuple[np.ndarray, list[str] | None]:
    """A target column's cells as numbers (whole ones as int64), or class names encoded
    as sorted indices (with the names)."""
    try:
        y = np.array(raw, dtype="float32")
    except ValueError:  # class names: encoded as sorted indices below
        pass
    else:
        return (y.astype("int64") if np.all(np.mod(y, 1) == 0) else y), None
    classes = sorted(set(raw))
    for name in classes:
        problem = storable_problem(name)
        if problem:
            raise DatasetError(f"column {target!r}: the class name {name[:80]!r} {problem}")
    code = {c: i for i, c in enumerate(classes)}
    return np.array([code[v] for v in raw], dtype="int64"), classes


@contextmanager
def csv_rows(
    path: Path, limits: Limits
) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    """The header of the .csv in `path` (UTF-8) and its data rows as (line, cells), each as
    wide as the header and at most `limits.csv_rows` of them. Raises DatasetError."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = _rows(_Records(f))
            header = _header(rows, limits)
            yield header, _checked_rows(rows, header, limits)
    except UnicodeDecodeError as exc:
        raise DatasetError(f"the .csv file is not UTF-8 text ({exc})") from None


def _checked_rows(
    rows: Iterator[tuple[int, list[str]]], header: list[str], limits: Limits
) -> Iterator[tuple[int, list[str]]]:
    for n, (line, row) in enumerate(rows):
        if len(row) != len(header):
            raise DatasetError(f"row {line} has {len(row):,} cells, the header has {len(header):,}")
        if n == limits.csv_rows:
            raise limit_exceeded(
                f"the .csv file has more than {limits.csv_rows:,} data rows",
                limits.csv_rows,
                "csv_rows",
            )
        yield line, row


def read_csv(
    path: Path, target: str | None, features: list[str] | None, limits: Limits
) -> CsvTable:
    """The table in `path` (UTF-8, a header row, then data rows). Raises DatasetError."""
    with csv_rows(path, limits) as (header, rows):
        features, target_column, columns = _columns(header, target, features)
        blocks = _FeatureBlocks(features, columns)
        raw_y: list[str] = []
        for line, row in rows:
            blocks.add(line, row)
            raw_y.append(row[target_column].strip())
    if not raw_y:
        raise DatasetError("the .csv file needs a header row and at least one data row")
    x = blocks.array()
    y, classes = target_array(raw_y, header[target_column])
    return CsvTable(x, y, features, header[target_column], classes)
