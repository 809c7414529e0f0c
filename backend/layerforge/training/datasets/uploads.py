"""Storing uploaded sets: a .npz kept as sent once it is checked, a .csv converted to a
.npz of `x` and `y` (a text set's texts and labels when it has a text column), a .zip of image folders unpacked into a folder; all under
server-chosen names, recorded in the store. A folder under the server's data set root is
recorded without a copy (`save_folder`)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from layerforge.settings import Limits
from layerforge.store import datasets as store
from layerforge.store.models import Dataset
from layerforge.store.text import storable_problem
from layerforge.training.datasets.catalogue import is_builtin, uploads_dir
from layerforge.training.datasets.csv_reader import read_csv
from layerforge.training.datasets.errors import DatasetError, DatasetExists
from layerforge.training.datasets.image_folders import (
    ImageOptions,
    remove_folder,
    resolve_server_folder,
    scan_folder,
    unpack_zip,
)
from layerforge.training.datasets.models import ArrayInfo
from layerforge.training.datasets.names import name_problem
from layerforge.training.datasets.npz_reader import describe_npz
from layerforge.training.datasets.text_sets import save_text_csv, text_column_of

SUFFIXES = (".npz", ".csv", ".zip")


def _upload_name(original_filename: str, name: str | None, session: Session) -> str:
    """The name the upload is stored under: `name`, else the file's stem; checked."""
    param = "name" if name else None  # None: the file (its name)
    name = name or Path(original_filename).stem
    problem = name_problem(name)
    if problem:
        raise DatasetError(problem, code="bad_name", param=param)
    if is_builtin(name):
        raise DatasetError(f"data set name {name!r} is taken by a built-in set", param=param)
    if store.get_dataset(session, name) is not None:
        raise DatasetExists(
            f"a data set named {name!r} exists already; delete it first or choose another name",
            code="exists",
            param=param,
        )
    return name


def _npz_meta(arrays: dict[str, ArrayInfo]) -> dict[str, Any]:
    xy = set(arrays) == {"x", "y"}
    return {
        "arrays": {k: a.model_dump(mode="json") for k, a in arrays.items()},
        "inputs": ["x"] if xy else [],
        "targets": ["y"] if xy else [],
        "description": "uploaded .npz: "
        + ", ".join(f"{k} {list(a.shape)}" for k, a in arrays.items()),
    }


def _csv_meta(
    data: Path, stored: Path, limits: Limits, target: str | None, features: list[str] | None
) -> dict[str, Any]:
    table = read_csv(data, target, features, limits)
    np.savez(stored, x=table.x, y=table.y)
    return {
        "arrays": {
            "x": ArrayInfo.of(table.x).model_dump(mode="json"),
            "y": ArrayInfo.of(table.y).model_dump(mode="json"),
        },
        "inputs": ["x"],
        "targets": ["y"],
        "classes": table.classes,
        "description": f"uploaded .csv: {len(table.features)} features -> {table.target}",
        "features": table.features,
        "target": table.target,
    }


def save_upload(
    session: Session,
    data: Path,
    original_filename: str,
    data_dir: Path,
    *,
    limits: Limits,
    name: str | None = None,
    target: str | None = None,
    features: list[str] | None = None,
    images: ImageOptions | None = None,
    text_column: str | None = None,
) -> Dataset:
    """Store an uploaded .npz, .csv or .zip of image folders (read per `images`), already
    written to `data` (a temp file), under a server-chosen file name and record it,
    committed; returns the store record. A .csv with `text_column`, or with `target` and
    no `features` and one column of words, is a text set (`target`: its labels). When anything
    fails (a full disk, the commit) the stored file is removed. Raises DatasetError (its
    `param` names the form field at fault: `name`, `target`, `features`, `text_column`,
    an image option, or None for the file)."""
    suffix = Path(original_filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise DatasetError(
            f"unsupported file type {suffix or '(none)'!r}: upload a .npz, .csv or .zip file"
        )
    problem = storable_problem(original_filename)
    if problem:
        raise DatasetError(f"the file name {problem}")
    name = _upload_name(original_filename, name, session)
    folder = uploads_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if suffix == ".zip":
        return _save_images(session, data, original_filename, folder, name, limits, images)
    filename = f"{uuid.uuid4().hex}.npz"
    stored = folder / filename
    kind = suffix[1:]
    try:
        if suffix == ".npz":
            meta = _npz_meta(describe_npz(data, limits))
            data.replace(stored)
        else:
            if text_column is None and not features and target:
                text_column = text_column_of(data, limits, target)
            if text_column is not None:
                meta, kind = save_text_csv(data, stored, limits, text_column, target), "text"
            else:
                meta = _csv_meta(data, stored, limits, target, features)
            data.unlink(missing_ok=True)
        meta["size"] = stored.stat().st_size
        meta["original_filename"] = original_filename[:200]
        record = store.add_dataset(session, name=name, kind=kind, filename=filename, meta=meta)
        session.commit()  # the file is kept only with its record (a full disk fails here)
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    return record


def _save_images(
    session: Session,
    data: Path,
    original_filename: str,
    folder: Path,
    name: str,
    limits: Limits,
    images: ImageOptions | None,
) -> Dataset:
    options = images or ImageOptions()
    options.check()
    filename = uuid.uuid4().hex
    stored = folder / filename
    try:
        meta = unpack_zip(data, stored, options, limits)
        meta["size"] = sum(p.stat().st_size for p in stored.rglob("*") if p.is_file())
        meta["original_filename"] = original_filename[:200]
        record = store.add_dataset(session, name=name, kind="images", filename=filename, meta=meta)
        session.commit()  # the folder is kept only with its record
    except BaseException:
        remove_folder(stored)
        raise
    return record


def save_folder(
    session: Session,
    folder: str,
    datasets_dir: Path | None,
    *,
    name: str | None = None,
    images: ImageOptions | None = None,
) -> Dataset:
    """Record an image set read in place from `folder` under `datasets_dir` (never
    written to); committed. Raises DatasetError naming the form field at fault."""
    options = images or ImageOptions()
    options.check()
    path = resolve_server_folder(datasets_dir, folder)
    name = _upload_name(path.name, name, session)
    meta = scan_folder(path, options)
    meta["folder"] = folder
    meta["path"] = str(path)
    record = store.add_dataset(session, name=name, kind="images", filename="", meta=meta)
    session.commit()
    return record


def delete_upload(session: Session, name: str, data_dir: Path) -> bool:
    """Forget an uploaded set and remove what was stored for it (a set read in place
    keeps its folder)."""
    record = store.get_dataset(session, name)
    if record is None:
        return False
    if record.kind == "images":
        if record.filename:
            remove_folder(uploads_dir(data_dir) / record.filename)
    else:
        (uploads_dir(data_dir) / record.filename).unlink(missing_ok=True)
    return store.delete_dataset(session, name)
