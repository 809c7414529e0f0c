"""Caps on a graph's size (`settings.limits`), checked before any Keras work or save,
and the queue Keras routes wait in."""

from __future__ import annotations

import asyncio
import weakref

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from layerforge.api.errors import error_response, problem
from layerforge.graph.problems import GraphError, Problem
from layerforge.graph.schema import Graph
from layerforge.settings import Settings


def check_graph_size(graph: Graph, settings: Settings) -> None:
    """A 422 naming the cap when the graph (sub-graphs included) has too many nodes
    (`too_large`) or its sub-graphs nest too deep (`too_deep`); the same measures as
    validation uses."""
    from layerforge.graph.topology import count_nodes, nesting_depth  # imports Keras

    limits = settings.limits
    nodes, depth = count_nodes(graph), nesting_depth(graph)
    problems = []
    if nodes > limits.nodes:
        problems.append(
            Problem(
                code="too_large",
                message=f"The graph has {nodes} nodes (sub-graphs included); the limit is {limits.nodes}.",
            )
        )
    if depth > limits.nesting_depth:
        problems.append(
            Problem(
                code="too_deep",
                message=f"Sub-graphs nest {depth} deep; the limit is {limits.nesting_depth}.",
            )
        )
    if problems:
        raise GraphError(problems)


# Routes whose work is Keras's, one request at a time under api/deps.py keras_lock.
KERAS_ROUTES = frozenset(
    {
        ("POST", "/api/graphs/validate"),
        ("POST", "/api/graphs/estimate"),
        ("POST", "/api/graphs/diff"),
        ("POST", "/api/models/build"),
        ("POST", "/api/models/export"),
        ("POST", "/api/models/import"),
        ("POST", "/api/datasets/check"),
        ("POST", "/api/runs"),
    }
)
KERAS_AT_ONCE = 2  # one under the lock, one parsed and ready behind it
RETRY_AFTER_S = 2


class KerasQueue:
    """Keras routes take their turn here, two at a time, before their body is even read.

    Keras work runs one request at a time (keras_lock), in the thread pool every sync
    route and dependency shares; a burst of checks used to take a thread each while
    it waited for the lock, and 40 of them left none for anything else (a token
    lookup, `/api/health`). Waiting here costs no thread and no body in memory (the
    server stops reading a body nobody asks for). Past `limits.keras_queue` waiting, the
    answer is a 503 with Retry-After. A multipart `.keras` upload does not queue: it
    streams to disk first, which takes no turn from the checks behind it.
    """

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.depth = settings.limits.keras_queue
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Semaphore]
        self._turns = weakref.WeakKeyDictionary()
        self.waiting = 0

    def turns(self) -> anyio.Semaphore:
        """The turns of the running event loop. A server has one loop; a test client
        called from several threads runs each request in a loop of its own, and a
        semaphore released in one loop never wakes a waiter in another."""
        loop = asyncio.get_running_loop()
        turns = self._turns.get(loop)
        if turns is None:
            turns = self._turns[loop] = anyio.Semaphore(KERAS_AT_ONCE)
        return turns

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or (scope["method"], scope["path"]) not in KERAS_ROUTES
            or Headers(scope=scope).get("content-type", "").startswith("multipart/")
        ):
            return await self.app(scope, receive, send)
        turns = self.turns()
        if turns.value == 0 and self.waiting >= self.depth:
            message = (
                f"The server is busy: {self.waiting} Keras requests are waiting "
                f"(LAYERFORGE_LIMIT_KERAS_QUEUE); try again in {RETRY_AFTER_S} s."
            )
            busy = error_response(
                503, [problem("busy", message)], {"Retry-After": str(RETRY_AFTER_S)}
            )
            return await busy(scope, receive, send)
        self.waiting += 1
        try:
            await turns.acquire()
        finally:
            self.waiting -= 1
        try:
            await self.app(scope, receive, send)
        finally:
            turns.release()
