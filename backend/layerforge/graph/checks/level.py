"""One graph level as the static checks see it: the graph, the chain of graphs whose
sub-graph definitions are in scope, the id prefix of its problems (`key/` inside a
sub-graph) and its index."""

from __future__ import annotations

from dataclasses import dataclass

from layerforge.graph.checks.findings import Findings
from layerforge.graph.schema import Graph, Node
from layerforge.graph.topology import GraphIndex


@dataclass
class Level:
    graph: Graph
    chain: list[Graph]
    prefix: str
    findings: Findings
    index: GraphIndex

    @classmethod
    def of(cls, graph: Graph, chain: list[Graph], prefix: str, findings: Findings) -> Level:
        return cls(graph, chain, prefix, findings, findings.index(graph))

    def nid(self, node_id: str | None) -> str | None:
        """A node's id in problems (prefixed inside a sub-graph)."""
        return f"{self.prefix}{node_id}" if node_id is not None else None

    def lookup(self, key: str) -> Graph | None:
        """The sub-graph definition `key` names here (the innermost one in scope)."""
        for graph in reversed(self.chain):
            if key in graph.subgraphs:
                return graph.subgraphs[key]
        return None

    def layer_of(self, node: Node) -> Node:
        """The node owning the layer a call site calls (itself unless shared)."""
        owner = self.index.by_id.get(node.shared_with or "")
        return owner if owner is not None and not owner.shared_with else node
