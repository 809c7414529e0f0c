"""A run's model exported for serving, in a child process (training/serving/child.py)
watched as the `.keras` export is (api/export_process.py: one at a time, killed past
LIMIT_EXPORT_MEMORY_BYTES). The artifact is written in a scratch folder inside the run's
`exports/` and moved into place with its report only when both are whole, so a failed
or killed export leaves the previous one as it was. Imports no Keras."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from layerforge.api.export_process import run_watched
from layerforge.training.serving.child import EXIT_REFUSED, report_path
from layerforge.training.serving.wire import EXPORTS_DIR, ServingReport, artifact_name

TIMEOUT_S = 600.0


class ServingExportRefused(Exception):
    """The child could not export this model or read its data (the message says why)."""


def export_run(
    spec: dict[str, Any], format: str, quantize: str | None, memory_bytes: int
) -> ServingReport:
    """Export the run of `spec` (its RunSpec line); returns the stored report. Raises
    ServingExportRefused, or ExportTooLarge past the memory ceiling or TIMEOUT_S."""
    run_dir = Path(spec["run_dir"])
    name = artifact_name(format, quantize)
    final = run_dir / name
    final.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=run_dir / EXPORTS_DIR))
    try:
        out = scratch / final.name
        payload = json.dumps(
            {"spec": spec, "format": format, "quantize": quantize, "out": str(out)}
        )
        child = run_watched(
            "layerforge.training.serving.child",
            [],
            payload,
            scratch / "child",
            memory_bytes,
            TIMEOUT_S,
        )
        if child.returncode == EXIT_REFUSED:
            raise ServingExportRefused(child.stdout.strip() or "the export failed")
        if child.returncode != 0 or not report_path(out).is_file():
            raise RuntimeError(
                f"serving export process failed ({child.returncode}): {child.stderr[-2000:]}"
            )
        report = ServingReport.model_validate_json(report_path(out).read_text())
        report.artifact = name
        report_path(out).write_text(report.model_dump_json(indent=1))
        out.replace(final)
        report_path(out).replace(report_path(final))
        return report
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
