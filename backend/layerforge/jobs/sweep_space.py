"""A sweep's search space: JSON Pointers into a run request, each with a range or choices.

`/graph/nodes/<id>/params/units` addresses a node by its id (a list of objects with an
`id` is indexed by id; a number indexes any list), `/settings/optimizer/learning_rate`
a training setting. The last step may name a key not yet set (a parameter left at its
default); every step before it must exist. Keras-free and store-free: the API checks
each corner of the space as a run request before any trial starts.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import optuna
from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_DIMENSIONS = 16
MAX_CORNERS = 32
"""Corners checked before a sweep starts: every combination of each dimension's extremes
while there are at most this many, else each dimension's extremes with the others at
their first value."""


class Dimension(BaseModel):
    """`{"low", "high", "log"}` (a float range), `{"low", "high", "step"}` (integers), or
    `{"choices": [...]}`."""

    model_config = ConfigDict(extra="forbid")

    low: float | None = None
    high: float | None = None
    log: bool = False
    step: int | None = Field(default=None, ge=1, description="Set for an integer range.")
    choices: list[Any] | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_kind(self) -> Dimension:
        if self.choices is not None:
            if self.low is not None or self.high is not None or self.step is not None:
                raise ValueError("choices cannot be combined with low, high or step")
            if self.log:
                raise ValueError("log applies to ranges, not choices")
            return self
        if self.low is None or self.high is None:
            raise ValueError("a range needs low and high (or give choices)")
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        if self.step is not None:
            if self.low != int(self.low) or self.high != int(self.high):
                raise ValueError("an integer range (step) needs whole low and high")
            if self.log and self.step != 1:
                raise ValueError("a log integer range takes step 1")
        return self

    def distribution(self) -> optuna.distributions.BaseDistribution:
        if self.choices is not None:
            return optuna.distributions.CategoricalDistribution(self.choices)
        assert self.low is not None and self.high is not None
        if self.step is not None:
            return optuna.distributions.IntDistribution(
                int(self.low), int(self.high), log=self.log, step=self.step
            )
        return optuna.distributions.FloatDistribution(self.low, self.high, log=self.log)

    def extremes(self) -> list[Any]:
        if self.choices is not None:
            return list(self.choices)
        if self.step is not None:
            return [int(self.low or 0), int(self.high or 0)]
        return [self.low, self.high]


class PointerError(ValueError):
    """A JSON Pointer that does not address a place in the run request."""


def _tokens(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise PointerError("a JSON Pointer starts with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _step(container: Any, token: str, pointer: str) -> Any:
    if isinstance(container, dict):
        if token not in container:
            raise PointerError(f"{pointer}: no {token!r} here")
        return container[token]
    if isinstance(container, list):
        if token.isdigit() and int(token) < len(container):
            return container[int(token)]
        for item in container:
            if isinstance(item, dict) and item.get("id") == token:
                return item
        raise PointerError(f"{pointer}: no item with id {token!r}")
    raise PointerError(f"{pointer}: {token!r} is inside a value, not an object or list")


def set_pointer(document: dict[str, Any], pointer: str, value: Any) -> None:
    """Set `pointer` in `document` (in place); the last key may be new."""
    tokens = _tokens(pointer)
    where: Any = document
    for token in tokens[:-1]:
        where = _step(where, token, pointer)
    last = tokens[-1]
    if isinstance(where, dict):
        where[last] = value
    elif isinstance(where, list):
        target = _step(where, last, pointer)
        where[where.index(target)] = value
    else:
        raise PointerError(f"{pointer}: cannot set inside a {type(where).__name__}")


def applied(request: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of the run request with each pointer set to its value."""
    out = copy.deepcopy(request)
    for pointer, value in values.items():
        set_pointer(out, pointer, value)
    return out


def corners(space: dict[str, Dimension]) -> list[dict[str, Any]]:
    """The points checked before a sweep starts (see MAX_CORNERS)."""
    names = list(space)
    extremes = [space[n].extremes() for n in names]
    count = 1
    for values in extremes:
        count *= len(values)
    if count <= MAX_CORNERS:
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*extremes)]
    base = {n: values[0] for n, values in zip(names, extremes, strict=True)}
    points = []
    for name, values in zip(names, extremes, strict=True):
        points += [{**base, name: value} for value in values]
    return points
