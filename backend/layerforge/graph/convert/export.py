"""Graph -> Keras model JSON, or a `.keras` file with freshly initialised weights."""

from __future__ import annotations

import tempfile
from pathlib import Path

import keras

from layerforge.graph.build import build_model, compile_spec
from layerforge.graph.schema import Graph


def export_keras_json(graph: Graph) -> str:
    """`model.to_json()` of the built model (architecture only, no compile settings)."""
    return build_model(graph).to_json()


def export_keras_file(graph: Graph) -> bytes:
    """The bytes of a `.keras` file: architecture, new random weights and, when the
    Output nodes name losses, the compile settings (Adam, losses, weights, metrics)."""
    model = _compiled(graph)
    with tempfile.TemporaryDirectory(prefix="layerforge-export-") as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        return path.read_bytes()


def _compiled(graph: Graph) -> keras.Model:
    model = build_model(graph)
    spec = compile_spec(graph)
    if spec["loss"]:
        model.compile(
            optimizer="adam",
            loss=spec["loss"],
            loss_weights=spec["loss_weights"],
            metrics={k: v for k, v in spec["metrics"].items() if v},
        )
        model.optimizer.build(model.trainable_variables)  # saved state matches on load
    return model
