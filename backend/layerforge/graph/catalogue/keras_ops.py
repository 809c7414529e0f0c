"""`Op` nodes: a call of one allowlisted `keras.ops` function, as Keras 3 functional
models write them (`x + y`, `x * 0.5`, `ops.reshape`, `x[:, 0]`, `ops.nn.relu`).

An Op node's params are `{"function": name, **arguments}`: every argument that is not
a tensor, by its name in the function's signature (`{"function": "multiply", "x2":
0.5}`). Its input ports are the function's required arguments in signature order
(`x1`, `x2`); one of them given in params leaves its port empty. A function taking a
list of tensors (`concatenate`) has one port per list item (`xs_0`, `xs_1`, ...).

Only pure, deterministic functions are listed: no I/O, no Python callables, no
dtype conversions, no randomness. A `get_item` key is a list of ints, nulls (a new
axis), "..." and `{"slice": [start, stop, step]}`. Keras is imported on first use."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cache
from typing import Any

OPS = frozenset(
    {
        # arithmetic and comparisons (numpy)
        *("add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod"),
        *("power", "negative", "abs", "absolute", "square", "sqrt", "rsqrt", "exp", "log"),
        *("log1p", "expm1", "sign", "floor", "ceil", "round", "clip", "reciprocal"),
        *("maximum", "minimum", "equal", "not_equal", "greater", "greater_equal"),
        *("less", "less_equal", "logical_and", "logical_or", "logical_not", "where"),
        *("sin", "cos", "tan", "tanh", "sinh", "cosh", "arctan", "erf"),
        # reductions
        *("mean", "sum", "max", "min", "prod", "any", "all", "std", "var", "argmax", "argmin"),
        *("cumsum", "logsumexp", "norm"),
        # shapes and indexing
        *("reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack"),
        *("get_item", "tile", "repeat", "swapaxes", "moveaxis", "flip", "pad", "roll"),
        *("broadcast_to", "take", "take_along_axis"),
        # linear algebra
        *("matmul", "dot", "tensordot", "outer", "einsum"),
        # activations (nn)
        *("relu", "relu6", "sigmoid", "softmax", "log_softmax", "gelu", "silu", "swish"),
        *("elu", "selu", "softplus", "softsign", "leaky_relu", "hard_sigmoid", "hard_silu"),
        *("l2_normalize",),
    }
)

LIST_ARGUMENTS = {"concatenate": "xs", "stack": "x", "einsum": "operands"}
"""Functions whose tensors come as one list (or *operands): one port per item."""

TENSOR_ARGUMENTS = frozenset({"x", "x1", "x2", "y"})
"""Arguments that take a tensor: a list given there is a constant tensor (Keras writes
`x + np.array(...)` with the array as `__tensor__`), made one with `convert_to_tensor`
(a plain list is refused: "Invalid dtype: list"). Lists elsewhere (a reshape's
`newshape`, a pad's `pad_width`) stay lists."""

OP_MODULES = ("keras.src.ops.numpy", "keras.src.ops.nn", "keras.src.ops.math")
"""Where Keras's Operation classes for these functions live (import checks the path)."""


@cache
def op_function(name: str) -> Callable[..., Any] | None:
    """`keras.ops.<name>` for an allowlisted name, else None (never looked up otherwise)."""
    if name not in OPS:
        return None
    import keras

    fn: Callable[..., Any] | None = getattr(keras.ops, name, None)
    return fn


@cache
def _signature(name: str) -> inspect.Signature | None:
    fn = op_function(name)
    return inspect.signature(fn) if fn is not None else None


def op_ports(name: str) -> tuple[str, ...]:
    """The tensor ports of an op: its required arguments in order ("xs" for a list op)."""
    sig = _signature(name)
    if sig is None:
        return ()
    return tuple(
        p.name
        for p in sig.parameters.values()
        if p.default is inspect.Parameter.empty and p.kind != p.VAR_KEYWORD
    )


def op_arguments(name: str) -> dict[str, Any]:
    """Every argument of an op by name, with its default (`inspect.Parameter.empty`)."""
    sig = _signature(name)
    if sig is None:
        return {}
    return {p.name: p.default for p in sig.parameters.values() if p.kind != p.VAR_KEYWORD}


def key_value(key: Any) -> Any:
    """A `get_item` key from its JSON form to what Python indexing takes."""
    if isinstance(key, list):
        return tuple(key_value(k) for k in key)
    if isinstance(key, dict) and set(key) == {"slice"}:
        return slice(*key["slice"])
    if key == "...":
        return Ellipsis
    return key


def key_error(key: Any) -> str | None:
    """Why a `get_item` key is not a static index, or None."""
    items = key if isinstance(key, list) else [key]
    for item in items:
        if item is None or item == "..." or (isinstance(item, int) and not isinstance(item, bool)):
            continue
        bounds = item.get("slice") if isinstance(item, dict) and set(item) == {"slice"} else None
        if (
            isinstance(bounds, list)
            and len(bounds) == 3
            and all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in bounds)
        ):
            continue
        return (
            "a get_item key holds ints, null (new axis), '...' and "
            "{'slice': [start, stop, step]} only"
        )
    return None
