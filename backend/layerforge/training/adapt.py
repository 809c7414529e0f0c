"""Preprocessing layers adapted before fit, as Keras's `layer.adapt` does.

Every layer of a type with an `adapt_state` in the catalogue (Normalization,
Discretization, TextVectorization, StringLookup, IntegerLookup) whose config gives none of
that state is adapted on the run's training split: its inputs are computed from the
training inputs by a sub-model of what precedes it (in inference mode, so augmentation is
left out), batch by batch in a `tf.data` pipeline, so an image set streams. Layers are
adapted in the model's (topological) order, so one fed by another adapted layer sees that
layer's learned output; a nested model is adapted on what reaches it, once however often it
is used. What each learned is returned as `AdaptedEvent`s (and saved with the model)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from layerforge.events.types import AdaptedEvent, ErrorEvent
from layerforge.graph.catalogue.kinds import keras_kind
from layerforge.graph.problems import clean_message
from layerforge.training.failures import TrainingFailed
from layerforge.training.protocol import Emit

TOP_TOKENS = 20
SHOWN_VALUES = 256  # the most per-feature values an event lists


def adapt_state(layer: Any) -> tuple[str, ...]:
    """The params that give a layer's learned state, if it is of a type adapted to data."""
    found = keras_kind(type(layer).__name__)
    return found.adapt_state if found is not None else ()


def needs_adapting(layer: Any) -> bool:
    """An adapted type whose state its config does not give (no vocabulary, no mean...)."""
    state = adapt_state(layer)
    return bool(state) and all(layer.get_config().get(p) is None for p in state)


def _has_adaptable(model: Any) -> bool:
    return any(
        needs_adapting(layer) or (hasattr(layer, "layers") and _has_adaptable(layer))
        for layer in model.layers
    )


def _values(array: Any) -> list[float]:
    return [float(v) for v in np.asarray(array, dtype="float64").ravel()[:SHOWN_VALUES]]


def learned(layer: Any) -> dict[str, Any]:
    """What an adapted layer learned, as AdaptedEvent fields."""
    if hasattr(layer, "get_vocabulary"):
        tokens = layer.get_vocabulary(include_special_tokens=False)[:TOP_TOKENS]
        return {
            "vocabulary_size": int(layer.vocabulary_size()),
            "top_tokens": [str(t).replace("\x00", "") for t in tokens],
        }
    if type(layer).__name__ == "Normalization":
        return {"mean": _values(layer.mean), "variance": _values(layer.variance)}
    return {"bin_boundaries": _values(layer.bin_boundaries)}


class Adapter:
    """Adapts one run's model; `events` holds what each layer learned."""

    def __init__(self, layer_nodes: dict[str, str], emit: Emit):
        self.layer_nodes = layer_nodes
        self.emit = emit
        self.events: list[AdaptedEvent] = []
        self.done: set[int] = set()

    def model(self, model: Any, data: Any, prefix: str = "") -> None:
        """Adapt `model`'s layers; `data`: a tf.data.Dataset of batches of its inputs."""
        import keras

        for layer in model.layers:
            nested = hasattr(layer, "layers") and isinstance(layer, keras.Model)
            if id(layer) in self.done or not (
                needs_adapting(layer) or (nested and _has_adaptable(layer))
            ):
                continue
            self.done.add(id(layer))
            reached = self._inputs_of(model, layer, data)
            if nested:
                self.model(layer, reached, f"{prefix}{layer.name}/")
            else:
                self._adapt(layer, reached, prefix)

    @staticmethod
    def _inputs_of(model: Any, layer: Any, data: Any) -> Any:
        """The batches that reach `layer` (its first call) when `data` enters `model`."""
        import keras

        inputs = list(model.inputs)
        target = layer.input
        if any(target is t for t in inputs):  # fed straight from an Input
            if len(inputs) == 1:
                return data
            name = target.name
            return data.map(lambda batch: batch[name])
        sub = keras.Model(inputs, target)
        return data.map(lambda batch: sub(batch, training=False))

    def _adapt(self, layer: Any, data: Any, prefix: str) -> None:
        node = self.layer_nodes.get(layer.name) if not prefix else None
        start = time.perf_counter()
        try:
            layer.adapt(data)
        except Exception as exc:
            message = f"adapting {layer.name} ({type(layer).__name__}) failed: {clean_message(exc)}"
            self.emit(ErrorEvent(code="adapt_error", message=message, node=node))
            raise TrainingFailed(message) from exc
        event = AdaptedEvent(
            node=node,
            layer=prefix + layer.name,
            layer_type=type(layer).__name__,
            seconds=time.perf_counter() - start,
            **learned(layer),
        )
        self.events.append(event)
        self.emit(event)


def batches(x: Any, batch_size: int) -> Any:
    """The training inputs as a tf.data.Dataset of batches: arrays (a dict by input name
    for several inputs) sliced, an image stream's (images, labels) batches without their
    labels."""
    import tensorflow as tf

    if isinstance(x, tf.data.Dataset):
        return x.map(lambda images, labels: images)
    return tf.data.Dataset.from_tensor_slices(x).batch(batch_size)


def adapt_preprocessing(
    model: Any, layer_nodes: dict[str, str], x: Any, batch_size: int, emit: Emit
) -> dict[str, Any]:
    """Adapt the model's preprocessing layers that need it on the training inputs `x`;
    emits an AdaptedEvent per layer and returns them by node id (a nested layer by its
    path), the content of `adapted.json` ({} when nothing needed adapting)."""
    if not _has_adaptable(model):
        return {}
    adapter = Adapter(layer_nodes, emit)
    adapter.model(model, batches(x, batch_size))
    return {
        e.node or e.layer: e.model_dump(
            mode="json", exclude={"seq", "type", "time"}, exclude_none=True
        )
        for e in adapter.events
    }
