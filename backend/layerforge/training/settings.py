"""Run settings: what `POST /api/runs` and `layerforge train` accept besides the graph.

Pure pydantic, no Keras import: the API process validates settings before queueing.
Loss, loss weight and metrics default to the Output nodes' (`compile_spec`); `outputs`
overrides them per Output name.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from layerforge.graph.catalogue.compile import LOSSES, METRICS
from layerforge.graph.problems import Problem
from layerforge.training.optimizers import OPTIMIZERS

Backend = Literal["tensorflow", "jax", "torch"]
BACKENDS: tuple[Backend, ...] = ("tensorflow", "jax", "torch")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptimizerSettings(_Strict):
    name: str = "adam"
    learning_rate: float = Field(default=0.001, gt=0, le=10)
    beta_1: float | None = Field(default=None, gt=0, lt=1)
    beta_2: float | None = Field(default=None, gt=0, lt=1)
    epsilon: float | None = Field(default=None, gt=0)
    amsgrad: bool | None = None
    momentum: float | None = Field(default=None, ge=0, lt=1)
    nesterov: bool | None = None
    rho: float | None = Field(default=None, gt=0, lt=1)
    centered: bool | None = None
    weight_decay: float | None = Field(default=None, ge=0)
    clipnorm: float | None = Field(default=None, gt=0)
    clipvalue: float | None = Field(default=None, gt=0)
    global_clipnorm: float | None = Field(default=None, gt=0)

    @field_validator("name")
    @classmethod
    def _known_name(cls, v: str) -> str:
        v = v.lower()
        if v not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {v!r}; choose one of {', '.join(sorted(OPTIMIZERS))}"
            )
        return v

    @model_validator(mode="after")
    def _params_fit_optimizer(self) -> OptimizerSettings:
        given = {
            k
            for k, v in self.model_dump(exclude={"name", "learning_rate"}).items()
            if v is not None
        }
        foreign = sorted(given - OPTIMIZERS[self.name].params)
        if foreign:
            raise ValueError(f"optimizer {self.name!r} does not take {', '.join(foreign)}")
        if self.clipnorm is not None and self.global_clipnorm is not None:
            raise ValueError("set clipnorm or global_clipnorm, not both")
        return self

    def keras_config(self) -> dict[str, Any]:
        """The arguments of the Keras optimizer class (unset parameters keep Keras defaults)."""
        return {k: v for k, v in self.model_dump(exclude={"name"}).items() if v is not None}


class OutputOverride(_Strict):
    """Replaces, for one Output node (by name), what the node itself says."""

    loss: str | None = None
    loss_weight: float | None = Field(default=None, ge=0)
    metrics: list[str] | None = None

    @field_validator("loss")
    @classmethod
    def _known_loss(cls, v: str | None) -> str | None:
        if v is not None and v not in LOSSES:
            raise ValueError(f"unknown loss {v!r}; choose one of {', '.join(sorted(LOSSES))}")
        return v

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, v: list[str] | None) -> list[str] | None:
        for m in v or []:
            if m not in METRICS:
                raise ValueError(f"unknown metric {m!r}; choose from {', '.join(sorted(METRICS))}")
        return v


class EarlyStopping(_Strict):
    monitor: str = "val_loss"
    patience: int = Field(default=3, ge=0, le=10_000)
    min_delta: float = Field(default=0.0, ge=0)
    restore_best_weights: bool = True


class ReduceLROnPlateau(_Strict):
    monitor: str = "val_loss"
    factor: float = Field(default=0.1, gt=0, lt=1)
    patience: int = Field(default=2, ge=0, le=10_000)
    min_lr: float = Field(default=0.0, ge=0)


def backend_available(name: str) -> bool:
    """Whether a Keras backend's package is installed (found, never imported)."""
    return importlib.util.find_spec(name) is not None


def available_backends() -> list[Backend]:
    return [b for b in BACKENDS if b == "tensorflow" or backend_available(b)]


class RunSettings(_Strict):
    optimizer: OptimizerSettings = Field(default_factory=OptimizerSettings)
    outputs: dict[str, OutputOverride] = Field(
        default_factory=dict, description="Per Output name: loss, loss_weight, metrics overrides."
    )
    epochs: int = Field(default=5, ge=1, le=100_000)
    batch_size: int = Field(default=32, ge=1, le=1_000_000)
    validation_split: float = Field(default=0.2, ge=0, lt=1)
    validation_dataset: dict[str, Any] | None = Field(
        default=None,
        description="A data set reference ({'name': ...}) used for validation instead of a split.",
    )
    shuffle: bool = True
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    early_stopping: EarlyStopping | None = None
    reduce_lr_on_plateau: ReduceLROnPlateau | None = None
    keep_best_checkpoint: bool = True
    checkpoint_monitor: str = "val_loss"
    tensorboard: bool = True
    mixed_precision: bool = Field(
        default=False, description="float16 compute on GPUs; ignored on CPU."
    )
    backend: Backend = "tensorflow"

    @field_validator("backend")
    @classmethod
    def _backend_installed(cls, v: str) -> str:
        if v != "tensorflow" and not backend_available(v):
            raise ValueError(f"Keras backend {v!r} is not installed on this server")
        return v

    @field_validator("validation_dataset")
    @classmethod
    def _dataset_ref(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None and not isinstance(v.get("name"), str):
            raise ValueError("validation_dataset needs a 'name'")
        return v

    @model_validator(mode="after")
    def _monitors_need_validation(self) -> RunSettings:
        """A `val_` monitor needs validation data: one left at its default falls back to
        the training metric, one set explicitly is an error."""
        if self.validation_split and self.validation_dataset is not None:
            raise ValueError(
                "set validation_split or validation_dataset, not both (set validation_split to 0)"
            )
        if self.has_validation:
            return self
        owners = [("checkpoint_monitor", self, "checkpoint_monitor")]
        if self.early_stopping:
            owners.append(("early_stopping.monitor", self.early_stopping, "monitor"))
        if self.reduce_lr_on_plateau:
            owners.append(("reduce_lr_on_plateau.monitor", self.reduce_lr_on_plateau, "monitor"))
        for field, owner, attr in owners:
            monitor = getattr(owner, attr)
            if not monitor.startswith("val_"):
                continue
            if attr in owner.model_fields_set:
                raise ValueError(
                    f"{field} is {monitor!r} but there is no validation data "
                    "(set validation_split > 0 or validation_dataset, or monitor a training metric)"
                )
            object.__setattr__(owner, attr, monitor[len("val_") :])
        return self

    @property
    def has_validation(self) -> bool:
        return bool(self.validation_split) or self.validation_dataset is not None

    def check_against(self, output_names: list[str]) -> list[Problem]:
        """Problems with `outputs` overrides that name no Output node of the graph."""
        return [
            Problem(
                param=f"settings.outputs.{name}",
                code="unknown_output",
                message=f"settings override output {name!r}, but the graph's outputs are "
                f"{', '.join(output_names) or 'none'}",
            )
            for name in self.outputs
            if name not in output_names
        ]

    def compile_args(self, spec: dict[str, Any]) -> dict[str, Any]:
        """`compile_spec(graph)` with the per-output overrides applied."""
        loss = dict(spec.get("loss") or {})
        weights = dict(spec.get("loss_weights") or {})
        metrics = {k: list(v or []) for k, v in (spec.get("metrics") or {}).items()}
        for name, o in self.outputs.items():
            if o.loss is not None:
                loss[name] = o.loss
            if o.loss_weight is not None:
                weights[name] = o.loss_weight
            if o.metrics is not None:
                metrics[name] = list(o.metrics)
        return {"loss": loss, "loss_weights": weights, "metrics": metrics}


def parse_settings(data: dict[str, Any] | None) -> RunSettings:
    """Validate a settings dict; raises pydantic.ValidationError with field paths."""
    return RunSettings.model_validate(data or {})
