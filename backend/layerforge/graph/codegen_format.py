"""Python expressions laid out the way black and `ruff format` lay them out.

Generated code is formatted by construction, with no formatter at run time. The
expressions codegen writes are calls, call chains (`layers.Dense(64)(x)`), lists,
tuples and dicts of literals, so black's rules for them fit in a few lines:
- a statement that fits in 88 columns stays on one line;
- otherwise split at the last bracket whose opening line fits (black's right-hand
  split, trying trailers from the right); its contents go on one indented line if
  they fit (call arguments only: a split list, tuple or dict literal always goes
  one element per line), else one element per line with a trailing comma; a lone
  element is split in turn instead.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

LINE_LENGTH = 88
INDENT = "    "


@dataclass
class Group:
    """`head` followed by a bracketed, comma-separated list of items, then `tail`
    (more groups: a call chain like `f(a)(b)`)."""

    head: str
    items: list[Item]
    open: str = "("
    close: str = ")"
    trailers: list[Group] = field(default_factory=list)
    one_tuple: bool = False
    collection: bool = False


@dataclass
class Item:
    """One element inside brackets: `prefix` (like `name=` or `"key": `) and a value."""

    prefix: str
    value: Group | str


Expr = Group | str


def call(func: str, args: list[Expr], kwargs: dict[str, Expr] | None = None) -> Group:
    items = [Item("", a) for a in args]
    items += [Item(f"{k}=", v) for k, v in (kwargs or {}).items()]
    return Group(func, items)


def chain(first: Group, args: list[Expr], kwargs: dict[str, Expr] | None = None) -> Group:
    """`first(...)(args)`: a call on the result of a call."""
    trailer = call("", args, kwargs)
    return Group(first.head, first.items, trailers=[*first.trailers, trailer])


def bracket_list(items: list[Expr]) -> Group:
    return Group("", [Item("", i) for i in items], "[", "]", collection=True)


def bracket_dict(values: dict[str, Expr]) -> Group:
    return Group(
        "",
        [Item(f"{json.dumps(k)}: ", v) for k, v in values.items()],
        "{",
        "}",
        collection=True,
    )


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
            return Group(
                "",
                [Item("", literal(v)) for v in value],
                one_tuple=len(value) == 1,
                collection=True,
            )
        return bracket_list([literal(v) for v in value])
    raise TypeError(f"no Python literal for {type(value).__name__}")


def flat(expr: Expr) -> str:
    if isinstance(expr, str):
        return expr
    text = expr.head + _flat_brackets(expr)
    return text + "".join(_flat_brackets(t) for t in expr.trailers)


def _flat_brackets(group: Group) -> str:
    inner = ", ".join(item.prefix + flat(item.value) for item in group.items)
    if group.one_tuple:
        inner += ","
    return f"{group.open}{inner}{group.close}"


def statement(prefix: str, expr: Expr, indent: int = 0) -> list[str]:
    """The lines of `prefix + expr` at `indent` levels, black style."""
    return _lines(prefix, expr, "", indent)


def _lines(prefix: str, expr: Expr, suffix: str, indent: int) -> list[str]:
    pad = INDENT * indent
    one_line = f"{pad}{prefix}{flat(expr)}{suffix}"
    if isinstance(expr, str) or len(one_line) <= LINE_LENGTH:
        return [one_line]
    groups = [expr, *expr.trailers]
    # black's right-hand split: the last bracket whose opening line fits
    choice = len(groups) - 1
    for i in range(len(groups) - 1, -1, -1):
        opening = pad + prefix + expr.head + "".join(_flat_brackets(g) for g in groups[:i])
        if len(opening + groups[i].open) <= LINE_LENGTH:
            choice = i
            break
    group = groups[choice]
    opening = pad + prefix + expr.head + "".join(_flat_brackets(g) for g in groups[:choice])
    closing = pad + group.close + "".join(_flat_brackets(g) for g in groups[choice + 1 :]) + suffix
    return [opening + group.open, *_body(group, indent + 1), closing]


def _body(group: Group, indent: int) -> list[str]:
    items = group.items
    if not items:
        return []
    if len(items) == 1 and not group.one_tuple:
        return _lines(items[0].prefix, items[0].value, "", indent)
    joined = ", ".join(item.prefix + flat(item.value) for item in items)
    fits = len(INDENT * indent + joined) <= LINE_LENGTH
    if fits and not group.collection:
        return [INDENT * indent + joined]
    return [line for item in items for line in _lines(item.prefix, item.value, ",", indent)]
