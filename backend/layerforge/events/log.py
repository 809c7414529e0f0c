"""The run event log: its interface, the event and the subscription types.

Every event of a run gets a `seq` that only grows (1, 2, 3, ... with no gap). A
subscription replays what came after a given seq and then tails, with no gap and no
duplicate. Each subscription has a bounded queue: a consumer that falls further behind
than that is cut off (`SubscriberOverflow`) instead of holding memory or delaying
others, and resumes with `after=` the last seq it got.

`MemoryStoreEventLog` (events/memory.py) keeps recent events in memory and batches
them into the store; a Redis Streams implementation can stand behind the same
interface.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from pydantic import BaseModel

from layerforge.events.run_state import RunState
from layerforge.events.types import RunEvent, RunEventBase, StatusEvent
from layerforge.store.models import TERMINAL_STATUSES


class SubscriberOverflow(Exception):
    """The consumer fell too far behind; it may resubscribe after `last_seq`."""

    def __init__(self, last_seq: int | None):
        self.last_seq = last_seq
        super().__init__(f"subscriber fell behind after seq {last_seq}")


def wire_dict(message: BaseModel) -> dict[str, object]:
    """A message as JSON data: the fields it was given (an optional field left out stays
    out, as the schema allows)."""
    return message.model_dump(mode="json", exclude_unset=True)


class Event:
    """One message (a run event with its seq, or a feed message or ping without), its
    JSON text serialised once however many sockets send it."""

    __slots__ = ("message", "seq", "is_terminal", "_text")

    def __init__(self, message: BaseModel):
        self.message = message
        self.seq = message.seq if isinstance(message, RunEventBase) else None
        self.is_terminal = isinstance(message, StatusEvent) and message.status in TERMINAL_STATUSES
        self._text: str | None = None

    @property
    def data(self) -> dict[str, object]:
        return wire_dict(self.message)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.message.model_dump_json(exclude_unset=True)
        return self._text


class Subscription:
    """Replayed events first, then live ones from a bounded queue.

    `next()` returns the next event, None once the run has finished (its terminal
    status was delivered) or the subscription was closed, and raises
    `SubscriberOverflow` when the producer had to drop this consumer. It is safe to
    cancel (`asyncio.wait_for`) between events.
    """

    def __init__(
        self, maxsize: int, after: int | None, on_close: Callable[[], None] = lambda: None
    ):
        self._replay: list[Event] = []
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)
        self.last_seq = after
        self.overflowed = False
        self.cut_off = asyncio.Event()  # set on overflow, for a consumer stuck elsewhere
        self.finished = False  # the run ended: stop once the replay is delivered
        self._closed = False
        self._on_close = on_close

    def replay(self, events: list[Event]) -> None:
        """Events to deliver before the live ones (set once, at subscription)."""
        self._replay = list(events)

    def offer(self, event: Event) -> None:
        """Called by the producer; never blocks."""
        if self._closed or self.overflowed:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            self.cut_off.set()
            self._on_close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._on_close()
            try:
                self._queue.put_nowait(None)
            except asyncio.QueueFull:
                pass

    async def next(self) -> Event | None:
        while True:
            if self.overflowed:
                raise SubscriberOverflow(self.last_seq)
            if self._replay:
                event = self._replay.pop(0)
            elif self._closed or (self.finished and self._queue.empty()):
                return None
            else:
                queued = await self._queue.get()
                if queued is None:
                    return None
                event = queued
            if event.seq is not None:
                if self.last_seq is not None and event.seq <= self.last_seq:
                    continue  # already replayed
                self.last_seq = event.seq
                if event.is_terminal:
                    self.finished = True
            return event


class EventLog(Protocol):
    """What the API and the schedulers need from a run event log."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def append(self, run_id: str, event: RunEvent) -> Event | None:
        """Give the event the run's next seq, apply it to the run's state, fan it out and
        store it. A status event is stored before this returns; others may be stored a
        moment later, but before any reader or subscriber sees them. Returns None for an
        event the run no longer accepts (after its terminal status, or a status step
        back). Raises KeyError for an unknown run."""

    async def read(self, run_id: str, after: int = 0, limit: int = 1000) -> list[RunEvent]:
        """Events with seq > after, oldest first. Raises KeyError for an unknown run."""

    async def subscribe(self, run_id: str, after: int = 0, maxsize: int = 1000) -> Subscription:
        """Replay after `after`, then tail. Raises KeyError for an unknown run."""

    def subscribe_status(self, maxsize: int = 1000) -> Subscription:
        """The all-runs feed: `RunStatusChange` and `RunDeleted` messages."""

    async def state(self, run_id: str) -> RunState | None:
        """The run's current state (None for an unknown run)."""

    def fresh_states(self) -> dict[str, RunState]:
        """States newer than the store may hold yet, by run id (may be empty). Take them
        BEFORE reading the store: a flush between the two may drop a run from here, and
        the row read earlier would then be stale."""

    async def forget(self, run_id: str) -> None:
        """Drop a deleted run: its pending events, its state, its subscribers."""

    async def flush(self) -> None:
        """Write everything pending to the store now."""
