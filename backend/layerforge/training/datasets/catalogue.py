"""Finding a data set by name: the built-in and generated sets (described without loading
where their shapes are known), and uploads (described from their store record)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import numpy as np
from pydantic import ValidationError
from sqlalchemy.orm import Session

from layerforge.store import datasets as store
from layerforge.store.models import Dataset
from layerforge.training.datasets.builtin import BUILTIN, STATIC_SHAPES
from layerforge.training.datasets.errors import DatasetError
from layerforge.training.datasets.generated import GENERATED
from layerforge.training.datasets.models import (
    ArrayInfo,
    DatasetInfo,
    DatasetKind,
    DatasetRef,
    Loaded,
    UploadedSet,
)
from layerforge.training.datasets.names import shown
from layerforge.training.datasets.text_sets import load_text

Ref = DatasetRef | dict[str, Any] | str


def builtin_names() -> list[str]:
    return [*BUILTIN, *GENERATED]


def is_builtin(name: str) -> bool:
    return name in BUILTIN or name in GENERATED


def parse_ref(ref: Ref) -> DatasetRef:
    """`ref` as a DatasetRef; a DatasetError names the field of the reference at fault."""
    if isinstance(ref, DatasetRef):
        return ref
    try:
        return DatasetRef.model_validate({"name": ref} if isinstance(ref, str) else ref)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in ("dataset", *err["loc"]))
        message = str(err["msg"]).removeprefix("Value error, ")
        raise DatasetError(f"{where}: {message}", code="bad_reference", param=where) from None


def uploads_dir(data_dir: Path) -> Path:
    """Where uploaded sets are stored, under server-chosen file names."""
    return Path(data_dir) / "datasets"


def find_upload(session: Session | None, name: str) -> Dataset:
    record = store.get_dataset(session, name) if session is not None else None
    if record is None:
        known = builtin_names()
        if session is not None:
            known += [d.name for d in store.list_datasets(session)]
        raise unknown_dataset(name, known)
    return record


def unknown_dataset(name: str, known: list[str]) -> DatasetError:
    return DatasetError(
        f"unknown data set {name!r}; known: {shown(known, 40)}",
        code="dataset_unknown",
        param="dataset",
    )


def upload_info(record: Dataset) -> DatasetInfo:
    """The description of an uploaded set, from its store record."""
    meta = record.meta
    return DatasetInfo(
        name=record.name,
        kind=cast(DatasetKind, record.kind),  # "npz" | "csv" | "images" | "text", as stored
        description=meta.get("description", ""),
        arrays={k: ArrayInfo.model_validate(v) for k, v in meta["arrays"].items()},
        inputs=list(meta.get("inputs", [])),
        targets=list(meta.get("targets", [])),
        classes=meta.get("classes"),
        size=meta.get("size"),
        original_filename=meta.get("original_filename"),
        owner=record.owner,
        created_at=record.created_at,
        features=meta.get("features"),
        target=meta.get("target"),
        text_column=meta.get("text_column"),
        image_size=meta.get("image_size"),
        color_mode=meta.get("color_mode"),
        counts=meta.get("counts"),
        validation_split=meta.get("validation_split"),
        folder=meta.get("folder"),
        warnings=meta.get("warnings", []),
    )


def stored_path(data_dir: Path, record: Dataset) -> Path:
    """Where an uploaded set's data is, absolute: its .npz, or an image set's folder (the
    server's copy of a .zip, or the folder it is read from in place)."""
    if record.kind == "images" and not record.filename:
        return Path(record.meta["path"])
    return (uploads_dir(data_dir) / record.filename).resolve()


def uploaded_set(data_dir: Path, record: Dataset) -> UploadedSet:
    """An uploaded set as a run spec carries it to the trainer."""
    return UploadedSet(
        file=str(stored_path(data_dir, record)),
        info=upload_info(record),
        folders=record.meta.get("folders"),
    )


def image_folder(ref: Ref, uploads: Mapping[str, Any] | None) -> tuple[Path, list[str]] | None:
    """An image set's folder and its class folders in label order (from the run spec's
    `uploads`), or None for a set of arrays."""
    found = (uploads or {}).get(parse_ref(ref).name)
    if found is None:
        return None
    upload = UploadedSet.model_validate(found)
    if upload.info.kind != "images":
        return None
    return Path(upload.file), list(upload.folders or [])


def _described(name: str, kind: DatasetKind, loaded: Loaded) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        kind=kind,
        description=loaded.description,
        arrays={k: ArrayInfo.of(v) for k, v in loaded.arrays.items()},
        inputs=loaded.inputs,
        targets=loaded.targets,
        classes=loaded.classes,
    )


@lru_cache(maxsize=16)
def _load_builtin(name: str, samples: int | None, data_dir: str | None) -> Loaded:
    if name in GENERATED:
        return GENERATED[name].make(samples or GENERATED[name].samples)
    return BUILTIN[name][1](Path(data_dir) if data_dir else None)


def _generated_info(ref: DatasetRef) -> DatasetInfo:
    g = GENERATED[ref.name]
    n = ref.samples or g.samples
    return DatasetInfo(
        name=ref.name,
        kind="generated",
        description=g.description,
        arrays={
            k: ArrayInfo(shape=(n, *shape), dtype=dtype, min=lo, max=hi, integral=integral)
            for k, (shape, dtype, lo, hi, integral) in g.arrays.items()
        },
        inputs=list(g.inputs),
        targets=list(g.targets),
        classes=list(g.classes) if g.classes else None,
    )


def _static_info(name: str) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        kind="builtin",
        description=BUILTIN[name][0],
        arrays={
            k: ArrayInfo(shape=shape, dtype=dtype, min=lo, max=hi, integral=dtype.startswith("int"))
            for k, (shape, dtype, lo, hi) in STATIC_SHAPES[name].items()
        },
        inputs=["x"],
        targets=["y"],
        classes=[str(i) for i in range(10)],
    )


def dataset_info(ref: Ref, session: Session | None = None) -> DatasetInfo:
    """Shapes, dtypes and value ranges of a set's arrays (loads small sets, never TensorFlow).

    Uploaded sets are looked up with `session` (the route's, on the app's database);
    without one only built-in and generated sets are known."""
    ref = parse_ref(ref)
    if ref.name in GENERATED:
        return _generated_info(ref)
    if ref.name in STATIC_SHAPES:
        return _static_info(ref.name)
    if ref.name in BUILTIN:
        return _described(ref.name, "builtin", _load_builtin(ref.name, None, None))
    return upload_info(find_upload(session, ref.name))


def builtin_infos() -> list[DatasetInfo]:
    """Every built-in and generated set, described."""
    return [dataset_info(name) for name in builtin_names()]


def load_dataset(
    ref: Ref, data_dir: Path | None = None, uploads: Mapping[str, Any] | None = None
) -> tuple[DatasetInfo, dict[str, np.ndarray]]:
    """The set's description and its arrays (in the trainer; may import keras for mnist).
    An uploaded set comes from `uploads` (the run spec's, by name), never the store; an
    image set has no arrays here (the trainer streams it: `image_folder`, image_stream)."""
    ref = parse_ref(ref)
    if is_builtin(ref.name):
        generated = ref.name in GENERATED
        samples = ref.samples if generated else None
        loaded = _load_builtin(ref.name, samples, str(data_dir) if data_dir else None)
        kind: DatasetKind = "generated" if generated else "builtin"
        return _described(ref.name, kind, loaded), loaded.arrays
    found = (uploads or {}).get(ref.name)
    if found is None:  # not built in, and not among the uploads the spec carries
        raise unknown_dataset(ref.name, builtin_names())
    upload = UploadedSet.model_validate(found)
    info, path = upload.info, Path(upload.file)
    if not path.exists():
        raise DatasetError(f"the file of data set {ref.name!r} is missing from {path.parent}")
    if info.kind == "images":  # read batch by batch from its folder (image_stream)
        return info, {}
    if info.kind == "text":
        return info, load_text(path)
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    return info, arrays
