"""Problems found in a graph, each naming the node (and parameter) it belongs to, and
the messages made from exceptions Keras raises (cleaned so a person can act on them)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field


class Fix(BaseModel):
    """A change that makes a problem go away, checked by the server before it is offered."""

    label: str
    patch: list[dict[str, Any]] = Field(description="A JSON Patch (RFC 6902) on the graph.")


class Problem(BaseModel):
    node: str | None = None
    param: str | None = None
    code: str
    message: str
    fixes: list[Fix] = Field(
        default_factory=list,
        exclude_if=lambda fixes: not fixes,
        description="One-click fixes (validate and data set check answers); left out when there are none.",
    )


class GraphError(Exception):
    """Raised when a graph cannot be built; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PATH = re.compile(r"(?:/[\w.\-]+)+\.py(?::\d+)?|File \"[^\"]+\", line \d+(?:, in \S+)?")
_CALL_ARGS = re.compile(r"\n*\s*Arguments received by [\s\S]*$")
_SPACES = re.compile(r"[ \t]+")

MAX_MESSAGE = 600


_INPUT_SPEC = re.compile(
    r"Input (?P<port>\d+)(?: with name '[^']*')? of layer '[^']*' is incompatible with the "
    r"layer: expected (?P<bound>min_ndim|max_ndim|ndim)=(?P<want>\d+), found ndim=(?P<got>\d+)"
    r"\. Full shape received: (?P<shape>\([^)]*\))"
)
_OF_LAYER = re.compile(r"(?: with name '[^']*')? of layer '[^']*'")
_BOUND_WORDS = {"min_ndim": "at least ", "max_ndim": "at most ", "ndim": ""}


def _about_the_node(text: str, who: str) -> str:
    """Keras's input-spec messages name the throwaway layer validation made
    ('conv2d_89'): say the user's node instead, the shape that arrived and the rank the
    layer needs."""

    def rank(m: re.Match[str]) -> str:
        need = f"{_BOUND_WORDS[m['bound']]}{m['want']}"
        return (
            f"{who} needs input {m['port']} with {need} axes (batch included) "
            f"but got {m['shape']}, with {m['got']}"
        )

    text = _INPUT_SPEC.sub(rank, text)
    return _OF_LAYER.sub(f" of {who}", text)


def clean_message(exc: BaseException | str, who: str | None = None) -> str:
    """Strip ANSI codes, file paths, Keras's call-argument dumps and excess whitespace;
    with `who` (the user's node, e.g. "dense_2 (Conv2D)"), Keras's names for its own
    layers become that node."""
    text = exc if isinstance(exc, str) else (str(exc) or type(exc).__name__)
    if who is not None:
        text = _about_the_node(text, who)
    text = _ANSI.sub("", text)
    text = _CALL_ARGS.sub("", text)
    text = _PATH.sub("<keras>", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
    text = re.sub(r"\n{2,}", "\n", text).strip()
    if text.startswith("Exception encountered when calling"):
        parts = text.split("\n", 1)
        text = parts[1].strip() if len(parts) > 1 else text
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text


_SHAPE_WORDS = ("shape", "dimension", "axis", "rank", "ndim", "size", "compatible")


def call_error_code(exc: BaseException) -> str:
    """Code for an error raised while calling a layer on its inputs."""
    text = str(exc).lower()
    if isinstance(exc, (ValueError, TypeError)) and any(w in text for w in _SHAPE_WORDS):
        return "shape_mismatch"
    return "layer_call_failed"
