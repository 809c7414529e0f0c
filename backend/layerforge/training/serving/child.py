"""The child process of a serving export: `python -m layerforge.training.serving.child`
reads `{"spec", "format", "quantize", "out"}` on stdin (`spec`: the run's RunSpec line),
writes the artifact at `out` and its report beside it (`out` + `.json`). A failure the
caller should show (the export or the data set refused) exits with EXIT_REFUSED and its
message on stdout."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

EXIT_REFUSED = 3


def report_path(out: Path) -> Path:
    return out.with_name(out.name + ".json")


def main() -> int:
    from layerforge.graph.problems import clean_message
    from layerforge.training.serving.export import export_for_serving

    request = json.loads(sys.stdin.read())
    out = Path(request["out"])
    try:
        report = export_for_serving(request["spec"], request["format"], request["quantize"], out)
    except Exception as exc:  # noqa: BLE001 - the caller answers with the reason
        traceback.print_exc()
        sys.stdout.write(clean_message(exc))
        return EXIT_REFUSED
    report_path(out).write_text(report.model_dump_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
