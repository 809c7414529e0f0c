"""Generated data for the guide examples in `examples/`: learnable, reproducible, with
the shapes of those graphs (so the example trains as drawn):
- `sequences`  stacked and stateful LSTMs: x (N, 8, 16) float32, y (N,) 10 classes
  (the class is the feature, of the first 10, with the largest mean over time).
- `headline`   the two-input two-output model: main_input (N, 100) int32 tokens < 10000,
  aux_input (N, 5) float32; aux_output (N, 1) = last token < 5000,
  main_output (N, 1) = sum of aux_input > 0.
- `tweets`     the shared LSTM: tweet_a, tweet_b (N, 280, 256) one-hot characters;
  y (N, 1) = both tweets written by the same author (drawn from the same letters).
- `videos`     TimeDistributed: x (N, 8, 64, 64, 3) frames of a moving square,
  y (N,) 5 classes (up, down, left, right, still).
A reference may set `samples` (N). Each set is described statically (`arrays`), so
listing or checking it never generates it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from layerforge.training.datasets.models import Loaded


def sequences(n: int, seed: int = 7) -> Loaded:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8, 16)).astype("float32")
    y = x[:, :, :10].mean(axis=1).argmax(axis=1).astype("int64")
    return Loaded(
        {"x": x, "y": y}, ["x"], ["y"], GENERATED["sequences"].description, SEQUENCE_CLASSES
    )


def headline(n: int, seed: int = 7) -> Loaded:
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 10000, size=(n, 100), dtype="int32")
    aux_in = rng.normal(size=(n, 5)).astype("float32")
    aux_out = (tokens[:, -1] < 5000).astype("float32")[:, None]
    main_out = (aux_in.sum(axis=1) > 0).astype("float32")[:, None]
    arrays = {
        "main_input": tokens,
        "aux_input": aux_in,
        "main_output": main_out,
        "aux_output": aux_out,
    }
    return Loaded(
        arrays,
        ["main_input", "aux_input"],
        ["main_output", "aux_output"],
        GENERATED["headline"].description,
    )


def tweets(n: int, seed: int = 7, steps: int = 280, chars: int = 256) -> Loaded:
    rng = np.random.default_rng(seed)
    authors = [rng.choice(chars, size=24, replace=False) for _ in range(8)]
    a = np.zeros((n, steps, chars), dtype="float32")
    b = np.zeros_like(a)
    same = rng.integers(0, 2, size=n)
    first = rng.integers(len(authors), size=n)
    second = np.where(
        same == 1, first, (first + rng.integers(1, len(authors), size=n)) % len(authors)
    )
    rows = np.arange(steps)
    for i in range(n):
        a[i, rows, rng.choice(authors[first[i]], size=steps)] = 1.0
        b[i, rows, rng.choice(authors[second[i]], size=steps)] = 1.0
    return Loaded(
        {"tweet_a": a, "tweet_b": b, "y": same.astype("float32")[:, None]},
        ["tweet_a", "tweet_b"],
        ["y"],
        GENERATED["tweets"].description,
    )


def videos(n: int, seed: int = 7, frames: int = 8, size: int = 64) -> Loaded:
    rng = np.random.default_rng(seed)
    x = np.zeros((n, frames, size, size, 3), dtype="float32")
    y = rng.integers(0, 5, size=n).astype("int64")
    moves = np.array([(-1, 0), (1, 0), (0, -1), (0, 1), (0, 0)]) * 4  # pixels per frame
    span = 4 * (frames - 1)
    start = rng.integers(span, size - span - 4, size=(n, 2))
    for i in range(n):
        for t in range(frames):
            r, c = start[i] + moves[y[i]] * t
            x[i, t, r : r + 4, c : c + 4, :] = 1.0
    return Loaded({"x": x, "y": y}, ["x"], ["y"], GENERATED["videos"].description, VIDEO_CLASSES)


SEQUENCE_CLASSES = [str(i) for i in range(10)]
VIDEO_CLASSES = ["up", "down", "left", "right", "still"]


@dataclass(frozen=True)
class GeneratedSet:
    description: str
    make: Callable[[int], Loaded]
    samples: int
    # array -> (shape after the sample axis, dtype, min, max, integral)
    arrays: dict[str, tuple[tuple[int, ...], str, float, float, bool]]
    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    classes: tuple[str, ...] | None = None


GENERATED: dict[str, GeneratedSet] = {
    "sequences": GeneratedSet(
        "Sequences (8 steps x 16 features), 10 classes: stacked and stateful LSTMs",
        sequences,
        1024,
        {"x": ((8, 16), "float32", -6.0, 6.0, False), "y": ((), "int64", 0, 9, True)},
        ("x",),
        ("y",),
        tuple(SEQUENCE_CLASSES),
    ),
    "headline": GeneratedSet(
        "Headlines (100 tokens) + 5 features -> main and auxiliary binary labels: the headline model",
        headline,
        512,
        {
            "main_input": ((100,), "int32", 0, 9999, True),
            "aux_input": ((5,), "float32", -6.0, 6.0, False),
            "main_output": ((1,), "float32", 0, 1, True),
            "aux_output": ((1,), "float32", 0, 1, True),
        },
        ("main_input", "aux_input"),
        ("main_output", "aux_output"),
    ),
    "tweets": GeneratedSet(
        "Pairs of tweets (280 one-hot characters of 256), same author or not: the shared LSTM",
        tweets,
        128,
        {
            "tweet_a": ((280, 256), "float32", 0, 1, True),
            "tweet_b": ((280, 256), "float32", 0, 1, True),
            "y": ((1,), "float32", 0, 1, True),
        },
        ("tweet_a", "tweet_b"),
        ("y",),
    ),
    "videos": GeneratedSet(
        "Short videos (8 frames of 64x64x3), a square moving up/down/left/right or still: TimeDistributed",
        videos,
        64,
        {"x": ((8, 64, 64, 3), "float32", 0, 1, True), "y": ((), "int64", 0, 4, True)},
        ("x",),
        ("y",),
        tuple(VIDEO_CLASSES),
    ),
}
