"""An image set as the trainer reads it: Keras's `image_dataset_from_directory`, batched
and prefetched, streamed from disk (never loaded whole). Imports Keras: trainer only.

The split into training and validation images is Keras's (`validation_split`, `subset=
"both"`) with a fixed seed, so a run and a later evaluate of it see the same
validation images."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from layerforge.training.datasets.fitting import DataPlan
from layerforge.training.datasets.models import DatasetInfo

SPLIT_SEED = 1337


@dataclass
class Stream:
    """Batches of (images, labels) for fit, the validation batches (None without a
    split), and one training batch in memory (for probes and the optimizer's build)."""

    train: Any
    val: Any | None
    samples: int
    val_files: list[str]
    sample: tuple[np.ndarray, np.ndarray]
    folders: list[str]  # the class folders, in label order


def _read(folder: Path, folders: list[str], info: DatasetInfo, label_mode: str, **kw: Any) -> Any:
    import keras

    assert info.image_size is not None and info.color_mode is not None
    return keras.utils.image_dataset_from_directory(
        folder,
        labels="inferred",
        label_mode=label_mode,
        class_names=folders,
        color_mode=info.color_mode,
        image_size=tuple(info.image_size),
        seed=SPLIT_SEED,
        verbose=False,
        **kw,
    )


def _label_mode(plan: DataPlan) -> str:
    """One-hot labels for a categorical loss (the plan's conversion), else integers."""
    return "categorical" if any(c == "one_hot" for c, _ in plan.conversions.values()) else "int"


def image_stream(
    folder: Path, folders: list[str], info: DatasetInfo, plan: DataPlan, batch_size: int
) -> Stream:
    """The set's training and validation batches, per its validation split."""
    mode = _label_mode(plan)
    split = info.validation_split or 0.0
    if split:
        train, val = _read(
            folder,
            folders,
            info,
            mode,
            batch_size=batch_size,
            validation_split=split,
            subset="both",
        )
        val_files = list(val.file_paths)
    else:
        train, val, val_files = _read(folder, folders, info, mode, batch_size=batch_size), None, []
    x, y = next(iter(train.take(1)))
    sample = (np.asarray(x), np.asarray(y))
    return Stream(train, val, len(train.file_paths), val_files, sample, folders)


def validation_part(
    folder: Path, folders: list[str], info: DatasetInfo, plan: DataPlan, batch_size: int
) -> tuple[Any, list[str]]:
    """The images a run validated on (all of them for a set without a split), in order,
    with their files: what evaluate measures."""
    mode = _label_mode(plan)
    split = info.validation_split or 0.0
    if split:  # "both": Keras shuffles only the training part's batches
        kw: dict[str, Any] = {"validation_split": split, "subset": "both"}
        data = _read(folder, folders, info, mode, batch_size=batch_size, **kw)[1]
    else:
        data = _read(folder, folders, info, mode, batch_size=batch_size, shuffle=False)
    return data, list(data.file_paths)
