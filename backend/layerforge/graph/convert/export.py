"""Graph -> Keras model JSON, or a `.keras` file with freshly initialised weights or a
weight set's."""

from __future__ import annotations

import tempfile
from pathlib import Path

import keras

from layerforge.graph.build.compile_args import compile_spec
from layerforge.graph.build.model import build_model
from layerforge.graph.limits import DEFAULT_LIMITS, GraphLimits
from layerforge.graph.schema import Graph


def export_keras_json(graph: Graph, limits: GraphLimits = DEFAULT_LIMITS) -> str:
    """`model.to_json()` of the built model (architecture only, no compile settings)."""
    text: str = build_model(graph, limits).to_json()
    return text


BYTES_PER_PARAM = 4  # float32 weights
COMPILED_COPIES = 3  # a compiled file holds Adam's m and v beside each weight


def estimated_file_bytes(graph: Graph, params: int) -> int:
    """About how many bytes `export_keras_file` writes for a graph of `params` weights."""
    copies = COMPILED_COPIES if compile_spec(graph)["loss"] else 1
    return params * BYTES_PER_PARAM * copies


def export_keras_file(
    graph: Graph, limits: GraphLimits = DEFAULT_LIMITS, weights: str | Path | None = None
) -> bytes:
    """The bytes of a `.keras` file: architecture, new random weights (or those of the
    weight set file `weights`, matched layer by layer) and, when the Output nodes name
    losses, the compile settings (Adam, losses, weights, metrics)."""
    model = _compiled(graph, limits)
    if weights is not None:
        from layerforge.graph.build.weights import assign_weights, load_weight_file

        assign_weights(model, load_weight_file(weights))
    with tempfile.TemporaryDirectory(prefix="layerforge-export-") as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        return path.read_bytes()


def _compiled(graph: Graph, limits: GraphLimits) -> keras.Model:
    model = build_model(graph, limits)
    spec = compile_spec(graph)
    if spec["loss"]:
        model.compile(
            optimizer="adam",
            loss=spec["loss"],
            loss_weights=spec["loss_weights"],
            metrics={k: v for k, v in spec["metrics"].items() if v},
        )
        # built, so the file holds its slots: Keras builds the optimizer of a compiled
        # file on load and warns ("Skipping variable loading for optimizer") otherwise
        model.optimizer.build(model.trainable_variables)
    return model
