"""The shape of a graph without Keras: edges by port, topological order, cycles,
reachability, layer names, size (node count, nesting depth) and the
Sequential-or-Functional choice."""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from typing import Literal

from layerforge.graph.schema import Edge, Graph, InnerLayer, Node

ModelType = Literal["sequential", "functional"]


@dataclass
class GraphIndex:
    """Lookups over one graph level (sub-graphs get their own index), built once.

    The `cached_*` fields memoise the functions below; the structure checks restore
    them from their cache, so a graph seen before skips the walks."""

    graph: Graph
    by_id: dict[str, Node] = field(default_factory=dict)
    position: dict[str, int] = field(default_factory=dict)
    in_edges: dict[str, dict[int, list[Edge]]] = field(default_factory=dict)
    out_edges: dict[str, list[Edge]] = field(default_factory=dict)
    deps: dict[str, list[str]] = field(default_factory=dict)
    cached_order: tuple[list[str], set[str]] | None = None
    cached_used: set[str] | None = None
    cached_chain: tuple[list[str] | None] | None = None

    @classmethod
    def of(cls, graph: Graph) -> GraphIndex:
        by_id: dict[str, Node] = {}
        position: dict[str, int] = {}
        for i, node in enumerate(graph.nodes):
            if node.id not in by_id:  # (a duplicate id is an error: the first one counts)
                by_id[node.id] = node
                position[node.id] = i
        in_edges: dict[str, dict[int, list[Edge]]] = {node_id: {} for node_id in by_id}
        out_edges: dict[str, list[Edge]] = {node_id: [] for node_id in by_id}
        for edge in graph.edges:
            if edge.source in by_id and edge.target in by_id:
                ports = in_edges[edge.target]
                if edge.target_port in ports:
                    ports[edge.target_port].append(edge)
                else:
                    ports[edge.target_port] = [edge]
                out_edges[edge.source].append(edge)
        deps: dict[str, list[str]] = {}
        for node_id, ports in in_edges.items():
            if len(ports) == 1:
                found = [e.source for e in next(iter(ports.values()))]
            else:
                found = [e.source for port in sorted(ports) for e in ports[port]]
            owner = by_id[node_id].shared_with
            if owner and owner in by_id and owner != node_id:
                found.append(owner)
            deps[node_id] = found
        return cls(graph, by_id, position, in_edges, out_edges, deps)

    def used(self) -> set[str]:
        """Nodes some Output depends on (what the model holds); computed once."""
        if self.cached_used is None:
            self.cached_used = reaching(self, [n.id for n in self.outputs()])
        return self.cached_used

    def inputs(self) -> list[Node]:
        return [n for n in self.graph.nodes if n.type == "Input"]

    def outputs(self) -> list[Node]:
        return [n for n in self.graph.nodes if n.type == "Output"]


def dependencies(index: GraphIndex, node_id: str) -> list[str]:
    """Nodes that must be handled before `node_id`: its sources and, for a shared
    call site, the node owning the layer (so the owner's call comes first)."""
    return index.deps.get(node_id, [])


def topological_order(index: GraphIndex) -> tuple[list[str], set[str]]:
    """Kahn's algorithm, ties broken by position in the nodes list (Keras's call order).

    Returns (order, cyclic): nodes on or behind a cycle are left out of `order`.
    Computed once per index."""
    if index.cached_order is None:
        index.cached_order = _kahn(index)
    return index.cached_order


def _kahn(index: GraphIndex) -> tuple[list[str], set[str]]:
    waiting: dict[str, int] = {}
    dependents: dict[str, list[str]] = {nid: [] for nid in index.by_id}
    for nid in index.by_id:
        deps = index.deps[nid]
        waiting[nid] = len(deps)
        for dep in deps:
            dependents[dep].append(nid)
    ready = [(index.position[nid], nid) for nid, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, nid = heapq.heappop(ready)
        order.append(nid)
        for nxt in dependents[nid]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(ready, (index.position[nxt], nxt))
    return order, set(index.by_id) - set(order)


def find_cycle(index: GraphIndex, among: set[str]) -> list[str]:
    """One cycle (as a list of node ids) among the nodes Kahn's algorithm could not order."""
    if not among:
        return []
    start = min(among, key=index.position.__getitem__)
    seen: dict[str, int] = {}
    path: list[str] = []
    node = start
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        nxt = [d for d in dependencies(index, node) if d in among]
        if not nxt:
            return []
        node = nxt[0]
    return list(reversed(path[seen[node] :]))


def reachable_from(index: GraphIndex, starts: list[str]) -> set[str]:
    """Nodes reachable along edges (downstream) from `starts`."""
    seen = set(starts)
    stack = list(starts)
    while stack:
        for edge in index.out_edges.get(stack.pop(), []):
            if edge.target not in seen:
                seen.add(edge.target)
                stack.append(edge.target)
    return seen


def reaching(index: GraphIndex, ends: list[str]) -> set[str]:
    """Nodes from which one of `ends` can be reached (upstream closure, shared owners included)."""
    seen = set(ends)
    stack = list(ends)
    while stack:
        for dep in dependencies(index, stack.pop()):
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen


def output_name(node: Node) -> str:
    """The model output name an Output node gives (its name, else its id)."""
    return node.name or node.id


def input_name(node: Node) -> str:
    return node.name or node.id


def model_name(graph: Graph) -> str | None:
    """The name the built model (and the exported code) gives keras.Model/Sequential:
    the graph's name with each run of other characters than letters, digits and `_.>-`
    as one `_` (TensorFlow names optimizer variables after it and refuses the rest);
    None lets Keras choose."""
    name = re.sub(r"[^A-Za-z0-9_.>-]+", "_", graph.name or "").strip("_")
    return name or None


def layer_names(index: GraphIndex) -> dict[str, str | None]:
    """Keras layer name per layer node (Input nodes included); None lets Keras choose.

    A node's own `name` wins. An unnamed layer feeding an Output (port 0, not shared,
    no other Output on it) takes the Output's name, so the model's `output_names`
    (and the history keys) follow the Output nodes without extra layers. Any other
    unnamed layer is named after its node id, so layers map back to nodes."""
    nodes = [n for n in index.graph.nodes if n.type != "Output" and not n.shared_with]
    taken = {input_name(n) if n.type == "Input" else n.name for n in nodes}
    taken.discard(None)
    feeds: dict[str, list[tuple[Edge, Node]]] = {}
    for out in index.outputs():
        for port_edges in index.in_edges.get(out.id, {}).values():
            for edge in port_edges:
                feeds.setdefault(edge.source, []).append((edge, out))
    names: dict[str, str | None] = {}
    for node in nodes:
        if node.name or node.type == "Input":
            names[node.id] = input_name(node)
            continue
        fed = feeds.get(node.id, [])
        wanted = output_name(fed[0][1]) if len(fed) == 1 and fed[0][0].source_port == 0 else None
        for candidate in (wanted, node.id):
            if candidate and candidate not in taken:
                names[node.id] = candidate
                taken.add(candidate)
                break
        else:
            names[node.id] = None
    return names


def sequential_chain(index: GraphIndex) -> list[str] | None:
    """The node ids from Input to Output when the graph is one plain chain, else None.

    A chain: one Input, one Output, every other node one in-edge and one out-edge on
    port 0, nothing shared, no sub-graph used twice."""
    g = index.graph
    ins, outs = index.inputs(), index.outputs()
    if len(ins) != 1 or len(outs) != 1 or len(g.edges) != len(g.nodes) - 1 or len(g.nodes) < 3:
        return None  # (a Sequential needs at least one layer)
    model_uses: dict[str, int] = {}
    for node in g.nodes:
        if node.shared_with or node.type == "Op":  # an Op is no layer of a Sequential
            return None
        sub = subgraph_use(node)
        if sub is not None:
            model_uses[sub] = model_uses.get(sub, 0) + 1
    if any(count > 1 for count in model_uses.values()):
        return None
    chain = [ins[0].id]
    seen = {ins[0].id}
    while True:
        outgoing = index.out_edges.get(chain[-1], [])
        if chain[-1] == outs[0].id:
            return chain if len(chain) == len(g.nodes) and not outgoing else None
        if len(outgoing) != 1:
            return None
        edge = outgoing[0]
        if edge.source_port != 0 or edge.target_port != 0 or edge.target in seen:
            return None
        chain.append(edge.target)
        seen.add(edge.target)


def subgraph_use(node: Node | InnerLayer) -> str | None:
    """The sub-graph a node uses, directly or inside a wrapper."""
    layer: Node | InnerLayer | None = node
    while layer is not None:
        if layer.type == "Model":
            sub = layer.params.get("subgraph")
            return sub if isinstance(sub, str) else None
        layer = layer.inner
    return None


def subgraph_uses(graph: Graph) -> list[str]:
    """Sub-graph keys used by nodes of this graph level (directly or wrapped)."""
    uses = []
    for node in graph.nodes:
        if node.shared_with:
            continue
        sub = subgraph_use(node)
        if sub is not None:
            uses.append(sub)
    return uses


def choose_model_type(index: GraphIndex) -> ModelType:
    """ "sequential" or "functional", following `Graph.model_type` ("auto" decides by shape)."""
    if index.graph.model_type == "functional":
        return "functional"
    if index.cached_chain is None:
        index.cached_chain = (sequential_chain(index),)
    return "sequential" if index.cached_chain[0] is not None else "functional"


def count_nodes(graph: Graph) -> int:
    """Nodes of the graph and of every sub-graph definition."""
    return len(graph.nodes) + sum(count_nodes(sub) for sub in graph.subgraphs.values())


def nesting_depth(graph: Graph) -> int:
    """1 for a graph without sub-graphs, plus one per level of sub-graphs inside."""
    return 1 + max((nesting_depth(sub) for sub in graph.subgraphs.values()), default=0)
