"""Keras model JSON (`model.to_json()`) or a `.keras` file -> a Graph.

Sequential and Functional models map onto the graph contract (see `schema.py`):
- each `InputLayer` becomes an `Input` node (shape, dtype, fixed batch size);
- each call of a layer (Keras's inbound node) becomes a node: the first call owns the
  layer, later calls are nodes with `shared_with` pointing at it, in node_index order;
- a tensor's `keras_history` (layer, node_index, tensor_index) becomes an edge whose
  source port is the tensor index (an LSTM with `return_state` has ports 0, 1, 2);
- nested models become one entry of `subgraphs` (however often they are used) and a
  `Model` node per call; wrappers keep the wrapped layer in `inner`;
- the model outputs become `Output` nodes named after the model's output names, with
  loss, loss weight and metrics from the compile config when the source has one.

Parameters keep only what differs from the layer's defaults, with Keras objects in
their shortest form ("glorot_uniform" rather than its serialized dict). The JSON is
data: nothing in it is imported or run, and classes outside the catalogue (Lambda,
custom objects, raw ops) are refused naming the layer.
"""

from __future__ import annotations

import itertools
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from layerforge.graph.catalogue.kinds import KINDS
from layerforge.graph.convert.compile_config import apply_compile_config
from layerforge.graph.convert.inbound_calls import PortTensor, error, is_op, layer_call, op_call
from layerforge.graph.convert.masks import drop_implicit_masks
from layerforge.graph.convert.minimal_config import layer_params
from layerforge.graph.limits import DEFAULT_LIMITS, GraphLimits
from layerforge.graph.problems import GraphError
from layerforge.graph.schema import Edge, Graph, InnerLayer, Node

MODEL_CLASSES = {"Functional", "Sequential", "Model"}
FUNCTIONAL = {"Functional", "Model"}
WRAPPERS = {k.type for k in KINDS.values() if k.wraps}


def import_keras_json(text: str, limits: GraphLimits = DEFAULT_LIMITS) -> Graph:
    """A graph from the text of `model.to_json()` (without positions: the editor lays it out)."""
    if len(text.encode()) > limits.request_bytes:
        raise error(None, "too_large", "the model JSON is larger than the request limit")
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise error(None, "too_large", "the model JSON is nested too deeply") from exc
    except json.JSONDecodeError as exc:
        raise error(None, "bad_json", f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    return import_keras_config(data, limits)


def import_keras_file(path: str | Path, limits: GraphLimits = DEFAULT_LIMITS) -> Graph:
    """A graph from a `.keras` file, read from its `config.json` without loading weights
    (so the file may be as large as its weights make it, up to `keras_file_bytes`)."""
    path = Path(path)
    if path.stat().st_size > limits.keras_file_bytes:
        raise error(None, "too_large", f"{path.name} is larger than the .keras file limit")
    try:
        with zipfile.ZipFile(path) as archive, archive.open("config.json") as member:
            # read one byte past the cap rather than trust the declared size
            raw = member.read(limits.request_bytes + 1)
        if len(raw) > limits.request_bytes:
            raise error(None, "too_large", "config.json is larger than the request limit")
        text = raw.decode()
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise error(
            None,
            "bad_file",
            f"{path.name} is not a .keras file (a zip with config.json)",
        ) from exc
    return import_keras_json(text, limits)


def import_keras_config(data: Any, limits: GraphLimits = DEFAULT_LIMITS) -> Graph:
    """A graph from a parsed model config (`{"class_name", "config", ...}`)."""
    if not isinstance(data, dict) or str(data.get("class_name")) not in MODEL_CLASSES:
        raise error(None, "bad_model", "expected a Sequential or Functional model config")
    importer = _Importer(limits.nesting_depth)
    try:
        graph = importer.model(data)
        graph = graph.model_copy(update={"subgraphs": importer.subgraphs})
        apply_compile_config(graph, data.get("compile_config") or {})
    except GraphError:
        raise
    except (
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        AttributeError,
        RecursionError,
    ) as exc:
        # a config Keras never wrote: say which part is malformed, never crash
        detail = f"{type(exc).__name__}: {exc}"[:300]
        raise error(None, "bad_model", f"malformed model config ({detail})") from exc
    return graph


class _Importer:
    """Converts one top-level model; collects every nested model into `subgraphs`."""

    def __init__(self, max_depth: int) -> None:
        self.subgraphs: dict[str, Graph] = {}
        self._subgraph_keys: dict[str, str] = {}
        self._max_depth = max_depth
        self._depth = 0

    def model(self, data: dict[str, Any]) -> Graph:
        config = data.get("config") or {}
        if "layers" not in config:
            raise error(
                config.get("name"),
                "bad_model",
                f"model {config.get('name')!r} has no layer list (a subclassed model cannot be "
                "imported; use the Functional or Sequential API)",
            )
        if data["class_name"] == "Sequential":
            return self._sequential(config)
        return self._functional(config)

    def subgraph_key(self, data: dict[str, Any]) -> str:
        """The `subgraphs` key for a nested model; one entry per distinct model."""
        fingerprint = json.dumps(data, sort_keys=True)
        if fingerprint not in self._subgraph_keys:
            key = _unique(_sanitize(data["config"].get("name") or "model"), self.subgraphs)
            if self._depth >= self._max_depth:
                raise error(
                    key,
                    "too_large",
                    f"{key}: models nested deeper than {self._max_depth}",
                )
            self.subgraphs[key] = Graph()  # reserve the key before nested models
            self._depth += 1
            self.subgraphs[key] = self.model(data)
            self._depth -= 1
            self._subgraph_keys[fingerprint] = key
        return self._subgraph_keys[fingerprint]

    def _sequential(self, config: dict[str, Any]) -> Graph:
        layers = list(config["layers"])
        nodes: list[Node] = []
        if layers and layers[0]["class_name"] == "InputLayer":
            first = layers.pop(0)
            nodes.append(_input_node(first["config"], first["config"].get("name") or "input"))
        elif config.get("build_input_shape"):
            nodes.append(_input_node({"batch_shape": config["build_input_shape"]}, "input"))
        else:
            raise error(
                config.get("name"),
                "missing_input",
                f"Sequential model {config.get('name')!r} has no input shape: start it with "
                "keras.Input(...) or build it before export",
            )
        taken = {nodes[0].id}
        for layer in layers:
            name = layer["config"].get("name") or layer["class_name"].lower()
            nodes.append(self._layer_node(layer, _unique(_sanitize(name), taken), name))
            taken.add(nodes[-1].id)
        last = nodes[-1]
        out = Node(
            id=_unique(f"{last.id}_out", taken),
            type="Output",
            name=last.name or last.id,
        )
        nodes.append(out)
        edges = [Edge(source=a.id, target=b.id) for a, b in itertools.pairwise(nodes)]
        return Graph(name=config.get("name"), nodes=nodes, edges=edges)

    def _functional(self, config: dict[str, Any]) -> Graph:
        nodes: list[Node] = []
        taken: set[str] = set()
        call_ids: dict[tuple[str, int], str] = {}
        inbound: list[tuple[Node, list[PortTensor], dict[str, Any]]] = []
        calls: list[tuple[Node, Node, Any]] = []
        for layer in config["layers"]:
            name = layer.get("name") or layer["config"].get("name")
            owner = _unique(_sanitize(name), taken)
            taken.add(owner)
            if layer["class_name"] == "InputLayer":
                call_ids[(name, 0)] = owner
                nodes.append(_input_node(layer["config"], owner))
                continue
            if is_op(layer):
                op, ports = op_call(layer, owner)
                call_ids[(name, 0)] = owner
                nodes.append(op)
                inbound.append((op, ports, {}))
                continue
            for index, call in enumerate(layer.get("inbound_nodes") or []):
                node_id = owner if index == 0 else _unique(f"{owner}_call{index}", taken)
                taken.add(node_id)
                call_ids[(name, index)] = node_id
                if index == 0:
                    first = self._layer_node(layer, node_id, name)
                    nodes.append(first)
                elif first.type == "Model":  # another use of the same sub-graph
                    nodes.append(first.model_copy(update={"id": node_id}))
                else:
                    nodes.append(Node(id=node_id, type=first.type, shared_with=owner))
                calls.append((nodes[-1], first, call))
        # in input_layers/output_layers (and the older list form of inbound nodes)
        # a Functional layer counts its own built-in node first (Keras's get_config)
        functional = {
            layer.get("name") for layer in config["layers"] if layer["class_name"] in FUNCTIONAL
        }
        for node, first, call in calls:
            ports, flags = layer_call(first, _modern_call(call, functional))
            inbound.append((node, ports, flags))
        edges: list[Edge] = []
        for node, ports, flags in inbound:
            node.call_params.update(flags)
            edges += _edges(node.id, ports, call_ids)
        inputs = [call_ids.get((n, 0)) for n, _, _ in _history_list(config.get("input_layers"))]
        nodes = _inputs_in_order(nodes, inputs)
        for name, index, port in _history_list(config.get("output_layers")):
            source = call_ids.get((name, index - (name in functional)))
            if source is None:
                raise error(name, "bad_model", f"model output refers to unknown layer {name!r}")
            out_id = _unique(f"{source}_out", taken)
            taken.add(out_id)
            out_name = _unique(name, {n.name for n in nodes if n.type == "Output"})
            nodes.append(Node(id=out_id, type="Output", name=out_name))
            edges.append(Edge(source=source, source_port=port, target=out_id))
        graph = Graph(name=config.get("name"), model_type="functional", nodes=nodes, edges=edges)
        return drop_implicit_masks(graph)

    def _layer_node(self, layer: dict[str, Any], node_id: str, name: str) -> Node:
        config = layer.get("config") or {}
        if layer["class_name"] in MODEL_CLASSES:
            key = self.subgraph_key(layer)
            return Node(  # the model's Keras name is its sub-graph key
                id=node_id,
                type="Model",
                params={"subgraph": key},
                trainable=config.get("trainable", True),
            )
        inner = self._inner(layer, name)
        params = layer_params(layer, name, skip={"layer", "backward_layer"} if inner else set())
        return Node(
            id=node_id,
            type=layer["class_name"],
            name=name,
            params=params,
            inner=inner,
            trainable=config.get("trainable", True),
        )

    def _inner(self, layer: dict[str, Any], name: str) -> InnerLayer | None:
        if layer["class_name"] not in WRAPPERS:
            return None
        wrapped = layer["config"]["layer"]
        backward = layer["config"].get("backward_layer")
        if backward and not _is_mirror(wrapped, backward):
            raise error(
                name,
                "unsupported",
                f"{name}: a Bidirectional with its own backward layer",
            )
        if wrapped["class_name"] in MODEL_CLASSES:
            return InnerLayer(type="Model", params={"subgraph": self.subgraph_key(wrapped)})
        inner_name = wrapped["config"].get("name")
        if layer["class_name"] == "Bidirectional" and inner_name:
            inner_name = inner_name.removeprefix("forward_")  # Bidirectional adds it back
        return InnerLayer(
            type=wrapped["class_name"],
            name=inner_name,
            params=layer_params(wrapped, name, skip=set()),
            inner=self._inner(wrapped, name),
        )


def _input_node(config: dict[str, Any], node_id: str) -> Node:
    batch_shape = list(config.get("batch_shape") or config.get("batch_input_shape") or [None])
    params: dict[str, Any] = {"shape": batch_shape[1:]}
    if config.get("dtype", "float32") != "float32":
        params["dtype"] = _dtype_name(config["dtype"])
    if batch_shape[0] is not None:
        params["batch_size"] = batch_shape[0]
    if config.get("sparse") or config.get("ragged"):
        raise error(
            node_id,
            "unsupported",
            f"{node_id}: sparse and ragged inputs are not supported",
        )
    return Node(id=node_id, type="Input", name=config.get("name") or node_id, params=params)


def _inputs_in_order(nodes: list[Node], order: list[str | None]) -> list[Node]:
    """Input nodes re-ordered as the model lists its inputs (`input_layers`), in the
    places Input nodes already hold, so the built model takes them in that order."""
    slots = [i for i, n in enumerate(nodes) if n.type == "Input"]
    rank = {node_id: i for i, node_id in enumerate(order)}
    ordered = sorted((nodes[i] for i in slots), key=lambda n: rank.get(n.id, len(rank)))
    result = list(nodes)
    for slot, node in zip(slots, ordered, strict=True):
        result[slot] = node
    return result


def _modern_call(call: Any, functional: set[str]) -> dict[str, Any]:
    """A call in today's form; the legacy one is [[layer, node_index, tensor_index,
    kwargs], ...] (node indices count a Functional layer's own node first)."""
    if isinstance(call, list):
        items = [[i[0], i[1] - (i[0] in functional), i[2]] for i in call]
        return {"args": [_legacy_tensor(item) for item in items], "kwargs": {}}
    return dict(call)


def _edges(
    node_id: str, ports: list[PortTensor], call_ids: dict[tuple[str, int], str]
) -> list[Edge]:
    edges = []
    for port, (source_name, source_index, tensor_index) in ports:
        source = call_ids.get((source_name, source_index))
        if source is None:
            raise error(
                node_id,
                "bad_model",
                f"{node_id}: input from unknown layer {source_name!r}",
            )
        edges.append(
            Edge(source=source, source_port=tensor_index, target=node_id, target_port=port)
        )
    return edges


def _legacy_tensor(item: list[Any]) -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"keras_history": item[:3]}}


def _history_list(value: Any) -> list[tuple[str, int, int]]:
    """`input_layers`/`output_layers`: one [name, node, tensor] triple or a list of them."""
    if not value:
        return []
    if isinstance(value[0], str):
        value = [value]
    return [(v[0], int(v[1]), int(v[2])) for v in value]


def _dtype_name(dtype: Any) -> str:
    return dtype["config"]["name"] if isinstance(dtype, dict) else str(dtype)


def _is_mirror(forward: dict[str, Any], backward: dict[str, Any]) -> bool:
    """Whether `backward` is the copy Bidirectional makes of `forward` by itself (a
    `.keras` file always writes it, with its own `shared_object_id`s)."""
    strip = {"name", "go_backwards"}
    f = {k: _without_ids(v) for k, v in forward["config"].items() if k not in strip}
    b = {k: _without_ids(v) for k, v in backward["config"].items() if k not in strip}
    return forward["class_name"] == backward["class_name"] and f == b


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def _sanitize(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.:-]", "_", name)[:120]
    return cleaned or "layer"


def _unique(base: str, taken: Any) -> str:
    if base not in taken:
        return base
    i = 1
    while f"{base}_{i}" in taken:
        i += 1
    return f"{base}_{i}"
