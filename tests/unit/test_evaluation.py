"""training/evaluation.py on generated predictions: every confusion-matrix cell lists its
own samples, the most confident first, in the same representation as the worst samples;
for 100 classes the cells' samples stay within CELL_BYTES, taken rank by rank (mistakes
and the fullest cells first)."""

from __future__ import annotations

import json

import numpy as np

from layerforge.training.evaluation import (
    CELL_BYTES,
    CELL_SAMPLES,
    MOST_CLASSES,
    OutputResults,
    describer,
    output_results,
)


def _predictions(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and softmax rows, right about half the time."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += rng.choice([0.0, 4.0], n)
    p = np.exp(logits)
    return y, p / p.sum(axis=1, keepdims=True)


def _cell_of(out: OutputResults, i: int, j: int) -> list:
    found = [c.samples for c in out.cells or [] if (c.true, c.predicted) == (i, j)]
    return found[0] if found else []


def test_every_cell_lists_its_most_confident_samples() -> None:
    y, p = _predictions(400, 4, seed=0)
    x = np.random.default_rng(1).normal(size=(400, 4))
    classes = ["a", "b", "c", "d"]
    out = output_results(
        "out", "sparse_categorical_crossentropy", y, p, classes, describer(x.astype("float32"))
    )
    matrix = np.asarray(out.confusion_matrix)
    pred, sure = p.argmax(axis=1), p.max(axis=1)
    assert [(c.true, c.predicted) for c in out.cells or []] == [
        (i, j) for i in range(4) for j in range(4) if matrix[i, j]
    ]  # every cell with samples, row by row
    for i in range(4):
        for j in range(4):
            listed = _cell_of(out, i, j)
            members = np.flatnonzero((y == i) & (pred == j))
            assert len(listed) == min(CELL_SAMPLES, len(members)) == min(8, matrix[i, j])
            best = sorted(sure[members], reverse=True)[:CELL_SAMPLES]
            assert [s.confidence for s in listed] == [float(v) for v in best]
            for s in listed:
                assert (y[s.index], pred[s.index]) == (i, j)
                assert (s.true, s.predicted) == (classes[i], classes[j])
                assert s.row == [float(v) for v in x[s.index].astype("float32")]
    worst = (out.worst or [])[0]  # the most confident mistake leads its own cell
    assert worst.true != worst.predicted
    top = _cell_of(out, classes.index(worst.true), classes.index(worst.predicted))[0]
    assert top == worst


def test_a_hundred_classes_stay_within_the_budget_rank_by_rank() -> None:
    n, k = 30_000, 100
    y, p = _predictions(n, k, seed=2)
    texts = np.array([f"sample {i} " + "word " * 200 for i in range(n)], dtype=object)
    out = output_results("out", "sparse_categorical_crossentropy", y, p, None, describer(texts))
    cells = out.cells or []
    stored = sum(len(s.model_dump_json()) for c in cells for s in c.samples)
    assert CELL_BYTES - 2_000 < stored <= CELL_BYTES  # it binds: ~1.1 kB a sample
    assert len(json.dumps(out.model_dump(mode="json"))) < CELL_BYTES + 200_000
    assert all(len(c.samples) <= CELL_SAMPLES for c in cells)
    assert all(s.text and s.text.startswith(f"sample {s.index} ") for c in cells for s in c.samples)

    matrix = np.asarray(out.confusion_matrix)
    listed = {(c.true, c.predicted) for c in cells}
    mistakes = [(i, j) for i in range(k) for j in range(k) if i != j and matrix[i, j]]
    unlisted = [m for m in mistakes if m not in listed]
    assert unlisted  # the budget ran out before every mistake had one
    # rank by rank: no cell has a second sample, no right answer is listed, while a
    # mistake is missing; and the fullest mistakes came first
    assert all(len(c.samples) == 1 and c.true != c.predicted for c in cells)
    assert min(matrix[m] for m in listed) >= max(matrix[m] for m in unlisted)


def test_no_cells_without_a_confusion_matrix() -> None:
    y, p = _predictions(300, MOST_CLASSES + 1, seed=3)
    out = output_results("out", "sparse_categorical_crossentropy", y, p)
    assert out.confusion_matrix is None and out.cells is None
    assert out.worst  # the worst samples are still listed
