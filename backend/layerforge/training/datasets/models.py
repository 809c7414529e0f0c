"""What the data set code answers: pydantic models (the API's response models too), and
`Loaded`, a set's arrays in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from layerforge.graph.problems import Problem
from layerforge.training.datasets.names import NAME_SCHEMA_PATTERN, name_problem

MAX_SAMPLES = 20000  # the most samples a generated set makes


class ArrayInfo(BaseModel):
    """One array: shape (sample axis first), dtype and the range of its finite values."""

    shape: tuple[int, ...]
    dtype: str
    min: float | None = None
    max: float | None = None
    integral: bool = Field(default=False, description="Every value is a whole number.")

    @classmethod
    def of(cls, a: np.ndarray) -> ArrayInfo:
        stats = ArrayStats(a.dtype)
        stats.add(a)
        return stats.info(a.shape)


class ArrayStats:
    """The range and integrality of an array read chunk by chunk (so a large array is
    described without being held in memory)."""

    def __init__(self, dtype: np.dtype):
        self.dtype = dtype
        self.lo: float | None = None
        self.hi: float | None = None
        self.size = 0
        self.whole = True  # every value so far is finite and a whole number

    def add(self, chunk: np.ndarray) -> None:
        if chunk.size == 0:
            return
        self.size += chunk.size
        if self.dtype.kind == "f":
            finite = np.isfinite(chunk)
            if not finite.all():
                self.whole = False
                chunk = chunk[finite]
                if chunk.size == 0:
                    return
            self.whole = self.whole and bool(np.all(np.mod(chunk, 1) == 0))
        lo, hi = float(chunk.min()), float(chunk.max())
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)

    def info(self, shape: tuple[int, ...]) -> ArrayInfo:
        kind = self.dtype.kind
        return ArrayInfo(
            shape=tuple(int(d) for d in shape),
            dtype=str(self.dtype),
            min=self.lo,
            max=self.hi,
            integral=kind in "biu" or (kind == "f" and self.size > 0 and self.whole),
        )


DatasetKind = Literal["builtin", "generated", "npz", "csv", "images", "text"]
ColorMode = Literal["grayscale", "rgb", "rgba"]


class DatasetInfo(BaseModel):
    """A data set: its arrays, which of them are inputs and targets, and for uploads
    where it came from."""

    name: str
    kind: DatasetKind
    description: str
    arrays: dict[str, ArrayInfo]
    inputs: list[str]
    targets: list[str]
    classes: list[str] | None = Field(default=None, description="Class names by label.")
    size: int | None = Field(default=None, description="Uploads: bytes stored.")
    original_filename: str | None = None
    owner: str | None = Field(default=None, description="Uploads: who uploaded it.")
    created_at: datetime | None = None
    features: list[str] | None = Field(default=None, description="CSV uploads: feature columns.")
    target: str | None = Field(
        default=None, description="CSV uploads: the target (a text set's label) column."
    )
    text_column: str | None = Field(
        default=None, description="Text sets: the column of texts (array `x`, dtype string)."
    )
    image_size: tuple[int, int] | None = Field(
        default=None, description="Image sets: (height, width) every image is resized to."
    )
    color_mode: ColorMode | None = Field(
        default=None, description="Image sets: the channels read (1, 3 or 4)."
    )
    counts: dict[str, int] | None = Field(
        default=None, description="Image and text sets: samples per class, by class name."
    )
    validation_split: float | None = Field(
        default=None,
        description="Image sets: the fraction of the images a run validates on (chosen at "
        "creation; it replaces the run's validation_split).",
    )
    folder: str | None = Field(
        default=None,
        description="Image sets read in place: the folder under LAYERFORGE_DATASETS_DIR.",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="What was skipped while reading the upload or folder (files that are "
        "not images, empty classes, ...), one line each.",
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def samples(self) -> int | None:
        counts = {a.shape[0] for a in self.arrays.values() if a.shape}
        return counts.pop() if len(counts) == 1 else None


class DatasetList(BaseModel):
    datasets: list[DatasetInfo]


class DatasetRef(BaseModel):
    """Which data set a run or a check uses: `{"name": "digits"}`; generated sets also
    take `samples`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(
        min_length=1, max_length=64, json_schema_extra={"pattern": NAME_SCHEMA_PATTERN}
    )
    samples: int | None = Field(default=None, ge=1, le=MAX_SAMPLES)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        problem = name_problem(name)
        if problem:
            raise ValueError(problem)
        return name

    @field_validator("samples", mode="before")
    @classmethod
    def _valid_samples(cls, n: object) -> object:
        whole = isinstance(n, int) and not isinstance(n, bool)
        if n is not None and not (whole and 1 <= n <= MAX_SAMPLES):  # type: ignore[operator]
            raise ValueError(f"samples must be an integer from 1 to {MAX_SAMPLES}, got {n!r}")
        return n


class DatasetCheckAnswer(BaseModel):
    """A data set checked against a graph; every mismatch names the node and the array."""

    fits: bool
    errors: list[Problem]
    dataset: DatasetInfo | None
    graph_valid: bool


class UploadedSet(BaseModel):
    """An uploaded data set as a trainer reads it (from its run spec): its file, resolved
    by whoever queued the run, and its description, so the trainer needs no database."""

    file: str = Field(description="The .npz file (an image set: its folder), absolute.")
    info: DatasetInfo
    folders: list[str] | None = Field(
        default=None, description="An image set: its class folders, in label order."
    )


@dataclass
class Loaded:
    """A set's arrays in memory with their roles (inputs, targets)."""

    arrays: dict[str, np.ndarray]
    inputs: list[str]
    targets: list[str]
    description: str = ""
    classes: list[str] | None = None
