"""What the checks found: errors and warnings, each on a node (and parameter), plus the
per-request memos the checks share (one GraphIndex per level, canonical layer texts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from layerforge.graph.problems import Problem
from layerforge.graph.schema import Graph, InnerLayer, Node
from layerforge.graph.topology import GraphIndex


@dataclass
class Findings:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    broken_scopes: set[str] = field(default_factory=set)
    """Prefixes (`key/`) of sub-graphs with errors of their own."""
    indexes: dict[int, GraphIndex] = field(default_factory=dict)
    """One GraphIndex per graph level (by id), shared by checks and validation."""
    keys: dict[int, str] = field(default_factory=dict)

    def index(self, graph: Graph) -> GraphIndex:
        if id(graph) not in self.indexes:
            self.indexes[id(graph)] = GraphIndex.of(graph)
        return self.indexes[id(graph)]

    def key(self, layer: Node | InnerLayer) -> str:
        """A canonical text of what a layer is (type, params, inner, trainable), memoised
        for this call: the cache key of everything derived from the layer alone."""
        key = self.keys.get(id(layer))
        if key is None:
            inner = self.key(layer.inner) if layer.inner is not None else None
            # repr, not sorted JSON: 3x cheaper; equal params in another key order
            # only cost a cache miss, never a wrong hit
            key = self.keys[id(layer)] = repr(
                (layer.type, layer.params, inner, getattr(layer, "trainable", True))
            )
        return key

    def error(self, node: str | None, code: str, message: str, param: str | None = None) -> None:
        self.errors.append(Problem(node=node, param=param, code=code, message=message))

    def warn(self, node: str | None, code: str, message: str, param: str | None = None) -> None:
        self.warnings.append(Problem(node=node, param=param, code=code, message=message))

    def error_nodes(self) -> set[str]:
        return {p.node for p in self.errors if p.node}
