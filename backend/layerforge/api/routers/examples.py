"""Templates: the graph files in `examples/` (one per Keras guide example), for the editor's
one-click "open a template"."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import BaseModel

from layerforge.api.errors import ApiError

router = APIRouter(prefix="/examples", tags=["examples"])

EXAMPLES_DIR = Path(__file__).resolve().parents[4] / "examples"
NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class ExampleInfo(BaseModel):
    name: str
    title: str
    nodes: int


class ExampleList(BaseModel):
    examples: list[ExampleInfo]


class Example(BaseModel):
    name: str
    graph: dict[str, Any]


def _read(path: Path) -> dict[str, Any]:
    graph: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return graph


@router.get("")
def list_examples() -> ExampleList:
    """Every example graph, by file name (without `.json`), with its title and size."""
    items = []
    for path in sorted(EXAMPLES_DIR.glob("*.json")):
        graph = _read(path)
        title = graph.get("name") or path.stem
        items.append(ExampleInfo(name=path.stem, title=title, nodes=len(graph.get("nodes", []))))
    return ExampleList(examples=items)


@router.get("/{name}", responses={404: {"description": "No such example."}})
def get_example(name: str = PathParam(max_length=100)) -> Example:
    """One example graph, as stored (a graph JSON ready for the editor or validate)."""
    path = EXAMPLES_DIR / f"{name}.json"
    if not NAME.match(name) or not path.is_file():
        raise ApiError.one(404, "not_found", f"No example named {name!r}", param="name")
    return Example(name=name, graph=_read(path))
