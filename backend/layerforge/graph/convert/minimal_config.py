"""A layer's imported config at its shortest: the values equal to the layer's defaults
dropped (the defaults read from an instance Keras builds), and Keras objects
(initializers, regularizers, constraints, dtype policies) by name where a name means
the same. Only Keras's own classes pass (`check_allowed`); what the checks would refuse
is refused here, naming the layer and the field."""

from __future__ import annotations

import functools
import inspect
import json
import re
from typing import Any

import keras

from layerforge.graph.build.layers import layer_class
from layerforge.graph.catalogue.kinds import keras_kind
from layerforge.graph.checks.param_values import check_params
from layerforge.graph.convert.inbound_calls import error
from layerforge.graph.problems import GraphError

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


DROPPED_KEYS = {"name", "trainable"}


def layer_params(layer: dict[str, Any], name: str, skip: set[str]) -> dict[str, Any]:
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
            raise error(
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
            raise error(name, code, f"{name}: custom class {class_name!r}{where} is refused")
        raise error(name, code, f"{name}: layer type {class_name!r}{where} is not allowed")


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
def cached_config(cls: type, args_json: str) -> str | None:
    try:
        # through JSON, as the imported config went: tuples become lists
        return json.dumps(cls(**json.loads(args_json)).get_config())
    except Exception:  # noqa: BLE001 - Keras raises many kinds for arguments it refuses
        return None


def _config_of(cls: type, args: dict[str, Any]) -> dict[str, Any] | None:
    """The config of `cls(**args)`, or None when it cannot be built from them."""
    text = cached_config(cls, json.dumps(args, sort_keys=True))
    return None if text is None else json.loads(text)


def _simplify(value: Any, name: str, key: str) -> Any:
    """Keras objects in their shortest form; refuses objects from outside Keras."""
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        module = value.get("module") or ""
        if value["class_name"] == "DTypePolicy":
            return value["config"]["name"]
        family = OBJECT_MODULES.get(module) or (None if module else _family_of(key))
        if family is not None:
            return _object_name(family, value, name, key)
        if module and not module.startswith("keras"):
            raise error(
                name, "refused_type", f"{name}: parameter {key!r} holds a custom object", key
            )
        if value["class_name"] == "__numpy__":
            # an array argument (Constant's value) as Keras wrote it: as a plain list
            # it would come back a list, not an array of its dtype
            return {"class_name": "__numpy__", "config": _array_config(value)}
        if value["class_name"] == "__tensor__":
            return value["config"]["value"]
        return {"class_name": value["class_name"], "config": _plain_config(value, name, key)}
    if isinstance(value, list):
        return [_simplify(v, name, key) for v in value]
    return value


def _array_config(value: dict[str, Any]) -> dict[str, Any]:
    config = value["config"]
    return {"value": config["value"], "dtype": str(config["dtype"])}


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


def _object_name(family: Any, value: dict[str, Any], name: str, key: str) -> Any:
    """'he_normal' for a default-configured HeNormal, else {class_name, config}."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", value["class_name"]).lower()
    plain = {"class_name": value["class_name"], "config": _plain_config(value, name, key)}
    try:
        candidate = family.get(snake)  # (Constant has no default: KeyError)
        given = family.deserialize(plain)
    except (ValueError, TypeError, KeyError):
        return plain
    same_class = type(candidate) is type(given)
    if same_class and candidate.get_config() == given.get_config():
        return snake
    return plain
