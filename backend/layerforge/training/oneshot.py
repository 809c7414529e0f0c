"""One-shot use of a finished run's `model.keras`: evaluate on a data set, or predict
for given inputs. Emits exactly one `ResultEvent` (with an `error` when it failed)."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import numpy as np

from layerforge.events.types import ResultEvent, RunError
from layerforge.graph.problems import clean_message
from layerforge.graph.schema import Graph, parse_graph
from layerforge.graph.topology import input_name, output_name
from layerforge.training.datasets.catalogue import image_folder, load_dataset
from layerforge.training.datasets.fitting import plan_dataset
from layerforge.training.datasets.image_stream import validation_part
from layerforge.training.failures import TrainingFailed
from layerforge.training.feeding import count, feed, node_shapes, stateful_batch, take
from layerforge.training.keras_setup import import_keras
from layerforge.training.protocol import EventStream
from layerforge.training.settings import RunSettings, parse_settings


def run_oneshot(spec: dict[str, Any], emit: EventStream) -> None:
    mode = spec["mode"]
    try:
        settings = parse_settings(spec.get("settings"))
        keras = import_keras(spec.get("backend") or settings.backend)
        path = Path(spec["run_dir"]) / "model.keras"
        if not path.exists():
            raise TrainingFailed(f"the run has no trained model ({path.name} is missing)")
        from layerforge.graph import compile_spec

        graph = parse_graph(spec["graph"])
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
        # .keras does not keep output_names, and the compiled losses are keyed by them
        model.output_names = [output_name(n) for n in graph.nodes if n.type == "Output"]
        compile_args = compile_spec(settings.resolve_graph(graph))
        model.compile(**compile_args)
        if mode == "predict":
            result = ResultEvent(
                mode=mode, outputs=_predict(graph, model, spec.get("inputs") or {})
            )
        elif mode == "evaluate":
            losses = {k: v for k, v in compile_args["loss"].items() if isinstance(v, str)}
            result = _evaluate(graph, model, spec, settings, losses)
        else:
            raise TrainingFailed(f"unknown mode {mode!r}: use train, evaluate or predict")
        emit(result)
    except Exception as exc:  # noqa: BLE001 - the caller gets the reason in the result
        traceback.print_exc()
        emit(ResultEvent(mode=mode, error=RunError(message=clean_message(exc))))


def _predict(graph: Graph, model: Any, inputs: dict[str, Any]) -> dict[str, list[Any]]:
    ins = [n for n in graph.nodes if n.type == "Input"]
    names = [input_name(n) for n in ins]
    missing = [n for n in names if n not in inputs]
    extra = [k for k in inputs if k not in names]
    if missing or extra:
        raise TrainingFailed(
            f"predict needs inputs {', '.join(names)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(extra)}" if extra else "")
        )
    arrays = {}
    for node, tensor in zip(ins, model.inputs, strict=False):
        name = input_name(node)
        text = str(tensor.dtype) == "string"  # texts: an object array of str
        a = np.asarray(inputs[name], dtype=object if text else str(tensor.dtype))
        if a.ndim != len(tensor.shape) or any(
            e is not None and e != d for e, d in zip(tensor.shape[1:], a.shape[1:], strict=False)
        ):
            raise TrainingFailed(
                f"input `{name}` expects {tuple(tensor.shape)}, got shape {a.shape}"
            )
        # Keras slices texts only as one per sample, (N,): it adds the Input's (1,) itself
        arrays[name] = a.reshape(len(a)) if text and a.shape[1:] == (1,) else a
    preds = model.predict(arrays[names[0]] if len(names) == 1 else arrays, verbose=0)
    outs = [output_name(n) for n in graph.nodes if n.type == "Output"]
    if not isinstance(preds, (list, tuple, dict)):
        preds = [preds]
    if isinstance(preds, dict):
        preds = [preds[k] for k in outs]
    return {name: np.asarray(p).tolist() for name, p in zip(outs, preds, strict=False)}


def _evaluate(
    graph: Graph, model: Any, spec: dict[str, Any], settings: RunSettings, losses: dict[str, str]
) -> ResultEvent:
    """Keras's metrics and training.evaluation's report: on an image set's validation
    images (the run's split), else on the whole set."""
    from layerforge.training.callbacks import clean_metrics
    from layerforge.training.evaluation import describer, evaluate

    data_dir = Path(spec["data_dir"]) if spec.get("data_dir") else None
    info, arrays = load_dataset(spec["dataset"], data_dir, spec.get("uploads"))
    plan = plan_dataset(graph, info, node_shapes(graph, model), dict(losses))
    if plan.problems:
        raise TrainingFailed("; ".join(p.message for p in plan.problems))
    folder = image_folder(spec["dataset"], spec.get("uploads"))
    if folder is not None:
        data, files = validation_part(*folder, info, plan, settings.batch_size)
        metrics = model.evaluate(data, verbose=0, return_dict=True)
        report = evaluate(
            model,
            graph,
            losses,
            data,
            None,
            batch_size=settings.batch_size,
            dataset=info.name,
            part="validation" if info.validation_split else "whole set",
            classes=info.classes,
            describe=describer(None, files, folder[1], info.classes),
        )
    else:
        x, y = feed(graph, plan, arrays)
        batch = stateful_batch(graph)
        if batch is not None:
            keep = count(x) // batch * batch
            x, y = take(x, slice(0, keep)), take(y, slice(0, keep))
        size = batch or settings.batch_size
        metrics = model.evaluate(x, y, batch_size=size, verbose=0, return_dict=True)
        report = evaluate(
            model,
            graph,
            losses,
            x,
            y,
            batch_size=size,
            dataset=info.name,
            part="whole set",
            classes=info.classes,
            describe=describer(x),
        )
    return ResultEvent(
        mode="evaluate",
        metrics=clean_metrics(metrics),
        samples=report.samples,
        dataset=info.name,
        evaluation=report.model_dump(mode="json"),
    )
