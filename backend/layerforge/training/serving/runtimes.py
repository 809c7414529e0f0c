"""Run an exported model with its own runtime: TensorFlow for a SavedModel, onnxruntime for
ONNX, the LiteRT interpreter for a `.tflite` file. Each takes the inputs in the model's
input order and answers the outputs in the model's output order."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np

from layerforge.training.failures import TrainingFailed

Predict = Callable[[Sequence[np.ndarray]], list[np.ndarray]]


def _matched(
    wanted: Sequence[str], names: Sequence[str], arrays: Sequence[np.ndarray]
) -> dict[str, np.ndarray]:
    """The runtime's input names -> arrays: by the Keras input name where every one of
    them is found (`x`, `x:0`), else by position."""
    by_name = {}
    for runtime_name in wanted:
        bare = runtime_name.split(":")[0]
        if bare in names:
            by_name[runtime_name] = arrays[names.index(bare)]
    if len(by_name) == len(wanted):
        return by_name
    return dict(zip(wanted, arrays, strict=True))


def _numbered(outputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    """`output_0`, `output_1`, ... in number order (LiteRT's signature outputs)."""

    def number(name: str) -> int:
        found = re.search(r"(\d+)$", name)
        return int(found.group(1)) if found else 0

    return [np.asarray(outputs[k]) for k in sorted(outputs, key=number)]


def saved_model(path: Path, names: Sequence[str]) -> tuple[Predict, str]:
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))  # kept: its endpoint needs its variables

    def predict(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = loaded.serve(arrays[0] if len(arrays) == 1 else list(arrays))
        if isinstance(out, dict):
            return _numbered({k: np.asarray(v) for k, v in out.items()})
        flat = out if isinstance(out, (list, tuple)) else [out]
        return [np.asarray(o) for o in flat]

    return predict, f"tensorflow {tf.__version__}"


def onnx(path: Path, names: Sequence[str]) -> tuple[Predict, str]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    wanted = [i.name for i in session.get_inputs()]

    def predict(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(o) for o in session.run(None, _matched(wanted, names, arrays))]

    return predict, f"onnxruntime {onnxruntime.__version__}"


def litert(path: Path, names: Sequence[str]) -> tuple[Predict, str]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    try:
        interpreter.allocate_tensors()
    except RuntimeError as exc:
        if "Flex" not in str(exc):
            raise
        flex = ", ".join(sorted(set(re.findall(r"Flex\w+", str(exc)))))
        raise TrainingFailed(
            "the LiteRT file needs TensorFlow ops (the Flex delegate: recurrent layers such as "
            "LSTM and GRU loop with them) that the LiteRT interpreter does not run, so it "
            f"cannot be checked or served by LiteRT alone ({flex})"
        ) from exc
    (key,) = interpreter.get_signature_list()  # Keras writes one signature
    runner = interpreter.get_signature_runner(key)
    wanted = list(interpreter.get_signature_list()[key]["inputs"])

    def predict(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        return _numbered(runner(**_matched(wanted, names, arrays)))

    return predict, f"ai-edge-litert {version('ai-edge-litert')}"


RUNTIMES: dict[str, Callable[[Path, Sequence[str]], tuple[Predict, str]]] = {
    "saved_model": saved_model,
    "onnx": onnx,
    "litert": litert,
}
