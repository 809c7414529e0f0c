"""Export a run's `model.keras` for serving and measure what the export changed.

The exported model is run by its own runtime (`runtimes`) on samples of the run's data
(its validation data, else its training data) and compared with the float Keras model:
per output, the max and mean absolute difference and, for classifiers, the top-1
agreement and the accuracy of each. A quantized export also gets each node's output
error against the float model, from the quantized Keras model (Keras's int8: the very
model exported) or the float one with its weights rounded to float16 (LiteRT's float16,
whose CPU kernels widen the weights back to float32). LiteRT's int8 model is the
converter's own (activations quantized too), which no Keras layer reproduces, so it
gets none.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from layerforge.graph.schema import Graph, Node, parse_graph
from layerforge.graph.topology import input_name, output_name
from layerforge.training.datasets.catalogue import load_dataset
from layerforge.training.datasets.fitting import plan_dataset
from layerforge.training.failures import TrainingFailed
from layerforge.training.feeding import Data, count, feed, node_shapes, split_validation, take
from layerforge.training.keras_setup import import_keras
from layerforge.training.serving.runtimes import RUNTIMES
from layerforge.training.serving.wire import (
    QUANTIZED_BY,
    LayerError,
    OutputParity,
    ServingReport,
    refusal,
    text_refusal,
)
from layerforge.training.settings import parse_settings

PARITY_SAMPLES = 512
CALIBRATION_SAMPLES = 128
BATCH = 64


def _float_model(keras: Any, run_dir: Path) -> Any:
    path = run_dir / "model.keras"
    if not path.exists():
        raise TrainingFailed(f"the run has no trained model ({path.name} is missing)")
    return keras.saving.load_model(path, safe_mode=True, compile=False)


class Samples(NamedTuple):
    calibration: list[np.ndarray]  # training inputs (LiteRT's int8 ranges)
    inputs: list[np.ndarray]  # validation (else training) inputs, in the model's order
    targets: list[np.ndarray]  # their targets, in the model's output order
    dataset: str
    split: str


def _samples(
    spec: dict[str, Any], graph: Graph, model: Any, losses: dict[str, str | None]
) -> Samples:
    """Up to PARITY_SAMPLES of the run's validation data (else its training data), and
    up to CALIBRATION_SAMPLES of its training data."""
    settings = parse_settings(spec.get("settings"))
    data_dir = Path(spec["data_dir"]) if spec.get("data_dir") else None
    ins = [input_name(n) for n in graph.nodes if n.type == "Input"]
    outs = [output_name(n) for n in graph.nodes if n.type == "Output"]

    def load(ref: dict[str, Any]) -> tuple[Data, Data, str]:
        info, arrays = load_dataset(ref, data_dir, spec.get("uploads"))
        plan = plan_dataset(graph, info, node_shapes(graph, model), losses)
        if plan.problems:
            raise TrainingFailed("; ".join(p.message for p in plan.problems))
        x, y = feed(graph, plan, arrays)
        return x, y, info.name

    def ordered(data: Data, names: list[str], limit: int) -> list[np.ndarray]:
        part = take(data, slice(0, min(limit, count(data))))
        return [np.asarray(part[k] if isinstance(part, dict) else part) for k in names]

    x, y, name = load(spec["dataset"])
    val, split = None, "validation"
    if settings.validation_dataset is not None:
        vx, vy, name = load(settings.validation_dataset)
        val = (vx, vy)
    elif settings.validation_split:
        x, y, val = split_validation(x, y, settings.validation_split)
    if val is None:
        val, split = (x, y), "training"
    dtypes = [str(t.dtype) for t in model.inputs]

    def typed(arrays: list[np.ndarray]) -> list[np.ndarray]:  # texts stay arrays of str
        return [a if d == "string" else a.astype(d) for a, d in zip(arrays, dtypes, strict=True)]

    return Samples(
        calibration=typed(ordered(x, ins, CALIBRATION_SAMPLES)),
        inputs=typed(ordered(val[0], ins, PARITY_SAMPLES)),
        targets=ordered(val[1], outs, PARITY_SAMPLES),
        dataset=name,
        split=split,
    )


def _as_declared(model: Any, xs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The inputs shaped as the model's Inputs declare them, as the exported model takes
    them: Keras takes texts one per sample, (N,), where an Input of shape (1,) declares
    (N, 1)."""
    return [
        a.reshape(len(a), 1) if a.ndim == 1 and tuple(t.shape[1:]) == (1,) else a
        for a, t in zip(xs, model.inputs, strict=True)
    ]


def _as_list(outputs: Any) -> list[np.ndarray]:
    flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [np.asarray(o, dtype=np.float32) for o in flat]


def _in_batches(predict: Any, xs: Sequence[np.ndarray]) -> list[np.ndarray]:
    parts = [predict([a[i : i + BATCH] for a in xs]) for i in range(0, len(xs[0]), BATCH)]
    return [np.concatenate([_as_list(p)[j] for p in parts]) for j in range(len(_as_list(parts[0])))]


def _keras_predict(model: Any, xs: Sequence[np.ndarray]) -> list[np.ndarray]:
    return _as_list(model.predict(list(xs) if len(xs) > 1 else xs[0], batch_size=BATCH, verbose=0))


def _top1(values: np.ndarray, logits: bool) -> np.ndarray:
    """The predicted class per sample: argmax, or the 0.5 (logits: 0) threshold of one unit."""
    rows = values.reshape(len(values), -1)
    if rows.shape[1] == 1:
        return np.asarray(rows[:, 0] > (0.0 if logits else 0.5), dtype=np.int64)
    return np.asarray(rows.argmax(axis=1))


def _labels(target: np.ndarray, units: int) -> np.ndarray:
    """Class labels from targets: one-hot rows (as many columns as units) or labels."""
    rows = target.reshape(len(target), -1)
    if units > 1 and rows.shape[1] == units:
        return np.asarray(rows.argmax(axis=1))
    return np.asarray(np.rint(rows[:, 0]), dtype=np.int64)


def _parity(
    outputs: list[Node],
    reference: list[np.ndarray],
    exported: list[np.ndarray],
    targets: list[np.ndarray],
    losses: dict[str, str],
) -> list[OutputParity]:
    report = []
    for node, ref, got, target in zip(outputs, reference, exported, targets, strict=True):
        name = output_name(node)
        diff = np.abs(ref.astype(np.float64) - got.reshape(ref.shape).astype(np.float64))
        entry = OutputParity(
            name=name, max_abs_diff=float(diff.max()), mean_abs_diff=float(diff.mean())
        )
        if "crossentropy" in (losses.get(name) or "") and ref.ndim == 2:
            logits = bool(node.params.get("from_logits", False))
            ref_top, got_top = _top1(ref, logits), _top1(got.reshape(ref.shape), logits)
            labels = _labels(target, ref.shape[1])
            entry.top1_agreement = float(np.mean(ref_top == got_top))
            entry.accuracy_keras = float(np.mean(ref_top == labels))
            entry.accuracy_exported = float(np.mean(got_top == labels))
        report.append(entry)
    return report


def _layers(model: Any) -> list[Any]:
    """A layer and every layer inside it (nested models)."""
    found = [model]
    for layer in getattr(model, "layers", []):
        found += _layers(layer)
    return found


def _quantized_model(keras: Any, run_dir: Path, format: str, quantize: str) -> Any:
    """The float model quantized as the export will be, in Keras (None: LiteRT int8)."""
    model = _float_model(keras, run_dir)
    if QUANTIZED_BY[format] == "keras":
        # only built layers: Keras refuses an unbuilt one (a loaded TextVectorization's
        # inner StringLookup, which has no weights to quantize) before asking what it is
        model.quantize(quantize, filters=lambda layer: layer.built)
    elif quantize == "float16":
        for variable in model.weights:
            if variable.dtype == "float32":
                variable.assign(np.asarray(variable).astype(np.float16).astype(np.float32))
    else:
        return None
    return model


def _changed_nodes(float_model: Any, quantized: Any, layer_nodes: dict[str, str]) -> list[str]:
    """Nodes whose layer (or a layer inside it) has weights the quantization changed."""
    changed = []
    for before, after in zip(float_model.layers, quantized.layers, strict=True):
        node = layer_nodes.get(before.name)
        if node is None:
            continue
        if any(getattr(inner, "quantization_mode", None) for inner in _layers(after)) or any(
            not np.array_equal(np.asarray(a), np.asarray(b))
            for a, b in zip(before.weights, after.weights, strict=False)
        ):
            changed.append(node)
    return changed


def _probe(keras: Any, model: Any, layer_nodes: dict[str, str]) -> tuple[Any, list[str]]:
    """A model answering the output of every layer that is a node (shared layers, with
    several call sites, left out), and those nodes' ids."""
    outputs, nodes = [], []
    for layer in model.layers:
        node = layer_nodes.get(layer.name)
        if node is None or isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            output = layer.output
        except (AttributeError, ValueError):
            continue
        if isinstance(output, (list, tuple)):  # a nested model with several outputs
            output = output[0]
        outputs.append(output)
        nodes.append(node)
    return keras.Model(model.inputs, outputs), nodes


def _layer_errors(
    keras: Any,
    float_model: Any,
    quantized: Any,
    layer_nodes: dict[str, str],
    xs: Sequence[np.ndarray],
) -> dict[str, LayerError]:
    float_probe, nodes = _probe(keras, float_model, layer_nodes)
    quant_probe, _ = _probe(keras, quantized, layer_nodes)
    errors = {}
    for node, ref, got in zip(
        nodes, _keras_predict(float_probe, xs), _keras_predict(quant_probe, xs), strict=True
    ):
        diff = np.abs(ref.astype(np.float64) - got.astype(np.float64))
        scale = float(np.mean(np.abs(ref)))
        errors[node] = LayerError(
            max_abs=float(diff.max()),
            mean_abs=float(diff.mean()),
            relative=float(diff.mean()) / scale if scale > 0 else float(diff.mean() > 0),
        )
    return errors


def _write(
    model: Any, format: str, quantize: str | None, out: Path, calibration: list[np.ndarray]
) -> Path:
    """Export `model` (already quantized by Keras where that is the quantizer); returns
    what its runtime loads (the SavedModel folder, else `out`)."""
    _keras_predict(model, [a[:1] for a in calibration])  # Keras exports called models only
    if format == "saved_model":
        folder = out.parent / "saved_model"
        model.export(str(folder), format="tf_saved_model", verbose=False)
        return folder
    if format == "onnx":
        model.export(str(out), format="onnx", verbose=False)
        return out
    import tensorflow as tf

    converter: dict[str, Any] = {}
    if quantize is not None:
        converter["optimizations"] = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter["target_spec"] = {"supported_types": [tf.float16]}
    if quantize == "int8":

        def representative() -> Any:
            for i in range(0, len(calibration[0]), 8):
                yield [a[i : i + 8] for a in calibration]

        converter["representative_dataset"] = representative
    model.export(str(out), format="litert", verbose=False, **converter)
    return out


def export_for_serving(
    spec: dict[str, Any], format: str, quantize: str | None, out: Path
) -> ServingReport:
    """Write the run's model at `out` (a SavedModel as a zip) and report its parity; the
    report's `artifact` is left for the caller to name."""
    graph = parse_graph(spec["graph"])
    text = text_refusal(format, graph)
    why_not = refusal(format, quantize) or (text[1] if text else None)
    if why_not:
        raise TrainingFailed(why_not)
    keras = import_keras("tensorflow")  # a .keras file loads on any backend
    from layerforge.graph import compile_spec
    from layerforge.training.errors import layer_node_map, name_layers_after_nodes

    resolved = parse_settings(spec.get("settings")).resolve_graph(graph)
    layer_nodes = layer_node_map(name_layers_after_nodes(graph))
    losses: dict[str, str | None] = {
        k: v for k, v in compile_spec(resolved)["loss"].items() if isinstance(v, str)
    }
    run_dir = Path(spec["run_dir"])
    float_model = _float_model(keras, run_dir)
    samples = _samples(spec, graph, float_model, losses)
    xs = samples.inputs
    reference = _keras_predict(float_model, xs)

    started = time.perf_counter()
    quantized = _quantized_model(keras, run_dir, format, quantize) if quantize else None
    exported_model = quantized if quantized is not None and format != "litert" else float_model
    loadable = _write(exported_model, format, quantize, out, samples.calibration)
    export_s = time.perf_counter() - started

    names = [input_name(n) for n in graph.nodes if n.type == "Input"]
    predict, runtime = RUNTIMES[format](loadable, names)
    exported = _in_batches(predict, _as_declared(float_model, xs))
    if format == "saved_model":
        shutil.make_archive(str(out)[: -len(".zip")], "zip", loadable)
        shutil.rmtree(loadable)
    outputs = [n for n in resolved.nodes if n.type == "Output"]
    by_name = {output_name(n): str(n.params.get("loss") or "") for n in outputs}
    return ServingReport(
        artifact=out.name,
        bytes=out.stat().st_size,
        format=format,
        quantize=quantize,
        quantized_by=QUANTIZED_BY[format] if quantize else None,
        quantized_nodes=(
            _changed_nodes(float_model, quantized, layer_nodes) if quantized is not None else []
        ),
        runtime=runtime,
        dataset=samples.dataset,
        split=samples.split,
        samples=len(xs[0]),
        outputs=_parity(outputs, reference, exported, samples.targets, by_name),
        layer_errors=(
            _layer_errors(keras, float_model, quantized, layer_nodes, xs)
            if quantized is not None
            else None
        ),
        export_s=export_s,
    )
