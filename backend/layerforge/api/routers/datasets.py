"""Data sets: built-in and uploaded, listed with their arrays' shapes; uploads of .npz,
.csv and .zip (image folders) files (size-limited, stored under server-chosen names),
image folders read in place; thumbnails of an image set and a preview of a graph's
augmentation on it; and the check of a data set against a graph that the editor shows
before a run starts."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Query, Response, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from layerforge.api.auth import CurrentPerson, require_owner
from layerforge.api.bodies import GraphIn
from layerforge.api.deps import SessionDep, SettingsDep, keras_lock
from layerforge.api.errors import ApiError, ErrorBody, validation_problems
from layerforge.api.limits import check_graph_size
from layerforge.graph.checks.report import ValidationReport
from layerforge.graph.limits import GraphLimits
from layerforge.graph.problems import GraphError, Problem
from layerforge.graph.schema import Graph
from layerforge.store import datasets as store
from layerforge.training.datasets import (
    DatasetCheckAnswer,
    DatasetInfo,
    DatasetList,
    DatasetRef,
    builtin_infos,
    dataset_info,
    delete_upload,
    is_builtin,
    plan_dataset,
    save_upload,
    upload_info,
    uploads_dir,
)
from layerforge.training.datasets.augment_preview import (
    AugmentPreview,
    augment_preview,
    previewed_nodes,
)
from layerforge.training.datasets.catalogue import stored_path
from layerforge.training.datasets.errors import DatasetError, limit_exceeded
from layerforge.training.datasets.image_fixes import add_image_fixes
from layerforge.training.datasets.image_folders import COLOR_MODES, ImageOptions
from layerforge.training.datasets.image_samples import SampleList, class_samples
from layerforge.training.datasets.label_fixes import add_label_fixes
from layerforge.training.datasets.names import name_problem
from layerforge.training.datasets.uploads import save_folder
from layerforge.training.settings import parse_settings

router = APIRouter(prefix="/datasets", tags=["datasets"])

DatasetName = PathParam(min_length=1, max_length=64, description="A data set's name.")
CHUNK = 1024 * 1024


class DatasetCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph: GraphIn
    dataset: DatasetRef
    settings: dict[str, Any] | None = Field(
        default=None, description="Run settings (their loss overrides count)."
    )


def _checked_name(name: str) -> str:
    """`name` from the path; a 422 naming `name` when no data set could be called that."""
    problem = name_problem(name)
    if problem:
        raise ApiError.one(422, "bad_name", problem, param="name")
    return name


def _not_found(name: str) -> ApiError:
    return ApiError.one(404, "not_found", f"no data set named {name!r}")


@router.get("", response_model=DatasetList)
def list_datasets(session: SessionDep) -> DatasetList:
    """Built-in, generated and uploaded sets with their arrays' shapes and dtypes."""
    uploads = [upload_info(r) for r in store.list_datasets(session)]
    return DatasetList(datasets=builtin_infos() + uploads)


@router.get("/{name}", response_model=DatasetInfo, responses={404: {"model": ErrorBody}})
def get_dataset(session: SessionDep, name: str = DatasetName) -> DatasetInfo:
    if is_builtin(_checked_name(name)):
        return dataset_info(name)
    record = store.get_dataset(session, name)
    if record is None:
        raise _not_found(name)
    return upload_info(record)


@router.delete(
    "/{name}",
    status_code=204,
    responses={
        404: {"model": ErrorBody},
        409: {"model": ErrorBody, "description": "A built-in set."},
    },
)
def delete_dataset(
    session: SessionDep, settings: SettingsDep, person: CurrentPerson, name: str = DatasetName
) -> Response:
    """Delete an uploaded set (its owner or an admin)."""
    if is_builtin(_checked_name(name)):
        raise ApiError.one(
            409, "builtin_dataset", f"{name!r} is a built-in data set and cannot be deleted"
        )
    record = store.get_dataset(session, name)
    if record is None:
        raise _not_found(name)
    require_owner(person, record.owner, f"Data set {name!r}", "delete")
    if not delete_upload(session, name, settings.data_dir):
        raise _not_found(name)
    return Response(status_code=204)


def _received(file: UploadFile, folder: Path, limit: int) -> Path:
    """The upload written to a temp file in `folder`; a 413 past `limit` bytes. On any
    failure (a full disk too) the temp file is gone."""
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as tmp:
        part = Path(tmp.name)
        try:
            size = 0
            while chunk := file.file.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    error = limit_exceeded("the upload is too large", limit, "upload_bytes", "file")
                    raise ApiError(413, [error.problem()])
                tmp.write(chunk)
            tmp.flush()
        except BaseException:
            tmp.close()
            part.unlink(missing_ok=True)
            raise
    return part


@router.post(
    "",
    status_code=201,
    response_model=DatasetInfo,
    responses={
        409: {"model": ErrorBody, "description": "The name is taken."},
        413: {"model": ErrorBody, "description": "Over LAYERFORGE_LIMIT_UPLOAD_BYTES."},
    },
)
def upload_dataset(
    session: SessionDep,
    settings: SettingsDep,
    person: CurrentPerson,
    file: UploadFile | None = None,
    name: str | None = Form(
        default=None, max_length=64, description="Defaults to the file's (folder's) name."
    ),
    target: str | None = Form(default=None, max_length=200, description="CSV: the target column."),
    text_column: str | None = Form(
        default=None,
        max_length=200,
        description="CSV: the column of texts, for a text set (found by itself when "
        "label_column or target is given and one other column holds words).",
    ),
    label_column: str | None = Form(
        default=None, max_length=200, description="Text sets: the label column (= target)."
    ),
    features: str | None = Form(
        default=None,
        max_length=20000,
        description="CSV: comma-separated feature columns (default: all but the target).",
    ),
    folder: str | None = Form(
        default=None,
        max_length=1000,
        description="Instead of a file: an image folder read in place, a path relative to "
        "the server's LAYERFORGE_DATASETS_DIR.",
    ),
    image_height: int = Form(default=256, ge=1, le=4096, description="Images: resized to."),
    image_width: int = Form(default=256, ge=1, le=4096, description="Images: resized to."),
    color_mode: str = Form(
        default="rgb",
        description="Images: " + ", ".join(COLOR_MODES) + " (1, 3 or 4 channels).",
        json_schema_extra={"enum": list(COLOR_MODES)},
    ),
    validation_split: float = Form(
        default=0.2, ge=0, lt=1, description="Images: the fraction runs validate on."
    ),
) -> DatasetInfo:
    """Upload a .npz (arrays named after the Input and Output nodes, or `x` and `y`), a
    .csv (feature columns and a target column; or a text set, `kind: "text"`: a text
    column, its texts an array `x` of dtype string, and a label column) or a .zip of
    image folders, one per class (JPEG, PNG, BMP, GIF; classes from the folder names);
    or, with `folder` instead of a file, make an image set of a folder under the
    server's data set root, read in place. Images are resized to `image_height` x `image_width` with `color_mode`'s channels, and
    `validation_split` of them are what runs validate on. What a file may hold is capped by
    the `LAYERFORGE_LIMIT_*` settings (upload bytes, CSV columns and rows, inflated .npz and
    .zip bytes, .zip entries); a breach is a 4xx naming the limit. Skipped files (not
    images, empty classes) are listed in the answer's `warnings`."""
    images = ImageOptions((image_height, image_width), color_mode, validation_split)
    if (file is None) == (folder is None):
        raise ApiError.one(
            422, "file_or_folder", "send a file or name a folder (one of them)", param="file"
        )
    try:
        if folder is not None:
            record = save_folder(session, folder, settings.datasets_dir, name=name, images=images)
            record.owner = person.name
            session.flush()
            return upload_info(record)
    except DatasetError as exc:
        raise ApiError(exc.status, [exc.problem("folder")]) from None
    assert file is not None
    uploads = uploads_dir(settings.data_dir)
    uploads.mkdir(parents=True, exist_ok=True)
    part = _received(file, uploads, settings.limits.upload_bytes)
    columns = [c.strip() for c in features.split(",") if c.strip()] if features else None
    try:
        record = save_upload(
            session,
            part,
            file.filename or "upload",
            settings.data_dir,
            limits=settings.limits,
            name=name,
            target=label_column or target,
            features=columns,
            images=images,
            text_column=text_column,
        )
        record.owner = person.name
        session.flush()
        return upload_info(record)
    except DatasetError as exc:
        raise ApiError(exc.status, [exc.problem("file")]) from None
    finally:
        part.unlink(missing_ok=True)


@router.get(
    "/{name}/samples",
    response_model=SampleList,
    responses={
        404: {"model": ErrorBody},
        422: {"model": ErrorBody, "description": "Not an image set, or no such class."},
    },
)
def samples(
    session: SessionDep,
    settings: SettingsDep,
    name: str = DatasetName,
    class_: str = Query(alias="class", min_length=1, max_length=500, description="A class name."),
    n: int = Query(default=8, ge=1, le=64, description="How many images."),
    offset: int = Query(default=0, ge=0, description="Skip this many (sorted by file)."),
    size: int = Query(default=96, ge=8, le=256, description="Thumbnails' longest side."),
) -> SampleList:
    """Thumbnails of `n` images of one class of an image set, as PNG data: URLs in JSON
    (one request draws a grid; page with `offset`)."""
    record = store.get_dataset(session, _checked_name(name))
    if record is None:
        if is_builtin(name):
            raise ApiError.one(422, "not_images", f"{name!r} is not an image set", param="name")
        raise _not_found(name)
    try:
        return class_samples(
            upload_info(record),
            stored_path(settings.data_dir, record),
            record.meta.get("folders") or [],
            class_,
            n=n,
            offset=offset,
            size=size,
        )
    except DatasetError as exc:
        raise ApiError(exc.status, [exc.problem("class")]) from None


class AugmentPreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph: GraphIn
    n: int = Field(default=8, ge=1, le=32, description="How many images.")
    size: int = Field(default=128, ge=16, le=512, description="Thumbnails' longest side.")


@router.post(
    "/{name}/augment-preview",
    response_model=AugmentPreview,
    responses={
        404: {"model": ErrorBody},
        422: {
            "model": ErrorBody,
            "description": "Not an image set, a graph without augmentation layers, or an "
            "augmentation node with errors.",
        },
    },
)
def augment_preview_route(
    body: AugmentPreviewRequest,
    session: SessionDep,
    settings: SettingsDep,
    name: str = DatasetName,
) -> AugmentPreview:
    """`n` images of an image set (the classes in turn) passed through the graph's
    augmentation nodes (its training-only layers: RandomFlip, RandomRotation, ...) in
    training mode, each beside the original, as PNG data: URLs; a new call draws new
    random augmentations."""
    check_graph_size(body.graph, settings)
    record = store.get_dataset(session, _checked_name(name))
    if record is None:
        if is_builtin(name):
            raise ApiError.one(422, "not_images", f"{name!r} is not an image set", param="name")
        raise _not_found(name)
    info = upload_info(record)
    try:
        applied = {n.id for n in previewed_nodes(info, body.graph)}
    except DatasetError as exc:
        raise ApiError(exc.status, [exc.problem("name")]) from None
    # only the applied nodes' own errors matter: a graph still missing its Output previews
    report = _checked(body.graph, settings.limits)
    problems = [e for e in report.errors if e.node in applied]
    if problems:
        raise ApiError(422, problems)
    try:
        with keras_lock:
            return augment_preview(
                info,
                stored_path(settings.data_dir, record),
                record.meta.get("folders") or [],
                body.graph,
                n=body.n,
                size=body.size,
            )
    except DatasetError as exc:
        raise ApiError(exc.status, [exc.problem("name")]) from None
    except GraphError as exc:
        raise ApiError(422, exc.problems) from None


def _checked(graph: Graph, limits: GraphLimits) -> ValidationReport:
    """The graph validated for its shapes and errors (the fixes of a validate answer are
    not part of a data set check)."""
    from layerforge.graph import validate_graph

    with keras_lock:
        return validate_graph(graph, limits, fixes=False)


def _refit(
    info: DatasetInfo, losses: dict[str, str | None], limits: GraphLimits
) -> Callable[[Graph], list[Problem]]:
    """A patched graph validated and fitted to the set again: every error of both."""

    def refit(graph: Graph) -> list[Problem]:
        report = _checked(graph, limits)
        shapes = {node: r.output_shapes for node, r in report.nodes.items()}
        return [*report.errors, *plan_dataset(graph, info, shapes, losses).problems]

    return refit


@router.post("/check", response_model=DatasetCheckAnswer)
def check(body: DatasetCheck, session: SessionDep, settings: SettingsDep) -> DatasetCheckAnswer:
    """The data set checked against the graph: `fits`, and every mismatch as an error
    naming the node and the array (200 either way; a body that is not a graph is a 422)."""
    check_graph_size(body.graph, settings)
    try:
        run_settings = parse_settings(body.settings)
    except ValidationError as exc:
        problems = validation_problems([dict(e) for e in exc.errors()], body.settings)
        for p in problems:
            p.param = f"settings.{p.param}" if p.param else "settings"
        raise ApiError(422, problems) from None
    report = _checked(body.graph, settings.limits)
    shapes = {node: r.output_shapes for node, r in report.nodes.items()}
    losses: dict[str, str | None] = {k: o.loss for k, o in run_settings.outputs.items() if o.loss}
    info: DatasetInfo | None
    try:
        info = dataset_info(body.dataset, session)
        problems = plan_dataset(body.graph, info, shapes, losses).problems
    except DatasetError as exc:
        info, problems = None, [exc.problem()]
    if info is not None and problems:
        refit = _refit(info, losses, settings.limits)
        add_label_fixes(body.graph, info, problems, refit)
        add_image_fixes(body.graph, info, problems, refit)
    return DatasetCheckAnswer(
        fits=not problems, errors=problems, dataset=info, graph_valid=report.valid
    )
