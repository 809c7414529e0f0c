"""Run settings: what `POST /api/runs` and `layerforge train` accept besides the graph.

Pure pydantic, no Keras import: the API process validates settings before queueing.
Loss, loss weight and metrics default to the Output nodes' (`compile_spec`); `loss`,
`loss_weights` and `metrics` replace them as Keras's `compile()` takes them (one value for
every output, a list in output order, or a dict by output name), and `outputs` overrides
them per Output name last.
"""

from __future__ import annotations

import importlib.util
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from layerforge.graph.catalogue.losses_metrics import LOSSES, METRICS
from layerforge.graph.problems import Problem
from layerforge.graph.schema import Graph
from layerforge.graph.topology import output_name
from layerforge.training.optimizers import OPTIMIZERS

Backend = Literal["tensorflow", "jax", "torch"]
BACKENDS: tuple[Backend, ...] = ("tensorflow", "jax", "torch")


class _Strict(BaseModel):
    """Unknown keys refused; scalars strict, as a typed API: `"epochs": "5"` and
    `"epochs": true` are errors, not 5 and 1 (an int is still a float)."""

    model_config = ConfigDict(extra="forbid", strict=True)


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


def _known_loss(v: str) -> str:
    if v not in LOSSES:
        raise ValueError(f"unknown loss {v!r}; choose one of {', '.join(sorted(LOSSES))}")
    return v


def _known_metric(v: str) -> str:
    if v not in METRICS:
        raise ValueError(f"unknown metric {v!r}; choose from {', '.join(sorted(METRICS))}")
    return v


LossName = Annotated[str, AfterValidator(_known_loss)]
MetricName = Annotated[str, AfterValidator(_known_metric)]
LossWeight = Annotated[float, Field(ge=0)]
MetricNames = MetricName | list[MetricName]


class OutputOverride(_Strict):
    """Replaces, for one Output node (by name), what the node itself says."""

    loss: LossName | None = None
    loss_weight: LossWeight | None = None
    metrics: list[MetricName] | None = None


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


class InitialWeights(_Strict):
    """Where a run's starting weights come from: a stored weight set, or another run's
    final model (`model.keras`) or best checkpoint (`best.keras`). Layers are matched by
    name, then by position and shape; the run's `weights` event reports the match."""

    weights: str | None = Field(
        default=None, min_length=1, max_length=64, description="A weight set's id."
    )
    run: str | None = Field(default=None, min_length=1, max_length=32, description="A run's id.")
    artifact: Literal["model.keras", "best.keras"] = Field(
        default="model.keras", description="With `run`: which of its models (else unused)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> InitialWeights:
        if (self.weights is None) == (self.run is None):
            raise ValueError("give one of weights (a weight set's id) or run (a run's id)")
        return self


def backend_available(name: str) -> bool:
    """Whether a Keras backend's package is installed (found, never imported)."""
    return importlib.util.find_spec(name) is not None


def available_backends() -> list[Backend]:
    return [b for b in BACKENDS if b == "tensorflow" or backend_available(b)]


class RunSettings(_Strict):
    optimizer: OptimizerSettings = Field(default_factory=OptimizerSettings)
    loss: LossName | list[LossName] | dict[str, LossName] | None = Field(
        default=None,
        description="As compile() takes it: one loss for every output, a list in output "
        "order, or a dict by output name; replaces the Output nodes' losses.",
    )
    loss_weights: LossWeight | list[LossWeight] | dict[str, LossWeight] | None = Field(
        default=None, description="One weight for every output, a list, or a dict by name."
    )
    metrics: MetricName | list[MetricNames] | dict[str, MetricNames] | None = Field(
        default=None,
        description="One metric for every output; a list (with several outputs one entry, a "
        "name or a list of names, per output, as compile() reads it); or a dict by name.",
    )
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
    gpus: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Devices for one run: over 1, tf.distribute.MirroredStrategy over the "
        "worker's first N GPUs (TensorFlow backend).",
    )
    initial_weights: InitialWeights | None = Field(
        default=None,
        description='Start from trained weights instead of fresh ones: `{"weights": id}` '
        'or `{"run": id}` (with `artifact`). Nodes with `trainable: false` keep them.',
    )
    layer_stats: bool = Field(
        default=True,
        description="Per-node weight/gradient norms and activation statistics at epoch ends "
        "(`layer_stats` events): always the first and the last epoch, the others while all "
        "the statistics stay under 2 % of the fit time (the run's log says which epochs, and "
        "what they took). On the small digits MLP they took 1.6 % of the fit, and a run with "
        "them kept 1.00x plain model.fit's throughput (bench/bench_training_overhead.py).",
    )

    @field_validator("backend")
    @classmethod
    def _backend_installed(cls, v: str) -> str:
        if v != "tensorflow" and not backend_available(v):
            raise ValueError(f"Keras backend {v!r} is not installed on this server")
        return v

    @model_validator(mode="after")
    def _gpus_need_tensorflow(self) -> RunSettings:
        if self.gpus > 1 and self.backend != "tensorflow":
            raise ValueError(
                f"gpus > 1 (MirroredStrategy) needs the tensorflow backend, not {self.backend!r}"
            )
        return self

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
        owners: list[tuple[str, BaseModel, str]] = [
            ("checkpoint_monitor", self, "checkpoint_monitor")
        ]
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
        """Problems of the settings with the graph's outputs: overrides of outputs the
        graph does not have, lists of the wrong length."""
        problems = [
            Problem(
                param=f"settings.outputs.{name}",
                code="unknown_output",
                message=f"settings override output {name!r}, but the graph's outputs are "
                f"{', '.join(output_names) or 'none'}",
            )
            for name in self.outputs
            if name not in output_names
        ]
        for field in ("loss", "loss_weights", "metrics"):
            problems += _by_output(field, getattr(self, field), output_names)[1]
        return problems

    def output_settings(self, output_names: list[str]) -> dict[str, OutputOverride]:
        """What the settings say per output (`loss`/`loss_weights`/`metrics`, then
        `outputs`); an output they say nothing about is absent."""
        resolved: dict[str, dict[str, Any]] = {}
        for field, key in (
            ("loss", "loss"),
            ("loss_weights", "loss_weight"),
            ("metrics", "metrics"),
        ):
            values, _ = _by_output(field, getattr(self, field), output_names)
            for name, value in values.items():
                resolved.setdefault(name, {})[key] = value
        for name, o in self.outputs.items():
            resolved.setdefault(name, {}).update(o.model_dump(exclude_none=True))
        return {name: OutputOverride(**fields) for name, fields in resolved.items()}

    def losses(self, output_names: list[str]) -> dict[str, str | None]:
        """The loss names the settings give outputs (for the data set's target checks)."""
        return {name: o.loss for name, o in self.output_settings(output_names).items() if o.loss}

    def resolve_graph(self, graph: Graph) -> Graph:
        """A copy of the graph whose Output nodes say what the settings say (the model
        the run compiles, and its exported code, come from it)."""
        graph = graph.model_copy(deep=True)
        outputs = [n for n in graph.nodes if n.type == "Output"]
        said = self.output_settings([output_name(n) for n in outputs])
        for node in outputs:
            o = said.get(output_name(node))
            if o is None:
                continue
            updates = {"loss": o.loss, "loss_weight": o.loss_weight, "metrics": o.metrics}
            node.params = {**node.params, **{k: v for k, v in updates.items() if v is not None}}
        return graph


def _by_output(field: str, value: Any, names: list[str]) -> tuple[dict[str, Any], list[Problem]]:
    """A compile()-style argument (one value, a list in output order, a dict by name) as a
    dict by output name, with the problems of a list or dict that does not fit `names`."""
    if value is None:
        return {}, []
    param = f"settings.{field}"
    metric_list = field == "metrics" and isinstance(value, list)
    if metric_list and len(names) == 1:  # one output: every metric listed is its own
        flat = [m for entry in value for m in ([entry] if isinstance(entry, str) else entry)]
        return {names[0]: flat}, []
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            return {}, [
                Problem(
                    param=param,
                    code="unknown_output",
                    message=f"{field} names output {', '.join(map(repr, unknown))}, but the "
                    f"graph's outputs are {', '.join(names) or 'none'}",
                )
            ]
        values = dict(value)
    elif isinstance(value, list):
        if len(value) != len(names):
            return {}, [
                Problem(
                    param=param,
                    code="outputs_mismatch",
                    message=f"{field} is a list of {len(value)}, but the graph has "
                    f"{len(names)} outputs ({', '.join(names)}); give one entry per output "
                    "or a dict by output name",
                )
            ]
        values = dict(zip(names, value, strict=True))
    else:
        values = {name: value for name in names}
    if field == "metrics":
        values = {k: [v] if isinstance(v, str) else list(v) for k, v in values.items()}
    return values, []


def parse_settings(data: dict[str, Any] | None) -> RunSettings:
    """Validate a settings dict; raises pydantic.ValidationError with field paths."""
    return RunSettings.model_validate(data or {})
