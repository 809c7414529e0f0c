"""A run described once, so whoever executes it needs nothing from the API process.

`RunSpec` is what a scheduler hands a trainer (the JSON line on its stdin): the graph
snapshot and settings as stored with the run, the data set reference and, for an
uploaded set, its file resolved to a path (on the shared artifacts volume in a team
server), and the run folder. The local scheduler and `layerforge worker` both build it
with `run_spec`; evaluate and predict add their request with `oneshot_spec`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from layerforge.settings import Settings
from layerforge.store.db import session_scope
from layerforge.store.runs import RunStore

DEFAULT_BACKEND = "tensorflow"
OneshotMode = Literal["evaluate", "predict"]


class RunSpec(BaseModel):
    run_id: str
    run_dir: str = Field(description="The run's folder (artifacts), absolute.")
    graph: dict[str, Any]
    dataset: dict[str, Any] = Field(description="The data set reference stored with the run.")
    dataset_file: str | None = Field(
        default=None, description="An uploaded set's file, absolute; None for a built-in set."
    )
    settings: dict[str, Any]
    data_dir: str = Field(description="Where uploaded data sets and caches live, absolute.")
    backend: str = DEFAULT_BACKEND
    mode: Literal["train", "evaluate", "predict"] = "train"
    inputs: dict[str, Any] | None = Field(default=None, description="predict: the inputs.")

    def line(self) -> dict[str, Any]:
        """The spec as the trainer reads it (unset request fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)


def dataset_file(settings: Settings, store: RunStore, dataset: dict[str, Any]) -> str | None:
    """The file of an uploaded data set, absolute (None for built-in and generated sets,
    or a name the store does not know: the trainer then reports the problem)."""
    from layerforge.store import datasets as uploads
    from layerforge.training.datasets.catalogue import is_builtin, uploads_dir

    name = str(dataset.get("name", ""))
    if is_builtin(name):
        return None
    with session_scope(store.sessions) as s:
        record = uploads.get_dataset(s, name)
        filename = record.filename if record is not None else None
    if filename is None:
        return None
    return str((uploads_dir(settings.data_dir) / filename).resolve())


def run_spec(settings: Settings, store: RunStore, run: dict[str, Any]) -> RunSpec:
    """The spec of a stored run (a `RunStore.get_run` row with its graph)."""
    run_settings = run["settings"] or {}
    return RunSpec(
        run_id=run["id"],
        run_dir=str(settings.run_root / run["id"]),
        graph=run["graph"],
        dataset=run["dataset"],
        dataset_file=dataset_file(settings, store, run["dataset"]),
        settings=run_settings,
        data_dir=str(settings.data_dir.resolve()),
        backend=run_settings.get("backend") or DEFAULT_BACKEND,
    )


def oneshot_spec(
    settings: Settings,
    store: RunStore,
    run: dict[str, Any],
    mode: OneshotMode,
    *,
    dataset: dict[str, Any] | None = None,
    inputs: dict[str, Any] | None = None,
) -> RunSpec:
    """Evaluate (on `dataset`, else the run's) or predict (`inputs`) with a run's model."""
    spec = run_spec(settings, store, {**run, "dataset": dataset or run["dataset"]})
    return spec.model_copy(update={"mode": mode, "inputs": inputs})
