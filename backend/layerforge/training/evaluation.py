"""Where a trained model goes wrong: per Output, a confusion matrix with some samples of
each cell, precision, recall and F1 per class and the most confidently wrong samples
(classification), or predicted against true with the residuals (regression). The
trainer writes them for the validation data at the end of a run (`evaluation.json`);
`POST /api/runs/{id}/evaluate` answers them for the data it evaluates on.

What an Output is comes from its loss: a categorical or sparse categorical cross-entropy
over one axis of classes, or a binary cross-entropy over one unit, is a classification;
a loss on one value per sample is a regression; anything else (sequences, multi-label) is
described by its metrics only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from layerforge.graph.schema import Graph
from layerforge.graph.topology import output_name
from layerforge.training.datasets.image_folders import thumbnail

MOST_CLASSES = 100  # a confusion matrix past this many classes is left out
WORST = 12
CELL_SAMPLES = 8  # listed per confusion-matrix cell
CELL_BYTES = 2_000_000
"""What the cells' samples may take of evaluation.json, all together (JSON bytes): 100
classes have 10,000 cells, and an image set's sample carries its thumbnail."""
POINTS = 500  # predicted-against-true points kept for the plot
BINS = 20

CLASSIFICATION_LOSSES = {
    "sparse_categorical_crossentropy",
    "categorical_crossentropy",
    "binary_crossentropy",
    "categorical_focal_crossentropy",
    "binary_focal_crossentropy",
}
REGRESSION_LOSSES = {
    "mean_squared_error",
    "mse",
    "mean_absolute_error",
    "mae",
    "huber",
    "log_cosh",
    "mean_squared_logarithmic_error",
    "mean_absolute_percentage_error",
}


class ClassScores(BaseModel):
    name: str = Field(description="The class's name.")
    precision: float | None = Field(description="None when nothing was predicted as it.")
    recall: float | None = Field(description="None when no sample is of it.")
    f1: float | None
    support: int = Field(description="Samples of this class.")


class EvaluatedSample(BaseModel):
    """One evaluated sample as the results show it: its classes, how sure the model was,
    and what it is (an image's thumbnail, a text, a table's row)."""

    index: int = Field(description="Its position in the evaluated data.")
    true: str = Field(description="The true class.")
    predicted: str
    confidence: float = Field(description="The probability the model gave its answer.")
    file: str | None = Field(default=None, description="Image sets: class folder / file.")
    thumbnail: str | None = Field(
        default=None, description="Image sets: a data: URL, JPEG (PNG where it has transparency)."
    )
    text: str | None = Field(default=None, description="Text sets: the text.")
    row: list[float] | None = Field(default=None, description="Tables: the sample's features.")


class CellSamples(BaseModel):
    """Samples of one confusion-matrix cell."""

    true: int = Field(description="The row: the true class's position in `classes`.")
    predicted: int = Field(description="The column: the predicted class's position.")
    samples: list[EvaluatedSample] = Field(
        description=f"Up to {CELL_SAMPLES} of the cell's samples, the most confident first."
    )


class Histogram(BaseModel):
    edges: list[float] = Field(description="Bin edges, one more than counts.")
    counts: list[int]


class RegressionResults(BaseModel):
    points: list[tuple[float, float]] = Field(
        description=f"(true, predicted) pairs, at most {POINTS} (evenly spaced samples)."
    )
    mae: float
    rmse: float
    r2: float | None = Field(description="None when the targets do not vary.")
    residuals: Histogram = Field(description="Predicted minus true.")


class OutputResults(BaseModel):
    output: str = Field(description="The Output node's name.")
    task: Literal["classification", "regression"] | None = Field(
        description="None: an output described by its metrics only."
    )
    samples: int
    classes: list[str] | None = None
    confusion_matrix: list[list[int]] | None = Field(
        default=None,
        description="Rows: the true class, columns: the predicted class (order of `classes`).",
    )
    per_class: list[ClassScores] | None = None
    worst: list[EvaluatedSample] | None = Field(
        default=None, description=f"The {WORST} most confidently wrong samples, worst first."
    )
    cells: list[CellSamples] | None = Field(
        default=None,
        description=f"With the confusion matrix: the cells with samples listed, row by row. "
        f"Each lists up to {CELL_SAMPLES}, the most confident first, while the samples of all "
        f"cells take at most {CELL_BYTES:,} bytes: the cells' most confident samples come "
        "first (mistakes before right answers, the fullest cells first), then their second, "
        "and so on; a cell left out had none listed.",
    )
    regression: RegressionResults | None = None


class EvaluationReport(BaseModel):
    """`evaluation.json`: what the trainer measured on a run's validation data."""

    dataset: str
    data: Literal["validation", "whole set"]
    samples: int
    outputs: list[OutputResults]


Describe = Callable[[int], dict[str, Any]]
"""A sample's index -> what an EvaluatedSample shows of it (file and thumbnail, text, row)."""


def _finite(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def _labels_and_scores(
    loss: str, y: np.ndarray, p: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """(true labels, predicted labels, confidence of the prediction, classes), or None for
    an output that is not one class per sample."""
    n = len(p)
    p = p.reshape(n, -1) if p.ndim > 2 else p
    if "binary" in loss:
        if p.ndim == 2 and p.shape[1] != 1:
            return None  # several independent labels
        prob = p.reshape(n).astype("float64")
        pred = (prob >= 0.5).astype("int64")
        return y.reshape(n).round().astype("int64"), pred, np.where(pred == 1, prob, 1 - prob), 2
    if p.ndim != 2 or p.shape[1] < 2:
        return None
    k = p.shape[1]
    true = y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] == k else y.reshape(n)
    pred = p.argmax(axis=1)
    return true.astype("int64"), pred, p[np.arange(n), pred].astype("float64"), k


def classification(
    name: str,
    loss: str,
    y: np.ndarray,
    p: np.ndarray,
    class_names: list[str] | None,
    describe: Describe | None,
) -> OutputResults | None:
    found = _labels_and_scores(loss, y, p)
    if found is None:
        return None
    true, pred, confidence, k = found
    classes = class_names if class_names and len(class_names) == k else [str(i) for i in range(k)]
    valid = (true >= 0) & (true < k)
    matrix = np.zeros((k, k), dtype="int64")
    np.add.at(matrix, (true[valid], pred[valid]), 1)
    hits = np.diag(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    per_class = []
    for i, c in enumerate(classes):
        precision = hits[i] / predicted[i] if predicted[i] else None
        recall = hits[i] / actual[i] if actual[i] else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision is not None and recall is not None and precision + recall > 0
            else (0.0 if precision is not None and recall is not None else None)
        )
        per_class.append(
            ClassScores(
                name=c,
                precision=None if precision is None else float(precision),
                recall=None if recall is None else float(recall),
                f1=None if f1 is None else float(f1),
                support=int(actual[i]),
            )
        )
    shown: dict[int, EvaluatedSample] = {}

    def sample(i: int) -> EvaluatedSample:  # each described once: worst and cells share
        if i not in shown:
            shown[i] = EvaluatedSample(
                index=i,
                true=classes[true[i]],
                predicted=classes[pred[i]],
                confidence=float(confidence[i]),
                **(describe(i) if describe else {}),
            )
        return shown[i]

    wrong = np.flatnonzero(valid & (true != pred))
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:WORST]
    worst = [sample(int(i)) for i in order]
    listed = k <= MOST_CLASSES
    return OutputResults(
        output=name,
        task="classification",
        samples=len(true),
        classes=classes,
        confusion_matrix=matrix.tolist() if listed else None,
        per_class=per_class,
        worst=worst,
        cells=_cells(true, pred, confidence, valid, matrix, sample) if listed else None,
    )


def _cells(
    true: np.ndarray,
    pred: np.ndarray,
    confidence: np.ndarray,
    valid: np.ndarray,
    matrix: np.ndarray,
    sample: Callable[[int], EvaluatedSample],
) -> list[CellSamples]:
    """Up to CELL_SAMPLES of each cell's samples, the most confident first, within
    CELL_BYTES: taken rank by rank (every cell's first, then every cell's second, ...),
    mistakes before right answers and the fullest cells first within a rank."""
    k = len(matrix)
    at = np.flatnonzero(valid)
    cell = true[at] * k + pred[at]
    by_cell = np.lexsort((-confidence[at], cell))  # cell by cell, the most confident first
    at, cell = at[by_cell], cell[by_cell]
    rank = np.arange(len(cell)) - np.searchsorted(cell, cell, side="left")
    kept = np.flatnonzero(rank < CELL_SAMPLES)
    right = (cell[kept] // k) == (cell[kept] % k)
    fullness = matrix.reshape(-1)[cell[kept]]
    chosen: list[int] = []  # positions in `at`
    budget = CELL_BYTES
    for pos in kept[np.lexsort((-fullness, right, rank[kept]))]:
        budget -= len(sample(int(at[pos])).model_dump_json())
        if budget < 0:
            break
        chosen.append(int(pos))
    cells: dict[int, list[EvaluatedSample]] = {}
    for pos in sorted(chosen):  # cell by cell, each the most confident first
        cells.setdefault(int(cell[pos]), []).append(sample(int(at[pos])))
    return [
        CellSamples(true=c // k, predicted=c % k, samples=samples) for c, samples in cells.items()
    ]


def regression(name: str, y: np.ndarray, p: np.ndarray) -> OutputResults | None:
    n = len(p)
    if p.size != n or y.size != n:
        return None  # more than one value per sample
    true, pred = y.reshape(n).astype("float64"), p.reshape(n).astype("float64")
    residual = pred - true
    keep = np.isfinite(residual)
    true, pred, residual = true[keep], pred[keep], residual[keep]
    if not len(residual):
        return None
    counts, edges = np.histogram(residual, bins=BINS)
    spread = float(((true - true.mean()) ** 2).sum())
    picked = np.linspace(0, len(true) - 1, min(POINTS, len(true))).round().astype(int)
    return OutputResults(
        output=name,
        task="regression",
        samples=n,
        regression=RegressionResults(
            points=[(float(true[i]), float(pred[i])) for i in picked],
            mae=float(np.abs(residual).mean()),
            rmse=float(np.sqrt((residual**2).mean())),
            r2=_finite(1 - float((residual**2).sum()) / spread) if spread > 0 else None,
            residuals=Histogram(edges=edges.tolist(), counts=counts.tolist()),
        ),
    )


def output_results(
    name: str,
    loss: str | None,
    y: np.ndarray,
    p: np.ndarray,
    classes: list[str] | None = None,
    describe: Describe | None = None,
) -> OutputResults:
    """What one Output's predictions `p` say against its targets `y` (as fed to fit)."""
    y, p = np.asarray(y), np.asarray(p)
    found = None
    if loss in CLASSIFICATION_LOSSES:
        found = classification(name, loss, y, p, classes, describe)
    elif loss in REGRESSION_LOSSES:
        found = regression(name, y, p)
    return found or OutputResults(output=name, task=None, samples=len(p))


def predictions(
    model: Any, data: Any, y: Any, names: list[str], batch_size: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Targets and predictions by Output name: `data` is arrays (with targets `y`) or a
    tf.data set of (x, y) batches (y None), read once."""
    if y is not None:
        preds = model.predict(data, batch_size=batch_size, verbose=0)
        targets = y
    else:
        parts, truths = [], []
        for xb, yb in data:
            parts.append(model.predict_on_batch(xb))
            truths.append(np.asarray(yb))
        preds = np.concatenate(parts) if parts else np.empty((0,))  # image sets: one output
        targets = np.concatenate(truths) if truths else np.empty((0,))
    return _by_name(targets, names), _by_name(preds, names)


def _by_name(values: Any, names: list[str]) -> dict[str, np.ndarray]:
    if isinstance(values, dict):
        return {k: np.asarray(values[k]) for k in names}
    if isinstance(values, (list, tuple)):
        return {k: np.asarray(v) for k, v in zip(names, values, strict=False)}
    return {names[0]: np.asarray(values)}


def describer(
    x: Any,
    files: list[str] | None = None,
    folders: list[str] | None = None,
    classes: list[str] | None = None,
) -> Describe | None:
    """What a listed sample shows: an image set's file and thumbnail (`files`: the
    evaluated images' paths, in order), else a text (an array of strings) or a table's
    row (one sample of at most 64 numbers)."""
    if files:
        names = dict(zip(folders or [], classes or [], strict=False))

        def image(i: int) -> dict[str, Any]:
            path = Path(files[i])
            try:
                url = thumbnail(path, 96)[2]
            except Exception:  # noqa: BLE001 - a file read in place may be gone or broken
                url = None
            return {
                "file": f"{names.get(path.parent.name, path.parent.name)}/{path.name}",
                "thumbnail": url,
            }

        return image
    if isinstance(x, np.ndarray) and x.dtype.kind in "USO":  # O: a text set's str objects
        return lambda i: {"text": str(x[i])[:1000]}
    if isinstance(x, np.ndarray) and x.ndim == 2 and x.shape[1] <= 64 and x.dtype.kind in "biuf":
        return lambda i: {"row": [float(v) if np.isfinite(v) else 0.0 for v in x[i]]}
    return None


def evaluate(
    model: Any,
    graph: Graph,
    losses: dict[str, Any],
    data: Any,
    y: Any,
    *,
    batch_size: int,
    dataset: str,
    part: Literal["validation", "whole set"],
    classes: list[str] | None = None,
    describe: Describe | None = None,
) -> EvaluationReport:
    """Predict on `data` (arrays with targets `y`, or a tf.data set of batches) and
    describe every Output."""
    names = [output_name(n) for n in graph.nodes if n.type == "Output"]
    targets, preds = predictions(model, data, y, names, batch_size)
    outputs = [
        output_results(
            name,
            losses.get(name) if isinstance(losses.get(name), str) else None,
            targets[name],
            preds[name],
            classes if len(names) == 1 else None,
            describe,
        )
        for name in names
    ]
    samples = len(next(iter(preds.values()))) if preds else 0
    return EvaluationReport(dataset=dataset, data=part, samples=samples, outputs=outputs)
