"""Graph -> Python source in the style of the Keras guides.

Sequential graphs become `keras.Sequential([...])`; everything else the Functional
API: one variable per tensor, a shared layer as one variable called at each call
site, each sub-graph as a `build_<name>()` function whose model is built once and
then called like a layer. `compile()` comes from the Output nodes (`compile_spec`).
The code builds the same model as `build_model(graph)`: same layers, names and
parameter count. The code is written plainly, one statement a line, then laid out
by black (as a library) at the guides' line length of 88.
"""

from __future__ import annotations

import builtins
import inspect
import json
import keyword
import math
import re
from typing import Any

import black

from layerforge.graph.build.compile_args import compile_spec
from layerforge.graph.build.layers import layer_class
from layerforge.graph.catalogue.keras_ops import LIST_ARGUMENTS, TENSOR_ARGUMENTS, op_ports
from layerforge.graph.catalogue.kinds import LIST, QKV, keras_kind
from layerforge.graph.ports import argument_ports, output_ports, positional_port_names
from layerforge.graph.schema import Edge, Graph, InnerLayer, Node
from layerforge.graph.topology import (
    GraphIndex,
    choose_model_type,
    input_name,
    layer_names,
    model_name,
    output_name,
    sequential_chain,
    subgraph_uses,
    topological_order,
)


def to_python(graph: Graph, optimizer: tuple[str, dict[str, Any]] | None = None) -> str:
    """Python source that builds and compiles the model `graph` describes; `optimizer`
    (a `keras.optimizers` class and its arguments) replaces the default "adam"."""
    writer = _Writer(graph)
    defs, builds = writer.subgraph_blocks()
    body = writer.model_lines(graph, "model", model_name(graph)) + writer.compile_lines(
        graph, optimizer
    )
    lines = ["import keras", "from keras import layers"]
    # Keras's internal layers (ConvNeXt's LayerScale) from their own modules
    lines += [f"from {module} import {name}" for module, name in sorted(writer.internal)]
    if writer.names_ops:
        defs.insert(0, NAME_OP_DEF)
    for block in defs:  # black: two blank lines around top-level functions
        lines += ["", "", *block]
    lines += ["", ""] if defs else [""]
    if builds:
        lines += [*builds, ""]
    lines += body
    return black.format_str("\n".join(lines) + "\n", mode=_BLACK)


NAME_OP = "named_op"
NAME_OP_DEF = [
    f"def {NAME_OP}(tensor, name):",
    '    """Name the keras.ops operation that made `tensor`, as layers take `name=`."""',
    "    tensor._keras_history.operation.name = name",
    "    return tensor",
]
"""keras.ops functions take no name: without it, `x + y` called again is `add_34`."""

LINE_LENGTH = 88
_BLACK = black.Mode(line_length=LINE_LENGTH)
Expr = str
"""A Python expression's source text."""


def call(func: str, args: list[Expr], kwargs: dict[str, Expr] | None = None) -> Expr:
    """`func(a, b, key=value)`."""
    items = [*args, *(f"{k}={v}" for k, v in (kwargs or {}).items())]
    return f"{func}({', '.join(items)})"


def bracket_list(items: list[Expr]) -> Expr:
    return f"[{', '.join(items)}]"


def bracket_dict(values: dict[str, Expr]) -> Expr:
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in values.items()) + "}"


def literal(value: Any) -> Expr:
    """A Python literal for a JSON-like value; lists of ints (shapes) become tuples."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, float):
        return f'float("{value}")' if math.isinf(value) or math.isnan(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return bracket_dict({str(k): literal(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        if value and all(
            v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value
        ):
            items = [literal(v) for v in value]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        return bracket_list([literal(v) for v in value])
    raise TypeError(f"no Python literal for {type(value).__name__}")


def statement(prefix: str, expr: Expr, indent: int = 0) -> list[str]:
    """One line: `prefix + expr` at `indent` levels (black splits it later)."""
    return ["    " * indent + prefix + expr]


class _Writer:
    def __init__(self, root: Graph):
        self.root = root
        self.definitions = _definitions(root)
        self.model_vars: dict[str, str] = {}
        self.reserved: set[str] = {"keras", "layers", "model", NAME_OP}
        self.names_ops = False
        """Whether an Op node was written (the code then defines `NAME_OP`)."""
        self.internal: set[tuple[str, str]] = set()
        """(module, class) of Keras's internal layers used (ConvNeXt's LayerScale)."""
        for key in self.definitions:
            self.model_vars[key] = self._fresh(_identifier(key))

    # --- sub-graphs ------------------------------------------------------------------

    def subgraph_blocks(self) -> tuple[list[list[str]], list[str]]:
        """One `def build_<key>()` per sub-graph, and the calls building each once
        (a definition before the sub-graphs that use it)."""
        defs: list[list[str]] = []
        builds: list[str] = []
        done: set[str] = set()

        def visit(key: str) -> None:
            if key in done:
                return
            done.add(key)
            sub = self.definitions[key]
            for used in subgraph_uses(sub):
                if used in self.definitions:
                    visit(used)
            func = f"build_{self.model_vars[key]}"
            lines = self.model_lines(sub, "model", key, indent=1)
            defs.append([f"def {func}():", *lines, "    return model"])
            builds.append(f"{self.model_vars[key]} = {func}()")

        for key in self.definitions:
            visit(key)
        return defs, builds

    # --- one model -------------------------------------------------------------------

    def model_lines(
        self, graph: Graph, target: str, name: str | None, indent: int = 0
    ) -> list[str]:
        index = GraphIndex.of(graph)
        names = layer_names(index)
        order, _ = topological_order(index)
        seq = sequential_chain(index) if choose_model_type(index) == "sequential" else None
        if seq is not None and all(
            output_ports(index.by_id[n], self._lookup) == 1 for n in seq[1:-1]
        ):
            return self._sequential(index, seq, names, target, name, indent)
        return self._functional(index, order, names, target, name, indent)

    def _sequential(
        self,
        index: GraphIndex,
        seq: list[str],
        names: dict[str, str | None],
        target: str,
        name: str | None,
        indent: int,
    ) -> list[str]:
        items: list[Expr] = [self._input(index.by_id[seq[0]])]
        items += [self._layer(index.by_id[n], names.get(n)) for n in seq[1:-1]]
        kwargs = {"name": literal(name)} if name else {}
        lines = statement(
            f"{target} = ",
            call("keras.Sequential", [bracket_list(items)], kwargs),
            indent,
        )
        return (
            lines
            + self._trainable_lines(index, seq, indent)
            + self._output_names(index, names, target, indent)
        )

    def _functional(
        self,
        index: GraphIndex,
        order: list[str],
        names: dict[str, str | None],
        target: str,
        name: str | None,
        indent: int,
    ) -> list[str]:
        taken = set(self.reserved) | {target}
        tensor_vars: dict[str, str] = {}
        for node in index.graph.nodes:
            tensor_vars[node.id] = _fresh_in(_identifier(node.name or node.id), taken)
        owners = {n.shared_with for n in index.graph.nodes if n.shared_with}
        layer_vars = {o: _fresh_in(f"{tensor_vars[o]}_layer", taken) for o in owners}
        lines: list[str] = []
        for nid in order:
            node = index.by_id[nid]
            var = tensor_vars[nid]
            if node.type == "Input":
                lines += statement(f"{var} = ", self._input(node), indent)
                continue
            if node.type == "Output":
                continue
            ports = index.in_edges.get(nid, {})
            args: list[Expr | None] = [None] * (max(ports, default=-1) + 1)
            for port, edges in ports.items():
                args[port] = self._ref(edges[0], index, tensor_vars)
            if node.type == "Op":
                expr = _op_call(node, args)
                if names.get(nid):
                    self.names_ops = True
                    expr = call(NAME_OP, [expr, literal(names.get(nid))])
                lines += statement(f"{var} = ", expr, indent)
                continue
            owner = node.shared_with or nid
            if owner in layer_vars:
                if owner == nid:
                    lines += statement(
                        f"{layer_vars[owner]} = ",
                        self._layer(node, names.get(nid)),
                        indent,
                    )
                layer_expr: Expr = layer_vars[owner]
            else:
                layer_expr = self._layer(node, names.get(nid))
            lines += statement(
                f"{var} = ", self._call(layer_expr, index.by_id[owner], node, args), indent
            )
        inputs = [tensor_vars[n.id] for n in index.inputs()]
        outputs = [
            self._ref(e, index, tensor_vars)
            for n in index.outputs()
            for e in _in_edges(index, n.id)
        ]
        kwargs = {"inputs": _one_or_list(inputs), "outputs": _one_or_list(outputs)}
        if name:
            kwargs["name"] = literal(name)
        lines += statement(f"{target} = ", call("keras.Model", [], kwargs), indent)
        trainable = self._trainable_lines(
            index, [n.id for n in index.graph.nodes if n.type == "Model"], indent
        )
        return lines + trainable + self._output_names(index, names, target, indent)

    # --- pieces ----------------------------------------------------------------------

    def _input(self, node: Node) -> Expr:
        params = node.params
        kwargs: dict[str, Expr] = {"shape": literal(tuple(params.get("shape") or (None,)))}
        if params.get("batch_size") is not None:
            kwargs["batch_size"] = literal(params["batch_size"])
        if params.get("dtype") not in (None, "float32"):
            kwargs["dtype"] = literal(params["dtype"])
        if params.get("sparse"):
            kwargs["sparse"] = "True"
        kwargs["name"] = literal(input_name(node))
        return call("keras.Input", [], kwargs)

    def _layer(self, layer: Node | InnerLayer, name: str | None) -> Expr:
        """`layers.Dense(64, activation="relu", name=...)`, or a sub-graph's model."""
        if layer.type == "Model":
            return self.model_vars[layer.params["subgraph"]]
        params = dict(layer.params)
        cls = layer_class(layer.type)
        if cls is None:
            raise ValueError(f"Layer type {layer.type!r} is not available")
        required = [
            p.name
            for p in inspect.signature(cls.__init__).parameters.values()
            if p.default is inspect.Parameter.empty
            and p.name != "self"
            and p.kind == p.POSITIONAL_OR_KEYWORD
        ]
        args: list[Expr] = []
        for key in required:
            if key == "layer" and layer.inner is not None:
                args.append(
                    self._layer(
                        layer.inner,
                        layer.inner.name if layer.inner.type != "Model" else None,
                    )
                )
            elif key in params:
                args.append(literal(params.pop(key)))
            else:
                break
        kwargs = {k: literal(v) for k, v in params.items()}
        if name:
            kwargs["name"] = literal(name)
        if isinstance(layer, Node) and not layer.trainable:
            kwargs["trainable"] = "False"
        found = keras_kind(layer.type)
        if found is not None and found.module != "keras.layers":
            self.internal.add((found.module, layer.type))
            return call(layer.type, args, kwargs)
        return call(f"layers.{layer.type}", args, kwargs)

    def _call(self, layer_expr: Expr, owner: Node, node: Node, args: list[Expr | None]) -> Expr:
        """`layer(x, initial_state=[h, c], mask=m, use_causal_mask=True)`, as
        `build.layers.call_layer` calls it."""
        layer_kind = keras_kind(owner.type)
        style = layer_kind.call if layer_kind is not None else None
        count = len(positional_port_names(owner, self._lookup, len(args)))
        positional = [a for a in args[:count] if a is not None]
        kwargs: dict[str, Expr] = {}
        lists: dict[str, list[Expr]] = {}
        for port, arg in zip(argument_ports(owner), args[count:], strict=False):
            if arg is None:
                continue
            if port.item is None:
                kwargs[port.argument] = arg
            else:
                lists.setdefault(port.argument, []).append(arg)
        kwargs |= {k: bracket_list(v) for k, v in lists.items()}
        kwargs |= {k: literal(v) for k, v in node.call_params.items()}
        if style == QKV:
            if len(positional) > 2:
                kwargs = {"key": positional[2], **kwargs}
            return call(layer_expr, positional[:2], kwargs)
        if style == LIST or (owner.type == "Model" and len(positional) > 1):
            return call(layer_expr, [bracket_list(positional)], kwargs)
        return call(layer_expr, positional[:1], kwargs)

    def _ref(self, edge: Edge, index: GraphIndex, tensor_vars: dict[str, str]) -> str:
        source = index.by_id[edge.source]
        owner = index.by_id.get(source.shared_with or source.id, source)
        if source.type != "Input" and output_ports(owner, self._lookup) > 1:
            return f"{tensor_vars[edge.source]}[{edge.source_port}]"
        return tensor_vars[edge.source]

    def _trainable_lines(self, index: GraphIndex, ids: list[str], indent: int) -> list[str]:
        """`vision_model.trainable = False` for frozen uses of a sub-graph."""
        pad = "    " * indent
        return [
            f"{pad}{self.model_vars[index.by_id[n].params['subgraph']]}.trainable = False"
            for n in ids
            if index.by_id[n].type == "Model" and not index.by_id[n].trainable
        ]

    def _output_names(
        self, index: GraphIndex, names: dict[str, str | None], target: str, indent: int
    ) -> list[str]:
        """Keep the Output nodes' names when the producing layers are named otherwise."""
        wanted = [output_name(n) for n in index.outputs()]
        produced = [self._produced_name(index, names, out) for out in index.outputs()]
        if produced == wanted:
            return []
        return statement(f"{target}.output_names = ", literal(wanted), indent)

    @staticmethod
    def _produced_name(index: GraphIndex, names: dict[str, str | None], out: Node) -> str | None:
        """The name Keras gives an output: its layer's, for port 0 of a plain layer
        (a sub-graph's model names its outputs after its own layers)."""
        edges = _in_edges(index, out.id)
        if not edges or edges[0].source_port != 0:
            return None
        source = index.by_id[edges[0].source]
        owner = index.by_id.get(source.shared_with or source.id, source)
        if owner.type == "Model":
            return None
        return names.get(owner.id)

    def compile_lines(
        self, graph: Graph, optimizer: tuple[str, dict[str, Any]] | None
    ) -> list[str]:
        spec = compile_spec(graph)
        outputs = [output_name(n) for n in graph.nodes if n.type == "Output"]
        kwargs: dict[str, Expr] = {"optimizer": literal("adam")}
        if optimizer is not None:
            cls, args = optimizer
            params = {k: literal(v) for k, v in args.items()}
            kwargs["optimizer"] = call(f"keras.optimizers.{cls}", [], params)
        single = len(outputs) == 1
        losses = {k: _loss_expr(v) for k, v in spec["loss"].items()}
        if losses:
            kwargs["loss"] = (
                losses[outputs[0]] if single and outputs[0] in losses else bracket_dict(losses)
            )
        weights = spec["loss_weights"]
        if any(w != 1.0 for w in weights.values()):
            kwargs["loss_weights"] = literal(weights)
        metrics = {k: v for k, v in spec["metrics"].items() if v}
        if metrics:
            kwargs["metrics"] = literal(metrics[outputs[0]]) if single else literal(metrics)
        return statement("", call("model.compile", [], kwargs))

    def _lookup(self, key: str) -> Graph | None:
        return self.definitions.get(key)

    def _fresh(self, base: str) -> str:
        return _fresh_in(base, self.reserved)


def _op_call(node: Node, args: list[Expr | None]) -> Expr:
    """`keras.ops.add(a, b)`, `keras.ops.concatenate([a, b], axis=1)`,
    `keras.ops.get_item(x, (slice(None, None, None), 0))`."""
    name = str(node.params["function"])
    values = {k: _op_literal(name, k, v) for k, v in node.params.items() if k != "function"}
    tensors = [a for a in args if a is not None]
    listed = LIST_ARGUMENTS.get(name)
    positional: list[Expr] = []
    if listed is None:
        for port, argument in enumerate(op_ports(name)):
            given = args[port] if port < len(args) else None
            positional.append(given if given is not None else values.pop(argument))
    elif listed in op_ports(name):
        positional = [bracket_list(tensors)]
    else:  # einsum(subscripts, *operands)
        positional = [values.pop(p) for p in op_ports(name) if p in values] + tensors
    return call(f"keras.ops.{name}", positional, values)


def _op_literal(function: str, key: str, value: Any) -> Expr:
    if function == "get_item" and key == "key":
        if not isinstance(value, list):
            return _index_literal(value)
        parts = [_index_literal(v) for v in value]
        return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"
    if key in TENSOR_ARGUMENTS and isinstance(value, list):
        return call("keras.ops.convert_to_tensor", [literal(value)])
    return literal(value)


def _index_literal(item: Any) -> Expr:
    if isinstance(item, dict):
        return call("slice", [literal(b) for b in item["slice"]])
    return "..." if item == "..." else literal(item)


def _one_or_list(values: list[str]) -> Expr:
    return values[0] if len(values) == 1 else bracket_list(values)


def _loss_expr(loss: Any) -> Expr:
    """A loss name, or `keras.losses.X(from_logits=True)` for a Loss instance."""
    if isinstance(loss, str):
        return literal(loss)
    return call(f"keras.losses.{type(loss).__name__}", [], {"from_logits": "True"})


def _in_edges(index: GraphIndex, node_id: str) -> list[Edge]:
    ports = index.in_edges.get(node_id, {})
    return [ports[p][0] for p in sorted(ports)]


def _definitions(graph: Graph) -> dict[str, Graph]:
    """Every sub-graph definition, nested ones included, by key (keys must not clash)."""
    found: dict[str, Graph] = {}
    for key, sub in graph.subgraphs.items():
        for k, g in {key: sub, **_definitions(sub)}.items():
            if k in found and found[k] != g:
                raise ValueError(f"two different sub-graphs are both called {k!r}")
            found[k] = g
    return found


BUILTIN_NAMES = frozenset(dir(builtins))


def _identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text).strip("_").lower() or "x"
    if name[0].isdigit():
        name = f"x_{name}"
    # a keyword or a built-in (`input`, `sum`, `type`) gets a trailing underscore
    return f"{name}_" if keyword.iskeyword(name) or name in BUILTIN_NAMES else name


def _fresh_in(base: str, taken: set[str]) -> str:
    name, i = base, 1
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name
