"""Graph -> a real keras.Sequential or Functional keras.Model, its summary, and the
compile() arguments its Output nodes carry."""

from __future__ import annotations

from typing import Any

import keras

from layerforge.graph.errors import GraphError, Problem
from layerforge.graph.keras_errors import call_error_code, clean_message
from layerforge.graph.layers import call_layer, make_layer, output_ports
from layerforge.graph.schema import Graph, InnerLayer, Node
from layerforge.graph.structure import (
    GraphIndex,
    choose_model_type,
    input_name,
    layer_names,
    output_name,
    reaching,
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

    def __init__(self, chain: list[Graph], built: dict[int, keras.Model]):
        self.chain = chain
        self.built = built

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
            self.built[id(sub)] = _build(sub, child, name=key)
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
                message=clean_message(exc),
            )
        ]
    )


def _build(graph: Graph, scope: SubgraphScope, name: str | None = None) -> keras.Model:
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
            layers.append(make_layer(node, names.get(nid), scope.model))
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
    layers: dict[str, keras.layers.Layer] = {}
    tensors: dict[str, list[Any]] = {}
    for nid in order:
        node = index.by_id[nid]
        if node.type == "Input":
            tensors[nid] = [make_input(node)]
            continue
        args = []
        for port in sorted(index.in_edges[nid]):
            edge = index.in_edges[nid][port][0]
            args.append(tensors[edge.source][edge.source_port])
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
            tensors[nid] = call_layer(layers[owner], node.type, args)
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


def _check(graph: Graph) -> None:
    from layerforge.graph.checks import static_problems

    errors = [p for p in static_problems(graph) if p.code not in _WARNING_CODES]
    if errors:
        raise GraphError(errors)


_WARNING_CODES: frozenset[str] = frozenset()


def build_model(graph: Graph) -> keras.Model:
    """Build the Keras model a graph describes; raises GraphError naming node and param."""
    _check(graph)
    if graph.model_type == "sequential" and sequential_chain(GraphIndex.of(graph)) is None:
        raise GraphError(
            [
                Problem(
                    code="not_sequential",
                    message="model_type is 'sequential' but the graph is not one chain "
                    "from one Input to one Output with nothing shared",
                )
            ]
        )
    return _build(graph, SubgraphScope([graph], {}))


def compile_spec(graph: Graph) -> dict[str, dict[str, Any]]:
    """compile() arguments from the Output nodes, keyed by output name."""
    spec: dict[str, dict[str, Any]] = {"loss": {}, "loss_weights": {}, "metrics": {}}
    for node in graph.nodes:
        if node.type != "Output":
            continue
        name = output_name(node)
        params = node.params
        loss = params.get("loss")
        if loss:
            spec["loss"][name] = _loss(loss, bool(params.get("from_logits", False)))
        spec["loss_weights"][name] = float(params.get("loss_weight", 1.0))
        spec["metrics"][name] = list(params.get("metrics") or [])
    return spec


def _loss(name: str, from_logits: bool) -> Any:
    """A loss name, or a Loss instance when `from_logits` asks for one."""
    if not from_logits:
        return name
    wanted = name.replace("_", "").lower()
    for attr in dir(keras.losses):
        obj = getattr(keras.losses, attr)
        if isinstance(obj, type) and issubclass(obj, keras.losses.Loss) and attr.lower() == wanted:
            return obj(from_logits=True)
    return name


def model_summary(graph: Graph) -> dict[str, Any]:
    """Like `model.summary()`: one row per layer call (shared layers once per call
    site), with output shapes, parameters and inbound connections; the body of
    `POST /api/models/build`. Raises GraphError for an invalid graph."""
    from layerforge.graph.validate import validate_graph

    report = validate_graph(graph)
    if not report["valid"]:
        raise GraphError([Problem(**p) for p in report["errors"]])
    index = GraphIndex.of(graph)
    names = layer_names(index)
    order, _ = topological_order(index)
    used = reaching(index, [o.id for o in index.outputs()])
    calls: dict[str, int] = {}
    rows = []
    trainable = non_trainable = 0
    for nid in order:
        node = index.by_id[nid]
        if node.type == "Output" or nid not in used:
            continue
        info = report["nodes"][nid]
        owner = node.shared_with or nid
        calls[owner] = calls.get(owner, -1) + 1
        trainable += info["trainable_params"]
        non_trainable += info["non_trainable_params"]
        rows.append(
            {
                "node": nid,
                "name": names.get(owner),
                "type": _type_label(node if not node.shared_with else index.by_id[owner]),
                "output_shapes": info["output_shapes"],
                "params": info["params"],
                "trainable_params": info["trainable_params"],
                "shared_with": node.shared_with,
                "call_index": calls[owner],
                "weights_shared_with": info.get("weights_shared_with"),
                "inbound": [
                    {"node": e.source, "port": e.source_port, "target_port": port}
                    for port in sorted(index.in_edges[nid])
                    for e in index.in_edges[nid][port]
                ],
            }
        )
    return {
        "model_type": report["model_type"],
        "total_params": report["total_params"],
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
        "layers": rows,
        "outputs": [
            {
                "node": o.id,
                "name": output_name(o),
                "output_shapes": report["nodes"][o.id]["output_shapes"],
            }
            for o in index.outputs()
        ],
        "warnings": report["warnings"],
    }


def _type_label(layer: Node | InnerLayer) -> str:
    """`Dense`, `Model(encoder)`, `TimeDistributed(Model(vision))`."""
    if layer.type == "Model":
        return f"Model({layer.params.get('subgraph')})"
    if layer.inner is not None:
        return f"{layer.type}({_type_label(layer.inner)})"
    return layer.type
