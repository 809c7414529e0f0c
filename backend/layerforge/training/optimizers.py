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
    slots: int = 0
    """Variables it keeps per trainable weight (momentum, amsgrad and centered may add)."""


OPTIMIZERS: dict[str, OptimizerKind] = {
    "adam": OptimizerKind("Adam", _ADAM | {"amsgrad"} | _COMMON, slots=2),
    "adamw": OptimizerKind("AdamW", _ADAM | {"amsgrad"} | _COMMON, slots=2),
    "nadam": OptimizerKind("Nadam", _ADAM | _COMMON, slots=2),
    "adamax": OptimizerKind("Adamax", _ADAM | _COMMON, slots=2),
    "sgd": OptimizerKind("SGD", frozenset({"momentum", "nesterov"}) | _COMMON),
    "rmsprop": OptimizerKind(
        "RMSprop", frozenset({"rho", "momentum", "epsilon", "centered"}) | _COMMON, slots=1
    ),
    "adagrad": OptimizerKind("Adagrad", frozenset({"epsilon"}) | _COMMON, slots=1),
    "adadelta": OptimizerKind("Adadelta", frozenset({"rho", "epsilon"}) | _COMMON, slots=2),
    "lion": OptimizerKind("Lion", frozenset({"beta_1", "beta_2"}) | _COMMON, slots=1),
    "ftrl": OptimizerKind("Ftrl", _COMMON, slots=2),
}


def optimizer_slots(
    name: str, momentum: float | None, amsgrad: bool | None, centered: bool | None
) -> int:
    """Variables per trainable weight, as Keras creates them for these settings."""
    extra = int(bool(momentum)) if name in ("sgd", "rmsprop") else 0
    return OPTIMIZERS[name].slots + extra + int(bool(amsgrad)) + int(bool(centered))
