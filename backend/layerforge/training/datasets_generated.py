"""Generated data for the guide examples: small, learnable, reproducible.

Shapes follow the Keras guides, shrunk where the guide's would not train in seconds
on a CPU:
- `sequences`  stacked (and stateful) LSTMs: x (N, 8, 16) float32, y (N,) 10 classes
  (the class is the feature with the largest mean over time).
- `headline`   the two-input two-output model: main_input (N, 100) int32 tokens < 10000,
  aux_input (N, 5) float32; aux_output (N, 1) = last token < 5000,
  main_output (N, 1) = sum of aux_input > 0.
- `tweets`     the shared LSTM: tweet_a, tweet_b (N, 40, 64) one-hot characters;
  y (N, 1) = both tweets written by the same author (drawn from the same letters).
- `videos`     TimeDistributed: x (N, 8, 16, 16, 1) frames of a moving dot,
  y (N,) 4 classes (the direction it moves).
A reference may set `samples` (N) to trade accuracy for speed.
"""

from __future__ import annotations

import numpy as np

from layerforge.training.datasets_builtin import Loaded


def sequences(n: int, seed: int = 7) -> Loaded:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8, 16)).astype("float32")
    y = x[:, :, :10].mean(axis=1).argmax(axis=1).astype("int64")
    return Loaded({"x": x, "y": y}, ["x"], ["y"], "Sequences (8 steps x 16 features), 10 classes",
                  [str(i) for i in range(10)])


def headline(n: int, seed: int = 7) -> Loaded:
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 10000, size=(n, 100), dtype="int32")
    aux_in = rng.normal(size=(n, 5)).astype("float32")
    aux_out = (tokens[:, -1] < 5000).astype("float32")[:, None]
    main_out = (aux_in.sum(axis=1) > 0).astype("float32")[:, None]
    arrays = {"main_input": tokens, "aux_input": aux_in, "main_output": main_out, "aux_output": aux_out}
    return Loaded(arrays, ["main_input", "aux_input"], ["main_output", "aux_output"],
                  "Headlines: 100 tokens + 5 extra features -> main and auxiliary binary labels")


def tweets(n: int, seed: int = 7, steps: int = 40, chars: int = 64) -> Loaded:
    rng = np.random.default_rng(seed)
    authors = [rng.choice(chars, size=12, replace=False) for _ in range(8)]

    def write(author: np.ndarray) -> np.ndarray:
        one_hot = np.zeros((steps, chars), dtype="float32")
        one_hot[np.arange(steps), rng.choice(author, size=steps)] = 1.0
        return one_hot

    a = np.empty((n, steps, chars), dtype="float32")
    b = np.empty_like(a)
    same = rng.integers(0, 2, size=n)
    for i in range(n):
        first = rng.integers(len(authors))
        second = first if same[i] else (first + rng.integers(1, len(authors))) % len(authors)
        a[i], b[i] = write(authors[first]), write(authors[second])
    arrays = {"tweet_a": a, "tweet_b": b, "y": same.astype("float32")[:, None]}
    return Loaded(arrays, ["tweet_a", "tweet_b"], ["y"],
                  f"Pairs of tweets ({steps} one-hot characters of {chars}): same author or not")


def videos(n: int, seed: int = 7, frames: int = 8, size: int = 16) -> Loaded:
    rng = np.random.default_rng(seed)
    x = np.zeros((n, frames, size, size, 1), dtype="float32")
    y = rng.integers(0, 4, size=n).astype("int64")
    moves = np.array([(-1, 0), (1, 0), (0, -1), (0, 1)])  # up, down, left, right
    start = rng.integers(frames - 1, size - frames + 1, size=(n, 2))
    for t in range(frames):
        pos = start + moves[y] * t
        x[np.arange(n), t, pos[:, 0], pos[:, 1], 0] = 1.0
    return Loaded({"x": x, "y": y}, ["x"], ["y"], f"Videos ({frames} frames of {size}x{size}): dot moving up/down/left/right",
                  ["up", "down", "left", "right"])


# name -> (description, generator(samples), default samples)
GENERATED = {
    "sequences": ("Sequences (8 steps x 16 features), 10 classes, for stacked LSTMs", sequences, 1024),
    "headline": ("Two inputs (tokens, 5 features), two binary outputs: the headline model", headline, 512),
    "tweets": ("Pairs of tweets (40 x 64 one-hot), same author or not: the shared LSTM", tweets, 256),
    "videos": ("Short videos (8 x 16x16x1), 4 directions of motion: TimeDistributed", videos, 256),
}
MAX_SAMPLES = 20000
