"""The optimizers a run may use: one table for the settings check, the Keras class the
trainer makes, and what `GET /api/training/options` publishes. Keras-free."""

from __future__ import annotations

from dataclasses import dataclass

_COMMON = frozenset({"weight_decay", "clipnorm", "clipvalue", "global_clipnorm"})
_ADAM = frozenset({"beta_1", "beta_2", "epsilon"})


@dataclass(frozen=True)
class OptimizerKind:
    keras_class: str
    """The class in `keras.optimizers`."""
    params: frozenset[str]
    """What it takes besides learning_rate."""


OPTIMIZERS: dict[str, OptimizerKind] = {
    "adam": OptimizerKind("Adam", _ADAM | {"amsgrad"} | _COMMON),
    "adamw": OptimizerKind("AdamW", _ADAM | {"amsgrad"} | _COMMON),
    "nadam": OptimizerKind("Nadam", _ADAM | _COMMON),
    "adamax": OptimizerKind("Adamax", _ADAM | _COMMON),
    "sgd": OptimizerKind("SGD", frozenset({"momentum", "nesterov"}) | _COMMON),
    "rmsprop": OptimizerKind(
        "RMSprop", frozenset({"rho", "momentum", "epsilon", "centered"}) | _COMMON
    ),
    "adagrad": OptimizerKind("Adagrad", frozenset({"epsilon"}) | _COMMON),
    "adadelta": OptimizerKind("Adadelta", frozenset({"rho", "epsilon"}) | _COMMON),
    "lion": OptimizerKind("Lion", frozenset({"beta_1", "beta_2"}) | _COMMON),
    "ftrl": OptimizerKind("Ftrl", _COMMON),
}
