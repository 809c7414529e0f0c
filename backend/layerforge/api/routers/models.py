"""Validate, build, import and export models.

Keras work runs in the thread pool (`def` routes) under `keras_lock`; the graph modules
import Keras, so they are imported on first use rather than at start-up.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.background import BackgroundTask

from layerforge.api.auth import CurrentPerson
from layerforge.api.bodies import GraphRequest
from layerforge.api.deps import SessionDep, app_settings, keras_lock
from layerforge.api.errors import (
    ApiError,
    ErrorBody,
    error_response,
    problem,
    validation_problems,
)
from layerforge.api.export_process import ExportTooLarge, export_in_child
from layerforge.api.limits import check_graph_size
from layerforge.api.routers.weights import (
    WeightSetInfo,
    keep_weight_file,
    new_upload_path,
)
from layerforge.api.uploads import receive_file
from layerforge.graph.checks.report import BuildSummary, ValidationReport
from layerforge.graph.problems import GraphError, clean_message
from layerforge.graph.schema import Graph
from layerforge.graph.topology import model_name
from layerforge.settings import Settings

router = APIRouter(tags=["models"])

ERRORS_422: dict[int | str, dict[str, Any]] = {
    422: {"description": 'The graph or the request is invalid: `{"errors": [...]}`.'}
}


class ExportRequest(GraphRequest):
    format: Literal["python", "json", "keras"] = "python"
    weights: str | None = Field(
        default=None,
        description="A weight set's id: the .keras file carries its weights, loaded by layer "
        "name, then by position and shape (format keras only).",
    )


class ImportJson(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keras_json: str = Field(description="The text of `model.to_json()`.")


class ImportedGraph(BaseModel):
    graph: Graph
    weights: WeightSetInfo | None = Field(
        default=None,
        description="The weight set stored from the file (`keep_weights`, or a pretrained "
        "application); a node carries its weights when its name is one of `layers`.",
    )


class ApplicationRequest(BaseModel):
    """A `keras.applications` model as a graph; `weights: "imagenet"` also stores its
    pretrained weights as a weight set."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="A keras.applications model: MobileNetV2, ResNet50, ...")
    weights: Literal["imagenet"] | None = Field(
        default=None,
        description="imagenet: the pretrained weights, from the server's Keras cache "
        "(~/.keras/models) or downloaded; null: random weights, nothing stored.",
    )
    input_shape: list[int] | None = Field(default=None, min_length=3, max_length=3)
    include_top: bool = True
    pooling: Literal["avg", "max"] | None = None
    classes: int = Field(default=1000, ge=1, le=100_000)

    def arguments(self) -> dict[str, Any]:
        args = self.model_dump(exclude={"name", "weights"})
        if self.input_shape is not None:
            args["input_shape"] = tuple(self.input_shape)
        return args


class ApplicationList(BaseModel):
    applications: list[str] = Field(description="keras.applications models, by name.")


SIZE_CODES = ("too_large", "too_deep")
EXPORT_TIMEOUT_S = 600.0


def _validate(graph: Graph, settings: Settings) -> ValidationReport:
    """The validation report; a graph over a size cap (nodes, nesting, parameters) is a 422."""
    check_graph_size(graph, settings)
    from layerforge.graph import validate_graph

    with keras_lock:
        report = validate_graph(graph, settings.limits)
    over = [p for p in report.errors if p.code in SIZE_CODES]
    if over:
        raise GraphError(over)
    return report


def _require_valid(graph: Graph, settings: Settings) -> ValidationReport:
    """Raise a 422 with every error unless the graph validates."""
    report = _validate(graph, settings)
    if report.errors:
        raise GraphError(report.errors)
    return report


@router.post("/graphs/validate", response_model=ValidationReport)
def validate(body: GraphRequest, settings: Settings = Depends(app_settings)) -> Response:
    """Check a graph with Keras: per node output shapes, ports, parameters, errors and warnings.

    An invalid graph is still a 200 (`valid: false`); a body that is not a graph, or a
    graph over a size cap (nodes, nesting depth, parameters), is a 422."""
    # Serialised straight to JSON bytes, skipping a second pass through pydantic and
    # Python's json on the editor's most frequent call (the response model documents it).
    return Response(
        _validate(body.graph, settings).model_dump_json(), media_type="application/json"
    )


@router.post("/models/build", response_model=BuildSummary, responses=ERRORS_422)
def build(body: GraphRequest, settings: Settings = Depends(app_settings)) -> JSONResponse:
    """Build the Keras model and summarise it like `model.summary()`."""
    _require_valid(body.graph, settings)
    from layerforge.graph import model_summary

    with keras_lock:
        return JSONResponse(model_summary(body.graph, settings.limits).model_dump(mode="json"))


def _download_name(graph: Graph, suffix: str) -> str:
    """The model's name (`model_name`, as Keras gets it) without the `.` and `>` it may
    hold, which file names should not."""
    stem = re.sub(r"_*[.>]+_*", "_", model_name(graph) or "").strip("_")[:60]
    return f"{stem or 'model'}{suffix}"


@router.post(
    "/models/export",
    response_class=Response,
    responses={
        200: {
            "description": "The model as Python source, Keras JSON or a `.keras` file.",
            "content": {
                "text/x-python": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **ERRORS_422,
        413: {
            "description": "The .keras file would pass LAYERFORGE_LIMIT_EXPORT_BYTES or "
            "the export's memory cap."
        },
    },
)
def export(
    body: ExportRequest, session: SessionDep, settings: Settings = Depends(app_settings)
) -> Response:
    """Python source in the Keras guides' style, Keras JSON, or a `.keras` file with
    freshly initialised weights, or a weight set's (`weights`), written by a child
    process and streamed from disk."""
    graph = body.graph
    weights = _weights_file(session, settings, body.weights, body.format)
    report = _require_valid(graph, settings)
    if body.format == "keras":
        return _export_keras_file(graph, report.total_params or 0, settings, weights)
    with keras_lock:
        if body.format == "python":
            from layerforge.graph import to_python

            return Response(
                to_python(graph),
                media_type="text/x-python; charset=utf-8",
                headers={
                    "Content-Disposition": f'inline; filename="{_download_name(graph, ".py")}"'
                },
            )
        if body.format == "json":
            from layerforge.graph import export_keras_json

            return Response(export_keras_json(graph), media_type="application/json")


def _weights_file(
    session: Any, settings: Settings, weight_id: str | None, format: str
) -> Path | None:
    """The file of the weight set `weight_id` (a 404 when none), None without one."""
    if weight_id is None:
        return None
    if format != "keras":
        raise ApiError.one(
            422, "weights_need_keras", "weights travel in a .keras file only", param="weights"
        )
    from layerforge.store import weights as weight_store

    if weight_store.get_weight_set(session, weight_id) is None:
        raise ApiError.one(404, "not_found", f"no weight set {weight_id!r}", param="weights")
    return weight_store.weights_file(settings.data_dir, weight_id)


def _export_keras_file(
    graph: Graph, params: int, settings: Settings, weights: Path | None = None
) -> Response:
    """The .keras file from a child process (export_process), a 413 naming the limit
    when its estimated size or the child's memory would pass a cap."""
    from layerforge.graph.convert.export import estimated_file_bytes

    limits = settings.limits
    estimate = estimated_file_bytes(graph, params)
    if estimate > limits.export_bytes:
        raise ApiError.one(
            413,
            "too_large",
            f"A .keras file of this model would take about {estimate:,} bytes "
            f"({params:,} parameters); LAYERFORGE_LIMIT_EXPORT_BYTES is {limits.export_bytes:,}",
            param="graph",
        )
    folder = Path(tempfile.mkdtemp(prefix="layerforge-export-"))
    out = folder / "model.keras"
    try:
        export_in_child(
            graph.model_dump(mode="json"),
            limits.model_dump(mode="json"),
            out,
            limits.export_memory_bytes,
            EXPORT_TIMEOUT_S,
            weights,
        )
    except ExportTooLarge as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise ApiError.one(
            413,
            "too_large",
            f"Writing the .keras file took over {limits.export_memory_bytes:,} bytes of "
            f"memory (LAYERFORGE_LIMIT_EXPORT_MEMORY_BYTES; peak seen {exc.args[0]:,})",
            param="graph",
        ) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        out,
        media_type="application/octet-stream",
        filename=_download_name(graph, ".keras"),
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def _import_failed(exc: Exception, hide: str | None = None) -> GraphError:
    """A 422 for a model that cannot be read; the message never shows a server path."""
    text = str(exc) or type(exc).__name__
    if hide:
        text = text.replace(hide, "the uploaded file")
    return GraphError([problem("import_failed", "Cannot import the model: " + clean_message(text))])


def _import_text(text: str) -> Graph:
    from layerforge.graph import import_keras_json

    with keras_lock:
        try:
            return import_keras_json(text)
        except GraphError:
            raise
        except Exception as exc:  # noqa: BLE001 - any malformed config is the client's input
            raise _import_failed(exc) from exc


def _import_upload(path: Path) -> Graph:
    from layerforge.graph import import_keras_file

    with keras_lock:
        try:
            return import_keras_file(path)
        except GraphError as exc:
            for p in exc.problems:
                p.message = p.message.replace(path.name, "the uploaded file")
            raise
        except Exception as exc:  # noqa: BLE001
            raise _import_failed(exc, hide=str(path)) from exc


@router.post(
    "/models/import",
    response_model=ImportedGraph,
    responses={**ERRORS_422, 415: {"description": "Neither JSON nor multipart."}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": ImportJson.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def import_model(
    request: Request,
    session: SessionDep,
    person: CurrentPerson,
    settings: Settings = Depends(app_settings),
    keep_weights: bool = False,
) -> Any:
    """A graph (with an automatic layout) from `{"keras_json": model.to_json()}` or from
    a `.keras` file sent as the multipart field `file` (read as data, weights ignored).
    With `keep_weights=true` (the query parameter or a form field) the file's weights are
    also stored as a weight set (`weights` in the answer; the same file twice is stored
    once), read with Keras's safe mode in a child process."""
    content_type = request.headers.get("content-type", "")
    weights = None
    if content_type.startswith("multipart/form-data"):
        path = new_upload_path(settings, ".keras")  # a server-chosen name
        texts: dict[str, str] = {}
        digest = hashlib.sha256()
        try:
            if not await receive_file(request, "file", path, texts=texts, digest=digest):
                return error_response(
                    422,
                    [problem("missing", "Send the .keras file as the field 'file'.", param="file")],
                )
            graph = await run_in_threadpool(_import_upload, path)
            if keep_weights or texts.get("keep_weights", "").lower() in ("true", "1", "on"):
                weights = await run_in_threadpool(
                    keep_weight_file,
                    session,
                    settings,
                    person,
                    path,
                    digest.hexdigest(),
                    texts.get("filename") or "model.keras",
                    "keras",
                    {"mode": "keras"},
                )
        finally:
            path.unlink(missing_ok=True)
    elif content_type.startswith("application/json") or not content_type:
        raw = await request.body()
        try:
            body = ImportJson.model_validate_json(raw)
        except ValidationError as exc:
            errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            return error_response(422, validation_problems(errors, None))
        graph = await run_in_threadpool(_import_text, body.keras_json)
    else:
        return error_response(
            415,
            [
                problem(
                    "unsupported_media_type",
                    'Send JSON {"keras_json": ...} or a multipart .keras upload.',
                )
            ],
        )
    return {
        "graph": graph.model_dump(mode="json"),
        "weights": weights.model_dump(mode="json") if weights else None,
    }


def _application_names() -> list[str]:
    import keras

    return sorted(n for n in dir(keras.applications) if n[:1].isupper())


@router.get("/models/applications", response_model=ApplicationList)
def list_applications() -> ApplicationList:
    """The keras.applications models `POST /api/models/applications` makes."""
    with keras_lock:
        return ApplicationList(applications=_application_names())


@router.post(
    "/models/applications",
    response_model=ImportedGraph,
    responses={
        **ERRORS_422,
        503: {
            "model": ErrorBody,
            "description": "ImageNet weights asked for, but they are neither in the server's "
            "Keras cache nor downloadable (no network): the message names the file.",
        },
    },
)
def application(
    body: ApplicationRequest,
    session: SessionDep,
    person: CurrentPerson,
    settings: Settings = Depends(app_settings),
) -> ImportedGraph:
    """A keras.applications model as a graph; with `weights: "imagenet"` its pretrained
    weights are stored as a weight set too (once per model and arguments)."""
    from layerforge.graph import import_keras_file, import_keras_json
    from layerforge.graph.build.symbolic import no_weights

    with keras_lock:
        names = _application_names()
    if body.name not in names:
        raise ApiError.one(
            422,
            "unknown_application",
            f"keras.applications has no {body.name!r}; choose one of {', '.join(names)}",
            param="name",
        )
    if body.weights is None:
        with keras_lock:
            try:
                import keras

                with no_weights():
                    text = getattr(keras.applications, body.name)(weights=None, **body.arguments())
                    text = text.to_json()
            except ValueError as exc:
                raise ApiError.one(422, "bad_arguments", clean_message(exc), param="name") from None
        return ImportedGraph(graph=import_keras_json(text, settings.limits))
    key = json.dumps({"application": body.name, **body.model_dump()}, sort_keys=True)
    stored = keep_weight_file(
        session,
        settings,
        person,
        None,
        hashlib.sha256(key.encode()).hexdigest(),
        body.name,
        "application",
        {"mode": "application", "name": body.name, "args": body.arguments()},
    )
    from layerforge.store import weights as weight_store

    with keras_lock:
        graph = import_keras_file(weight_store.weights_file(settings.data_dir, stored.id))
    return ImportedGraph(graph=graph, weights=stored)
