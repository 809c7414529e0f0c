"""Graph -> a real keras.Sequential or Functional keras.Model.

`build_model` checks the graph first (structure and parameters) and raises GraphError
naming node and parameter; `assemble` builds an already-checked graph level, resolving
`Model` uses through a `SubgraphScope` (validation passes one that caches models)."""

from __future__ import annotations

from typing import Any

import keras

from layerforge.graph.build.layers import call_layer, make_layer, name_op
from layerforge.graph.checks.static import static_problems
from layerforge.graph.limits import DEFAULT_LIMITS, GraphLimits
from layerforge.graph.ports import output_ports
from layerforge.graph.problems import GraphError, Problem, call_error_code, clean_message
from layerforge.graph.schema import Graph, Node
from layerforge.graph.topology import (
    GraphIndex,
    choose_model_type,
    input_name,
    layer_names,
    model_name,
    output_name,
    sequential_chain,
    topological_order,
)


def make_input(node: Node) -> keras.KerasTensor:
    params = node.params
    shape = params.get("shape")
    return keras.Input(
        shape=tuple(shape) if shape is not None else (None,),
        batch_size=params.get("batch_size"),
        dtype=params.get("dtype") or "float32",
        sparse=bool(params.get("sparse", False)),
        name=input_name(node),
    )


class SubgraphScope:
    """Resolves `Model` uses to one keras.Model per sub-graph definition.

    Keys are looked up in the graph's own `subgraphs`, then its parents'. One
    definition builds once, so two uses share weights."""

    def __init__(self, chain: list[Graph], built: dict[int, keras.Model] | None = None):
        self.chain = chain
        self.built = built if built is not None else {}

    def lookup(self, key: str) -> Graph | None:
        for graph in reversed(self.chain):
            if key in graph.subgraphs:
                return graph.subgraphs[key]
        return None

    def definition(self, key: str) -> Graph:
        sub = self.lookup(key)
        if sub is None:
            raise GraphError(
                [
                    Problem(
                        code="unknown_subgraph",
                        message=f"Sub-graph {key!r} is not defined",
                    )
                ]
            )
        return sub

    def model(self, key: str) -> keras.Model:
        sub = self.definition(key)
        if id(sub) not in self.built:
            child = SubgraphScope([*self.chain, sub], self.built)
            self.built[id(sub)] = assemble(sub, child, name=key)
        return self.built[id(sub)]


def _node_problem(node: Node, exc: Exception, code: str | None = None) -> GraphError:
    if isinstance(exc, GraphError):
        for p in exc.problems:
            p.node = p.node or node.id
        return exc
    return GraphError(
        [
            Problem(
                node=node.id,
                code=code or call_error_code(exc),
                message=clean_message(exc, f"{node.name or node.id} ({node.type})"),
            )
        ]
    )


def assemble(graph: Graph, scope: SubgraphScope, name: str | None = None) -> keras.Model:
    """The keras.Model of one checked graph level (Sequential when it is one chain)."""
    index = GraphIndex.of(graph)
    _order, cyclic = topological_order(index)
    if cyclic:
        raise GraphError([Problem(node=min(cyclic), code="cycle", message="The graph has a cycle")])
    names = layer_names(index)
    chain = sequential_chain(index) if choose_model_type(index) == "sequential" else None
    if chain is not None and _single_port_chain(index, chain, scope):
        try:
            model = _build_sequential(index, chain, names, scope, name)
        except GraphError:
            raise
        except Exception as exc:
            # Keras refused the stack: the functional pass names the node at fault
            _build_functional(index, names, scope, name)
            raise GraphError([Problem(code="build_failed", message=clean_message(exc))]) from exc
    else:
        model = _build_functional(index, names, scope, name)
    wanted = [output_name(n) for n in index.outputs()]
    if list(getattr(model, "output_names", [])) != wanted:
        model.output_names = wanted
    return model


def _build_sequential(
    index: GraphIndex,
    chain: list[str],
    names: dict[str, str | None],
    scope: SubgraphScope,
    name: str | None,
) -> keras.Sequential:
    """keras.Sequential([Input, layer, ...]): each layer is called once, as by hand."""
    layers = []
    for nid in chain[1:-1]:
        node = index.by_id[nid]
        try:
            layer = make_layer(node, names.get(nid), scope.model)
            if layer is None:
                raise ValueError(f"{node.type} cannot be part of a Sequential model")
            layers.append(layer)
        except Exception as exc:
            raise _node_problem(node, exc, "bad_param") from exc
    return keras.Sequential([make_input(index.by_id[chain[0]]), *layers], name=name)


def _build_functional(
    index: GraphIndex,
    names: dict[str, str | None],
    scope: SubgraphScope,
    name: str | None,
) -> keras.Model:
    """Call each layer on symbolic tensors in topological order, then keras.Model."""
    order, _ = topological_order(index)
    layers: dict[str, keras.layers.Layer | None] = {}
    tensors: dict[str, list[Any]] = {}
    for nid in order:
        node = index.by_id[nid]
        if node.type == "Input":
            tensors[nid] = [make_input(node)]
            continue
        ports = index.in_edges[nid]
        args = [None] * (max(ports, default=-1) + 1)
        for port, edges in ports.items():
            args[port] = tensors[edges[0].source][edges[0].source_port]
        if node.type == "Output":
            tensors[nid] = args
            continue
        owner = node.shared_with or nid
        try:
            if owner not in layers:
                layers[owner] = make_layer(index.by_id[owner], names.get(owner), scope.model)
        except Exception as exc:
            raise _node_problem(index.by_id[owner], exc, "bad_param") from exc
        try:
            tensors[nid] = call_layer(layers[owner], index.by_id[owner], args, node.call_params)
            if node.type == "Op":
                name_op(tensors[nid][0], names.get(nid), args)
        except Exception as exc:
            raise _node_problem(node, exc) from exc
    inputs = [tensors[n.id][0] for n in index.inputs()]
    outputs = [tensors[n.id][0] for n in index.outputs()]
    return keras.Model(
        inputs=inputs[0] if len(inputs) == 1 else inputs,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name=name,
    )


def _single_port_chain(index: GraphIndex, chain: list[str], scope: SubgraphScope) -> bool:
    return all(output_ports(index.by_id[nid], scope.lookup) == 1 for nid in chain[1:-1])


def build_model(graph: Graph, limits: GraphLimits = DEFAULT_LIMITS) -> keras.Model:
    """Build the Keras model a graph describes; raises GraphError naming node and param."""
    errors = static_problems(graph, limits)
    if errors:
        raise GraphError(errors)
    return assemble(graph, SubgraphScope([graph]), name=model_name(graph))
