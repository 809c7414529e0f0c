"""Checks of one node's own definition, without Keras: its type (allowlisted, not
refused), its params against the catalogue, its wrapped layer, the sub-graph it uses,
its call's flags and, for a shared call site, the node it shares."""

from __future__ import annotations

from layerforge.graph.catalogue.call_arguments import call_options
from layerforge.graph.catalogue.kinds import is_known, is_refused, kind
from layerforge.graph.checks import cache
from layerforge.graph.checks.findings import Findings
from layerforge.graph.checks.level import Level
from layerforge.graph.checks.op_params import op_param_problems
from layerforge.graph.checks.param_values import check_output_params, check_params
from layerforge.graph.schema import InnerLayer, Node
from layerforge.graph.topology import subgraph_use

OUTPUT_CHANGING_FLAGS = {"return_attention_scores"}


def check_node(level: Level, node: Node) -> None:
    """A node's own checks; those of a layer that uses no sub-graph are cached by its
    canonical text (`Findings.key`)."""
    _check_call_params(level, node)
    if node.shared_with:
        _check_shared(level, node)
        return
    if subgraph_use(node) is not None:  # depends on the sub-graphs in scope
        check_layer(level, node.id, node)
        return
    findings = level.findings
    key = findings.key(node)
    found = cache.LAYER_CHECKS.get(key)
    if found is None:
        scratch = Level(level.graph, level.chain, "", Findings(keys=findings.keys), level.index)
        check_layer(scratch, "", node)
        found = [(p.param, p.code, p.message) for p in scratch.findings.errors]
        cache.LAYER_CHECKS.put(key, found)
    for param, code, message in found:
        findings.error(level.nid(node.id), code, message, param)


def check_layer(
    level: Level, node_id: str, layer: Node | InnerLayer, param_prefix: str = ""
) -> bool:
    """Type, params, wrapper/inner and sub-graph reference of a node or inner layer."""
    f = level.findings
    nid = level.nid(node_id)
    if is_refused(layer.type):
        f.error(
            nid,
            "refused_type",
            f"Layer type {layer.type!r} is not allowed: it can run code or load files",
            param_prefix.rstrip(".") or None,
        )
        return False
    if not is_known(layer.type):
        f.error(
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
        problems = check_params(nid, layer.type, layer.params, param_prefix, key=f.key(layer))
    f.errors.extend(problems)
    ok = not problems
    layer_kind = kind(layer.type)
    if layer.type == "Model":
        key = layer.params.get("subgraph")
        if isinstance(key, str) and level.lookup(key) is None:
            f.error(
                nid,
                "unknown_subgraph",
                f"Sub-graph {key!r} is not defined",
                param_prefix + "subgraph",
            )
            ok = False
    if layer_kind is not None and layer_kind.wraps:
        if layer.inner is None:
            f.error(nid, "missing_inner", f"{layer.type} needs an inner layer", "inner")
            return False
        ok = check_layer(level, node_id, layer.inner, param_prefix + "inner.") and ok
        inner_kind = kind(layer.inner.type)
        if layer.type == "Bidirectional" and not (inner_kind and inner_kind.states):
            f.error(
                nid,
                "bad_param",
                "Bidirectional wraps a recurrent layer (LSTM, GRU, "
                f"SimpleRNN, ConvLSTM), not {layer.inner.type}",
                "inner",
            )
            ok = False
    elif layer.inner is not None:
        f.error(nid, "unexpected_inner", f"{layer.type} does not wrap a layer", "inner")
        ok = False
    if layer.type in ("Input", "Output") and param_prefix:
        f.error(nid, "bad_param", f"{layer.type} cannot be wrapped", "inner")
        ok = False
    return ok


def _check_call_params(level: Level, node: Node) -> None:
    """A call's flags: the flag arguments of its layer's `call` (use_causal_mask)."""
    if not node.call_params:
        return
    owner = level.layer_of(node)
    options = call_options(owner.type) if is_known(owner.type) else {}
    nid = level.nid(node.id)
    for key, value in node.call_params.items():
        where = f"call_params.{key}"
        if key not in options:
            known = ", ".join(options) or "none"
            message = f"{owner.type}'s call takes no flag {key!r} (flags: {known})"
            level.findings.error(nid, "unknown_param", message, where)
        elif not isinstance(value, bool):
            level.findings.error(nid, "bad_param", f"{key} must be true or false", where)
        elif key in OUTPUT_CHANGING_FLAGS and value:
            message = f"{key} adds outputs a graph cannot draw yet"
            level.findings.error(nid, "unsupported", message, where)


def _check_shared(level: Level, node: Node) -> None:
    f = level.findings
    nid = level.nid(node.id)
    owner = level.index.by_id.get(node.shared_with or "")
    if owner is None:
        f.error(
            nid, "unknown_node", f"shared_with names no node: {node.shared_with!r}", "shared_with"
        )
    elif owner.id == node.id or owner.shared_with:
        f.error(
            nid,
            "bad_shared",
            "shared_with must name the node that owns the layer (a node that is not itself shared)",
            "shared_with",
        )
    elif owner.type in ("Input", "Output"):
        f.error(nid, "bad_shared", f"{owner.type} nodes cannot be shared", "shared_with")
    elif owner.type != node.type:
        f.error(
            nid,
            "bad_shared",
            f"shared_with names a {owner.type} node but this node is a {node.type}",
            "shared_with",
        )
    elif node.params or node.inner:
        f.warn(
            nid,
            "shared_params_ignored",
            "A shared call site uses the owner's parameters; its own are ignored",
        )
