"""Weight sets: trained weights stored beside graphs, once per file content (the id is
the file's SHA-256), read in a child process (api/weights_process.py). Made by
`POST /api/models/import` with `keep_weights`, by `POST /api/weights` (a `.weights.h5`
file matched to a graph, or a `.keras` file), or by `POST /api/models/applications`
(pretrained ImageNet weights); a run starts from one with `settings.initial_weights`.
Everyone reads them; their owner or an admin deletes them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from layerforge.api.auth import CurrentPerson, Person, require_owner
from layerforge.api.deps import RuntimeDep, SessionDep, SettingsDep, keras_lock
from layerforge.api.errors import ApiError, ErrorBody
from layerforge.api.limits import check_graph_size
from layerforge.api.schemas.runs import Run, RunRequest
from layerforge.api.uploads import receive_file
from layerforge.graph.schema import Graph, parse_graph
from layerforge.settings import Settings
from layerforge.store import graphs
from layerforge.store import weights as store
from layerforge.store.models import WeightSet
from layerforge.training.datasets.models import DatasetRef
from layerforge.training.settings import InitialWeights, RunSettings

router = APIRouter(tags=["weights"])

WeightSource = Literal["keras", "weights.h5", "application"]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No weight set with that id."}
}


class WeightLayer(BaseModel):
    """A layer whose weights the set holds."""

    name: str = Field(
        description="The Keras layer's name; a nested model's layer as `model/layer`. A node "
        "whose name (or sub-graph key and name) is this gets these weights first."
    )
    type: str = Field(description="The Keras class.")
    shapes: list[list[int]] = Field(description="The shape of each weight, in Keras's order.")
    params: int


class WeightSetInfo(BaseModel):
    id: str = Field(description="The SHA-256 of the file the weights came from.")
    name: str = Field(description="The file's name as sent (or the application's).")
    source: WeightSource
    bytes: int = Field(description="Size of the stored .keras file.")
    layers: list[WeightLayer]
    owner: str | None
    created_at: datetime


class WeightSetList(BaseModel):
    weight_sets: list[WeightSetInfo]


def weight_info(record: WeightSet) -> WeightSetInfo:
    return WeightSetInfo.model_validate(record, from_attributes=True)


def _not_found(weight_id: str, param: str = "weight_id") -> ApiError:
    return ApiError.one(404, "not_found", f"no weight set {weight_id!r}", param=param)


def keep_weight_file(
    session: Session,
    settings: Settings,
    person: Person,
    upload: Path | None,
    digest: str,
    name: str,
    source: WeightSource,
    request: dict[str, Any],
) -> WeightSetInfo:
    """Store the weight file `upload` (removed either way; None: the child makes it) as
    the set `digest`, unless a set with that id is stored already; `request` says how the
    child reads it (api/weights_process.py). A file Keras cannot read is a 422; over the
    memory cap, 413."""
    from layerforge.api.export_process import ExportTooLarge
    from layerforge.api.weights_process import WeightsRefused, read_weights

    folder = store.weights_dir(settings.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    final = store.weights_file(settings.data_dir, digest)
    scratch = Path(tempfile.mkdtemp(prefix=".weights-", dir=folder))
    try:
        found = store.get_weight_set(session, digest)
        if found is not None:
            return weight_info(found)
        written = scratch / "model.keras"
        payload = {**request, "file": str(upload)} if upload else dict(request)
        if source != "keras":
            payload["out"] = str(written)
        try:
            layers = read_weights(payload, scratch, settings.limits.export_memory_bytes)
        except WeightsRefused as exc:
            raise ApiError(exc.status, exc.problems) from None
        except ExportTooLarge as exc:
            raise ApiError.one(
                413,
                "too_large",
                f"Reading the weights took over {settings.limits.export_memory_bytes:,} bytes "
                f"of memory (LAYERFORGE_LIMIT_EXPORT_MEMORY_BYTES; peak seen {exc.args[0]:,})",
                param="file",
            ) from None
        os.replace(upload if upload and source == "keras" else written, final)
        try:
            with session.begin_nested():
                record = store.add_weight_set(
                    session,
                    weight_id=digest,
                    name=name[:200],
                    source=source,
                    size=final.stat().st_size,
                    layers=layers,
                    owner=person.name,
                )
        except IntegrityError:  # the same file, stored by another request meanwhile
            stored = store.get_weight_set(session, digest)
            if stored is None:
                raise
            return weight_info(stored)
        return weight_info(record)
    finally:
        if upload is not None:
            upload.unlink(missing_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)


def new_upload_path(settings: Settings, suffix: str) -> Path:
    """A server-chosen name for an upload on its way to becoming a weight set."""
    folder = store.weights_dir(settings.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f".upload-{uuid.uuid4().hex}{suffix}"


@router.get("/weights", response_model=WeightSetList)
def list_weight_sets(session: SessionDep) -> WeightSetList:
    """Every stored weight set, oldest first."""
    return WeightSetList(weight_sets=[weight_info(r) for r in store.list_weight_sets(session)])


@router.get("/weights/{weight_id}", response_model=WeightSetInfo, responses=NOT_FOUND)
def get_weight_set(weight_id: str, session: SessionDep) -> WeightSetInfo:
    record = store.get_weight_set(session, weight_id)
    if record is None:
        raise _not_found(weight_id)
    return weight_info(record)


@router.delete("/weights/{weight_id}", status_code=204, responses=NOT_FOUND)
def delete_weight_set(
    weight_id: str, session: SessionDep, settings: SettingsDep, person: CurrentPerson
) -> Response:
    """Delete a weight set and its file (its owner or an admin). Runs queued to start
    from it fail saying it is gone; finished runs keep their own models."""
    record = store.get_weight_set(session, weight_id)
    if record is None:
        raise _not_found(weight_id)
    require_owner(person, record.owner, f"Weight set {weight_id}", "delete")
    store.delete_weight_set(session, record)
    session.commit()
    store.weights_file(settings.data_dir, weight_id).unlink(missing_ok=True)
    return Response(status_code=204)


def _graph_of(texts: dict[str, str], session: Session, settings: Settings) -> Graph:
    """The graph a `.weights.h5` file is matched to: the field `graph` (a graph JSON) or
    `graph_id` (with `graph_version`, else the latest) of a saved graph."""
    if texts.get("graph"):
        try:
            graph = parse_graph(json.loads(texts["graph"]))
        except (ValueError, ValidationError) as exc:
            raise ApiError.one(
                422, "bad_graph", f"not a graph: {exc}"[:2000], param="graph"
            ) from None
    elif texts.get("graph_id"):
        version = texts.get("graph_version")
        if version is not None and not version.isdigit():
            raise ApiError.one(
                422, "bad_version", "graph_version is a number", param="graph_version"
            )
        saved = graphs.get_graph(session, texts["graph_id"])
        found = saved and graphs.get_version(
            session, saved.id, int(version) if version else saved.latest_version
        )
        if not found:
            raise ApiError.one(
                404, "graph_not_found", f"no saved graph {texts['graph_id']!r}", param="graph_id"
            )
        graph = parse_graph(found.graph)
    else:
        raise ApiError.one(
            422,
            "missing_graph",
            "a .weights.h5 file holds no architecture: send the field graph (a graph JSON) "
            "or graph_id of a saved graph",
            param="graph",
        )
    check_graph_size(graph, settings)
    return graph


@router.post(
    "/weights",
    status_code=201,
    response_model=WeightSetInfo,
    responses={
        404: {"model": ErrorBody, "description": "No saved graph `graph_id`."},
        413: {"model": ErrorBody, "description": "Over LAYERFORGE_LIMIT_UPLOAD_BYTES or memory."},
        422: {
            "model": ErrorBody,
            "description": "A file that is not a weight file, or does not fit the graph.",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "graph": {
                                "type": "string",
                                "description": "A graph JSON (for a .weights.h5 file).",
                            },
                            "graph_id": {"type": "string"},
                            "graph_version": {"type": "integer"},
                        },
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def upload_weights(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    person: CurrentPerson,
) -> WeightSetInfo:
    """Store a weight file: a `.weights.h5` file (`model.save_weights`) matched to a graph
    (the field `graph`, or `graph_id` of a saved graph; the file must fit the model the
    graph builds), or a `.keras` file. The same file twice is stored once (its id is its
    SHA-256); the answer is then the stored set."""
    path = new_upload_path(settings, ".part")
    texts: dict[str, str] = {}
    digest = hashlib.sha256()
    try:
        if not await receive_file(
            request,
            "file",
            path,
            texts=texts,
            text_bytes=settings.limits.request_bytes,
            digest=digest,
        ):
            raise ApiError.one(
                422, "missing", "Send the weight file as the field 'file'.", param="file"
            )
        name = texts.get("filename") or "weights"
        with path.open("rb") as head:
            is_zip = head.read(4) == b"PK\x03\x04"  # a .keras file; .weights.h5 is HDF5
        if is_zip:
            from layerforge.api.routers.models import _import_upload

            await run_in_threadpool(_import_upload, path)  # the allowlist, before Keras loads it
            source: WeightSource = "keras"
            plan: dict[str, Any] = {"mode": "keras"}
        else:
            graph = await run_in_threadpool(_graph_of, texts, session, settings)
            from layerforge.api.routers.models import _require_valid

            await run_in_threadpool(_require_valid, graph, settings)
            source = "weights.h5"
            plan = {
                "mode": "h5",
                "graph": graph.model_dump(mode="json"),
                "limits": settings.limits.model_dump(mode="json"),
            }
        # Keras reads a file's format from its name
        path = path.rename(path.with_suffix(".keras" if is_zip else ".weights.h5"))
        return await run_in_threadpool(
            keep_weight_file,
            session,
            settings,
            person,
            path,
            digest.hexdigest(),
            name,
            source,
            plan,
        )
    finally:
        path.unlink(missing_ok=True)


# -- runs that start from weights --------------------------------------------------------

START = "settings.initial_weights"


async def checked_start(runtime: Any, settings: Settings, run_settings: Any) -> Any:
    """The run settings with `initial_weights` checked: the weight set is stored, or the
    run (its id or a short id, made whole here) has that model now; else a 422 naming it."""
    from layerforge.api.routers.runs import run_or_404

    start = run_settings.initial_weights
    if start is None:
        return run_settings
    if start.weights is not None:
        if not store.weights_file(settings.data_dir, start.weights).is_file():
            raise ApiError.one(
                422,
                "weights_not_found",
                f"no weight set {start.weights!r}",
                param=f"{START}.weights",
            )
        return run_settings
    try:
        run = await run_or_404(runtime, start.run)
    except ApiError as exc:
        raise ApiError(
            422, [p.model_copy(update={"param": f"{START}.run"}) for p in exc.problems]
        ) from None
    if not (settings.run_root / run["id"] / start.artifact).is_file():
        raise ApiError.one(
            422,
            "no_model",
            f"run {run['id']} ({run['status']}) has no {start.artifact} to start from",
            param=f"{START}.run",
        )
    whole = start.model_copy(update={"run": run["id"]})
    return run_settings.model_copy(update={"initial_weights": whole})


class FineTuneRequest(BaseModel):
    """The second step of the classic recipe, from a finished run: its weights, the top of
    its frozen layers unfrozen, a smaller learning rate. The rest of the run request (graph,
    data set, settings) is the run's own."""

    model_config = ConfigDict(extra="forbid")

    unfreeze_top: int = Field(
        default=0,
        ge=0,
        le=100_000,
        description="How many of the frozen nodes with weights, counted back from the "
        "outputs (topological order), become trainable.",
    )
    learning_rate_factor: float = Field(
        default=0.1, gt=0, le=10, description="The run's learning rate times this."
    )
    unfreeze_batch_norm: bool = Field(
        default=False,
        description="Also unfreeze BatchNormalization nodes among them (Keras's guide keeps "
        "them frozen, in inference mode, when fine-tuning).",
    )
    artifact: Literal["model.keras", "best.keras"] = Field(
        default="model.keras", description="Start from the run's final model or its best."
    )
    epochs: int | None = Field(default=None, ge=1, le=100_000, description="Default: the run's.")


def unfrozen(graph: Graph, weighted: set[str], count: int, batch_norm: bool) -> Graph:
    """A copy of `graph` whose last `count` frozen nodes with weights (topological order,
    sub-graph uses included) are trainable; BatchNormalization stays frozen unless
    `batch_norm`, and is not counted."""
    from layerforge.graph.topology import GraphIndex, topological_order

    graph = graph.model_copy(deep=True)
    index = GraphIndex.of(graph)
    order, _ = topological_order(index)
    frozen = [
        index.by_id[n]
        for n in order
        if n in weighted
        and not index.by_id[n].trainable
        and (batch_norm or index.by_id[n].type != "BatchNormalization")
    ]
    for node in frozen[len(frozen) - count :] if count else []:
        node.trainable = True
    return graph


@router.post(
    "/runs/{run_id}/fine-tune",
    status_code=201,
    response_model=Run,
    tags=["runs"],
    responses={
        404: {"model": ErrorBody, "description": "No run with that id (or short id)."},
        422: {"model": ErrorBody, "description": "The run has no such model (yet)."},
    },
)
async def fine_tune(
    run_id: str,
    body: FineTuneRequest,
    runtime: RuntimeDep,
    settings: SettingsDep,
    person: CurrentPerson,
    session: SessionDep,
) -> Run:
    """Queue a new run that starts from this run's weights (`initial_weights`), with the
    top `unfreeze_top` frozen nodes trainable and the learning rate times
    `learning_rate_factor`; answers the new run, as `POST /api/runs` does. The same run
    can be asked for with `POST /api/runs` (this builds that request)."""
    from layerforge.api.routers.runs import create_run, run_or_404
    from layerforge.graph import validate_graph

    run = await run_or_404(runtime, run_id)
    graph = parse_graph(run["graph"])

    def weighted() -> set[str]:
        with keras_lock:
            report = validate_graph(graph, settings.limits)
        return {n for n, r in report.nodes.items() if r.params and not r.weights_shared_with}

    with_weights = await run_in_threadpool(weighted)
    graph = unfrozen(graph, with_weights, body.unfreeze_top, body.unfreeze_batch_norm)
    old = RunSettings.model_validate(run["settings"])
    optimizer = old.optimizer.model_copy(
        update={"learning_rate": old.optimizer.learning_rate * body.learning_rate_factor}
    )
    new = old.model_copy(
        update={
            "optimizer": optimizer,
            "epochs": body.epochs or old.epochs,
            "initial_weights": InitialWeights(run=run["id"], artifact=body.artifact),
        }
    )
    request = RunRequest(
        graph=graph, dataset=DatasetRef.model_validate(run["dataset"]), settings=new
    )
    return await create_run(request, runtime, settings, person, session)
