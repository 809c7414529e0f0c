"""What a layer's `call` accepts beyond the tensors at its positional ports, read from
Keras's own call signature (never a hand-kept list):

- tensor arguments: every argument after the positional ones whose default is None
  (`initial_state`, `mask`, `attention_mask`, `count_weights`, ...), except `training`;
  each becomes a named input port (`ports.argument_ports`);
- call options: every argument with a bool default (`use_causal_mask`,
  `return_attention_scores`), except `training`; a node sets them in `call_params`.

Keras is imported on first use only."""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any

from layerforge.graph.catalogue.classes import keras_class
from layerforge.graph.catalogue.kinds import QKV, keras_kind

_NEVER = {"self", "training"}


@cache
def _call_parameters(type_name: str) -> tuple[inspect.Parameter, ...]:
    """The parameters of a Keras layer type's `call` after its positional tensor ones."""
    found = keras_kind(type_name)
    if found is None:
        return ()
    cls = keras_class(type_name)
    params = [p for p in inspect.signature(cls.call).parameters.values() if p.name != "self"]
    positional = len(found.input_names or ()) if found.call == QKV else 1
    return tuple(p for p in params[positional:] if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))


def tensor_arguments(type_name: str) -> tuple[str, ...]:
    """Call arguments that take tensors (default None), in signature order."""
    return tuple(
        p.name for p in _call_parameters(type_name) if p.default is None and p.name not in _NEVER
    )


def call_options(type_name: str) -> dict[str, Any]:
    """Call arguments that take a flag, with their defaults (`use_causal_mask`: False)."""
    return {
        p.name: p.default
        for p in _call_parameters(type_name)
        if isinstance(p.default, bool) and p.name not in _NEVER
    }
