"""A run's model exported for serving: SavedModel, ONNX or LiteRT, optionally quantized,
with a parity report from the exported model's own runtime (api/serving_process.py).

The artifact and its report (`exports/NAME.json`) are stored in the run's folder, so
only the run's owner or an admin may export (evaluate and predict, which store nothing,
are open to anyone who may read the run). Download with GET /api/runs/{id}/artifacts/{name}.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from layerforge.api.auth import CurrentPerson, require_owner
from layerforge.api.deps import RuntimeDep, SettingsDep
from layerforge.api.errors import ApiError, ErrorBody
from layerforge.api.routers.run_outputs import MODEL_FILE
from layerforge.api.routers.runs import NOT_FOUND, run_or_404
from layerforge.graph.schema import parse_graph
from layerforge.jobs.spec import run_spec
from layerforge.store.models import TERMINAL_STATUSES
from layerforge.training.serving.wire import (
    ServingExportRequest,
    ServingReport,
    refusal,
    text_refusal,
)

router = APIRouter(tags=["runs"])

EXPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"model": ErrorBody, "description": "The run has no trained model (yet)."},
    413: {"model": ErrorBody, "description": "The export passed its memory or time limit."},
    422: {
        "model": ErrorBody,
        "description": "A format that cannot be quantized so or cannot take the model's "
        "text (string Inputs: SavedModel only), or a model or data set the export cannot take.",
    },
}


@router.post(
    "/runs/{run_id}/export",
    status_code=201,
    response_model=ServingReport,
    responses=EXPORT_ERRORS,
)
async def export_for_serving(
    run_id: str,
    body: ServingExportRequest,
    runtime: RuntimeDep,
    settings: SettingsDep,
    person: CurrentPerson,
) -> ServingReport:
    """Export the run's model and check it with its own runtime against the Keras model
    on up to 512 samples of the run's validation data (else its training data)."""
    from layerforge.api.export_process import ExportTooLarge
    from layerforge.api.serving_process import ServingExportRefused, export_run

    run = await run_or_404(runtime, run_id)
    require_owner(person, run.get("owner"), f"Run {run_id}", "export")
    why_not = refusal(body.format, body.quantize)
    if why_not:
        raise ApiError.one(422, "unsupported_quantization", why_not, param="quantize")
    text = text_refusal(body.format, parse_graph(run["graph"]))
    if text:
        raise ApiError.one(422, "takes_text", text[1], node=text[0], param="format")
    if (
        run["status"] not in TERMINAL_STATUSES
        or not (settings.run_root / run_id / MODEL_FILE).is_file()
    ):
        raise ApiError.one(
            409,
            "no_model",
            f"run {run_id} ({run['status']}) has no trained model ({MODEL_FILE}) yet",
        )
    spec = await asyncio.to_thread(run_spec, settings, runtime.store, run)
    memory = settings.limits.export_memory_bytes
    try:
        return await asyncio.to_thread(export_run, spec.line(), body.format, body.quantize, memory)
    except ServingExportRefused as exc:
        raise ApiError.one(422, "export_failed", str(exc), param="format") from exc
    except ExportTooLarge as exc:
        raise ApiError.one(
            413,
            "too_large",
            f"The export passed LAYERFORGE_LIMIT_EXPORT_MEMORY_BYTES ({memory:,} bytes) or "
            f"its time limit (peak memory seen {exc.args[0]:,} bytes)",
        ) from None
