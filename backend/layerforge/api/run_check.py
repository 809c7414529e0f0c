"""The check every run passes before it is queued, whether a person starts it
(`POST /api/runs`) or a sweep does (each corner of its space, before any trial starts):
the graph's size, its validation, and the data set (and validation set) against it."""

from __future__ import annotations

from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from layerforge.api.deps import keras_lock
from layerforge.api.errors import ApiError
from layerforge.api.limits import check_graph_size
from layerforge.api.schemas.runs import RunRequest
from layerforge.graph.limits import GraphLimits
from layerforge.graph.problems import Problem
from layerforge.graph.schema import Graph
from layerforge.graph.topology import output_name
from layerforge.settings import Settings
from layerforge.training.settings import RunSettings


async def check_run_request(
    graph: Graph, body: RunRequest, settings: Settings, session: Session
) -> None:
    """Raise a 422 naming the cap for a graph over the size limits, else one with every
    problem of the graph, or of the data set against it (an uploaded set is looked up with `session`,
    on the app's database)."""
    check_graph_size(graph, settings)
    await run_in_threadpool(_checked, graph, body, settings.limits, session)


def _dataset_problems(
    graph: Graph, body: RunRequest, run_settings: RunSettings, report_nodes: Any, session: Session
) -> list[Problem]:
    from layerforge.training.datasets import check_dataset

    outputs = [output_name(n) for n in graph.nodes if n.type == "Output"]
    problems = run_settings.check_against(outputs)
    losses = run_settings.losses(outputs)
    problems += check_dataset(
        graph, body.dataset.model_dump(), report_nodes, losses=losses, session=session
    )
    if run_settings.validation_dataset is not None:
        for p in check_dataset(
            graph, run_settings.validation_dataset, report_nodes, losses=losses, session=session
        ):
            problems.append(
                p.model_copy(
                    update={
                        "param": "settings.validation_dataset",
                        "message": f"validation data set: {p.message}",
                    }
                )
            )
    return problems


def _checked(graph: Graph, body: RunRequest, limits: GraphLimits, session: Session) -> None:
    from layerforge.graph import validate_graph

    with keras_lock:
        report = validate_graph(graph, limits)
    if report.errors:
        raise ApiError(422, report.errors)
    nodes = {k: v.model_dump() for k, v in report.nodes.items()}
    problems = _dataset_problems(graph, body, body.settings, nodes, session)
    if problems:
        raise ApiError(422, problems)
