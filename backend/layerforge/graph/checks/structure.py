"""Checks that need no Keras call: structure (ids, edges, ports, cycles, reachability,
shared layers, sub-graphs, caps) and parameters. Shapes are `shapes`' job.

Sub-graph problems carry node ids of the form `<subgraph key>/<node id>`."""

from __future__ import annotations

from typing import Any

from layerforge.graph.catalogue.calls import call_options
from layerforge.graph.catalogue.compile import LOSSES_TAKING_LOGITS
from layerforge.graph.catalogue.kinds import is_known, is_refused, kind
from layerforge.graph.checks import cache
from layerforge.graph.checks.findings import Findings
from layerforge.graph.checks.ops import op_param_problems
from layerforge.graph.checks.params import check_output_params, check_params
from layerforge.graph.limits import DEFAULT_LIMITS, GraphLimits
from layerforge.graph.ports import (
    input_port_range,
    op_function_name,
    output_ports,
    positional_port_names,
    variadic_inputs,
)
from layerforge.graph.problems import Problem
from layerforge.graph.schema import Graph, InnerLayer, Node
from layerforge.graph.structure import (
    GraphIndex,
    choose_model_type,
    count_nodes,
    find_cycle,
    input_name,
    nesting_depth,
    output_name,
    reachable_from,
    sequential_chain,
    subgraph_use,
    topological_order,
)

_LOGIT_ACTIVATIONS = {"softmax", "sigmoid", "log_softmax"}
OUTPUT_CHANGING_FLAGS = {"return_attention_scores"}


class _Checker:
    def __init__(
        self,
        graph: Graph,
        chain: list[Graph],
        prefix: str,
        findings: Findings,
        index: GraphIndex | None = None,
    ):
        self.graph = graph
        self.chain = chain
        self.prefix = prefix
        self.f = findings
        self.s = findings  # where structural checks write (a scratch Findings while caching)
        self.index = index or findings.index(graph)

    def nid(self, node_id: str | None) -> str | None:
        return f"{self.prefix}{node_id}" if node_id is not None else None

    def lookup(self, key: str) -> Graph | None:
        for graph in reversed(self.chain):
            if key in graph.subgraphs:
                return graph.subgraphs[key]
        return None

    def run(self) -> None:
        before = len(self.f.errors)
        self.check_all()
        if len(self.f.errors) > before and self.prefix:
            self.f.broken_scopes.add(self.prefix)

    def check_all(self) -> None:
        for node in self.graph.nodes:
            self.check_node(node)
        self.check_structure()
        self.check_logits()

    def structure_key(self) -> tuple[Any, ...]:
        """Everything the structural checks read: ids, types, names, sharing, port
        counts, sub-graph uses, edges. A parameter edit leaves it unchanged."""
        nodes = tuple(
            (
                n.id,
                n.type,
                n.name,
                n.shared_with,
                subgraph_use(n),
                input_port_range(n, self.lookup) if is_known(n.type) else None,
                output_ports(n, self.lookup) if is_known(n.type) else None,
                tuple(sorted(n.params)) if n.type == "Op" else None,  # args given as params
            )
            for n in self.graph.nodes
        )
        edges = tuple((e.source, e.source_port, e.target, e.target_port) for e in self.graph.edges)
        return (self.prefix, self.graph.model_type, nodes, edges)

    def check_structure(self) -> None:
        """Ids, edges, ports, cycles, reachability, names: cached by `structure_key`."""
        key = self.structure_key()
        cached = cache.STRUCTURE.get(key)
        if cached is None:
            self.s = Findings()
            self.check_ids()
            self.check_edges()
            self.check_ports()
            self.check_order_and_reach()
            self.check_names()
            if self.graph.model_type == "sequential" and sequential_chain(self.index) is None:
                self.s.error(
                    None,
                    "not_sequential",
                    "model_type is 'sequential' but the graph is "
                    "not one chain from one Input to one Output with nothing shared",
                )
            order, cyclic = topological_order(self.index)
            choose_model_type(self.index)
            cached = (
                self.s.errors,
                self.s.warnings,
                (order, cyclic),
                self.index.used(),
                self.index.cached_chain,
            )
            cache.STRUCTURE.put(key, cached)
            self.s = self.f
        errors, warnings, (order, cyclic), used, chain = cached
        self.f.errors.extend(p.model_copy() for p in errors)
        self.f.warnings.extend(p.model_copy() for p in warnings)
        self.index.cached_order = (list(order), set(cyclic))
        self.index.cached_used = set(used)
        self.index.cached_chain = chain

    # -- nodes --------------------------------------------------------------------
    def check_ids(self) -> None:
        seen: set[str] = set()
        for node in self.graph.nodes:
            if node.id in seen:
                self.s.error(
                    self.nid(node.id),
                    "duplicate_id",
                    f"Node id {node.id!r} is used twice",
                )
            seen.add(node.id)

    def check_layer(self, node_id: str, layer: Node | InnerLayer, param_prefix: str = "") -> bool:
        """Type, params, wrapper/inner and sub-graph reference of a node or inner layer."""
        nid = self.nid(node_id)
        if is_refused(layer.type):
            self.f.error(
                nid,
                "refused_type",
                f"Layer type {layer.type!r} is not allowed: it can run code or load files",
                param_prefix.rstrip(".") or None,
            )
            return False
        if not is_known(layer.type):
            self.f.error(
                nid,
                "unknown_type",
                f"Unknown layer type {layer.type!r}",
                param_prefix.rstrip(".") or None,
            )
            return False
        if layer.type == "Output":
            problems = check_output_params(nid, layer.params)
        elif layer.type == "Op":
            problems = op_param_problems(nid, layer.params)
        else:
            problems = check_params(
                nid, layer.type, layer.params, param_prefix, key=self.f.key(layer)
            )
        self.f.errors.extend(problems)
        ok = not problems
        layer_kind = kind(layer.type)
        if layer.type == "Model":
            key = layer.params.get("subgraph")
            if isinstance(key, str) and self.lookup(key) is None:
                self.f.error(
                    nid,
                    "unknown_subgraph",
                    f"Sub-graph {key!r} is not defined",
                    param_prefix + "subgraph",
                )
                ok = False
        if layer_kind is not None and layer_kind.wraps:
            if layer.inner is None:
                self.f.error(nid, "missing_inner", f"{layer.type} needs an inner layer", "inner")
                return False
            ok = self.check_layer(node_id, layer.inner, param_prefix + "inner.") and ok
            inner_kind = kind(layer.inner.type)
            if layer.type == "Bidirectional" and not (inner_kind and inner_kind.states):
                self.f.error(
                    nid,
                    "bad_param",
                    "Bidirectional wraps a recurrent layer (LSTM, GRU, "
                    f"SimpleRNN, ConvLSTM), not {layer.inner.type}",
                    "inner",
                )
                ok = False
        elif layer.inner is not None:
            self.f.error(nid, "unexpected_inner", f"{layer.type} does not wrap a layer", "inner")
            ok = False
        if layer.type in ("Input", "Output") and param_prefix:
            self.f.error(nid, "bad_param", f"{layer.type} cannot be wrapped", "inner")
            ok = False
        return ok

    def check_node(self, node: Node) -> None:
        self.check_call_params(node)
        if node.shared_with:
            self.check_shared(node)
            return
        if subgraph_use(node) is not None:  # depends on the sub-graphs in scope
            self.check_layer(node.id, node)
            return
        key = self.f.key(node)
        found = cache.LAYER_CHECKS.get(key)
        if found is None:
            scratch = Findings(keys=self.f.keys)
            _Checker(self.graph, self.chain, "", scratch, self.index).check_layer("", node)
            found = [(p.param, p.code, p.message) for p in scratch.errors]
            cache.LAYER_CHECKS.put(key, found)
        for param, code, message in found:
            self.f.error(self.nid(node.id), code, message, param)

    def check_call_params(self, node: Node) -> None:
        """A call's flags: the flag arguments of its layer's `call` (use_causal_mask)."""
        if not node.call_params:
            return
        owner = self._layer_of(node)
        options = call_options(owner.type) if is_known(owner.type) else {}
        for key, value in node.call_params.items():
            if key not in options:
                known = ", ".join(options) or "none"
                self.f.error(
                    self.nid(node.id),
                    "unknown_param",
                    f"{owner.type}'s call takes no flag {key!r} (flags: {known})",
                    f"call_params.{key}",
                )
            elif not isinstance(value, bool):
                self.f.error(
                    self.nid(node.id),
                    "bad_param",
                    f"{key} must be true or false",
                    f"call_params.{key}",
                )
            elif key in OUTPUT_CHANGING_FLAGS and value:
                self.f.error(
                    self.nid(node.id),
                    "unsupported",
                    f"{key} adds outputs a graph cannot draw yet",
                    f"call_params.{key}",
                )

    def check_shared(self, node: Node) -> None:
        nid = self.nid(node.id)
        owner = self.index.by_id.get(node.shared_with or "")
        if owner is None:
            self.f.error(
                nid,
                "unknown_node",
                f"shared_with names no node: {node.shared_with!r}",
                "shared_with",
            )
        elif owner.id == node.id or owner.shared_with:
            self.f.error(
                nid,
                "bad_shared",
                "shared_with must name the node that owns the layer "
                "(a node that is not itself shared)",
                "shared_with",
            )
        elif owner.type in ("Input", "Output"):
            self.f.error(nid, "bad_shared", f"{owner.type} nodes cannot be shared", "shared_with")
        elif owner.type != node.type:
            self.f.error(
                nid,
                "bad_shared",
                f"shared_with names a {owner.type} node but this node is a {node.type}",
                "shared_with",
            )
        elif node.params or node.inner:
            self.f.warn(
                nid,
                "shared_params_ignored",
                "A shared call site uses the owner's parameters; its own are ignored",
            )

    # -- edges and ports ----------------------------------------------------------
    def _layer_of(self, node: Node) -> Node:
        owner = self.index.by_id.get(node.shared_with or "")
        return owner if owner is not None and not owner.shared_with else node

    def check_edges(self) -> None:
        for edge in self.graph.edges:
            for end, role in ((edge.source, "source"), (edge.target, "target")):
                if end not in self.index.by_id:
                    other = edge.target if role == "source" else edge.source
                    self.s.error(
                        self.nid(other if other in self.index.by_id else None),
                        "unknown_node",
                        f"Edge {edge.source}->{edge.target}: {role} node {end!r} does not exist",
                    )
            if edge.source in self.index.by_id and edge.target in self.index.by_id:
                source = self._layer_of(self.index.by_id[edge.source])
                if is_known(source.type) and edge.source_port >= output_ports(source, self.lookup):
                    n = output_ports(source, self.lookup)
                    self.s.error(
                        self.nid(edge.source),
                        "bad_port",
                        f"Output port {edge.source_port} does not exist ({source.type} has "
                        f"{n} output port{'s' if n != 1 else ''})",
                    )

    def check_ports(self) -> None:
        for node in self.graph.nodes:
            layer = self._layer_of(node)
            if not is_known(layer.type):
                continue
            lo, hi = input_port_range(layer, self.lookup)
            ports = self.index.in_edges.get(node.id, {})
            nid = self.nid(node.id)
            for port, edges in sorted(ports.items()):
                if hi is not None and port >= hi:
                    self.s.error(
                        nid,
                        "bad_port",
                        f"Input port {port} does not exist ({layer.type} "
                        f"takes {hi} input{'s' if hi != 1 else ''})",
                    )
                elif len(edges) > 1:
                    self.s.error(
                        nid,
                        "duplicate_input",
                        f"Input port {port} has {len(edges)} "
                        "edges; one tensor per port (use a merge layer to combine)",
                    )
            used = sorted(p for p in ports if hi is None or p < hi)
            needed = max(lo, (used[-1] + 1) if used else 0) if hi is None else lo
            missing = [p for p in range(needed) if p not in ports]
            layer_kind = kind(layer.type)
            if layer.type == "Op":
                self.check_op_ports(node, layer, set(ports))
            if missing:
                names = layer_kind.input_names if layer_kind else None
                label = ", ".join(names[p] if names else str(p) for p in missing[:8])
                label += ", ..." if len(missing) > 8 else ""
                self.s.error(
                    nid,
                    "missing_input",
                    f"{layer.type} has nothing on input port(s) {label}",
                )
            if layer_kind and layer_kind.keras and layer_kind.variadic and len(used) == 1:
                self.s.warn(nid, "single_merge_input", f"{layer.type} with a single input")

    def check_op_ports(self, node: Node, layer: Node, connected: set[int]) -> None:
        """Each required argument of an Op comes as a tensor or as a param, not both."""
        for port, name in enumerate(positional_port_names(layer, self.lookup)):
            if variadic_inputs(layer):
                break
            given = name in layer.params
            if given and port in connected:
                self.s.error(
                    self.nid(node.id),
                    "duplicate_input",
                    f"{name} is both a param and a tensor on port {port}; keep one",
                    name,
                )
            elif not given and port not in connected:
                self.s.error(
                    self.nid(node.id),
                    "missing_input",
                    f"keras.ops.{op_function_name(layer)} needs {name}: connect a tensor "
                    "or set it as a param",
                    name,
                )

    def check_order_and_reach(self) -> None:
        _order, cyclic = topological_order(self.index)
        if cyclic:
            cycle = find_cycle(self.index, cyclic) or sorted(cyclic)
            self.s.error(self.nid(cycle[0]), "cycle", "Cycle: " + " -> ".join(cycle + cycle[:1]))
        inputs, outputs = self.index.inputs(), self.index.outputs()
        if not inputs:
            self.s.error(None, "no_input", f"{self._where()}has no Input node")
        if not outputs:
            self.s.error(None, "no_output", f"{self._where()}has no Output node")
        from_inputs = reachable_from(self.index, [n.id for n in inputs])
        for out in outputs:
            if out.id not in from_inputs and self.index.in_edges.get(out.id):
                self.s.error(
                    self.nid(out.id),
                    "unreachable_output",
                    f"Output {output_name(out)!r} cannot be reached from any Input",
                )
        used = self.index.used()
        for node in self.graph.nodes:
            if node.id not in used:
                self.s.warn(
                    self.nid(node.id),
                    "unused_node",
                    f"{node.type} node {node.id!r} "
                    "does not lead to any Output; it is left out of the model",
                )

    def _where(self) -> str:
        return f"Sub-graph {self.prefix[:-1]!r} " if self.prefix else "The graph "

    def check_names(self) -> None:
        seen: dict[str, str] = {}
        for node in self.graph.nodes:
            if node.type == "Output" or node.shared_with:
                continue
            name = input_name(node) if node.type == "Input" else node.name
            if name is None:
                continue
            if name in seen:
                self.s.error(
                    self.nid(node.id),
                    "duplicate_name",
                    f"Name {name!r} is already used "
                    f"by node {seen[name]!r}; layer names must be unique",
                    "name",
                )
            seen[name] = node.id
        outs: dict[str, str] = {}
        for node in self.index.outputs():
            name = output_name(node)
            if name in outs:
                self.s.error(
                    self.nid(node.id),
                    "duplicate_name",
                    f"Output name {name!r} is already used by {outs[name]!r}",
                    "name",
                )
            outs[name] = node.id

    def check_logits(self) -> None:
        for out in self.index.outputs():
            if not out.params.get("loss") and not self.prefix:
                self.f.warn(
                    self.nid(out.id),
                    "no_loss",
                    f"Output {output_name(out)!r} has no loss; training needs one",
                    "loss",
                )
            if not out.params.get("from_logits"):
                continue
            loss = out.params.get("loss")
            if loss and loss not in LOSSES_TAKING_LOGITS:
                self.f.warn(
                    self.nid(out.id),
                    "from_logits_ignored",
                    f"The loss {loss!r} does not read logits; from_logits is ignored",
                    "from_logits",
                )
            for edges in self.index.in_edges.get(out.id, {}).values():
                source = self._layer_of(self.index.by_id[edges[0].source])
                act = source.params.get("activation")
                if source.type in ("Softmax",) or act in _LOGIT_ACTIVATIONS:
                    self.f.warn(
                        self.nid(source.id),
                        "activation_with_logits",
                        f"{act or 'softmax'} before a loss with from_logits=True: the "
                        "loss expects raw logits",
                        "activation",
                    )


def _subgraph_cycles(graph: Graph, f: Findings) -> None:
    """A sub-graph that uses itself, directly or through others, can never be built."""
    uses: dict[str, list[tuple[str, str]]] = {}

    def collect(g: Graph, prefix: str) -> None:
        for key, sub in g.subgraphs.items():
            uses[key] = [
                (f"{prefix}{key}/{n.id}", u)
                for n in sub.nodes
                for u in [subgraph_use(n)]
                if u is not None
            ]
            collect(sub, f"{prefix}{key}/")

    collect(graph, "")
    state: dict[str, int] = {}

    def visit(key: str) -> None:
        state[key] = 1
        for node_id, used in uses.get(key, []):
            if state.get(used) == 1:
                f.error(
                    node_id,
                    "cycle",
                    f"Sub-graph {key!r} uses {used!r}, which uses "
                    f"{key!r} again: sub-graphs cannot contain themselves",
                    "subgraph",
                )
            elif used in uses and used not in state:
                visit(used)
        state[key] = 2

    for key in uses:
        if key not in state:
            visit(key)


def static_findings(
    graph: Graph, limits: GraphLimits = DEFAULT_LIMITS, f: Findings | None = None
) -> Findings:
    """Every structural and parameter problem of a graph and its sub-graphs."""
    f = f if f is not None else Findings()
    total = count_nodes(graph)
    if total > limits.nodes:
        f.error(
            None,
            "too_large",
            f"The graph has {total} nodes; the limit is {limits.nodes}",
        )
        return f
    depth = nesting_depth(graph)
    if depth > limits.nesting_depth:
        f.error(
            None,
            "too_deep",
            f"Sub-graphs nest {depth} deep; the limit is {limits.nesting_depth}",
        )
        return f
    _subgraph_cycles(graph, f)
    _walk(graph, [graph], "", f)
    return f


def _walk(graph: Graph, chain: list[Graph], prefix: str, f: Findings) -> None:
    _Checker(graph, chain, prefix, f).run()
    for key, sub in graph.subgraphs.items():
        _walk(sub, [*chain, sub], f"{prefix}{key}/", f)


def output_findings(graph: Graph, node_id: str, index: GraphIndex | None = None) -> Findings:
    """What a top-level graph's checks find that an Output node's params can change: the
    node's parameter checks and the loss and logits warnings. Nothing else reads them
    (an Output has nothing downstream and its call only passes its inputs on), so a fix
    that only sets an Output's params is judged by these alone (`fixes`)."""
    f = Findings()
    checker = _Checker(graph, [graph], "", f, index)
    checker.check_node(checker.index.by_id[node_id])
    checker.check_logits()
    return f


def static_problems(graph: Graph, limits: GraphLimits = DEFAULT_LIMITS) -> list[Problem]:
    """The errors (not warnings) `static_findings` reports."""
    return static_findings(graph, limits).errors
