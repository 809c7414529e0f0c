"""Data sets: built-in and uploaded, listed with their arrays' shapes; uploads of .npz
and .csv files (size-limited, stored under server-chosen names); and the check of a
data set against a graph that the editor shows before a run starts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Response, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from layerforge.api.bodies import GraphIn
from layerforge.api.deps import SessionDep, SettingsDep, check_graph_size, keras_lock
from layerforge.api.errors import ApiError, validation_problems
from layerforge.store import datasets as store
from layerforge.training.datasets import (
    DatasetCheckAnswer,
    DatasetInfo,
    DatasetList,
    builtin_infos,
    check_dataset,
    dataset_info,
    delete_upload,
    is_builtin,
    save_upload,
    upload_info,
)
from layerforge.training.datasets.errors import DatasetError, limit_exceeded
from layerforge.training.settings import parse_settings

router = APIRouter(prefix="/datasets", tags=["datasets"])

DatasetName = PathParam(min_length=1, max_length=64, description="A data set's name.")
CHUNK = 1024 * 1024


class DatasetCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph: GraphIn
    dataset: dict[str, Any] = Field(description='A data set reference: {"name": "digits"}.')
    settings: dict[str, Any] | None = Field(
        default=None, description="Run settings (their loss overrides count)."
    )


@router.get("", response_model=DatasetList)
def list_datasets(session: SessionDep) -> DatasetList:
    """Built-in, generated and uploaded sets with their arrays' shapes and dtypes."""
    uploads = [upload_info(r) for r in store.list_datasets(session)]
    return DatasetList(datasets=builtin_infos() + uploads)


@router.get("/{name}", response_model=DatasetInfo)
def get_dataset(session: SessionDep, name: str = DatasetName) -> DatasetInfo:
    if is_builtin(name):
        return dataset_info(name)
    record = store.get_dataset(session, name)
    if record is None:
        raise ApiError.one(404, "not_found", f"no data set named {name!r}")
    return upload_info(record)


@router.delete("/{name}", status_code=204)
def delete_dataset(session: SessionDep, settings: SettingsDep, name: str = DatasetName) -> Response:
    if is_builtin(name):
        raise ApiError.one(
            409, "builtin_dataset", f"{name!r} is a built-in data set and cannot be deleted"
        )
    if not delete_upload(session, name, settings.data_dir):
        raise ApiError.one(404, "not_found", f"no data set named {name!r}")
    return Response(status_code=204)


@router.post("", status_code=201, response_model=DatasetInfo)
def upload_dataset(
    session: SessionDep,
    settings: SettingsDep,
    file: UploadFile,
    name: str | None = Form(
        default=None, max_length=64, description="Defaults to the file's name."
    ),
    target: str | None = Form(default=None, max_length=200, description="CSV: the target column."),
    features: str | None = Form(
        default=None,
        max_length=20000,
        description="CSV: comma-separated feature columns (default: all but the target).",
    ),
) -> DatasetInfo:
    """Upload a .npz (arrays named after the Input and Output nodes, or `x` and `y`) or a
    .csv (feature columns and a target column)."""
    limit = settings.limits.upload_bytes
    folder = settings.data_dir / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as tmp:
        part = Path(tmp.name)
        size = 0
        while chunk := file.file.read(CHUNK):
            size += len(chunk)
            if size > limit:
                tmp.close()
                part.unlink(missing_ok=True)
                error = limit_exceeded("the upload is too large", limit, "upload_bytes", "file")
                raise ApiError(413, [error.problem("file")])
            tmp.write(chunk)
    columns = [c.strip() for c in features.split(",") if c.strip()] if features else None
    try:
        record = save_upload(
            session,
            part,
            file.filename or "upload",
            settings.data_dir,
            limits=settings.limits,
            name=name,
            target=target,
            features=columns,
        )
        return upload_info(record)
    except DatasetError as exc:
        raise ApiError(exc.status, [exc.problem("file")]) from None
    finally:
        part.unlink(missing_ok=True)


@router.post("/check", response_model=DatasetCheckAnswer)
def check(body: DatasetCheck, session: SessionDep, settings: SettingsDep) -> DatasetCheckAnswer:
    """The data set checked against the graph: `fits`, and every mismatch as an error
    naming the node and the array (200 either way; a body that is not a graph is a 422)."""
    check_graph_size(body.graph, settings)
    try:
        run_settings = parse_settings(body.settings)
    except ValidationError as exc:
        problems = validation_problems(exc.errors(), body.settings)
        for p in problems:
            p.param = f"settings.{p.param}" if p.param else "settings"
        raise ApiError(422, problems) from None
    from layerforge.graph import validate_graph

    with keras_lock:
        report = validate_graph(body.graph, settings.limits)
    losses = {k: o.loss for k, o in run_settings.outputs.items() if o.loss}
    nodes = {k: v.model_dump() for k, v in report.nodes.items()}
    problems = check_dataset(body.graph, body.dataset, nodes, losses=losses, session=session)
    try:
        info: DatasetInfo | None = dataset_info(body.dataset, settings.data_dir, session)
    except DatasetError:
        info = None
    return DatasetCheckAnswer(
        fits=not problems, errors=problems, dataset=info, graph_valid=report.valid
    )
