"""Parameter checks of `Op` nodes: an allowlisted keras.ops function and, as params,
only arguments that function takes, with plain JSON values (see `catalogue/keras_ops.py`)."""

from __future__ import annotations

from typing import Any

from layerforge.graph.catalogue.keras_ops import OPS, key_error, op_arguments
from layerforge.graph.problems import Problem


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def op_param_problems(node_id: str | None, params: dict[str, Any]) -> list[Problem]:
    def problem(param: str, code: str, message: str) -> Problem:
        return Problem(node=node_id, param=param, code=code, message=message)

    function = params.get("function")
    if not isinstance(function, str) or function not in OPS:
        return [
            problem(
                "function",
                "missing_param" if function is None else "bad_param",
                f"Op needs a function, one of the allowed keras.ops: {function!r} is not",
            )
        ]
    arguments = op_arguments(function)
    found = []
    for key, value in params.items():
        if key == "function":
            continue
        if key not in arguments:
            close = ", ".join(arguments)
            found.append(problem(key, "unknown_param", f"{function} takes no {key!r} ({close})"))
        elif function == "get_item" and key == "key":
            error = key_error(value)
            if error:
                found.append(problem(key, "bad_param", error))
        elif not _plain(value):
            found.append(problem(key, "bad_param", f"{function}.{key} must be plain data"))
    return found
