"""A run described once, so whoever executes it needs nothing from the API process.

`RunSpec` is what a scheduler hands a trainer (the JSON line on its stdin): the graph
snapshot and settings as stored with the run, the data set reference and, for each
uploaded set the run reads (its data set, its validation set), the file resolved to a
path (on the shared volume in a team server) with the set's description, so the
trainer never looks anything up in the database; and the run folder. The local
scheduler and `layerforge worker` both build it with `run_spec`; evaluate and predict
add their request with `oneshot_spec`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from layerforge.settings import Settings
from layerforge.store.db import session_scope
from layerforge.store.runs import RunStore
from layerforge.training.datasets.models import UploadedSet

DEFAULT_BACKEND = "tensorflow"
OneshotMode = Literal["evaluate", "predict"]


class RunSpec(BaseModel):
    run_id: str
    run_dir: str = Field(description="The run's folder (artifacts), absolute.")
    graph: dict[str, Any]
    dataset: dict[str, Any] = Field(description="The data set reference stored with the run.")
    uploads: dict[str, UploadedSet] = Field(
        default_factory=dict,
        description="The uploaded sets the run reads, by name (built-in sets are not here).",
    )
    settings: dict[str, Any]
    data_dir: str = Field(description="Where uploaded data sets and caches live, absolute.")
    backend: str = DEFAULT_BACKEND
    mode: Literal["train", "evaluate", "predict"] = "train"
    inputs: dict[str, Any] | None = Field(default=None, description="predict: the inputs.")

    def line(self) -> dict[str, Any]:
        """The spec as the trainer reads it (unset request fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)


def uploaded_sets(settings: Settings, store: RunStore, refs: list[Any]) -> dict[str, UploadedSet]:
    """The uploaded sets among `refs` (data set references), resolved: built-in sets and
    names the store does not know are left out (the trainer then reports the problem)."""
    from layerforge.store import datasets as uploads
    from layerforge.training.datasets.catalogue import is_builtin, uploaded_set

    found: dict[str, UploadedSet] = {}
    names = {str(r.get("name", "")) for r in refs if isinstance(r, dict)}
    with session_scope(store.sessions) as s:
        for name in sorted(n for n in names if not is_builtin(n)):
            record = uploads.get_dataset(s, name)
            if record is not None:
                found[name] = uploaded_set(settings.data_dir, record)
    return found


def run_spec(settings: Settings, store: RunStore, run: dict[str, Any]) -> RunSpec:
    """The spec of a stored run (a `RunStore.get_run` row with its graph)."""
    run_settings = run["settings"] or {}
    return RunSpec(
        run_id=run["id"],
        run_dir=str(settings.run_root / run["id"]),
        graph=run["graph"],
        dataset=run["dataset"],
        uploads=uploaded_sets(
            settings, store, [run["dataset"], run_settings.get("validation_dataset")]
        ),
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
