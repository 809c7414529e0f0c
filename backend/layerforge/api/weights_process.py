"""Weight files read in a child process, never in the API process, watched as the
`.keras` export is (api/export_process.py: one at a time, killed past
LIMIT_EXPORT_MEMORY_BYTES): loading a model's weights takes memory Python keeps.

The child (`main`) answers one JSON object on stdout: `{"layers": [...]}` (the layers
carrying weights, graph/build/weights.py `layer_list`), or, exiting EXIT_REFUSED,
`{"status": 422 | 503, "problems": [...]}`. Requests:
- `{"mode": "keras", "file"}`: a `.keras` file, loaded in safe mode;
- `{"mode": "h5", "file", "graph", "limits", "out"}`: a `.weights.h5` file loaded into
  the model the graph builds, written as the `.keras` file `out`;
- `{"mode": "application", "name", "args", "out"}`: a keras.applications model with its
  ImageNet weights (the Keras cache, else a download), written as `out`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from layerforge.api.export_process import run_watched
from layerforge.graph.problems import GraphError, Problem

EXIT_REFUSED = 3
TIMEOUT_S = 600.0


class WeightsRefused(Exception):
    """The child could not read the file or fetch the weights: `status` and problems."""

    def __init__(self, status: int, problems: list[Problem]):
        super().__init__(problems[0].message if problems else "refused")
        self.status = status
        self.problems = problems


def read_weights(request: dict[str, Any], scratch: Path, memory_bytes: int) -> list[Any]:
    """The layers of the weight file `request` names (see the module docstring). Raises
    WeightsRefused, or ExportTooLarge past the memory ceiling or TIMEOUT_S."""
    child = run_watched(
        "layerforge.api.weights_process",
        [],
        json.dumps(request),
        scratch / "weights-child",
        memory_bytes,
        TIMEOUT_S,
    )
    if child.returncode == EXIT_REFUSED:
        said = json.loads(child.stdout)
        raise WeightsRefused(said["status"], [Problem.model_validate(p) for p in said["problems"]])
    if child.returncode != 0:
        raise RuntimeError(f"weights process failed ({child.returncode}): {child.stderr[-2000:]}")
    layers: list[Any] = json.loads(child.stdout)["layers"]
    return layers


def _cache_message(name: str, exc: Exception) -> str:
    """Why ImageNet weights could not be had, naming the file the Keras cache lacks."""
    from keras.src.backend.config import keras_home

    url = re.search(r"https?://\S+?\.h5", str(exc))
    file = url.group(0).rsplit("/", 1)[-1] if url else "its weights file"
    cache = Path(keras_home()).expanduser() / "models"
    return (
        f"The ImageNet weights of {name} are not in the Keras cache ({cache / file}) and "
        f"could not be downloaded (this server has no network?): {str(exc)[:300]}. Put the "
        "file there (README: pre-loading the Keras cache) or give the server network access."
    )


def _refuse(status: int, code: str, message: str, param: str | None = None) -> int:
    problem = Problem(code=code, message=message, param=param)
    _ANSWER.write(json.dumps({"status": status, "problems": [problem.model_dump()]}))
    return EXIT_REFUSED


_ANSWER = sys.stdout  # the answer's stream; whatever Keras prints goes to stderr


def main() -> int:
    sys.stdout = sys.stderr
    import keras

    from layerforge.graph import GraphLimits, build_model, parse_graph
    from layerforge.graph.build.weights import layer_list, load_weight_file
    from layerforge.graph.problems import clean_message

    request = json.loads(sys.stdin.read())
    mode = request["mode"]
    try:
        if mode == "keras":
            model = load_weight_file(request["file"])
        elif mode == "h5":
            limits = GraphLimits.model_validate(request["limits"])
            model = build_model(parse_graph(request["graph"]), limits)
            model.load_weights(request["file"])
        else:
            try:
                model = getattr(keras.applications, request["name"])(
                    weights="imagenet", **request["args"]
                )
            except Exception as exc:  # noqa: BLE001 - the fetch failed: say what is missing
                if "URL fetch failure" not in str(exc) and "http" not in str(exc):
                    raise
                return _refuse(503, "weights_unavailable", _cache_message(request["name"], exc))
    except GraphError as exc:
        problems = [p.model_dump() for p in exc.problems]
        _ANSWER.write(json.dumps({"status": 422, "problems": problems}))
        return EXIT_REFUSED
    except Exception as exc:  # noqa: BLE001 - a file Keras cannot read is the client's input
        what = "the uploaded file" if mode != "application" else request["name"]
        text = clean_message(str(exc).replace(str(request.get("file", "")), "the uploaded file"))
        return _refuse(422, "bad_weights", f"Cannot read the weights of {what}: {text}", "file")
    if "out" in request:
        model.save(request["out"])
    _ANSWER.write(json.dumps({"layers": layer_list(model)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
