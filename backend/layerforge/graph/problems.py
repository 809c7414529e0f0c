"""Problems found in a graph: each names the node (and parameter) it belongs to."""

from __future__ import annotations

from pydantic import BaseModel


class Problem(BaseModel):
    node: str | None = None
    param: str | None = None
    code: str
    message: str


class GraphError(Exception):
    """Raised when a graph cannot be built; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))
