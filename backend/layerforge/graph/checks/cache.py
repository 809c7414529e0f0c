"""Every cache validation keeps between requests, bounded LRUs, with one `clear()`.

Each key holds everything its answer depends on (see the `*_key` functions beside each
use), so a stale answer is never read; a test pins the structure key's coverage."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class Cache(Generic[V]):
    """A thread-safe LRU cache that counts hits and misses (benchmarks and tests read them).

    An OrderedDict under a lock: a lookup is a few C calls, as it runs several times per
    node on every edit (a pure-Python LRU, cachetools', cost 1.5 us a lookup)."""

    def __init__(self, size: int) -> None:
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
                self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            if len(self._data) > self._size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


NODE_OUTCOMES: Cache[Any] = Cache(50_000)
"""A layer called on its input specs: (layer text, input specs, owner specs, sub-graph hash)."""
SUBGRAPH_MODELS: Cache[Any] = Cache(64)
"""Stateless keras.Models of sub-graph definitions, by definition hash."""
STRUCTURE: Cache[Any] = Cache(2_000)
"""Structural findings of one graph level, by `structure_key`."""
LAYER_CHECKS: Cache[Any] = Cache(20_000)
"""A layer's own checks (type, params, wrapper) by its canonical text."""
PARAM_CHECKS: Cache[Any] = Cache(20_000)
"""Parameter problems by (type, canonical text, parameter prefix)."""
REPORTS: Cache[Any] = Cache(4)
"""Whole validation reports, with whether fixes were added, by `validate._graph_key` and
the limits. Few: a 1,000-node report is about 10,000 objects that every full collection scans (16
of them made a NASNetLarge check after two other imports 30 ms slower at the median,
with pauses up to 80 ms)."""
PORT_NAMES: Cache[Any] = Cache(20_000)
"""A layer's port names by (canonical text, connected input ports)."""
PORT_COUNTS: Cache[Any] = Cache(20_000)
"""A layer's (input port range, output ports) by its canonical text (`structure_key`)."""

ALL = (
    NODE_OUTCOMES,
    SUBGRAPH_MODELS,
    STRUCTURE,
    LAYER_CHECKS,
    PARAM_CHECKS,
    PORT_NAMES,
    PORT_COUNTS,
    REPORTS,
)


def clear() -> None:
    """Forget every cached answer (tests, benchmarks' cold runs)."""
    for cache in ALL:
        cache.clear()
