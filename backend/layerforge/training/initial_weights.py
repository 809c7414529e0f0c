"""A run's starting weights (`settings.initial_weights`): a stored weight set or another
run's model, found by its id alone (`data_dir/weights/ID.keras`, `run_root/ID/FILE`: the
trainer never opens the database), loaded into the built model layer by layer
(graph/build/weights.py) and reported as the run's `weights` event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from layerforge.events.types import LayerWeights, WeightsEvent
from layerforge.store.weights import weights_file
from layerforge.training.failures import TrainingFailed
from layerforge.training.protocol import Emit
from layerforge.training.settings import InitialWeights


def source_file(start: InitialWeights, data_dir: Path | None, run_dir: Path) -> tuple[Path, str]:
    """The `.keras` file the weights come from, and how the event names it."""
    if start.weights is not None:
        return weights_file(data_dir or Path("."), start.weights), f"weights {start.weights}"
    assert start.run is not None
    return run_dir.parent / start.run / start.artifact, f"run {start.run}/{start.artifact}"


def _node(layer: str, layer_nodes: dict[str, str]) -> str | None:
    """The node of a layer path (a nested model's layer: the Model node using it)."""
    return layer_nodes.get(layer) or layer_nodes.get(layer.split("/", 1)[0])


def load_initial_weights(
    model: Any,
    start: InitialWeights,
    data_dir: Path | None,
    run_dir: Path,
    layer_nodes: dict[str, str],
    emit: Emit,
) -> None:
    """Load the weights `start` names into `model` and emit the `weights` event; a source
    that is gone (deleted, or a run without that model) fails the run naming it."""
    from layerforge.graph.build.weights import assign_weights, load_weight_file

    path, name = source_file(start, data_dir, run_dir)
    if not path.is_file():
        message = (
            f"settings.initial_weights: the starting weights ({name}) are not stored "
            "(deleted, or never written)"
        )
        raise TrainingFailed(message, "weights_unavailable")
    match = assign_weights(model, load_weight_file(path))
    emit(
        WeightsEvent(
            source=name,
            loaded=[
                LayerWeights(layer=t, node=_node(t, layer_nodes), source=s, by=by)
                for t, s, by in match.loaded
            ],
            skipped=[LayerWeights(layer=s, reason=why) for s, why in match.skipped],
            initialised=[
                LayerWeights(layer=t, node=_node(t, layer_nodes), reason=why)
                for t, why in match.initialised
            ],
        )
    )
