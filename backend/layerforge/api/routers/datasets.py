"""Data sets: built-in and uploaded, listed with their arrays' shapes; uploads of .npz
and .csv files (size-limited, stored under server-chosen names); and the check of a
data set against a graph that the editor shows before a run starts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException

from layerforge.api.bodies import GraphIn
from layerforge.api.deps import app_settings, check_graph_size, db_session, keras_lock
from layerforge.api.errors import problem, problems_body, validation_problems
from layerforge.settings import Settings
from layerforge.store import datasets as store
from layerforge.training.datasets import (
    DatasetError,
    check_dataset,
    dataset_info,
    delete_upload,
    list_builtin,
    save_upload,
    upload_info,
)
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


def _bad(status: int, code: str, message: str, param: str | None = None) -> HTTPException:
    return HTTPException(status, problems_body([problem(code, message, param=param)]))


@router.get("")
def list_datasets(request: Request) -> dict[str, Any]:
    """Built-in, generated and uploaded sets with their arrays' shapes and dtypes."""
    out = [dataset_info(d["name"]).to_json() for d in list_builtin()]
    with db_session(request) as session:
        out += [upload_info(r).to_json() for r in store.list_datasets(session)]
    return {"datasets": out}


@router.get("/{name}")
def get_dataset(request: Request, name: str = DatasetName) -> dict[str, Any]:
    if any(d["name"] == name for d in list_builtin()):
        return dataset_info(name).to_json()
    with db_session(request) as session:
        record = store.get_dataset(session, name)
        if record is None:
            raise _bad(404, "not_found", f"no data set named {name!r}")
        return upload_info(record).to_json()


@router.delete("/{name}", status_code=204)
def delete_dataset(
    request: Request, name: str = DatasetName, settings: Settings = Depends(app_settings)
) -> Response:
    if any(d["name"] == name for d in list_builtin()):
        raise _bad(409, "builtin_dataset", f"{name!r} is a built-in data set and cannot be deleted")
    with db_session(request) as session:
        if not delete_upload(session, name, settings.data_dir):
            raise _bad(404, "not_found", f"no data set named {name!r}")
    return Response(status_code=204)


@router.post("", status_code=201)
def upload_dataset(
    request: Request,
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
    settings: Settings = Depends(app_settings),
) -> dict[str, Any]:
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
                raise _bad(
                    413,
                    "too_large",
                    f"the upload is larger than the limit of {limit:,} bytes",
                    "file",
                )
            tmp.write(chunk)
    columns = [c.strip() for c in features.split(",") if c.strip()] if features else None
    try:
        with db_session(request) as session:
            record = save_upload(
                session,
                part,
                file.filename or "upload",
                settings.data_dir,
                name=name,
                target=target,
                features=columns,
            )
            return upload_info(record).to_json()
    except DatasetError as exc:
        status = 409 if "exists already" in str(exc) else 422
        raise _bad(status, "bad_dataset", str(exc), "file") from None
    finally:
        part.unlink(missing_ok=True)


@router.post("/check")
def check(
    body: DatasetCheck, request: Request, settings: Settings = Depends(app_settings)
) -> dict[str, Any]:
    """The data set checked against the graph: `fits`, and every mismatch as an error
    naming the node and the array (200 either way; a body that is not a graph is a 422)."""
    check_graph_size(body.graph, settings)
    try:
        run_settings = parse_settings(body.settings)
    except ValidationError as exc:
        problems = validation_problems(exc.errors(), body.settings)
        for p in problems:
            p.param = f"settings.{p.param}" if p.param else "settings"
        raise HTTPException(422, problems_body(problems)) from None
    from layerforge.graph.validate import validate_graph

    with keras_lock:
        report = jsonable_encoder(validate_graph(body.graph))
    losses = {k: o.loss for k, o in run_settings.outputs.items() if o.loss}
    with db_session(request) as session:
        problems = check_dataset(
            body.graph, body.dataset, report.get("nodes", {}), losses=losses, session=session
        )
        try:
            info = dataset_info(body.dataset, settings.data_dir, session).to_json()
        except DatasetError:
            info = None
    return {
        "fits": not problems,
        "errors": [p.model_dump() for p in problems],
        "dataset": info,
        "graph_valid": bool(report.get("valid", not report.get("errors"))),
    }
