"""Parameter checks against the catalogue: names, kinds, ranges, allowed values.

Each problem names the node and the parameter. Values that Keras would deserialize
(initializers, regularizers, constraints) are limited to named choices or
`{"class_name": <known class>, "config": {...plain values}}`, so a graph can never
make Keras import a module or resolve an arbitrary object."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from layerforge.graph.catalogue.param_rules import NAMED_CLASS_CHOICES
from layerforge.graph.catalogue.specs import ParamKind, ParamSpec, param_specs
from layerforge.graph.checks import cache
from layerforge.graph.problems import Problem

NUMERIC_DTYPES = frozenset(
    {"float16", "bfloat16", "float32", "float64", "bool"}
    | {f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)}
)
"""The dtypes a numpy array parameter may name."""


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _plain(value: Any) -> bool:
    """JSON scalars and lists of them, no objects (nothing Keras would deserialize but
    a numeric array, as Keras writes a numpy value: Constant(np.array(...)))."""
    if isinstance(value, dict):
        return _numeric_array(value)
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def _numeric_array(value: dict[str, Any]) -> bool:
    """`{"class_name": "__numpy__", "config": {"value": [...], "dtype": "float32"}}`."""
    config = value.get("config")
    if set(value) != {"class_name", "config"} or value["class_name"] != "__numpy__":
        return False
    if not isinstance(config, dict) or set(config) != {"value", "dtype"}:
        return False
    value_ok = _plain(config["value"]) and not isinstance(config["value"], str)
    return value_ok and config["dtype"] in NUMERIC_DTYPES


def _flat_ints(value: Any) -> list[int] | None:
    """The integers of an int, a list of ints, or a list of int lists (padding pairs)."""
    if _is_int(value):
        return [value]
    if not isinstance(value, list) or not value:
        return None
    flat: list[int] = []
    for item in value:
        if _is_int(item):
            flat.append(item)
        elif isinstance(item, list) and item and all(_is_int(v) for v in item):
            flat.extend(item)
        else:
            return None
    return flat


def _range_error(value: float, spec: ParamSpec) -> str | None:
    lo, hi = spec.min, spec.max
    if lo is not None and value < lo:
        return f"must be at least {lo}, got {value}"
    if hi is not None and value > hi:
        return f"must be at most {hi}, got {value}"
    return None


def _named_object_error(value: Any, spec: ParamSpec) -> str | None:
    kind = spec.kind
    if isinstance(value, str):
        if spec.choices and value not in spec.choices:
            return f"unknown {kind} {value!r}; one of {', '.join(map(str, spec.choices))}"
        return None
    if isinstance(value, dict):
        allowed = NAMED_CLASS_CHOICES.get(kind, set())
        if set(value) - {"class_name", "config"} or value.get("class_name") not in allowed:
            return f"a {kind} object must be {{'class_name': one of {sorted(allowed)}, 'config': {{...}}}}"
        config = value.get("config", {})
        if not isinstance(config, dict) or not all(_plain(v) for v in config.values()):
            return f"the {kind} config may hold plain values only"
        return None
    return f"must be a {kind} name"


def _int(value: Any, spec: ParamSpec) -> str | None:
    return "must be an integer" if not _is_int(value) else _range_error(value, spec)


def _float(value: Any, spec: ParamSpec) -> str | None:
    return "must be a number" if not _is_number(value) else _range_error(value, spec)


def _bool(value: Any, spec: ParamSpec) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _str(value: Any, spec: ParamSpec) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _dtype(value: Any, spec: ParamSpec) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    return f"unknown dtype {value!r}" if spec.choices and value not in spec.choices else None


def _choice(value: Any, spec: ParamSpec) -> str | None:
    if value not in (spec.choices or []):
        return f"{value!r} is not allowed; one of {', '.join(map(str, spec.choices or []))}"
    return None


def _multi_choice(value: Any, spec: ParamSpec) -> str | None:
    if not isinstance(value, list):
        return "must be a list of names"
    unknown = [v for v in value if v not in (spec.choices or [])]
    if not unknown:
        return None
    examples = ", ".join(map(str, (spec.choices or [])[:4]))
    return f"unknown {spec.name.rstrip('s')} {', '.join(map(repr, unknown))} (e.g. {examples})"


def _int_tuple(value: Any, spec: ParamSpec) -> str | None:
    items = _flat_ints(value)
    if not items:
        return "must be an integer, a list of integers, or a list of integer pairs"
    errors = [_range_error(v, spec) for v in items]
    return next((e for e in errors if e), None)


def _shape(value: Any, spec: ParamSpec) -> str | None:
    lowest = -1 if spec.min is None else spec.min
    if not isinstance(value, list) or not all(
        v is None or (_is_int(v) and v >= lowest) for v in value
    ):
        return f"must be a list of sizes (integers >= {lowest}, null for a free axis)"
    return "sizes must not be 0" if any(v == 0 for v in value) else None


def _list(value: Any, spec: ParamSpec) -> str | None:
    return None if isinstance(value, list) and _plain(value) else "must be a list of plain values"


def _any(value: Any, spec: ParamSpec) -> str | None:
    if _plain(value) or _plain_mapping(value):
        return None
    return "must be a plain value (number, string, list), not an object"


VALUE_CHECKS: dict[ParamKind, Callable[[Any, ParamSpec], str | None]] = {
    "int": _int,
    "float": _float,
    "bool": _bool,
    "str": _str,
    "dtype": _dtype,
    "choice": _choice,
    "multi_choice": _multi_choice,
    "activation": _choice,
    "initializer": _named_object_error,
    "regularizer": _named_object_error,
    "constraint": _named_object_error,
    "int_tuple": _int_tuple,
    "shape": _shape,
    "list": _list,
    "any": _any,
}
"""Why a value does not fit a parameter of each kind, or None (a test holds it to every
`ParamKind`)."""


def value_error(value: Any, spec: ParamSpec) -> str | None:
    """Why `value` does not fit the parameter `spec`, or None when it does."""
    if value is None:
        return None if spec.nullable or not spec.required else "is required"
    return VALUE_CHECKS[spec.kind](value, spec)


def _plain_mapping(value: Any) -> bool:
    """A dict of plain values that names no class (BatchNormalization's renorm_clipping)."""
    return (
        isinstance(value, dict)
        and not {"class_name", "module", "registered_name"} & set(value)
        and all(isinstance(k, str) and _plain(v) for k, v in value.items())
    )


def check_params(
    node_id: str | None,
    type_name: str,
    params: dict[str, Any],
    prefix: str = "",
    key: str | None = None,
) -> list[Problem]:
    """Problems with a layer's params (unknown names, missing required, bad values).

    With `key` (a canonical text of the layer), results are memoised."""
    memo = (type_name, key, prefix) if key is not None else None
    found = cache.PARAM_CHECKS.get(memo) if memo else None
    if found is None:
        found = _param_problems(type_name, params, prefix)
        if memo:
            cache.PARAM_CHECKS.put(memo, found)
    return [
        Problem(node=node_id, param=param, code=code, message=message)
        for param, code, message in found
    ]


def _param_problems(
    type_name: str, params: dict[str, Any], prefix: str
) -> list[tuple[str, str, str]]:
    specs = param_specs(type_name)
    problems = []
    for name, value in params.items():
        spec = specs.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(specs), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                (
                    prefix + name,
                    "unknown_param",
                    f"{type_name} has no parameter {name!r}{hint}",
                )
            )
            continue
        error = value_error(value, spec)
        if error:
            problems.append((prefix + name, "bad_param", f"{type_name}.{name} {error}"))
    for name, spec in specs.items():
        if spec.required and params.get(name) is None:
            problems.append(
                (
                    prefix + name,
                    "missing_param",
                    f"{type_name} needs parameter {name!r}",
                )
            )
    return problems


def check_output_params(node_id: str | None, params: dict[str, Any]) -> list[Problem]:
    """Output nodes: their params checked like a layer's (metrics against the one list
    of metric names, a `multi_choice`)."""
    return check_params(node_id, "Output", params)
