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

import functools
import inspect
import itertools
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import keras

from layerforge.graph.build.layers import layer_class
from layerforge.graph.catalogue.kinds import KINDS, keras_kind
from layerforge.graph.checks.params import check_params
from layerforge.graph.convert.calls import PortTensor, is_op, layer_call, op_call
from layerforge.graph.convert.layout import auto_layout
from layerforge.graph.convert.masks import drop_implicit_masks
from layerforge.graph.limits import DEFAULT_LIMITS, GraphLimits
from layerforge.graph.problems import GraphError, Problem
from layerforge.graph.schema import Edge, Graph, InnerLayer, Node

MODEL_CLASSES = {"Functional", "Sequential", "Model"}
FUNCTIONAL = {"Functional", "Model"}
WRAPPERS = {k.type for k in KINDS.values() if k.wraps}
OBJECT_MODULES = {
    "keras.initializers": keras.initializers,
    "keras.regularizers": keras.regularizers,
    "keras.constraints": keras.constraints,
}
FAMILY_BY_SUFFIX = {
    "_initializer": keras.initializers,
    "_regularizer": keras.regularizers,
    "_constraint": keras.constraints,
}


def import_keras_json(text: str, limits: GraphLimits = DEFAULT_LIMITS) -> Graph:
    """A graph (with an automatic layout) from the text of `model.to_json()`."""
    if len(text.encode()) > limits.request_bytes:
        raise _error(None, "too_large", "the model JSON is larger than the request limit")
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise _error(None, "too_large", "the model JSON is nested too deeply") from exc
    except json.JSONDecodeError as exc:
        raise _error(None, "bad_json", f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    return import_keras_config(data, limits)


def import_keras_file(path: str | Path, limits: GraphLimits = DEFAULT_LIMITS) -> Graph:
    """A graph from a `.keras` file, read from its `config.json` without loading weights
    (so the file may be as large as its weights make it, up to `keras_file_bytes`)."""
    path = Path(path)
    if path.stat().st_size > limits.keras_file_bytes:
        raise _error(None, "too_large", f"{path.name} is larger than the .keras file limit")
    try:
        with zipfile.ZipFile(path) as archive, archive.open("config.json") as member:
            # read one byte past the cap rather than trust the declared size
            raw = member.read(limits.request_bytes + 1)
        if len(raw) > limits.request_bytes:
            raise _error(None, "too_large", "config.json is larger than the request limit")
        text = raw.decode()
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise _error(
            None,
            "bad_file",
            f"{path.name} is not a .keras file (a zip with config.json)",
        ) from exc
    return import_keras_json(text, limits)


def import_keras_config(data: Any, limits: GraphLimits = DEFAULT_LIMITS) -> Graph:
    """A graph from a parsed model config (`{"class_name", "config", ...}`)."""
    if not isinstance(data, dict) or str(data.get("class_name")) not in MODEL_CLASSES:
        raise _error(None, "bad_model", "expected a Sequential or Functional model config")
    importer = _Importer(limits.nesting_depth)
    try:
        graph = importer.model(data)
        graph = graph.model_copy(update={"subgraphs": importer.subgraphs})
        _apply_compile_config(graph, data.get("compile_config") or {})
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
        raise _error(None, "bad_model", f"malformed model config ({detail})") from exc
    return auto_layout(graph)


def _error(node: str | None, code: str, message: str, param: str | None = None) -> GraphError:
    return GraphError([Problem(node=node, param=param, code=code, message=message)])


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
            raise _error(
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
                raise _error(
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
            raise _error(
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
                raise _error(name, "bad_model", f"model output refers to unknown layer {name!r}")
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
        params = _layer_params(layer, name, skip={"layer", "backward_layer"} if inner else set())
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
            raise _error(
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
            params=_layer_params(wrapped, name, skip=set()),
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
        raise _error(
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
            raise _error(
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


# --- parameters -------------------------------------------------------------------

DROPPED_KEYS = {"name", "trainable"}


def _layer_params(layer: dict[str, Any], name: str, skip: set[str]) -> dict[str, Any]:
    """The layer's config minus name, trainable and every value equal to its default."""
    _check_allowed(layer, name)
    config = {k: v for k, v in (layer.get("config") or {}).items() if k not in DROPPED_KEYS | skip}
    params = {}
    for key, value in _minimal_config(layer["class_name"], config).items():
        try:
            value = _simplify(value, name, key)
        except GraphError:
            raise
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise _error(
                name,
                "bad_model",
                f"{name}: {layer['class_name']}.{key} cannot be read ({type(exc).__name__}: "
                f"{str(exc)[:200]})",
                key,
            ) from exc
        if not (key == "dtype" and value == "float32"):
            params[key] = value
    # refuse here what the build would refuse (a layer object as an initializer, a
    # serialized Python function as an activation), naming the layer and the field
    problems = check_params(name, str(layer["class_name"]), params)
    if problems:
        raise GraphError(problems)
    return params


def _check_allowed(layer: dict[str, Any], name: str) -> None:
    """Keras's own classes only: a public layer from keras.layers, an internal one
    (ConvNeXt's LayerScale) from exactly the Keras module its `LayerKind` names."""
    class_name = str(layer.get("class_name"))
    module = layer.get("module") or "keras.layers"
    found = keras_kind(class_name)
    public = module in ("keras", "keras.layers") or module.startswith("keras.src.layers")
    if found is None or (module != found.module if found.module != "keras.layers" else not public):
        where = f" from {module!r}" if found is not None or not module.startswith("keras") else ""
        code = "refused_type"
        if not module.startswith("keras.") and module != "keras":
            raise _error(name, code, f"{name}: custom class {class_name!r}{where} is refused")
        raise _error(name, code, f"{name}: layer type {class_name!r}{where} is not allowed")


def _minimal_config(class_name: str, config: dict[str, Any]) -> dict[str, Any]:
    """`config` without the entries a layer built from the rest would get anyway.

    Defaults come from an instance built with only the required arguments; as some
    defaults follow other arguments (MaxPooling2D's strides follow pool_size), the
    layer is rebuilt from what is left and anything that comes out different is
    kept after all. Classes that cannot be built that way keep their whole config."""
    cls = layer_class(class_name)
    if cls is None:
        return config
    required = {
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.default is inspect.Parameter.empty
        and p.name != "self"
        and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }
    defaults = _config_of(cls, {k: config[k] for k in required if k in config})
    if defaults is None:
        return config
    kept = {
        k: v
        for k, v in config.items()
        if k in required or k not in defaults or not _same(k, defaults[k], v)
    }
    rebuilt = _config_of(cls, kept)
    if rebuilt is None:
        return config
    return {
        k: v
        for k, v in config.items()
        if k in kept or k not in rebuilt or not _same(k, rebuilt[k], v)
    }


def _same(key: str, a: Any, b: Any) -> bool:
    """Equal values, or serialized Keras objects that mean the same (an older
    `{"class_name": "GlorotUniform", "config": {"seed": null}}` and today's)."""
    if a == b:
        return True
    if not (isinstance(a, dict) and isinstance(b, dict) and "class_name" in a):
        return False
    try:
        return bool(_simplify(a, "", key) == _simplify(b, "", key))
    except GraphError:
        return False


@functools.lru_cache(maxsize=4096)
def _cached_config(cls: type, args_json: str) -> str | None:
    try:
        # through JSON, as the imported config went: tuples become lists
        return json.dumps(cls(**json.loads(args_json)).get_config())
    except Exception:  # noqa: BLE001 - Keras raises many kinds for arguments it refuses
        return None


def _config_of(cls: type, args: dict[str, Any]) -> dict[str, Any] | None:
    """The config of `cls(**args)`, or None when it cannot be built from them."""
    text = _cached_config(cls, json.dumps(args, sort_keys=True))
    return None if text is None else json.loads(text)


def _simplify(value: Any, name: str, key: str) -> Any:
    """Keras objects in their shortest form; refuses objects from outside Keras."""
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        module = value.get("module") or ""
        if value["class_name"] == "DTypePolicy":
            return value["config"]["name"]
        family = OBJECT_MODULES.get(module) or (None if module else _family_of(key))
        if family is not None:
            return _object_name(family, value)
        if module and not module.startswith("keras"):
            raise _error(
                name, "refused_type", f"{name}: parameter {key!r} holds a custom object", key
            )
        if value["class_name"] in ("__numpy__", "__tensor__"):
            return value["config"]["value"]  # an array argument (Constant's value)
        return {"class_name": value["class_name"], "config": _plain_config(value, name, key)}
    if isinstance(value, list):
        return [_simplify(v, name, key) for v in value]
    return value


def _plain_config(value: dict[str, Any], name: str, key: str) -> Any:
    """An object's config with arrays as lists and Keras's bookkeeping keys dropped."""
    config = value["config"]
    if not isinstance(config, dict):
        return config
    return {k: _simplify(v, name, key) for k, v in config.items() if k != "shared_object_id"}


def _family_of(key: str) -> Any:
    """Older Keras JSON names no module: `kernel_initializer` says it is an initializer."""
    for suffix, family in FAMILY_BY_SUFFIX.items():
        if key.endswith(suffix):
            return family
    return None


def _object_name(family: Any, value: dict[str, Any]) -> Any:
    """'he_normal' for a default-configured HeNormal, else {class_name, config}."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", value["class_name"]).lower()
    plain = {"class_name": value["class_name"], "config": _plain_config(value, "", "")}
    try:
        candidate = family.get(snake)  # (Constant has no default: KeyError)
        given = family.deserialize(plain)
    except (ValueError, TypeError, KeyError):
        return plain
    same_class = type(candidate) is type(given)
    if same_class and candidate.get_config() == given.get_config():
        return snake
    return plain


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


# --- compile config ------------------------------------------------------------------


def _apply_compile_config(graph: Graph, compile_config: dict[str, Any]) -> None:
    """Loss, loss weight and metrics per Output node, from a `.keras` compile config."""
    outputs = [n for n in graph.nodes if n.type == "Output"]
    names = [n.name or n.id for n in outputs]
    for field, param in (
        ("loss", "loss"),
        ("loss_weights", "loss_weight"),
        ("metrics", "metrics"),
    ):
        per_output = _per_output(compile_config.get(field), names, is_list=field == "metrics")
        for node, value in zip(outputs, per_output, strict=False):
            if value is not None:
                node.params[param] = _compile_value(value)
            if field == "loss" and _from_logits(value):
                node.params["from_logits"] = True


def _per_output(value: Any, names: list[str], is_list: bool) -> list[Any]:
    """Keras's forms: a dict by output name, a list with one entry per output, or one
    value for every output (for metrics, one list for every output)."""
    if isinstance(value, dict) and "class_name" not in value:
        return [value.get(n) for n in names]
    per_output = isinstance(value, list) and len(value) == len(names)
    if per_output and (not is_list or all(isinstance(v, list) for v in value)):
        return list(value)
    return [value] * len(names)


def _from_logits(loss: Any) -> bool:
    """Whether a serialized Loss object was made with `from_logits=True`."""
    config = loss.get("config") if isinstance(loss, dict) else None
    return isinstance(config, dict) and config.get("from_logits") is True


def _compile_value(value: Any) -> Any:
    """A loss or metric by its Keras name where the config spells out an object."""
    if isinstance(value, list):
        return [_compile_value(v) for v in value]
    if isinstance(value, dict) and "config" in value:
        config = value["config"]
        return config.get("name", value.get("class_name")) if isinstance(config, dict) else config
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
