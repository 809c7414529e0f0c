"""`validate_graph`: every problem of a graph at once, with shapes and parameter
counts from Keras itself.

Structure and parameters are checked first (`checks`); then each node's layer is
called on symbolic tensors in topological order, so a Keras error lands on the node
that caused it and its downstream nodes are skipped, not crashed.

Incremental: a node's outcome depends only on its own definition and the specs
(shape, dtype) arriving at its ports, which summarise everything upstream. Outcomes
are cached in a bounded LRU under a hash of exactly that, so after a one-node edit
only nodes whose definition or input specs changed are called again."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import keras

from layerforge.graph.build import SubgraphScope, _build
from layerforge.graph.checks import Findings, static_findings
from layerforge.graph.errors import GraphError
from layerforge.graph.keras_errors import call_error_code, clean_message
from layerforge.graph.layers import call_layer, make_layer
from layerforge.graph.schema import Graph, InnerLayer, Node
from layerforge.graph.structure import (
    GraphIndex,
    choose_model_type,
    subgraph_use,
    topological_order,
)
from layerforge.graph.symbolic import (
    TensorSpec,
    needs_real_weights,
    no_weights,
    weight_counts,
)
from layerforge.settings import get_settings


@dataclass(frozen=True)
class Outcome:
    """What calling one layer on its input specs gave."""

    specs: tuple[TensorSpec, ...] | None
    trainable: int = 0
    non_trainable: int = 0
    code: str | None = None
    message: str | None = None
    param: str | None = None


class LRU:
    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Any) -> Any:
        with self.lock:
            value = self.data.get(key)
            if value is None:
                self.misses += 1
                return None
            self.data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()
            self.hits = self.misses = 0


NODE_CACHE = LRU(50_000)
MODEL_CACHE = LRU(64)


def clear_caches() -> None:
    NODE_CACHE.clear()
    MODEL_CACHE.clear()


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
        super().__init__(chain, {})
        self.definitions = definitions

    def model(self, key: str) -> keras.Model:
        sub = self.definition(key)
        digest = self.definitions.digest(sub, self.chain)
        model = MODEL_CACHE.get(digest)
        if model is None:
            model = _build(sub, _CachedScope([*self.chain, sub], self.definitions), name=key)
            MODEL_CACHE.put(digest, model)
        return model


class _Validator:
    def __init__(self, findings: Findings):
        self.findings = findings
        self.nodes: dict[str, dict[str, Any]] = {}
        self.definitions = _Definitions()
        self.broken_subgraphs: set[int] = set()

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
            info = self._info(prefix + nid)
            if prefix + nid in bad:
                info["status"] = "error"
                continue
            args = self._input_specs(index, nid, specs)
            if nid in cyclic or args is None:
                info["status"] = "skipped"
                continue
            outcome = self._outcome(index, node, args, scope, specs, chain)
            self._record(prefix + nid, info, outcome)
            if outcome.specs is not None:
                specs[nid] = list(outcome.specs)
        self._dedupe_weights(index, prefix)
        return index

    def _info(self, nid: str) -> dict[str, Any]:
        info = {
            "output_shapes": [],
            "dtypes": [],
            "params": 0,
            "trainable_params": 0,
            "non_trainable_params": 0,
            "errors": [],
            "warnings": [],
            "status": "ok",
        }
        self.nodes[nid] = info
        return info

    @staticmethod
    def _input_specs(
        index: GraphIndex, nid: str, specs: dict[str, list[TensorSpec]]
    ) -> list | None:
        args = []
        for port in sorted(index.in_edges.get(nid, {})):
            edge = index.in_edges[nid][port][0]
            if edge.source not in specs or edge.source_port >= len(specs[edge.source]):
                return None
            args.append(specs[edge.source][edge.source_port])
        return args

    def _record(self, nid: str, info: dict[str, Any], outcome: Outcome) -> None:
        if outcome.code:
            info["status"] = "error"
            self.findings.error(nid, outcome.code, outcome.message or "", outcome.param)
            return
        info["output_shapes"] = [s.to_json() for s in outcome.specs or ()]
        info["dtypes"] = [s.dtype for s in outcome.specs or ()]
        info["trainable_params"] = outcome.trainable
        info["non_trainable_params"] = outcome.non_trainable
        info["params"] = outcome.trainable + outcome.non_trainable

    # -- one node -------------------------------------------------------------------
    def _outcome(
        self,
        index: GraphIndex,
        node: Node,
        args: list[TensorSpec],
        scope: _CachedScope,
        specs: dict[str, list[TensorSpec]],
        chain: list[Graph],
    ) -> Outcome:
        if node.type == "Input":
            return _input_outcome(node)
        if node.type == "Output":
            return Outcome(specs=tuple(args))
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
        key = (
            self.findings.key(owner),
            tuple(args),
            tuple(owner_args) if owner_args is not None else None,
            subs,
        )
        cached = NODE_CACHE.get(key)
        if cached is None:
            cached = _evaluate(owner, node.type, args, owner_args, scope)
            NODE_CACHE.put(key, cached)
        return cached

    def _dedupe_weights(self, index: GraphIndex, prefix: str) -> None:
        """Each set of weights is counted once: shared call sites and later uses of a
        sub-graph report 0 parameters and name the node that holds the weights."""
        holders: dict[str, str] = {}
        for node in index.graph.nodes:
            info = self.nodes.get(prefix + node.id)
            if info is None or info["status"] != "ok":
                continue
            if node.shared_with:
                identity = "node:" + node.shared_with
                holders.setdefault(identity, node.shared_with)
            else:
                identity = _weight_identity(node)
            holder = holders.setdefault(identity, node.id)
            if holder != node.id:
                info["weights_shared_with"] = prefix + holder
                info["params"] = info["trainable_params"] = info["non_trainable_params"] = 0


def _used_subgraph(node: Node, scope: SubgraphScope) -> Graph | None:
    key = subgraph_use(node)
    return scope.lookup(key) if key is not None else None


def _weight_identity(node: Node) -> str:
    """Which weights a node holds: a sub-graph's (shared by all its uses) or its own."""
    key = subgraph_use(node)
    if key is not None and node.type in ("Model", "TimeDistributed"):
        return "subgraph:" + key
    return "node:" + node.id


def _input_outcome(node: Node) -> Outcome:
    params = node.params
    shape = (params.get("batch_size"), *params.get("shape", []))
    dtype = params.get("dtype") or "float32"
    return Outcome(specs=(TensorSpec(tuple(shape), dtype, bool(params.get("sparse", False))),))


def _evaluate(
    owner: Node,
    call_type: str,
    args: list[TensorSpec],
    owner_args: list[TensorSpec] | None,
    scope: SubgraphScope,
) -> Outcome:
    try:
        with no_weights():
            return _call(owner, call_type, args, owner_args, scope)
    except _NeedsWeights:
        return _call(owner, call_type, args, owner_args, scope)


class _NeedsWeights(Exception):
    pass


def _call(
    owner: Node,
    call_type: str,
    args: list[TensorSpec],
    owner_args: list[TensorSpec] | None,
    scope: SubgraphScope,
) -> Outcome:
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
            call_layer(layer, owner.type, [s.tensor() for s in owner_args])
        outputs = call_layer(layer, call_type, [s.tensor() for s in args])
    except Exception as exc:
        if needs_real_weights(exc):
            raise _NeedsWeights from exc
        return Outcome(None, code=call_error_code(exc), message=clean_message(exc))
    trainable, non_trainable = weight_counts(layer)
    return Outcome(tuple(TensorSpec.of(t) for t in outputs), trainable, non_trainable)


def validate_graph(graph: Graph) -> dict[str, Any]:
    """The body of `POST /api/graphs/validate` (see DESIGN.md)."""
    findings = static_findings(graph, Findings())
    validator = _Validator(findings)
    if any(p.code in ("too_large", "too_deep") for p in findings.errors):
        return _answer(findings, {}, None, None)
    index = validator.level(graph, [graph], "")
    used = index.used()
    total = sum(validator.nodes[n]["params"] for n in used if n in validator.nodes)
    limit = get_settings().limits.params
    if total > limit:
        biggest = max(used, key=lambda n: validator.nodes.get(n, {}).get("params", 0))
        findings.error(
            biggest,
            "too_large",
            f"The model has {total:,} parameters; the limit "
            f"is {limit:,} (this node holds {validator.nodes[biggest]['params']:,})",
        )
    for problem in findings.warnings:
        if problem.node in validator.nodes:
            validator.nodes[problem.node]["warnings"].append(problem.model_dump())
    for problem in findings.errors:
        if problem.node in validator.nodes:
            validator.nodes[problem.node]["errors"].append(problem.model_dump())
            validator.nodes[problem.node]["status"] = "error"
    valid = not findings.errors
    model_type = choose_model_type(index) if valid else None
    return _answer(findings, validator.nodes, model_type, total if valid else None)


def _answer(findings: Findings, nodes: dict, model_type: str | None, total: int | None) -> dict:
    return {
        "valid": not findings.errors,
        "model_type": model_type,
        "total_params": total,
        "errors": [p.model_dump() for p in findings.errors],
        "warnings": [p.model_dump() for p in findings.warnings],
        "nodes": nodes,
    }
