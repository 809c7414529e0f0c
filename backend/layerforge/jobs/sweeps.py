"""Sweeps: Optuna asks for a point of the space, each point trains as an ordinary run.

A sweep is an Optuna study named by the sweep's id, kept in the server's database: in
PostgreSQL in a schema of its own (`optuna_schema`), with SQLite in a file beside the store's
(`sweeps.sqlite`): Optuna's tables include an `alembic_version` of its own, which would
collide with the store's. The study's user attributes hold the request, the owner and
the status, so any API replica (and a restarted one) can read a sweep and take over
driving it.

One driver task per running sweep (in the API process that started or resumed it)
keeps `parallel` trials running: it asks the study for a point, submits the run request
with the point applied (through the same checks as `POST /api/runs`), reports each
epoch's objective metric to the trial, cancels a run the pruner calls hopeless (the
trial is `PRUNED`, the run's log says why) and tells the study each finished value.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import optuna
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import create_engine, text

from layerforge.events.types import LogEvent
from layerforge.jobs.runtime import Runtime
from layerforge.jobs.sweep_space import MAX_DIMENSIONS, Dimension, applied
from layerforge.settings import Settings

log = logging.getLogger("layerforge.sweeps")
optuna.logging.set_verbosity(optuna.logging.WARNING)

SweepStatus = Literal["running", "succeeded", "cancelled", "failed"]
TrialState = Literal["running", "complete", "pruned", "failed", "waiting"]
POLL_S = 0.5
CANCEL_WAIT_S = 30.0
ENDED = ("succeeded", "failed", "cancelled")


class Objective(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str = Field(default="val_loss", description="A Keras history key of the runs.")
    direction: Literal["minimize", "maximize"] = "minimize"


class SweepOptions(BaseModel):
    """How the search runs (everything of a sweep request but the run request)."""

    model_config = ConfigDict(extra="forbid")

    space: dict[str, Dimension] = Field(
        description="JSON Pointer into the run request -> range or choices.",
        min_length=1,
        max_length=MAX_DIMENSIONS,
    )
    trials: int = Field(default=16, ge=1, le=1000)
    parallel: int = Field(default=2, ge=1, le=64)
    sampler: Literal["tpe", "random"] = "tpe"
    pruner: Literal["none", "median", "hyperband", "asha"] = "median"
    objective: Objective = Field(default_factory=Objective)
    seed: int | None = Field(
        default=None, description="The sampler's seed, for a repeatable search."
    )


class Trial(BaseModel):
    number: int
    run_id: str | None
    params: dict[str, Any]
    value: float | None
    state: TrialState
    error: str | None = None


class Sweep(BaseModel):
    id: str
    status: SweepStatus
    owner: str | None
    created_at: float
    trials_total: int
    parallel: int
    objective: Objective
    space: dict[str, Dimension]
    trials: list[Trial]
    best: Trial | None
    importance: dict[str, float] | None = Field(
        default=None, description="Optuna's parameter importance, once two trials completed."
    )


def optuna_schema(database_url: str) -> str:
    """The PostgreSQL schema of the sweeps: `optuna`, or `<schema>_optuna` beside a
    store kept in a schema of its own (`?options=-csearch_path=<schema>`)."""
    found = re.search(r"search_path(?:%3D|=)([A-Za-z0-9_]+)", database_url)
    return f"{found.group(1)}_optuna" if found else "optuna"


def optuna_storage(settings: Settings) -> optuna.storages.RDBStorage:
    """The sweeps' storage in the server's database (see the module docstring)."""
    url = settings.database_url
    if url and url.startswith("postgresql"):
        schema = optuna_schema(url)
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        engine.dispose()
        return optuna.storages.RDBStorage(
            url, engine_kwargs={"connect_args": {"options": f"-csearch_path={schema}"}}
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return optuna.storages.RDBStorage(f"sqlite:///{settings.data_dir / 'sweeps.sqlite'}")


def _sampler(options: SweepOptions) -> optuna.samplers.BaseSampler:
    if options.sampler == "random":
        return optuna.samplers.RandomSampler(seed=options.seed)
    return optuna.samplers.TPESampler(seed=options.seed, n_startup_trials=min(10, options.trials))


def _pruner(options: SweepOptions, epochs: int) -> optuna.pruners.BasePruner:
    if options.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    if options.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(epochs, 2))
    if options.pruner == "asha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1)
    return optuna.pruners.NopPruner()


_STATES: dict[optuna.trial.TrialState, TrialState] = {
    optuna.trial.TrialState.RUNNING: "running",
    optuna.trial.TrialState.COMPLETE: "complete",
    optuna.trial.TrialState.PRUNED: "pruned",
    optuna.trial.TrialState.FAIL: "failed",
    optuna.trial.TrialState.WAITING: "waiting",
}


def _trial(t: optuna.trial.FrozenTrial, attrs: dict[str, Any]) -> Trial:
    """A trial as answered; why it failed or was pruned is kept in the study's attributes
    (a finished trial's own cannot be set)."""
    return Trial(
        number=t.number,
        run_id=t.user_attrs.get("run_id"),
        params=t.params,
        value=t.value if t.state == optuna.trial.TrialState.COMPLETE else None,
        state=_STATES[t.state],
        error=attrs.get(f"error:{t.number}"),
    )


def describe(study: optuna.Study, with_importance: bool = False) -> Sweep:
    attrs = study.user_attrs
    options = SweepOptions.model_validate(attrs["options"])
    trials = [_trial(t, attrs) for t in study.get_trials(deepcopy=False)]
    done = [t for t in trials if t.state == "complete" and t.value is not None]
    pick = min if options.objective.direction == "minimize" else max
    best = pick(done, key=lambda t: t.value or 0.0) if done else None
    importance = None
    if with_importance and len(done) >= 2:
        try:
            importance = optuna.importance.get_param_importances(study)
        except (RuntimeError, ValueError):  # one distinct point, a constant objective
            importance = None
    return Sweep(
        id=study.study_name,
        status=attrs.get("status", "running"),
        owner=attrs.get("owner"),
        created_at=attrs.get("created_at", 0.0),
        trials_total=options.trials,
        parallel=options.parallel,
        objective=options.objective,
        space=options.space,
        trials=trials,
        best=best,
        importance=importance,
    )


Submit = Callable[[dict[str, Any], str | None], Awaitable[str]]
"""Checks and queues a run request as `POST /api/runs` does; answers the run's id or
raises with the problems (the API layer passes it in)."""


@dataclass
class _Running:
    trial: optuna.trial.Trial
    run_id: str
    seen: int = 0
    values: list[float] = field(default_factory=list)


class Sweeps:
    """The sweeps this API process drives; `start` resumes the running ones."""

    def __init__(self, runtime: Runtime, settings: Settings, submit: Submit):
        self.runtime = runtime
        self.settings = settings
        self.submit = submit
        self._storage: optuna.storages.RDBStorage | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def storage(self) -> optuna.storages.RDBStorage:
        if self._storage is None:
            self._storage = await asyncio.to_thread(optuna_storage, self.settings)
        return self._storage

    async def start(self) -> None:
        """Resume driving every sweep whose status is still running."""
        storage = await self.storage()
        summaries = await asyncio.to_thread(optuna.get_all_study_summaries, storage)
        for summary in summaries:
            if summary.user_attrs.get("status") == "running":
                study = await self._load(summary.study_name)
                self._drive(study)

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    async def create(
        self, request: dict[str, Any], options: SweepOptions, owner: str | None
    ) -> Sweep:
        storage = await self.storage()
        sweep_id = uuid.uuid4().hex
        epochs = int(request.get("settings", {}).get("epochs", 1) or 1)

        def make() -> optuna.Study:
            study = optuna.create_study(
                storage=storage,
                study_name=sweep_id,
                sampler=_sampler(options),
                pruner=_pruner(options, epochs),
                direction=options.objective.direction,
            )
            study.set_user_attr("request", request)
            study.set_user_attr("options", options.model_dump(mode="json"))
            study.set_user_attr("owner", owner)
            study.set_user_attr("created_at", time.time())
            study.set_user_attr("status", "running")
            return study

        study = await asyncio.to_thread(make)
        self._drive(study)
        return await asyncio.to_thread(describe, study)

    async def get(self, sweep_id: str, with_importance: bool = False) -> Sweep | None:
        try:
            study = await self._load(sweep_id)
        except KeyError:
            return None
        return await asyncio.to_thread(describe, study, with_importance)

    async def list(self) -> list[Sweep]:
        storage = await self.storage()
        summaries = await asyncio.to_thread(optuna.get_all_study_summaries, storage)
        out = []
        for summary in summaries:
            sweep = await self.get(summary.study_name)
            if sweep is not None:
                out.append(sweep)
        return sorted(out, key=lambda s: -s.created_at)

    async def cancel(self, sweep_id: str) -> Sweep | None:
        """Stop asking for trials and cancel the running ones (their trials fail as
        cancelled). The driver, in this process or another replica, sees the status at
        its next poll; with no driver left, this cleans up itself. Answers the sweep, or
        None when there is none."""
        try:
            study = await self._load(sweep_id)
        except KeyError:
            return None
        if study.user_attrs.get("status") == "running":
            await asyncio.to_thread(study.set_user_attr, "status", "cancelled")
            task = self._tasks.get(sweep_id)
            if task is not None:
                await asyncio.wait({task}, timeout=CANCEL_WAIT_S)
            else:
                await self._cancel_running(study, {})
        return await asyncio.to_thread(describe, study)

    async def _cancel_running(self, study: optuna.Study, running: dict[int, _Running]) -> None:
        """Cancel the runs of the trials still running and fail those trials."""
        for t in await asyncio.to_thread(study.get_trials, False):
            if t.state == optuna.trial.TrialState.RUNNING:
                run_id = t.user_attrs.get("run_id") or (
                    running[t.number].run_id if t.number in running else None
                )
                if run_id:
                    await self.runtime.scheduler.cancel(run_id)
                await asyncio.to_thread(self._tell_failed, study, t.number, "cancelled")

    async def _load(self, sweep_id: str) -> optuna.Study:
        storage = await self.storage()

        def load() -> optuna.Study:
            probe = optuna.load_study(study_name=sweep_id, storage=storage)
            options = SweepOptions.model_validate(probe.user_attrs["options"])
            epochs = int(probe.user_attrs["request"].get("settings", {}).get("epochs", 1) or 1)
            return optuna.load_study(
                study_name=sweep_id,
                storage=storage,
                sampler=_sampler(options),
                pruner=_pruner(options, epochs),
            )

        return await asyncio.to_thread(load)

    def _drive(self, study: optuna.Study) -> None:
        name = study.study_name
        if name not in self._tasks:
            self._tasks[name] = asyncio.create_task(self._run(study), name=f"sweep {name}")

    @staticmethod
    def _tell_failed(study: optuna.Study, number: int, why: str) -> None:
        study.set_user_attr(f"error:{number}", why)
        study.tell(number, state=optuna.trial.TrialState.FAIL)

    async def _run(self, study: optuna.Study) -> None:
        try:
            await self._loop(study)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or a lost database: the sweep says so
            log.exception("sweep %s failed", study.study_name)
            await asyncio.to_thread(study.set_user_attr, "status", "failed")
            await asyncio.to_thread(study.set_user_attr, "error", str(exc)[:500])
        finally:
            self._tasks.pop(study.study_name, None)

    async def _loop(self, study: optuna.Study) -> None:
        request: dict[str, Any] = study.user_attrs["request"]
        options = SweepOptions.model_validate(study.user_attrs["options"])
        owner = study.user_attrs.get("owner")
        metric = options.objective.metric
        distributions = {path: dim.distribution() for path, dim in options.space.items()}
        running: dict[int, _Running] = {}
        for t in await asyncio.to_thread(study.get_trials, False):  # resumed: re-attach
            if t.state == optuna.trial.TrialState.RUNNING:
                if t.user_attrs.get("run_id"):
                    trial = optuna.trial.Trial(study, t._trial_id)  # noqa: SLF001 (no public way)
                    running[t.number] = _Running(trial, t.user_attrs["run_id"])
                else:
                    await asyncio.to_thread(self._tell_failed, study, t.number, "not started")
        while True:
            attrs = await asyncio.to_thread(lambda: study.user_attrs)  # read from storage
            status = attrs.get("status")
            if status != "running":  # cancelled, here or by another replica
                await self._cancel_running(study, running)
                return
            asked = len(await asyncio.to_thread(study.get_trials, False))
            while len(running) < options.parallel and asked < options.trials:
                trial = await asyncio.to_thread(study.ask, distributions)
                asked += 1
                try:
                    run_id = await self.submit(applied(request, trial.params), owner)
                except Exception as exc:  # the point does not check: the trial fails
                    why = str(exc)[:500] or type(exc).__name__
                    await asyncio.to_thread(self._tell_failed, study, trial.number, why)
                    continue
                await asyncio.to_thread(trial.set_user_attr, "run_id", run_id)
                running[trial.number] = _Running(trial, run_id)
            if not running:
                break
            await asyncio.sleep(POLL_S)
            for number, entry in list(running.items()):
                if await self._follow(study, entry, metric):
                    del running[number]
        await asyncio.to_thread(study.set_user_attr, "status", "succeeded")

    async def _follow(self, study: optuna.Study, entry: _Running, metric: str) -> bool:
        """Read the run's new events: report epochs, prune, tell the end. True once told."""
        events = await self.runtime.events.read(entry.run_id, entry.seen, 1000)
        ended = next((e.status for e in events if e.type == "status" and e.status in ENDED), None)
        for event in events:
            entry.seen = max(entry.seen, event.seq or 0)
            value = event.metrics.get(metric) if event.type == "epoch" else None
            if event.type == "epoch" and isinstance(value, int | float):
                entry.values.append(float(value))
                await asyncio.to_thread(entry.trial.report, float(value), event.epoch)
                # a run that already ended completes: there is nothing left to save
                if ended is None and await asyncio.to_thread(entry.trial.should_prune):
                    await self._prune(study, entry, event.epoch, metric, float(value))
                    return True
        if ended is None:
            return False
        number = entry.trial.number
        if ended == "succeeded" and entry.values:
            await asyncio.to_thread(study.tell, number, entry.values[-1])
        elif ended == "succeeded":
            await asyncio.to_thread(
                self._tell_failed, study, number, f"the run reported no {metric!r}"
            )
        else:
            await asyncio.to_thread(self._tell_failed, study, number, f"the run {ended}")
        return True

    async def _prune(
        self, study: optuna.Study, entry: _Running, epoch: int, metric: str, value: float
    ) -> None:
        message = (
            f"pruned by sweep {study.study_name} after epoch {epoch + 1}: "
            f"{metric} {value:.4g} is not promising against the other trials"
        )
        await self.runtime.events.append(entry.run_id, LogEvent(level="warning", message=message))
        await self.runtime.scheduler.cancel(entry.run_id)
        await asyncio.to_thread(study.set_user_attr, f"error:{entry.trial.number}", message)
        await asyncio.to_thread(
            study.tell, entry.trial.number, state=optuna.trial.TrialState.PRUNED
        )
