"""Shapes and parameter counts from Keras itself: after the structure and parameter
checks, each node's layer is called on symbolic tensors in topological order, so a
Keras error lands on the node that caused it and its downstream nodes are skipped,
not crashed.

Incremental: a node's outcome depends only on its own definition and the specs
(shape, dtype) arriving at its ports, which summarise everything upstream. Outcomes
are cached (`cache.NODE_OUTCOMES`) under a hash of exactly that, so after a one-node
edit only nodes whose definition or input specs changed are called again; and a node's
finished entry, its cost included, is kept on its outcome (`Outcome.reports`), so only
those nodes get a new one."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

import keras

from layerforge.graph.build.layers import call_layer, make_layer
from layerforge.graph.build.model import SubgraphScope, assemble
from layerforge.graph.build.symbolic import (
    TensorSpec,
    needs_real_weights,
    no_weights,
    weight_counts,
)
from layerforge.graph.catalogue.kinds import STRING_INPUT_TYPES, STRINGS_ONLY_TYPES
from layerforge.graph.checks import cache
from layerforge.graph.checks.cost import layer_macs, output_bytes
from layerforge.graph.checks.findings import Findings
from layerforge.graph.checks.report import NodeReport
from layerforge.graph.ports import (
    argument_ports,
    input_port_names,
    output_port_names,
    positional_port_names,
    variadic_inputs,
)
from layerforge.graph.problems import GraphError, call_error_code, clean_message
from layerforge.graph.schema import Graph, InnerLayer, Node
from layerforge.graph.topology import GraphIndex, subgraph_use, topological_order


@dataclass(frozen=True)
class Outcome:
    """What calling one layer on its input specs gave."""

    specs: tuple[TensorSpec, ...] | None
    trainable: int = 0
    non_trainable: int = 0
    code: str | None = None
    message: str | None = None
    param: str | None = None

    @functools.cached_property
    def entry_fields(
        self,
    ) -> tuple[tuple[list[int | None], ...], tuple[str, ...], tuple[bool, ...]]:
        """(output shapes as JSON, dtypes, which outputs carry a mask), once per outcome."""
        specs = self.specs or ()
        return (
            tuple(s.to_json() for s in specs),
            tuple(s.dtype for s in specs),
            tuple(s.mask is not None for s in specs),
        )

    @functools.cached_property
    def reports(self) -> dict[int, NodeReport]:
        """The finished entry of a node that gave this outcome without a problem, by its
        connected input ports: every node with the same layer text and input specs shares
        it, so an edit builds entries only for the nodes it changed (callers copy before
        changing one: `own_entry`)."""
        return {}


def _digest(obj: Any) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _param_in(message: str, layer: Node | InnerLayer) -> str | None:
    for name in layer.params:
        if f"{name}=" in message or f"`{name}`" in message or f"'{name}'" in message:
            return name
    return None


class _Definitions:
    """Sub-graph definitions in scope, with content hashes that include what they use."""

    def __init__(self) -> None:
        self.hashes: dict[int, str] = {}

    def digest(self, sub: Graph, chain: list[Graph]) -> str:
        if id(sub) not in self.hashes:
            self.hashes[id(sub)] = "pending"
            used = {}
            scope = SubgraphScope([*chain, sub], {})
            for node in sub.nodes:
                key = subgraph_use(node)
                target = scope.lookup(key) if key is not None else None
                if target is not None:
                    used[key] = self.digest(target, [*chain, sub])
            body = sub.model_dump(exclude={"layout", "name", "subgraphs"})
            self.hashes[id(sub)] = _digest([body, used])
        return self.hashes[id(sub)]


class _CachedScope(SubgraphScope):
    """Resolves `Model` uses to stateless keras.Models cached by definition hash."""

    def __init__(self, chain: list[Graph], definitions: _Definitions):
        super().__init__(chain)
        self.definitions = definitions

    def model(self, key: str) -> keras.Model:
        sub = self.definition(key)
        digest = self.definitions.digest(sub, self.chain)
        model: keras.Model | None = cache.SUBGRAPH_MODELS.get(digest)
        if model is None:
            model = assemble(sub, _CachedScope([*self.chain, sub], self.definitions), name=key)
            cache.SUBGRAPH_MODELS.put(digest, model)
        return model


PortNames = tuple[tuple[str, ...], tuple[str, ...], bool, tuple[str, ...]]


class Validator:
    """Calls every node of a graph (and of its sub-graphs) on symbolic tensors; fills
    `nodes` (one NodeReport per node, ids of sub-graph nodes as `key/id`) and writes the
    errors it finds to `findings`."""

    def __init__(self, findings: Findings):
        self.findings = findings
        self.nodes: dict[str, NodeReport] = {}
        self.definitions = _Definitions()
        self.broken_subgraphs: set[int] = set()
        self.costed: set[str] = set()
        """Nodes whose entry already holds its cost (shared entries: `Outcome.reports`)."""
        self.shared: set[str] = set()
        """Nodes whose entry other nodes (and earlier reports) hold too: `own_entry`."""

    def own_entry(self, nid: str) -> NodeReport:
        """A node's entry to change: a shared one is copied first."""
        entry = self.nodes[nid]
        if nid in self.shared:
            entry = self.nodes[nid] = entry.model_copy(update={"errors": [], "warnings": []})
            self.shared.discard(nid)
        return entry

    # -- one graph level ------------------------------------------------------------
    def level(self, graph: Graph, chain: list[Graph], prefix: str) -> GraphIndex:
        for key, sub in graph.subgraphs.items():
            scope_prefix = f"{prefix}{key}/"
            self.level(sub, [*chain, sub], scope_prefix)
            if any(p.startswith(scope_prefix) for p in self.findings.broken_scopes) or any(
                p.node and p.node.startswith(scope_prefix) for p in self.findings.errors
            ):
                self.broken_subgraphs.add(id(sub))
        index = self.findings.index(graph)
        scope = _CachedScope(chain, self.definitions)
        order, cyclic = topological_order(index)
        bad = self.findings.error_nodes()
        specs: dict[str, list[TensorSpec]] = {}
        for nid in [*order, *sorted(cyclic)]:
            node = index.by_id[nid]
            if prefix + nid in bad:
                self._enter(prefix + nid, index, node, scope, "error")
                continue
            args = self._input_specs(index, nid, specs)
            if nid in cyclic or args is None:
                self._enter(prefix + nid, index, node, scope, "skipped")
                continue
            outcome = self._outcome(index, node, args, scope, specs, chain)
            if outcome.code:
                self.findings.error(
                    prefix + nid, outcome.code, outcome.message or "", outcome.param
                )
                self._enter(prefix + nid, index, node, scope, "error")
                continue
            self._enter(prefix + nid, index, node, scope, "ok", outcome, args)
            if outcome.specs is not None:
                specs[nid] = list(outcome.specs)
        self._dedupe_weights(index, prefix)
        return index

    def _enter(
        self,
        nid: str,
        index: GraphIndex,
        node: Node,
        scope: SubgraphScope,
        status: Literal["ok", "error", "skipped"],
        outcome: Outcome | None = None,
        args: list[TensorSpec | None] | None = None,
    ) -> None:
        """A node's entry: its ports (from the structure, no Keras call) and, when its
        call worked, what it gave, with its cost (`cost.layer_macs`) unless it uses a
        sub-graph (whose cost `cost.add_costs` adds); made once with every field (a
        pydantic model's attribute writes cost more than the whole entry)."""
        owner = index.by_id.get(node.shared_with or "", node)
        ports = index.in_edges.get(node.id, {})
        connected = max(ports, default=-1) + 1
        shared = outcome is not None and status == "ok" and subgraph_use(owner) is None
        if shared:
            assert outcome is not None
            kept = outcome.reports.get(connected)
            if kept is not None:
                self.nodes[nid] = kept
                self.costed.add(nid)
                self.shared.add(nid)
                return
        inputs, outputs, variadic, arguments = self._ports(owner, connected, scope)
        shapes, dtypes, masked = outcome.entry_fields if outcome else ((), (), ())
        entry = self.nodes[nid] = NodeReport.model_construct(
            output_shapes=list(shapes),
            dtypes=list(dtypes),
            params=outcome.trainable + outcome.non_trainable if outcome else 0,
            trainable_params=outcome.trainable if outcome else 0,
            non_trainable_params=outcome.non_trainable if outcome else 0,
            errors=[],
            warnings=[],
            status=status,
            weights_shared_with=None,
            input_ports=list(inputs),
            output_ports=list(outputs),
            variadic_inputs=variadic,
            argument_ports=list(arguments),
            masked_outputs=[port for port, m in zip(outputs, masked, strict=False) if m],
        )
        if shared:
            assert outcome is not None and args is not None
            ins = [list(a.shape) for a in args if a is not None]
            entry.macs = layer_macs(owner, ins, entry.output_shapes, _no_subgraphs)
            entry.activation_bytes = output_bytes(entry)
            outcome.reports[connected] = entry
            self.costed.add(nid)
            self.shared.add(nid)

    def _ports(self, owner: Node, connected: int, scope: SubgraphScope) -> PortNames:
        """(input, output, variadic, argument) port names of a layer; cached by its text
        unless it uses a sub-graph (whose Inputs and Outputs name its ports)."""
        key = None if subgraph_use(owner) is not None else (self.findings.key(owner), connected)
        found: PortNames | None = cache.PORT_NAMES.get(key) if key is not None else None
        if found is None:
            found = (
                ()
                if owner.type == "Input"
                else tuple(input_port_names(owner, scope.lookup, connected)),
                tuple(output_port_names(owner, scope.lookup)),
                variadic_inputs(owner),
                tuple(p.name for p in argument_ports(owner)),
            )
            if key is not None:
                cache.PORT_NAMES.put(key, found)
        return found

    @staticmethod
    def _input_specs(
        index: GraphIndex, nid: str, specs: dict[str, list[TensorSpec]]
    ) -> list[TensorSpec | None] | None:
        """The spec at each input port (None where nothing is connected), or None
        when an input is not known (an upstream error)."""
        ports = index.in_edges.get(nid, {})
        args: list[TensorSpec | None] = [None] * (max(ports, default=-1) + 1)
        for port, edges in ports.items():
            edge = edges[0]
            if edge.source not in specs or edge.source_port >= len(specs[edge.source]):
                return None
            args[port] = specs[edge.source][edge.source_port]
        return args

    # -- one node -------------------------------------------------------------------
    def _outcome(
        self,
        index: GraphIndex,
        node: Node,
        args: list[TensorSpec | None],
        scope: _CachedScope,
        specs: dict[str, list[TensorSpec]],
        chain: list[Graph],
    ) -> Outcome:
        if node.type == "Input":
            return _input_outcome(node)
        if node.type == "Output":
            return Outcome(specs=tuple(s for s in args if s is not None))
        sub = _used_subgraph(node, scope)
        if sub is not None and id(sub) in self.broken_subgraphs:
            key = subgraph_use(node)
            return Outcome(
                None,
                code="subgraph_error",
                message=f"Sub-graph {key!r} has errors; fix them first",
                param="subgraph",
            )
        owner, owner_args = node, None
        if node.shared_with:
            owner = index.by_id[node.shared_with]
            owner_args = self._input_specs(index, owner.id, specs)
            if owner.id not in specs or owner_args is None:
                return Outcome(
                    None,
                    code="upstream_error",
                    message="The shared layer's owner has errors",
                )
        subs = self.definitions.digest(sub, chain) if sub is not None else None
        cache_key = (
            self.findings.key(owner),
            tuple(args),
            tuple(owner_args) if owner_args is not None else None,
            subs,
            _digest(node.call_params) if node.call_params else None,
        )
        cached: Outcome | None = cache.NODE_OUTCOMES.get(cache_key)
        if cached is None:
            cached = _evaluate(owner, node, args, owner_args, scope)
            cache.NODE_OUTCOMES.put(cache_key, cached)
        return cached

    def _dedupe_weights(self, index: GraphIndex, prefix: str) -> None:
        """Each set of weights is counted once: shared call sites and later uses of a
        sub-graph report 0 parameters and name the node that holds the weights."""
        holders: dict[str, str] = {}
        for node in index.graph.nodes:
            if not node.shared_with and node.type not in _SUBGRAPH_HOLDERS:
                continue  # its own weights (a call site sharing them names its owner)
            info = self.nodes.get(prefix + node.id)
            if info is None or info.status != "ok":
                continue
            if node.shared_with:
                identity = "node:" + node.shared_with
                holders.setdefault(identity, node.shared_with)
            else:
                identity = _weight_identity(node)
            holder = holders.setdefault(identity, node.id)
            if holder != node.id:
                info = self.own_entry(prefix + node.id)
                info.weights_shared_with = prefix + holder
                info.params = info.trainable_params = info.non_trainable_params = 0


def _no_subgraphs(key: str) -> int | None:
    raise AssertionError("entries of nodes using a sub-graph are not shared")


def _used_subgraph(node: Node, scope: SubgraphScope) -> Graph | None:
    key = subgraph_use(node)
    return scope.lookup(key) if key is not None else None


_SUBGRAPH_HOLDERS = ("Model", "TimeDistributed")


def _weight_identity(node: Node) -> str:
    """Which weights a node holds: a sub-graph's (shared by all its uses) or its own."""
    key = subgraph_use(node)
    if key is not None and node.type in _SUBGRAPH_HOLDERS:
        return "subgraph:" + key
    return "node:" + node.id


def _input_outcome(node: Node) -> Outcome:
    params = node.params
    shape = (params.get("batch_size"), *params.get("shape", []))
    dtype = params.get("dtype") or "float32"
    return Outcome(specs=(TensorSpec(tuple(shape), dtype, bool(params.get("sparse", False))),))


Specs = list[TensorSpec | None]


def _evaluate(
    owner: Node,
    node: Node,
    args: Specs,
    owner_args: Specs | None,
    scope: SubgraphScope,
) -> Outcome:
    problem = _string_mismatch(owner, args)
    if problem is not None:
        return Outcome(None, code="dtype_mismatch", message=problem)
    try:
        with no_weights():
            return _call(owner, node, args, owner_args, scope)
    except _NeedsWeights:
        return _call(owner, node, args, owner_args, scope)


def _string_mismatch(owner: Node, args: Specs) -> str | None:
    """Keras's symbolic call does not look at dtypes, but a string tensor reaches only the
    layers that take text, and those that take only text get strings."""
    dtypes = {s.dtype for s in args if s is not None}
    if owner.type == "Model" or not dtypes:  # a sub-graph's own Inputs say what it takes
        return None
    if "string" in dtypes and owner.type not in STRING_INPUT_TYPES:
        takes = ", ".join(sorted(STRING_INPUT_TYPES))
        return (
            f"{owner.type} takes numbers, its input is text (dtype string): only {takes} take text"
        )
    strings_only = owner.type in STRINGS_ONLY_TYPES and not owner.params.get("invert")
    if strings_only and dtypes != {"string"}:
        return f"{owner.type} takes text (dtype string), its input is {', '.join(sorted(dtypes))}"
    return None


class _NeedsWeights(Exception):
    pass


def _tensors(specs: Specs) -> list[keras.KerasTensor | None]:
    return [s.tensor() if s is not None else None for s in specs]


def _call(
    owner: Node,
    node: Node,
    args: Specs,
    owner_args: Specs | None,
    scope: SubgraphScope,
) -> Outcome:
    """Make the owner's layer, call it (first on the owner's inputs when `node` is
    another call site of it), and read the output specs and weight counts."""
    try:
        layer = make_layer(owner, None, scope.model, throwaway=True)
    except GraphError as exc:
        p = exc.problems[0]
        return Outcome(None, code=p.code, message=p.message)
    except Exception as exc:
        if needs_real_weights(exc):
            raise _NeedsWeights from exc
        message = clean_message(exc)
        return Outcome(None, code="bad_param", message=message, param=_param_in(message, owner))
    try:
        if owner_args is not None:
            call_layer(layer, owner, _tensors(owner_args), owner.call_params)
        outputs = call_layer(layer, owner, _tensors(args), node.call_params)
    except Exception as exc:
        if needs_real_weights(exc):
            raise _NeedsWeights from exc
        who = f"{node.name or node.id} ({owner.type})"
        return Outcome(None, code=call_error_code(exc), message=clean_message(exc, who))
    problem = _state_mismatch(owner, node, args, scope)
    if problem is not None:
        return Outcome(None, code="shape_mismatch", message=problem)
    trainable, non_trainable = weight_counts(layer) if layer is not None else (0, 0)
    if owner.type == "Model" and not owner.trainable:  # make_layer leaves cached models be
        trainable, non_trainable = 0, trainable + non_trainable
    return Outcome(tuple(TensorSpec.of(t) for t in outputs), trainable, non_trainable)


def _state_mismatch(owner: Node, node: Node, args: Specs, scope: SubgraphScope) -> str | None:
    """Keras's symbolic call does not look at `initial_state` shapes: compare each
    state port with the state the same layer returns itself (`return_state=True`)."""
    positional = len(positional_port_names(owner, scope.lookup, len(args)))
    given = [
        (port.name, spec)
        for i, port in enumerate(argument_ports(owner))
        if port.argument == "initial_state" and positional + i < len(args)
        for spec in [args[positional + i]]
        if spec is not None
    ]
    if not given:
        return None
    stateful = _with_return_state(owner)
    layer = make_layer(stateful, None, scope.model, throwaway=True)
    outputs = call_layer(layer, stateful, _tensors(args[:positional]), node.call_params)
    states = {
        f"initial_{n}": t
        for n, t in zip(output_port_names(stateful, scope.lookup), outputs, strict=False)
    }
    for name, spec in given:
        expected = tuple(states[name].shape)
        if len(expected) != len(spec.shape) or any(
            a is not None and b is not None and a != b
            for a, b in zip(expected, spec.shape, strict=True)
        ):
            return (
                f"{name} has shape {list(spec.shape)}; this layer's state has shape "
                f"{list(expected)}"
            )
    return None


def _with_return_state(layer: Node | InnerLayer) -> InnerLayer:
    """A copy of a recurrent layer (or a Bidirectional's inner one) returning its states."""
    if layer.inner is not None:
        return InnerLayer(
            type=layer.type, params=dict(layer.params), inner=_with_return_state(layer.inner)
        )
    return InnerLayer(type=layer.type, params={**layer.params, "return_state": True})
